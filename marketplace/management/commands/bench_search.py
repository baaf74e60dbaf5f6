# ruff: noqa: S311  (seeded generators for reproducible benchmark data, not secrets)
"""Benchmark of the search index on PostgreSQL (make bench-search; docs/performance.md).

Generates achievements and demands whose text is recombined from the CSL abstracts, rebuilds the
index (segmentation and index upkeep included), then times ranked top-20 searches with two filters
in the database and through the API, next to the same searches done the default ways: `icontains`
on the listing tables, and SearchRank (ts_rank) over a GIN index of the same segmented vector.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client, override_settings
from django.utils import timezone

from achievements.demo import CSL_FILE
from achievements.enums import Category
from achievements.enums import Status as AchievementStatus
from achievements.models import Achievement
from demands.enums import DemandType, Visibility
from demands.enums import Status as DemandStatus
from demands.models import Demand
from marketplace import search
from marketplace.enums import OrganizationKind, VerificationStatus
from marketplace.models import IndustryField, Organization, Region, SearchDocument
from marketplace.search.backends import Backend, get_backend, has_rum
from marketplace.search.schema import GIN_INDEX, RUM_INDEX, TABLE
from marketplace.search.text import initialise

SEED = 20261124
BENCH_PREFIX = "基准"  # names of generated organizations, so a rerun finds its own rows


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(percentile(values, 0.95) * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
        "n": len(values),
    }


class Corpus:
    """Sentences, titles and keywords of the CSL sample, to recombine."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        records = [json.loads(line) for line in CSL_FILE.read_text(encoding="utf-8").splitlines()]
        self.titles = [r["title"] for r in records]
        self.keywords = sorted({k for r in records for k in r["keywords"] if 2 <= len(k) <= 8})
        # Keywords that occur together (one record's), for two-word queries a user might type.
        self.keyword_pairs = [tuple(k for k in r["keywords"] if 2 <= len(k) <= 8)[:2] for r in records]
        self.keyword_pairs = [pair for pair in self.keyword_pairs if len(pair) == 2]
        sentences = []
        for record in records:
            for piece in record["abstract"].replace(".", "。").split("。"):
                piece = piece.strip()
                if 8 <= len(piece) <= 160:
                    sentences.append(piece + "。")
        self.sentences = sentences

    def title(self) -> str:
        base = self.rng.choice(self.titles)
        return (base if self.rng.random() < 0.5 else f"{self.rng.choice(self.keywords)}：{base}")[:200]

    def text(self, sentences: int, limit: int) -> str:
        return "".join(self.rng.choice(self.sentences) for _ in range(sentences))[:limit]


