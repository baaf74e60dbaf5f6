# ruff: noqa: S311  (seeded generators for reproducible benchmark data, not secrets)
"""Benchmark of the featured-achievements digest (make bench-digest; docs/performance.md).

On a dedicated PostgreSQL database: creates the subscribers in bulk (once; a rerun reuses them),
a published featured issue and the week's new achievements, then times `digest_plan` for the
period and sends it with N plain worker processes (forked, as Celery's prefork children are),
each running `digest_send_all`'s loop — claim a batch, send it over one SMTP connection — into an
aiosmtpd sink in a process of its own (tests/digest/smtp_sink.py). Reports messages per second,
per-batch times, the workers' peak RSS and where their time went, and writes docs/bench/digest.json.
Every run deletes the period's deliveries first, so it plans and sends the whole period again.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import random
import resource
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.db.models import Count
from django.utils import timezone

from achievements import services_digest
from achievements.enums import Category, DigestFrequency, FeaturedIssueStatus, SubscriptionStatus
from achievements.enums import Status as AchievementStatus
from achievements.models import Achievement, DigestDelivery, FeaturedIssue, FeaturedItem, Subscription
from marketplace.enums import OrganizationKind, VerificationStatus
from marketplace.management.commands.bench_search import summary
from marketplace.models import IndustryField, Organization, Region

SEED = 20261123
DAY = date(2026, 11, 23)  # a Monday: the weekly period 2026-W48, new achievements from the 7 days before
PREFIX = "bench-digest-"  # subscribers' addresses, so a rerun finds its own rows
ORGANIZATION = "基准摘要大学"
ISSUE_TITLE = "基准摘要：本周精选成果"
# Who chooses fields (deterministic per subscriber): 40 % none (every field), 45 % one of the
# top-level fields, 15 % two of them — about 120 combinations, each rendered once per batch.
SHARE_NONE, SHARE_ONE = 0.40, 0.85


class Command(BaseCommand):
    help = "Benchmark the digest: plan a period for N subscribers and send it with worker processes (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--subscribers", type=int, default=100_000)
        parser.add_argument("--workers", type=int, default=2, help="sending processes")
        parser.add_argument("--batch-size", type=int, default=200, help="rows per claim (the tasks' DIGEST_BATCH)")
        parser.add_argument("--sink-delay", type=float, default=0.0, help="seconds the sink waits per message")
        parser.add_argument(
            "--sending-group",
            type=int,
            default=services_digest.SENDING_GROUP,
            help="rows marked sending (and sent) per commit: what a killed worker can leave ambiguous",
        )
        parser.add_argument("--output", default="docs/bench/digest.json")
        parser.add_argument("--force", action="store_true", help="Run on a database whose name lacks 'bench'.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The digest benchmark runs on PostgreSQL (set DATABASE_URL).")
        services_digest.SENDING_GROUP = options["sending_group"]  # the forked workers inherit it
        if "bench" not in connection.settings_dict["NAME"] and not options["force"]:
            raise CommandError("Use a dedicated database whose name contains 'bench'.")
        # As in production (DEBUG=0): no query log in the workers.
        settings.DEBUG = False
        report = {
            "machine": {
                "cpus": os.cpu_count(),
                "server_version": self._server_version(),
                "load_average_before": [round(load, 2) for load in os.getloadavg()],
            }
        }
        started = time.perf_counter()
        created = self._subscribers(options["subscribers"])
        self._content()
        report["data"] = {
            "subscribers": Subscription.objects.filter(
                email__startswith=PREFIX, status=SubscriptionStatus.ACTIVE, frequency=DigestFrequency.WEEKLY
            ).count(),
            "subscribers_created_now": created,
            "field_combinations": self._combinations(),
            "seconds": round(time.perf_counter() - started, 1),
        }
        self.stdout.write(f"data: {report['data']}")
        report["plan"] = self._plan()
        self.stdout.write(f"plan: {report['plan']}")
        report["send"] = self._send(options, report["plan"]["queued"])
        report["machine"]["load_average_after"] = [round(load, 2) for load in os.getloadavg()]
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self._summary(report, options)

    # -- data ---------------------------------------------------------------------------------

    def _server_version(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]

    def _subscribers(self, count: int) -> int:
        have = Subscription.objects.filter(email__startswith=PREFIX).count()
        if have >= count:
            return 0
        rng = random.Random(SEED)
        tops = list(
            IndustryField.objects.filter(parent__isnull=True).order_by("position", "pk").values_list("pk", flat=True)
        )
        now = timezone.now()
        through = Subscription.industry_fields.through
        for start in range(0, count, 5000):
            numbers = range(start, min(start + 5000, count))
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        email=f"{PREFIX}{n:07d}@example.test",
                        frequency=DigestFrequency.WEEKLY,
                        status=SubscriptionStatus.ACTIVE,
                        confirmed_at=now,
                    )
                    for n in numbers
                ],
                ignore_conflicts=True,
            )
            ids = dict(
                Subscription.objects.filter(email__in=[f"{PREFIX}{n:07d}@example.test" for n in numbers])
                .filter(industry_fields__isnull=True)
                .values_list("email", "pk")
            )
            rows = []
            for n in numbers:
                share = random.Random(SEED + n).random()
                pk = ids.get(f"{PREFIX}{n:07d}@example.test")
                if pk is None or share < SHARE_NONE:
                    continue
                chosen = rng.sample(tops, 1 if share < SHARE_ONE else 2)
                rows += [through(subscription_id=pk, industryfield_id=field) for field in chosen]
            through.objects.bulk_create(rows, ignore_conflicts=True)
            self.stdout.write(f"  subscribers: {min(start + 5000, count)}")
        return Subscription.objects.filter(email__startswith=PREFIX).count() - have

    def _combinations(self) -> int:
        through = Subscription.industry_fields.through
        chosen: dict[int, set] = {}
        for subscription, field in through.objects.filter(subscription__email__startswith=PREFIX).values_list(
            "subscription_id", "industryfield_id"
        ):
            chosen.setdefault(subscription, set()).add(field)
        return len({frozenset(fields) for fields in chosen.values()}) + 1  # + "every field"

    def _content(self) -> None:
        """A university, 60 achievements published in the week before DAY (4 per top-level field),
        and a published featured issue of 10 of them (once)."""
        if FeaturedIssue.objects.filter(title=ISSUE_TITLE, status=FeaturedIssueStatus.PUBLISHED).exists():
            return
        rng = random.Random(SEED + 1)
        organization, _created = Organization.objects.get_or_create(
            name=ORGANIZATION,
            defaults={
                "kind": OrganizationKind.UNIVERSITY,
                "region": Region.objects.filter(level=3).order_by("code").first(),
                "verification_status": VerificationStatus.VERIFIED,
                "verified_at": timezone.now(),
            },
        )
        subfields = {}
        for pk, parent in IndustryField.objects.filter(parent__isnull=False).values_list("pk", "parent_id"):
            subfields.setdefault(parent, []).append(pk)
        zone = timezone.get_current_timezone()
        monday = timezone.make_aware(datetime.combine(DAY, datetime.min.time()), zone)
        through = Achievement.industry_fields.through
        achievements = []
        for parent, children in sorted(subfields.items()):
            for n in range(4):
                published = monday - timedelta(hours=rng.randint(2, 6 * 24))
                achievement = Achievement.objects.create(
                    title=f"基准摘要成果：一种面向产业应用的关键技术{parent}-{n}",
                    summary="本成果面向产业升级需求，提出一种可工程化的关键技术方案，已完成中试验证，具备转化条件。"
                    * 3,
                    category=rng.choice(Category.values),
                    organization=organization,
                    trl=rng.randint(4, 8),
                    asking_price=rng.randint(10, 500) * 10_000,
                    status=AchievementStatus.PUBLISHED,
                    published_at=published,
                    confirmed_at=published,
                )
                through.objects.create(achievement_id=achievement.pk, industryfield_id=rng.choice(children))
                achievements.append(achievement)
        number = (FeaturedIssue.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        issue = FeaturedIssue.objects.create(
            number=number,
            title=ISSUE_TITLE,
            period_start=DAY - timedelta(days=7),
            period_end=DAY - timedelta(days=1),
            editor_note="本期精选十项成果，覆盖各重点产业领域。",
            status=FeaturedIssueStatus.PUBLISHED,
            published_at=monday - timedelta(hours=1),
        )
        FeaturedItem.objects.bulk_create(
            [
                FeaturedItem(issue=issue, achievement=achievement, position=position, note="编者按：转化前景明确。")
                for position, achievement in enumerate(rng.sample(achievements, 10), 1)
            ]
        )

    # -- plan ---------------------------------------------------------------------------------

    def _plan(self) -> dict:
        key = services_digest.DigestPeriod.of(DigestFrequency.WEEKLY, DAY).key
        deleted, _by_model = DigestDelivery.objects.filter(period=key).delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE achievements_digestdelivery")
        begun = time.perf_counter()
        period, queued = services_digest.digest_plan(frequency=DigestFrequency.WEEKLY, day=DAY)
        seconds = time.perf_counter() - begun
        begun = time.perf_counter()
        _period, again = services_digest.digest_plan(frequency=DigestFrequency.WEEKLY, day=DAY)
        replan = time.perf_counter() - begun
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE achievements_digestdelivery")
        return {
            "period": period.key,
            "queued": queued,
            "seconds": round(seconds, 2),
            "rows_per_second": round(queued / seconds),
            "replan_seconds": round(replan, 2),
            "replan_queued": again,
            "deleted_before": deleted,
        }

    # -- send ---------------------------------------------------------------------------------

    def _send(self, options, queued: int) -> dict:
        out = Path(tempfile.mkstemp(prefix="digest-sink-", suffix=".tsv")[1])
        sink = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
            [
                sys.executable,
                "-m",
                "tests.digest.smtp_sink",
                "--port",
                "0",
                "--out",
                str(out),
                "--delay",
                str(options["sink_delay"]),
            ],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            line = sink.stdout.readline()
            if not line.startswith("listening"):
                raise CommandError(f"the SMTP sink did not start: {line!r}")
            port = int(line.rsplit(":", 1)[1])
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
            settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
            settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
            from django.core.mail.utils import DNS_NAME

            DNS_NAME.get_fqdn()  # looked up once, before the fork
            connections.close_all()
            context = multiprocessing.get_context("fork")
            results = context.Queue()
            processes = [
                context.Process(target=_worker, args=(n, options["batch_size"], results), name=f"digest-bench-{n}")
                for n in range(options["workers"])
            ]
            begun = time.perf_counter()
            for process in processes:
                process.start()
            outcomes = []
            while len(outcomes) < len(processes):
                try:
                    outcomes.append(results.get(timeout=5))
                except queue.Empty:
                    if not any(process.is_alive() for process in processes):
                        raise CommandError("a worker process died without a result") from None
            wall = time.perf_counter() - begun
            for process in processes:
                process.join(60)
            sink_rss_mb = _peak_rss_mb(sink.pid)
            sink_cpu = _cpu_seconds(sink.pid)
        finally:
            sink.send_signal(signal.SIGTERM)
            try:
                sink.wait(30)
            except subprocess.TimeoutExpired:
                sink.kill()
        errors = [outcome["error"] for outcome in outcomes if outcome.get("error")]
        if errors:
            raise CommandError("a worker failed:\n" + "\n".join(errors))
        records = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
        out.unlink()
        ids = Counter(record[0] for record in records)
        totals = Counter()
        batches = []
        timing = Counter()
        for outcome in outcomes:
            totals.update(outcome["counts"])
            batches += outcome["batches"]
            timing.update(outcome["timing"])
        busy = sum(timing.values())
        statuses = dict(
            DigestDelivery.objects.filter(period=services_digest.DigestPeriod.of(DigestFrequency.WEEKLY, DAY).key)
            .values_list("status")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {
            "workers": options["workers"],
            "how": "multiprocessing (fork) processes, each looping digest_claim + digest_send_claimed (digest_send_all)",
            "batch_size": options["batch_size"],
            "sending_group": options["sending_group"],
            "sink_delay_ms": options["sink_delay"] * 1000,
            "queued": queued,
            "sent": totals["sent"],
            "outcomes": dict(totals),
            "statuses_after": statuses,
            "sink_received": len(records),
            "sink_duplicate_message_ids": sum(1 for n in ids.values() if n > 1),
            "seconds": round(wall, 1),
            "messages_per_second": round(totals["sent"] / wall, 1),
            "batch": summary([b["seconds"] for b in batches]),
            "batch_claim": summary([b["claim"] for b in batches]),
            "contents_rendered_per_batch": round(sum(b["renders"] for b in batches) / max(1, len(batches)), 1),
            "cpu_ms_per_message": _cpu_per_message(outcomes, sink_cpu, totals["sent"]),
            "worker_peak_rss_mb": [outcome["peak_rss_mb"] for outcome in outcomes],
            "sink_peak_rss_mb": sink_rss_mb,
            "where_worker_time_went": {
                name: {"seconds": round(value, 1), "share": round(value / busy, 3)} for name, value in timing.items()
            },
        }

    def _summary(self, report: dict, options) -> None:
        send = report["send"]
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        # The rate counts only when the whole period went out, each message once.
        complete = send["sent"] == send["queued"] == send["sink_received"] and not send["sink_duplicate_message_ids"]
        target = "✓" if complete and send["messages_per_second"] >= 600 else "✗"
        shares = ", ".join(f"{name} {value['share']:.0%}" for name, value in send["where_worker_time_went"].items())
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{report['data']['subscribers']:,} subscribers: plan {report['plan']['seconds']} s; "
                f"{send['sent']:,} sent by {send['workers']} workers in {send['seconds']} s = "
                f"{send['messages_per_second']} messages/s (target ≥ 600 {target}); batch of {send['batch_size']} "
                f"p50 {send['batch']['p50_ms']} ms, p95 {send['batch']['p95_ms']} ms; peak RSS "
                f"{max(send['worker_peak_rss_mb'])} MB per worker; CPU per message {send['cpu_ms_per_message']} ms; "
                f"worker time: {shares}; "
                f"written to {options['output']}"
            )
        )
        if not complete:
            raise CommandError(
                f"the period did not go out whole: {send['sent']:,} sent of {send['queued']:,} queued, "
                f"{send['sink_received']:,} in the sink, {send['sink_duplicate_message_ids']} Message-IDs twice "
                f"(statuses {send['statuses_after']})"
            )


def _cpu_per_message(outcomes: list[dict], sink_cpu: float | None, sent: int) -> dict:
    """Where the machine's CPU went per message sent: the bound on the rate, whatever else runs."""
    if not sent:
        return {}
    parts = {
        "workers": sum(outcome["cpu_seconds"] for outcome in outcomes),
        "their_postgresql_backends": (
            sum(outcome["backend_cpu_seconds"] for outcome in outcomes)
            if all(outcome["backend_cpu_seconds"] is not None for outcome in outcomes)
            else None
        ),
        "smtp_sink": sink_cpu,
    }
    per_message = {name: round(value / sent * 1000, 2) for name, value in parts.items() if value is not None}
    per_message["total"] = round(sum(per_message.values()), 2)
    return per_message


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process of this machine (a PostgreSQL backend, the sink)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _worker(number: int, batch_size: int, results) -> None:
    """One sending process: digest_send_all's loop, each batch timed, and the time inside it split
    into rendering the digests (digest_content: its queries apart), building the messages, SMTP
    (serialising and the dialogue), the claims' and rows' SQL, and the rest (ORM rows, the loop)."""
    spent = Counter()
    sql = [0.0]

    def timed(name, function):
        def wrapper(*args, **kwargs):
            begun, sql_before = time.perf_counter(), sql[0]
            try:
                return function(*args, **kwargs)
            finally:
                inner_sql = sql[0] - sql_before
                spent[name] += time.perf_counter() - begun - inner_sql
                spent[f"{name}_sql"] += inner_sql
                spent[f"{name}_calls"] += 1

        return wrapper

    def on_sql(execute, statement, params, many, context):
        begun = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql[0] += time.perf_counter() - begun

    services_digest.digest_content = timed("render", services_digest.digest_content)
    services_digest.build_message = timed("build", services_digest.build_message)
    services_digest.RawDigest.render = timed("build", services_digest.RawDigest.render)
    smtplib.SMTP.sendmail = timed("smtp", smtplib.SMTP.sendmail)
    worker = f"bench:{os.getpid()}"
    batches, counts, busy = [], Counter(), 0.0
    error = ""
    try:
        with connection.execute_wrapper(on_sql):
            while True:
                begun, renders = time.perf_counter(), spent["render_calls"]
                ids = services_digest.digest_claim(worker=worker, batch_size=batch_size)
                claimed = time.perf_counter()
                if not ids:
                    break
                counts.update(services_digest.digest_send_claimed(ids=ids, worker=worker))
                ended = time.perf_counter()
                busy += ended - begun
                batches.append(
                    {"seconds": ended - begun, "claim": claimed - begun, "renders": spent["render_calls"] - renders}
                )
    except Exception as exc:  # reported to the parent
        import traceback

        error = f"worker {number}: {exc!r}\n{traceback.format_exc()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_cpu = _cpu_seconds(cursor.fetchone()[0])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rows_sql = sql[0] - spent["render_sql"]
    timing = {
        "rendering digests (templates, Python)": spent["render"],
        "rendering digests (its queries)": spent["render_sql"],
        "building messages (unsubscribe token, headers, the subscriber's bytes)": spent["build"],
        "SMTP (the dialogue: MAIL, RCPT, DATA, the body)": spent["smtp"],
        "claims and row updates (SQL)": rows_sql,
        "other (ORM rows, the loop)": busy - spent["render"] - sql[0] - spent["build"] - spent["smtp"],
    }
    connections.close_all()
    results.put(
        {
            "counts": dict(counts),
            "batches": batches,
            "timing": timing,
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "backend_cpu_seconds": backend_cpu,
            "error": error,
        }
    )
