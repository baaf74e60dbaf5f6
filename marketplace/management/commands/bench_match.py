# ruff: noqa: S311  (seeded generators for reproducible benchmark data, not secrets)
"""Benchmark of matching (make bench-match; docs/performance.md).

Speed, on the 1,000,000 achievements and 200,000 demands `bench_search` generated and indexed:
the corpus statistics' recount, a demand's full recompute (candidates, scoring, storing, merging
into the achievements' lists), reading a demand's stored matches (the selector and the API), and
free-text matching. With `--quality`, on a small database of its own: recall@10 and MRR@10 over the
CSL sample next to rank_bm25 (see marketplace.matching.quality), inside a transaction rolled back.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client

from demands.models import Demand
from marketplace import matching
from marketplace.enums import StaffGroup
from marketplace.management.commands.bench_search import SEED, summary
from marketplace.matching import quality
from marketplace.models import Match, Organization, TermStatistic, User
from marketplace.search.text import initialise
from marketplace.selectors.matching import demand_matches
from marketplace.services.matching import recompute


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Benchmark matching on the search benchmark's data (PostgreSQL), or its quality (--quality)."

    def add_arguments(self, parser):
        parser.add_argument("--recompute", type=int, default=300, help="Demands recomputed for the rate.")
        parser.add_argument("--reads", type=int, default=200, help="Stored lists read.")
        parser.add_argument("--texts", type=int, default=200, help="Free-text matches.")
        parser.add_argument("--quality", action="store_true", help="Measure quality on the CSL sample instead.")
        parser.add_argument("--output", default="docs/bench/match.json")
        parser.add_argument("--force", action="store_true", help="Run on a database whose name lacks 'bench'.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The matching benchmark runs on PostgreSQL (set DATABASE_URL).")
        if "bench" not in connection.settings_dict["NAME"] and not options["force"]:
            raise CommandError("Use a dedicated database whose name contains 'bench'.")
        initialise()
        output = Path(options["output"])
        report = json.loads(output.read_text(encoding="utf-8")) if output.exists() else {}
        if options["quality"]:
            report["quality"] = self._quality()
        else:
            if Demand.objects.count() < 1000:
                raise CommandError("Generate the data first: make bench-search (or bench_search --build-only).")
            report.update(self._speed(options))
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))

    # -- speed --------------------------------------------------------------------------------

    def _speed(self, options) -> dict:
        rng = random.Random(SEED + 2)
        report = {"scale": {"documents": self._count("marketplace_searchdocument")}}
        started = time.perf_counter()
        words = matching.statistics.refresh()
        report["statistics_recount"] = {
            "seconds": round(time.perf_counter() - started, 1),
            "words": words,
            "table_mb": round(self._size("marketplace_termstatistic") / 1024 / 1024, 1),
        }
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE marketplace_termstatistic")
        demand_ids = list(Demand.objects.public().values_list("pk", flat=True))
        sample = rng.sample(demand_ids, min(options["recompute"], len(demand_ids)))
        statistics = matching.Statistics()
        for pk in sample[:10]:  # warm-up, as a worker that has run a while
            recompute("demand", pk, statistics=statistics)
        times, kept = [], 0
        for pk in sample:
            begun = time.perf_counter()
            kept += recompute("demand", pk, statistics=statistics)
            times.append(time.perf_counter() - begun)
        fresh_times = []
        for pk in sample[: min(50, len(sample))]:  # a worker's first task: nothing looked up yet
            begun = time.perf_counter()
            recompute("demand", pk)
            fresh_times.append(time.perf_counter() - begun)
        per_second = len(times) / sum(times)
        report["recompute"] = {
            **summary(times),
            "demands_per_second": round(per_second, 1),
            "full_run_hours_one_worker": round(len(demand_ids) / per_second / 3600, 2),
            "matches_kept_per_demand": round(kept / len(sample), 1),
            "cold_statistics": summary(fresh_times),
            "what": "recompute('demand', pk): keywords, candidates (RUM), scoring, upsert, merge into lists",
        }
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE marketplace_match")
        readable = list(
            Match.objects.filter(demand_rank=1).values_list("demand_id", flat=True).distinct()[: options["reads"]]
        )
        reader = self._staff_reader()
        selector_times, api_times = [], []
        client = Client(HTTP_HOST="localhost")
        client.force_login(reader, backend="django.contrib.auth.backends.ModelBackend")
        for pk in readable:
            demand = Demand.objects.get(pk=pk)
            begun = time.perf_counter()
            rows = demand_matches(demand, reader)
            selector_times.append(time.perf_counter() - begun)
            if not rows:
                raise CommandError(f"demand {pk} has no stored matches to read")
            begun = time.perf_counter()
            response = client.get(f"/api/v1/demands/{pk}/matches/")
            api_times.append(time.perf_counter() - begun)
            if response.status_code != 200:
                raise CommandError(f"API answered {response.status_code} for demand {pk}")
        report["stored_read"] = {
            **summary(selector_times),
            "what": "a demand's stored matches with their reasons (selectors.matching.demand_matches)",
            "api": {**summary(api_times), "what": "GET /api/v1/demands/{id}/matches/ in-process, JSON"},
        }
        texts = [case.text for case in quality.cases_for(quality.load_records(), seed=SEED)]
        texts = rng.sample(texts, min(options["texts"], len(texts)))
        for text in texts[:10]:
            matching.match_text(text, limit=10)
        text_times, empty = [], 0
        for text in texts:
            begun = time.perf_counter()
            found = matching.match_text(text, limit=10)
            text_times.append(time.perf_counter() - begun)
            empty += not found
        report["free_text"] = {
            **summary(text_times),
            "without_results": empty,
            "what": "match_text(): keywords, candidates, scoring of the top 10 (the three CSL demand styles)",
        }
        report["table_sizes_mb"] = {
            "marketplace_match": round(self._size("marketplace_match", total=True) / 1024 / 1024, 1),
        }
        return report

    def _staff_reader(self) -> User:
        from django.contrib.auth.models import Group

        user, _created = User.objects.update_or_create(
            username="bench_reviewer", defaults={"name": "基准审核员", "is_staff": True}
        )
        user.groups.add(Group.objects.get(name=StaffGroup.REVIEWER))
        return user

    @staticmethod
    def _count(table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a constant name)
            return cursor.fetchone()[0]

    @staticmethod
    def _size(table: str, *, total: bool = False) -> int:
        with connection.cursor() as cursor:
            function = "pg_total_relation_size" if total else "pg_relation_size"
            cursor.execute(f"SELECT {function}(%s)", [table])
            return cursor.fetchone()[0]

    # -- quality ------------------------------------------------------------------------------

    def _quality(self) -> dict:
        records = quality.load_records()
        report = {}
        try:
            with transaction.atomic():
                TermStatistic.objects.all().delete()
                organization = Organization.objects.create(name="基准文献样本大学", kind="university")
                refs = quality.build_corpus(records, organization)
                cases = quality.cases_for(records)
                started = time.perf_counter()
                ours = quality.measure_matching(cases, refs)
                report["ours"] = {**ours.as_dict(), "seconds": round(time.perf_counter() - started, 1)}
                report["ours_text_only"] = quality.measure_matching(cases, refs, with_fields=False).as_dict()
                started = time.perf_counter()
                bm25 = quality.measure_bm25(cases, records)
                report["bm25"] = {**bm25.as_dict(), "seconds": round(time.perf_counter() - started, 1)}
                raise _Rollback
        except _Rollback:
            pass
        report["what"] = (
            "1,000 CSL papers as achievements; a demand text per paper from its keywords (plain, one broad "
            "keyword, buried in business talk), with the industry field of its discipline; ours = match_text() "
            "over the search index; bm25 = rank_bm25.BM25Okapi over jieba tokens of title, abstract, keywords"
        )
        return report