class Command(BaseCommand):
    help = "Benchmark search at scale on PostgreSQL (writes a lot: use a dedicated database)."

    def add_arguments(self, parser):
        parser.add_argument("--achievements", type=int, default=1_000_000)
        parser.add_argument("--demands", type=int, default=200_000)
        parser.add_argument("--queries", type=int, default=200)
        parser.add_argument("--baseline-queries", type=int, default=200)
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--skip-index", action="store_true", help="Keep the index built by an earlier run.")
        parser.add_argument(
            "--build-only", action="store_true", help="Generate and index the rows, time nothing (for bench-match)."
        )
        parser.add_argument("--workers", type=int, default=3, help="Indexing processes (one more than the CPUs).")
        parser.add_argument(
            "--online-sample", type=int, default=20_000, help="Documents re-indexed with the index live."
        )
        parser.add_argument("--output", default="docs/bench/search.json")
        parser.add_argument("--force", action="store_true", help="Run on a database whose name lacks 'bench'.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The search benchmark runs on PostgreSQL (set DATABASE_URL).")
        if "bench" not in connection.settings_dict["NAME"] and not options["force"]:
            raise CommandError("Use a dedicated database whose name contains 'bench' (it adds a million rows).")
        self.rng = random.Random(SEED)
        self.workers = options["workers"]
        self.corpus = Corpus(self.rng)
        initialise()
        report: dict = {"database": self._server(), "scale": {}}
        self._generate(options["achievements"], options["demands"], report)
        if not options["skip_index"]:
            self._index(options["batch_size"], report)
            self._online(options["online_sample"], options["batch_size"], report)
        if options["build_only"]:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # planner statistics, as autovacuum keeps them on a running site
        self._sizes(report)
        queries = self._queries(options["queries"])
        report["search"] = self._time_ours(queries)
        report["api"] = self._time_api(queries)
        report["baseline_icontains"] = self._time_icontains(queries[: options["baseline_queries"]])
        report["baseline_gin_ts_rank"] = self._time_gin(queries[: options["baseline_queries"]])
        for name in ("baseline_icontains", "baseline_gin_ts_rank"):
            report[name]["p95_ratio_to_ours"] = round(report[name]["p95_ms"] / max(report["search"]["p95_ms"], 1e-3), 1)
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))

    # -- set-up -------------------------------------------------------------------------

    def _server(self) -> dict:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
            extensions = [row[0] for row in cursor.fetchall()]
        return {"server_version": version, "extensions": extensions, "ranking_index": "rum" if has_rum() else "gin"}

    def _organizations(self, kind: str, count: int) -> list[int]:
        existing = list(
            Organization.objects.filter(name__startswith=f"{BENCH_PREFIX}{kind}").values_list("pk", flat=True)
        )
        if len(existing) >= count:
            return existing
        districts = list(Region.objects.filter(level=3).values_list("code", flat=True))
        now = timezone.now()
        Organization.objects.bulk_create(
            [
                Organization(
                    name=f"{BENCH_PREFIX}{kind}{n:05d}",
                    kind=kind,
                    region_id=self.rng.choice(districts),
                    verification_status=VerificationStatus.VERIFIED,
                    verified_at=now,
                )
                for n in range(len(existing), count)
            ],
            batch_size=2000,
        )
        return list(Organization.objects.filter(name__startswith=f"{BENCH_PREFIX}{kind}").values_list("pk", flat=True))

    def _generate(self, achievements: int, demands: int, report: dict) -> None:
        started = time.perf_counter()
        universities = self._organizations(OrganizationKind.UNIVERSITY, 1500)
        enterprises = self._organizations(OrganizationKind.ENTERPRISE, 3000)
        fields = list(IndustryField.objects.filter(parent__isnull=False).values_list("pk", flat=True))
        now = timezone.now()
        through = Achievement.industry_fields.through
        have = Achievement.objects.count()
        while have < achievements:
            size = min(20_000, achievements - have)
            rows = Achievement.objects.bulk_create(
                [
                    Achievement(
                        title=self.corpus.title(),
                        summary=self.corpus.text(3, 2000),
                        innovation_points=self.corpus.text(1, 500),
                        keywords=self.rng.sample(self.corpus.keywords, 3),
                        category=self.rng.choice(Category.values),
                        organization_id=self.rng.choice(universities),
                        trl=self.rng.randint(1, 9),
                        status=AchievementStatus.PUBLISHED,
                        published_at=now - timedelta(minutes=self.rng.randint(0, 1_000_000)),
                        confirmed_at=now,
                    )
                    for _ in range(size)
                ],
                batch_size=5000,
            )
            through.objects.bulk_create(
                [
                    through(achievement_id=row.pk, industryfield_id=field)
                    for row in rows
                    for field in self.rng.sample(fields, self.rng.randint(1, 2))
                ],
                batch_size=10_000,
            )
            have += size
            self.stdout.write(f"  achievements: {have}")
        through = Demand.industry_fields.through
        have = Demand.objects.count()
        deadline = timezone.localdate() + timedelta(days=365)
        while have < demands:
            size = min(20_000, demands - have)
            organizations = Organization.objects.in_bulk(
                [self.rng.choice(enterprises) for _ in range(size)], field_name="pk"
            )
            rows = Demand.objects.bulk_create(
                [
                    Demand(
                        organization_id=(org := organizations[self.rng.choice(list(organizations))]).pk,
                        title=self.corpus.title(),
                        summary=self.corpus.text(1, 300),
                        problem=self.corpus.text(3, 5000),
                        technical_indicators=self.corpus.text(1, 1000),
                        keywords=self.rng.sample(self.corpus.keywords, 2),
                        demand_type=self.rng.choice(DemandType.values),
                        min_trl=self.rng.randint(1, 9),
                        budget_min=100_000,
                        budget_max=2_000_000,
                        deadline=deadline,
                        region_id=org.region_id,
                        visibility=self.rng.choices(Visibility.values, weights=[85, 10, 5])[0],
                        status=DemandStatus.PUBLISHED,
                        submitted_at=now,
                        published_at=now - timedelta(minutes=self.rng.randint(0, 500_000)),
                        confirmed_at=now,
                    )
                    for _ in range(size)
                ],
                batch_size=5000,
            )
            through.objects.bulk_create(
                [through(demand_id=row.pk, industryfield_id=self.rng.choice(fields)) for row in rows],
                batch_size=10_000,
            )
            have += size
            self.stdout.write(f"  demands: {have}")
        report["scale"] = {
            "achievements": Achievement.objects.count(),
            "demands": Demand.objects.count(),
            "organizations": Organization.objects.count(),
            "generation_s": round(time.perf_counter() - started, 1),
        }

    def _index(self, batch_size: int, report: dict) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {TABLE} CASCADE")
        started = time.perf_counter()
        last = [started]

        def progress(kind, total):
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                self.stdout.write(f"  indexed {kind}: {total} ({total / (last[0] - started):.0f}/s)")

        total = search.rebuild(batch_size=batch_size, progress=progress, fresh=True, workers=self.workers)
        elapsed = time.perf_counter() - started
        report["indexing"] = {
            "documents": total,
            "seconds": round(elapsed, 1),
            "records_per_second": round(total / elapsed),
            "batch_size": batch_size,
            "workers": self.workers,
            "note": "rebuild_search_index --fresh: jieba segmentation, inserts with the trigger-built tsvector "
            "and field rows, then the RUM (or GIN) and trigram indexes built after the load",
        }
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {TABLE}")
            cursor.execute("VACUUM ANALYZE marketplace_searchdocumentfield")

    def _online(self, sample: int, batch_size: int, report: dict) -> None:
        """Re-index a sample with every index live, the way services and the default rebuild write."""
        pks = list(Achievement.objects.order_by("pk").values_list("pk", flat=True)[:sample])
        started = time.perf_counter()
        for start in range(0, len(pks), batch_size):
            search.update_many(Achievement, pks[start : start + batch_size])
        elapsed = time.perf_counter() - started
        report["indexing_online"] = {
            "documents": len(pks),
            "seconds": round(elapsed, 1),
            "records_per_second": round(len(pks) / elapsed),
            "note": "search.update_many() upserts in one process with the RUM/GIN and trigram indexes live",
        }

    def _sizes(self, report: dict) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes "
                "WHERE relname IN (%s, 'marketplace_searchdocumentfield') ORDER BY 2 DESC",
                [TABLE],
            )
            indexes = dict(cursor.fetchall())
            cursor.execute("SELECT pg_total_relation_size(%s), pg_relation_size(%s)", [TABLE, TABLE])
            total, heap = cursor.fetchone()
        mb = 1024 * 1024
        report["sizes_mb"] = {
            "documents_table_with_toast_and_indexes": round(total / mb),
            "documents_heap": round(heap / mb),
            **{name: round(size / mb, 1) for name, size in indexes.items()},
        }
        report["documents"] = SearchDocument.objects.count()

    # -- timing -------------------------------------------------------------------------

    def _queries(self, count: int) -> list[tuple[str, search.SearchFilters]]:
        provinces = list(
            SearchDocument.objects.exclude(province_code="").values_list("province_code", flat=True).distinct()
        )
        rng = random.Random(SEED + 1)
        queries = []
        for n in range(count):
            words = " ".join(rng.choice(self.corpus.keyword_pairs)) if n % 3 == 0 else rng.choice(self.corpus.keywords)
            if n % 2:
                filters = search.SearchFilters(kind="achievement", region=rng.choice(provinces))
            else:
                filters = search.SearchFilters(kind=rng.choice(["achievement", "demand"]), trl_min=rng.randint(3, 7))
            queries.append((words, filters))
        return queries

    @staticmethod
    def _timed_sql(queryset) -> float:
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            return time.perf_counter() - started

    def _ranked(self, backend: Backend, words: str, filters: search.SearchFilters):
        """The page query of search(): words and the selective filters' tokens in one full-text
        query, the broad filters as column conditions."""
        query = search.parse(words).with_filters(filters.terms())
        documents = filters.apply_broad(SearchDocument.objects.all())
        return backend.ranked(documents, query).defer(*search.HEAVY_COLUMNS)[:20]

    def _time_ours(self, queries) -> dict:
        backend = get_backend()
        for words, filters in queries[:10]:  # warm the cache as a running server would be
            self._timed_sql(self._ranked(backend, words, filters))
        times, empty = [], 0
        for words, filters in queries:
            queryset = self._ranked(backend, words, filters)
            times.append(self._timed_sql(queryset))
            empty += not queryset.exists()
        full = []
        for words, filters in queries[:50]:
            started = time.perf_counter()
            search.search(words, filters)
            full.append(time.perf_counter() - started)
        with connection.cursor() as cursor:
            sql, params = self._ranked(backend, *queries[1]).query.sql_with_params()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        return {
            **summary(times),
            "queries_without_results": empty,
            "what": "ranked top 20, two filters, in the database",
            "service_with_count_and_facets": summary(full),
            "example": {"q": queries[1][0], "filters": queries[1][1].as_params()},
            "plan": plan,
        }

    def _time_api(self, queries) -> dict:
        from django.conf import settings

        host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"), "localhost")
        client = Client(HTTP_HOST=host)
        times = []
        # Every query comes from one address, which the visitors' API limit would stop after 60 a
        # minute: the limit stays in the path (its counter is part of a request's cost), raised.
        with override_settings(ABUSE_LIMITS={**settings.ABUSE_LIMITS, "api_anon": "1000000/m"}):
            for words, filters in queries:
                params = {"q": words, **filters.as_params()}
                started = time.perf_counter()
                response = client.get("/api/v1/search/", params)
                times.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise CommandError(f"API answered {response.status_code} for {params}")
        return {**summary(times), "what": "GET /api/v1/search/ in-process: count, facets, top 20, JSON"}

    def _time_icontains(self, queries) -> dict:
        times = []
        for words, filters in queries:
            model = Achievement if filters.kind == "achievement" else Demand
            queryset = model.objects.filter(status="published")
            for word in words.split():
                queryset = queryset.filter(Q(title__icontains=word) | Q(summary__icontains=word))
            if filters.region:
                field = "organization__region__code" if model is Achievement else "region__code"
                queryset = queryset.filter(**{f"{field}__startswith": filters.region[:2]})
            if filters.trl_min is not None:
                queryset = queryset.filter(**{"trl__gte" if model is Achievement else "min_trl__gte": filters.trl_min})
            times.append(self._timed_sql(queryset.order_by("-published_at")[:20]))
        return {**summary(times), "what": "icontains on title and summary (each word), two filters, newest 20"}

    def _time_gin(self, queries) -> dict:
        """The same ranked searches ordered by ts_rank with a GIN index (RUM dropped in a
        transaction that is rolled back)."""
        times = []
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {GIN_INDEX} ON {TABLE} USING gin (search_vector)")
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP INDEX IF EXISTS {RUM_INDEX}")
                backend = Backend()
                backend.match = get_backend().match
                backend.rank = get_backend().rank
                for words, filters in queries:
                    times.append(self._timed_sql(self._ranked(backend, words, filters)))
                raise _Rollback
        except _Rollback:
            pass
        if has_rum():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX IF EXISTS {GIN_INDEX}")
        return {**summary(times), "what": "SearchRank (ts_rank) ordering over a GIN index, same vector and filters"}


class _Rollback(Exception):
    pass
