"""Failure harness of the digest delivery (issue 10; the guarantee is in achievements/services_digest.py).

A real Celery worker (prefork, two children) on Redis sends one period's digest to 1,000 subscribers
through an SMTP sink that takes 5 ms per message, while the harness SIGKILLs the worker's whole
process group several times at random moments mid-send and restarts it, sweeping what each dead
worker left. Then it checks the promise — at most once, never silently dropped: no subscriber got a
message twice; every delivery ended `sent` (and the sink holds it), `failed` (addresses the sink
refuses) or `ambiguous` (at most one group of SENDING_GROUP per killed child); none is left queued,
claimed or sending; and after the staff's reconciliation (in the sink → mark sent, else resend) every subscriber the sink
accepts has exactly one message.

PostgreSQL and Redis only (CI's first pass): the worker shares the test database, and its broker is a
Redis database of its own (DIGEST_HARNESS_REDIS_DB, default 13), flushed before and after.
DIGEST_HARNESS_SEED replays a run's kill points.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from achievements.enums import DeliveryStatus, DigestFrequency, SubscriptionStatus
from achievements.models import DigestDelivery, Subscription
from achievements.services_digest import (
    SENDING_GROUP,
    delivery_mark_sent,
    delivery_resend,
    digest_plan,
    digest_send_all,
    digest_sweep,
    message_id,
)
from achievements.services_featured import issue_create, issue_publish, issue_set_items
from marketplace.models import IndustryField
from tests.digest.smtp_sink import SmtpSink
from tests.factories.achievements import AchievementFactory

pytestmark = [
    pytest.mark.heavy,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="the failure harness needs PostgreSQL and Redis (CI's first pass)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 23)  # a Monday
SUBSCRIBERS = 1000
REFUSED = (7, 333, 666)  # subscribers whose address the sink refuses (550): their deliveries fail
KILLS = 4
CONCURRENCY = 2
SINK_DELAY = 0.005  # seconds per message, so most kills land while a message is on the wire
VISIBILITY_TIMEOUT = 5  # seconds: Redis hands a killed worker's unacknowledged tasks out again soon
DEADLINE = 170  # seconds for the whole run
PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING)


def _email(n: int) -> str:
    return f"digest-{n:04d}@example.test"


def _redis_url() -> str:
    parts = urlsplit(settings.REDIS_URL)
    number = int(os.environ.get("DIGEST_HARNESS_REDIS_DB", "13"))
    if parts.path.strip("/") == str(number):
        number += 1
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", "", ""))


def _database_url(application_name: str) -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{quote(db['USER'] or 'postgres', safe='')}{password}@{host}:{port}/{db['NAME']}?application_name={application_name}"


def _process_group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is still in the group."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, _ppid, group = stat.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            return True
    return False


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


class Worker:
    """`celery -A marketplace worker` in a session (process group) of its own."""

    def __init__(self, name: str, env: dict, log: Path):
        self.name = name
        self.env = env
        self.log_path = log
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and fixed arguments
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "marketplace",
                    "worker",
                    "--pool=prefork",
                    f"--concurrency={CONCURRENCY}",
                    f"--hostname={self.name}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self, sig: int = signal.SIGKILL, grace: float = 0.0) -> None:
        """Signal the whole group; with a grace period, SIGKILL whatever outlives it. Returns
        once no process of the group is left."""
        if self.process is None:
            return
        pgid = self.process.pid
        _signal_group(pgid, sig)
        if grace:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(grace)
            _signal_group(pgid, signal.SIGKILL)
        self.process.wait(30)
        deadline = time.monotonic() + 30
        while _process_group_alive(pgid):
            if time.monotonic() > deadline:
                raise AssertionError(f"worker {self.name}'s processes outlived SIGKILL")
            _signal_group(pgid, signal.SIGKILL)
            time.sleep(0.02)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _status_counts(period: str) -> dict[str, int]:
    from django.db.models import Count

    rows = DigestDelivery.objects.filter(period=period).values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}


def _pending(period: str) -> int:
    return DigestDelivery.objects.filter(period=period, status__in=PENDING).count()


def _sent(period: str) -> int:
    return DigestDelivery.objects.filter(period=period, status=DeliveryStatus.SENT).count()


def _backends(application_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return cursor.fetchone()[0]


def _wait(condition, *, timeout: float, what: str, worker: Worker | None = None, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if worker is not None and not worker.alive():
            raise AssertionError(f"worker {worker.name} exited while waiting for {what}:\n{worker.log_tail()}")
        if time.monotonic() > deadline:
            tail = f":\n{worker.log_tail()}" if worker else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(interval)


def _subscribers() -> None:
    now = timezone.now()
    Subscription.objects.bulk_create(
        [
            Subscription(
                email=_email(n), frequency=DigestFrequency.WEEKLY, status=SubscriptionStatus.ACTIVE, confirmed_at=now
            )
            for n in range(SUBSCRIBERS)
        ],
        batch_size=1000,
    )
    # Three field choices, so a batch renders more than one digest: none (every field), one, two.
    first, second = IndustryField.objects.filter(parent__isnull=True).order_by("position", "pk")[:2]
    through = Subscription.industry_fields.through
    rows = []
    for n, pk in enumerate(Subscription.objects.order_by("email").values_list("pk", flat=True)):
        if n % 3 >= 1:
            rows.append(through(subscription_id=pk, industryfield_id=first.pk))
        if n % 3 == 2:
            rows.append(through(subscription_id=pk, industryfield_id=second.pk))
    through.objects.bulk_create(rows)


def _featured_issue(reviewer) -> None:
    achievements = [
        AchievementFactory(published_at=timezone.now() - timedelta(days=3 + n), fields=[code])
        for n, code in enumerate(
            IndustryField.objects.filter(parent__isnull=False).order_by("pk").values_list("code", flat=True)[:4]
        )
    ]
    issue = issue_create(user=reviewer, period_start=DAY - timedelta(days=7), period_end=DAY, propose=0)
    issue_set_items(issue=issue, user=reviewer, items=[(a.pk, f"编者按{a.pk}") for a in achievements])
    issue_publish(issue=issue, user=reviewer)


@pytest.fixture
def sink():
    with SmtpSink(delay=SINK_DELAY, refuse={_email(n) for n in REFUSED}) as running:
        yield running


def test_digest_survives_killed_workers_at_most_once_and_never_silently_dropped(reviewer, sink, settings, tmp_path):
    from celery import Celery
    from redis import Redis

    started = time.monotonic()
    seed = int(os.environ.get("DIGEST_HARNESS_SEED") or time.time_ns() % 1_000_000)
    rng = random.Random(seed)
    print(f"\ndigest failure harness: seed {seed} (DIGEST_HARNESS_SEED={seed} replays the kill points)")

    _subscribers()
    _featured_issue(reviewer)
    refused = {_email(n) for n in REFUSED}

    broker_url = _redis_url()
    redis = Redis.from_url(broker_url)
    redis.flushdb()
    producer = Celery("digest-harness", broker=broker_url, set_as_current=False)
    producer.conf.broker_connection_retry_on_startup = True

    def enqueue(tasks: int) -> None:
        # What run_digest / sweep_digests do: start senders; each re-enqueues itself while rows remain.
        for _ in range(tasks):
            producer.send_task("achievements.send_digest_batch")

    application_name = f"digest-harness-{os.getpid()}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_TEST_TEMPLATE", "PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings",
        DATABASE_URL=_database_url(application_name),
        REDIS_URL=broker_url,
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        SITE_URL=settings.SITE_URL,
        CONN_MAX_AGE="0",
        PYTHONUNBUFFERED="1",
    )
    workers: list[Worker] = []
    kills: list[dict] = []
    nudges = 0
    try:
        period, queued = digest_plan(frequency=DigestFrequency.WEEKLY, day=DAY)
        assert queued == SUBSCRIBERS
        enqueue(2 * CONCURRENCY)

        for round_ in range(KILLS):
            worker = Worker(f"harness{round_}", env, tmp_path / f"worker{round_}.log").start()
            workers.append(worker)
            target = _sent(period.key) + rng.randint(25, 140)
            _wait(
                lambda target=target: _sent(period.key) >= target or not _pending(period.key),
                timeout=60,
                what=f"{target} sent before kill {round_ + 1}",
                worker=worker,
            )
            time.sleep(rng.uniform(0, 0.03))
            before = _status_counts(period.key)
            worker.kill()
            _wait(lambda: not _backends(application_name), timeout=30, what="the killed worker's database sessions")
            # Every worker is dead, so even a claim taken a moment ago is a dead worker's.
            swept = digest_sweep(older_than=timedelta(0))
            kills.append({"at": before, "swept": swept})
            print(f"kill {round_ + 1}: statuses {before} → swept {swept}")
            if _pending(period.key):
                enqueue(2 * CONCURRENCY)
            if before.get(DeliveryStatus.QUEUED, 0) + before.get(DeliveryStatus.CLAIMED, 0) == 0:
                break  # nothing left to interrupt

        worker = Worker("harness-final", env, tmp_path / "worker-final.log").start()
        workers.append(worker)
        last, stalled_since = -1, time.monotonic()
        while pending := _pending(period.key):
            if time.monotonic() - started > DEADLINE:
                raise AssertionError(f"{pending} deliveries still pending at the deadline:\n{worker.log_tail()}")
            if not worker.alive():
                raise AssertionError(f"the last worker exited:\n{worker.log_tail()}")
            if pending != last:
                last, stalled_since = pending, time.monotonic()
            elif time.monotonic() - stalled_since > 3 * VISIBILITY_TIMEOUT:
                enqueue(CONCURRENCY)  # what the beat's sweep_digests does every few minutes
                nudges += 1
                stalled_since = time.monotonic()
            time.sleep(0.05)
        worker.kill(signal.SIGTERM, grace=15)
        _wait(lambda: not _backends(application_name), timeout=30, what="the last worker's database sessions")
        final_sweep = digest_sweep(older_than=timedelta(seconds=1))
    finally:
        for worker in workers:
            worker.kill()
        redis.flushdb()
        redis.close()
        producer.close()

    received = sink.received
    elapsed = time.monotonic() - started
    statuses = _status_counts(period.key)
    deliveries = {d.pk: d for d in DigestDelivery.objects.filter(period=period.key).select_related("subscription")}
    ambiguous = [d for d in deliveries.values() if d.status == DeliveryStatus.AMBIGUOUS]
    ids_received = Counter(record.message_id for record in received)
    per_recipient = Counter(address for record in received for address in record.recipients)
    expected_ids = {message_id(d): d for d in deliveries.values()}
    print(
        f"after {len(kills)} kills in {elapsed:.1f} s: statuses {statuses}, sink {len(received)} messages, "
        f"final sweep {final_sweep}, {nudges} extra send tasks"
    )
    for delivery in ambiguous:
        where = "in the sink" if ids_received[message_id(delivery)] else "not in the sink"
        print(f"  ambiguous: #{delivery.pk} {delivery.email} {message_id(delivery)} ({where}) — {delivery.last_error}")

    # The run: enough kills, nothing left in flight, nothing sent twice.
    assert len(kills) >= 3, "the run finished before three kills: raise SUBSCRIBERS or lower the kill targets"
    assert final_sweep == {"requeued": 0, "ambiguous": 0}
    assert len(deliveries) == SUBSCRIBERS
    assert not any(d.status in PENDING for d in deliveries.values()), statuses
    assert set(statuses) <= {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.AMBIGUOUS}
    assert [mid for mid, n in ids_received.items() if n > 1] == [], "a Message-ID reached the sink twice"
    assert [address for address, n in per_recipient.items() if n > 1] == [], "a subscriber got two messages"
    assert set(ids_received) <= set(expected_ids), "the sink got a message no delivery accounts for"
    for record in received:
        assert record.recipients == (expected_ids[record.message_id].email,)
    # Sent means the server took it; failed means it refused it.
    for delivery in deliveries.values():
        if delivery.status == DeliveryStatus.SENT:
            assert delivery.message_id == message_id(delivery)
            assert ids_received[delivery.message_id] == 1, f"#{delivery.pk} is sent but the sink never got it"
        elif delivery.status == DeliveryStatus.FAILED:
            assert delivery.email in refused, f"#{delivery.pk} failed: {delivery.last_error}"
            assert "SMTPRecipientsRefused" in delivery.last_error
            assert per_recipient[delivery.email] == 0
    assert {d.email for d in deliveries.values() if d.status == DeliveryStatus.FAILED} == refused
    # At most the one group each killed child had on the wire is in doubt.
    assert len(ambiguous) <= len(kills) * CONCURRENCY * SENDING_GROUP
    assert sum(kill["swept"]["ambiguous"] for kill in kills) == len(ambiguous)

    # The staff reconcile from the mail log, then the resends go out.
    for delivery in ambiguous:
        if ids_received[message_id(delivery)]:
            delivery_mark_sent(delivery=delivery)
        else:
            delivery_resend(delivery=delivery)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    resent = digest_send_all(worker="harness-reconcile")
    received = sink.received
    per_recipient = Counter(address for record in received for address in record.recipients)
    assert resent["sent"] == sum(1 for d in ambiguous if not ids_received[message_id(d)])
    assert set(_status_counts(period.key)) <= {DeliveryStatus.SENT, DeliveryStatus.FAILED}
    everyone = {_email(n) for n in range(SUBSCRIBERS)}
    assert {address: per_recipient[address] for address in everyone - refused if per_recipient[address] != 1} == {}
    assert not any(per_recipient[address] for address in refused)
    assert len(Counter(record.message_id for record in received)) == len(received) == SUBSCRIBERS - len(refused)
    print(
        f"reconciled {len(ambiguous)} ambiguous ({sum(1 for d in ambiguous if ids_received[message_id(d)])} "
        f"marked sent, {resent['sent']} resent); {time.monotonic() - started:.1f} s in all"
    )
