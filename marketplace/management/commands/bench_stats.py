# ruff: noqa: S311  (seeded generators for reproducible benchmark data, not secrets)
"""Benchmark of the bureau's statistics console (make bench-stats; docs/performance.md).

On a dedicated PostgreSQL database (its name must contain "bench"): 1,000,000 achievements made by
bench_search's generator (reused when there), and 100,000 registered technology contracts with 2–3
parties each, spread over 24 months, the five categories, the industry fields, buyers and sellers
in and outside the market's city and every legal form, some with a transfer agency as
intermediary (bulk_create in batches; reused when there). Then ANALYZE, and times, over varied
filters (none, a year, a category, a field, a region), each function of marketplace.statistics
and the whole dashboard (and the Excel export) through Django's test client signed in as a bureau
statistician. Writes docs/bench/stats.json.
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from achievements.models import Achievement
from marketplace import statistics
from marketplace.enums import (
    ContractCategory,
    ContractSubtype,
    LegalEntityKind,
    OrganizationKind,
    PartyRole,
    RegistrationStatus,
    StaffGroup,
    VerificationStatus,
)
from marketplace.management.commands import bench_search
from marketplace.models import ContractParty, ContractRegistration, IndustryField, Organization, Region
from marketplace.models.statistics import TargetMetric, YearlyTarget
from marketplace.statistics import StatsFilter

SEED = 20261125
SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER_PREFIX = "BS"  # registration numbers of generated contracts, so a rerun finds its own rows
AGENCY_PREFIX = "基准转移机构"
STATISTICIAN = "bench-statistician"
FIRST_MONTH = date(2024, 12, 1)  # 24 months: 2024-12 … 2026-11
MONTHS = 24
# Cities of the parties outside the market's own (370200): Jinan, Yantai, Weifang, Beijing,
# Shanghai, Suzhou, Shenzhen, Hangzhou; a few percent anywhere else.
OTHER_CITIES = ("3701", "3706", "3707", "1101", "3101", "3205", "4403", "3301")
LEGAL_FORMS = (LegalEntityKind.values, [60, 25, 5, 5, 5])
# The functions timed, each with how it is called for a filter.
FUNCTIONS = {
    "totals": statistics.totals,
    "by_period_month": lambda f: statistics.by_period(f, "month"),
    "by_period_quarter": lambda f: statistics.by_period(f, "quarter"),
    "by_category": statistics.by_category,
    "by_field": statistics.by_field,
    "by_region_buyer": lambda f: statistics.by_region(f, PartyRole.BUYER),
    "by_region_seller": lambda f: statistics.by_region(f, PartyRole.SELLER),
    "by_kind_buyer": lambda f: statistics.by_kind(f, PartyRole.BUYER),
    "by_kind_seller": lambda f: statistics.by_kind(f, PartyRole.SELLER),
    "local_conversion": statistics.local_conversion,
    "agency_subsidies": statistics.agency_subsidies,
    "targets_progress": lambda f: statistics.targets_progress(f.year),
}
EXPORT_TABLES = ("period", "field", "buyer_region", "buyer_kind", "subsidies", "targets")


def timings(values: list[float]) -> dict:
    return {**bench_search.summary(values), "max_ms": round(max(values) * 1000, 2)}


def check_database() -> None:
    """Refuse anything but a dedicated PostgreSQL database (the command adds 1.4 million rows)."""
    name = str(connection.settings_dict["NAME"])
    if "bench" not in Path(name).name:
        raise CommandError(f"Use a dedicated database whose name contains 'bench' (not {name!r}): it adds 1.4M rows.")
    if connection.vendor != "postgresql":
        raise CommandError("The statistics benchmark runs on PostgreSQL (set DATABASE_URL).")


class Command(BaseCommand):
    help = "Benchmark the statistics console over 100,000 contracts and 1,000,000 achievements (PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--achievements", type=int, default=1_000_000)
        parser.add_argument("--contracts", type=int, default=100_000)
        parser.add_argument("--repetitions", type=int, default=50, help="timed calls per function and view")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--output", default="docs/bench/stats.json")

    def handle(self, *args, **options):
        check_database()
        settings.DEBUG = False  # as in production: no query log
        self.rng = random.Random(SEED)
        report: dict = {
            "machine": {
                "cpus": os.cpu_count(),
                "server_version": self._server_version(),
                "load_average_before": [round(load, 2) for load in os.getloadavg()],
            },
            "data": {},
        }
        started = time.perf_counter()
        report["data"]["achievements"] = self._achievements(options["achievements"])
        report["data"]["contracts"] = self._contracts(options["contracts"], options["batch_size"])
        self._targets()
        report["data"]["generation_s"] = round(time.perf_counter() - started, 1)
        begun = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        report["data"]["analyze_s"] = round(time.perf_counter() - begun, 1)
        report["data"]["sizes_mb"] = self._sizes()
        self.stdout.write(f"data: {json.dumps(report['data'], ensure_ascii=False)}")
        filters = self._filters(options["repetitions"])
        report["filters"] = {
            "repetitions": len(filters),
            "kinds": sorted({kind for kind, _f in filters}),
            "examples": {kind: f.as_query() for kind, f in reversed(filters)},
        }
        report["functions"] = self._time_functions(filters)
        report["dashboard"] = self._time_dashboard(filters)
        report["export"] = self._time_export(filters)
        report["machine"]["load_average_after"] = [round(load, 2) for load in os.getloadavg()]
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        self._summary(report, output)

    # -- data ---------------------------------------------------------------------------------

    def _server_version(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]

    def _achievements(self, count: int) -> dict:
        """bench_search's generator (CSL text recombined, 1,500 universities), skipped when the
        rows are there."""
        have = Achievement.objects.count()
        started = time.perf_counter()
        if have < count:
            generator = bench_search.Command(stdout=self.stdout, stderr=self.stderr)
            generator.rng = random.Random(bench_search.SEED)
            generator.corpus = bench_search.Corpus(generator.rng)
            generator._generate(count, 0, {})
        return {
            "rows": Achievement.objects.count(),
            "created_now": Achievement.objects.count() - have,
            "seconds": round(time.perf_counter() - started, 1),
        }

    def _organizations(self, kind: str, prefix: str, count: int, districts: list[str]) -> list[int]:
        existing = list(Organization.objects.filter(name__startswith=prefix, kind=kind).values_list("pk", flat=True))
        if len(existing) < count:
            now = timezone.now()
            Organization.objects.bulk_create(
                [
                    Organization(
                        name=f"{prefix}{n:04d}",
                        kind=kind,
                        region_id=self.rng.choice(districts),
                        verification_status=VerificationStatus.VERIFIED,
                        verified_at=now,
                    )
                    for n in range(len(existing), count)
                ]
            )
        return list(Organization.objects.filter(name__startswith=prefix, kind=kind).values_list("pk", flat=True))

    def _contracts(self, count: int, batch_size: int) -> dict:
        mine = ContractRegistration.objects.filter(registration_number__startswith=NUMBER_PREFIX)
        have = mine.count()
        started = time.perf_counter()
        districts = list(Region.objects.filter(level=3).values_list("code", flat=True))
        local = [code for code in districts if code.startswith("3702")]
        others = {city: [code for code in districts if code.startswith(city)] for city in OTHER_CITIES}
        others = {city: codes for city, codes in others.items() if codes}
        if not local or not others:
            raise CommandError("The regions are missing (migrate loads GB/T 2260).")
        agencies = self._organizations(OrganizationKind.TRANSFER_AGENCY, AGENCY_PREFIX, 40, local)
        universities = self._organizations(OrganizationKind.UNIVERSITY, f"{bench_search.BENCH_PREFIX}university", 0, [])
        enterprises = self._organizations(OrganizationKind.ENTERPRISE, "基准统计企业", 2000, local)
        institutes = self._organizations(OrganizationKind.INSTITUTE, "基准统计院所", 300, local)
        sellers = (universities or institutes) + institutes
        org_regions = dict(Organization.objects.filter(pk__in=sellers + enterprises).values_list("pk", "region_id"))
        fields = list(IndustryField.objects.values_list("pk", flat=True))
        categories = (ContractCategory.values, [35, 10, 10, 10, 35])
        first = datetime.combine(FIRST_MONTH, datetime.min.time(), tzinfo=SHANGHAI)
        span = (FIRST_MONTH.replace(year=FIRST_MONTH.year + MONTHS // 12) - FIRST_MONTH).total_seconds()

        enterprises_set = set(enterprises)

        def region() -> str:
            roll = self.rng.random()
            if roll < 0.55:
                return self.rng.choice(local)
            if roll < 0.95:
                return self.rng.choice(others[self.rng.choice(list(others))])
            return self.rng.choice(districts)

        def party(registration_id: int, role: str, organization: int | None, n: int) -> ContractParty:
            return ContractParty(
                registration_id=registration_id,
                role=role,
                organization_id=organization,
                name=f"基准{role}{n:07d}",
                uscc=f"91{n:016d}",
                region_id=org_regions.get(organization) or region(),
                legal_entity_kind=(
                    LegalEntityKind.PUBLIC_INSTITUTION
                    if organization in org_regions and organization not in enterprises_set
                    else self.rng.choices(*LEGAL_FORMS)[0]
                ),
            )

        parties_made = 0
        while have < count:
            size = min(batch_size, count - have)
            now = timezone.now()
            rows = []
            for n in range(have, have + size):
                category = self.rng.choices(*categories)[0]
                moment = first + timedelta(seconds=self.rng.random() * span)
                total = Decimal(self.rng.randint(5, 5000) * 1000)
                rows.append(
                    ContractRegistration(
                        organization_id=self.rng.choice(enterprises),
                        title=f"基准统计合同{n:07d}",
                        category=category,
                        subtype=self.rng.choice(ContractSubtype.for_category(category)),
                        industry_field_id=self.rng.choice(fields) if self.rng.random() < 0.92 else None,
                        signed_on=(moment - timedelta(days=self.rng.randint(5, 60))).date(),
                        total_amount=total,
                        technology_amount=(total * Decimal(self.rng.randint(50, 100)) / 100).quantize(Decimal("1")),
                        status=RegistrationStatus.REGISTERED,
                        registration_number=f"{NUMBER_PREFIX}{moment.year}{n:08d}",
                        submitted_at=moment - timedelta(days=3),
                        registered_at=moment,
                        created_at=now,
                        updated_at=now,
                    )
                )
            rows = ContractRegistration.objects.bulk_create(rows)
            parties = []
            for row in rows:
                n = int(row.registration_number[-8:])
                on_platform = self.rng.random() < 0.4
                seller = self.rng.choice(sellers) if on_platform else None
                buyer = self.rng.choice(enterprises) if self.rng.random() < 0.3 else None
                parties.append(party(row.pk, PartyRole.SELLER, seller, n))
                parties.append(party(row.pk, PartyRole.BUYER, buyer, n))
                roll = self.rng.random()
                if roll < 0.15:  # a transfer agency on the platform brokered it
                    parties.append(party(row.pk, PartyRole.INTERMEDIARY, self.rng.choice(agencies), n))
                elif roll < 0.25:
                    parties.append(party(row.pk, PartyRole.BUYER, None, n))
                elif roll < 0.30:
                    parties.append(party(row.pk, PartyRole.INTERMEDIARY, None, n))
            ContractParty.objects.bulk_create(parties, batch_size=10_000)
            parties_made += len(parties)
            have += size
            if have % 20_000 == 0 or have >= count:
                self.stdout.write(f"  contracts: {have}")
        return {
            "rows": mine.count(),
            "registered_total": ContractRegistration.objects.filter(status=RegistrationStatus.REGISTERED).count(),
            "parties": ContractParty.objects.filter(
                registration__registration_number__startswith=NUMBER_PREFIX
            ).count(),
            "parties_created_now": parties_made,
            "transfer_agencies": len(agencies),
            "months": MONTHS,
            "first_month": FIRST_MONTH.isoformat(),
            "seconds": round(time.perf_counter() - started, 1),
        }

    def _targets(self) -> None:
        """Every metric gets a target for each year covered, so targets_progress counts all nine."""
        defaults = {
            TargetMetric.CONTRACT_TURNOVER: 50_000_000_000,
            TargetMetric.TECHNOLOGY_AMOUNT: 40_000_000_000,
            TargetMetric.REGISTERED_CONTRACTS: 50_000,
            TargetMetric.LINKED_DEMANDS: 1000,
            TargetMetric.EVENTS_HELD: 100,
            TargetMetric.BROKERS_TRAINED: 300,
            TargetMetric.MAJOR_ACHIEVEMENTS: 10,
            TargetMetric.INDUSTRY_PROJECTS: 100,
        }
        for year in (2024, 2025, 2026):
            for metric, value in defaults.items():
                YearlyTarget.objects.get_or_create(year=year, metric=metric, defaults={"target": value})

    def _sizes(self) -> dict:
        mb = 1024 * 1024
        with connection.cursor() as cursor:
            sizes = {}
            for table in ("marketplace_contractregistration", "marketplace_contractparty", "achievements_achievement"):
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                sizes[table] = round(cursor.fetchone()[0] / mb, 1)
        return sizes

    # -- timing -------------------------------------------------------------------------------

    def _filters(self, repetitions: int) -> list[tuple[str, StatsFilter]]:
        """`repetitions` filters, the five kinds in turn: none, a year, a category, a field (top
        level or child), a region (the market's city, a district, another city, a province)."""
        rng = random.Random(SEED + 1)
        tops = list(IndustryField.objects.filter(parent__isnull=True))
        children = list(IndustryField.objects.filter(parent__isnull=False).select_related("parent"))
        regions = list(Region.objects.filter(code__in=["370200", "370000", "370100", "110000", "440300", "320500"]))
        regions += list(Region.objects.filter(level=3, code__startswith="3702").order_by("code")[:3])
        result = []
        for n in range(repetitions):
            kind = ("none", "year", "category", "field", "region")[n % 5]
            if kind == "year":
                year = rng.choice([2025, 2026])
                f = StatsFilter(date_from=date(year, 1, 1), date_to=date(year, 12, 31))
            elif kind == "category":
                f = StatsFilter(category=rng.choice(ContractCategory.values))
            elif kind == "field":
                f = StatsFilter(field=rng.choice(tops if rng.random() < 0.5 else children))
            elif kind == "region":
                f = StatsFilter(region=rng.choice(regions))
            else:
                f = StatsFilter()
            result.append((kind, f))
        return result

    def _time_functions(self, filters) -> dict:
        for function in FUNCTIONS.values():  # warm the cache as a running server would be
            function(filters[0][1])
        result = {}
        for name, function in FUNCTIONS.items():
            times: list[float] = []
            per_kind: dict[str, list[float]] = {}
            for kind, f in filters:
                started = time.perf_counter()
                function(f)
                elapsed = time.perf_counter() - started
                times.append(elapsed)
                per_kind.setdefault(kind, []).append(elapsed)
            with CaptureQueriesContext(connection) as queries:
                function(filters[-1][1])
            result[name] = {
                **timings(times),
                "queries": len(queries),
                "p95_ms_by_filter": {
                    kind: round(bench_search.percentile(values, 0.95) * 1000, 2) for kind, values in per_kind.items()
                },
            }
            self.stdout.write(f"  {name}: p50 {result[name]['p50_ms']} ms, p95 {result[name]['p95_ms']} ms")
        return result

    def _client(self) -> Client:
        user, _created = get_user_model().objects.get_or_create(
            username=STATISTICIAN, defaults={"email": f"{STATISTICIAN}@example.test", "is_staff": True}
        )
        group, _created = Group.objects.get_or_create(name=StaffGroup.STATISTICIAN)
        user.groups.add(group)
        host = next((h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"), "localhost")
        client = Client(HTTP_HOST=host)
        client.force_login(user)
        return client

    def _time_dashboard(self, filters) -> dict:
        client = self._client()
        client.get("/statistics/")
        times: list[float] = []
        per_kind: dict[str, list[float]] = {}
        for n, (kind, f) in enumerate(filters):
            params = {**f.as_query(), "granularity": ("month", "quarter", "year")[n % 3]}
            started = time.perf_counter()
            response = client.get("/statistics/", params)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or b"<form" not in response.content:
                raise CommandError(f"/statistics/ answered {response.status_code} for {params}")
            times.append(elapsed)
            per_kind.setdefault(kind, []).append(elapsed)
        with CaptureQueriesContext(connection) as queries:
            client.get("/statistics/")
        result = {
            **timings(times),
            "queries_unfiltered": len(queries),
            "p50_ms_by_filter": {
                kind: round(bench_search.percentile(values, 0.5) * 1000, 2) for kind, values in per_kind.items()
            },
            "p95_ms_by_filter": {
                kind: round(bench_search.percentile(values, 0.95) * 1000, 2) for kind, values in per_kind.items()
            },
            "what": "GET /statistics/ in-process (Django test client, signed in as a bureau statistician): "
            "every table, KPIs, targets, the rendered page",
        }
        self.stdout.write(f"  dashboard: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms")
        return result

    def _time_export(self, filters) -> dict:
        client = self._client()
        times: list[float] = []
        per_table: dict[str, list[float]] = {}
        for n, (_kind, f) in enumerate(filters):
            table = EXPORT_TABLES[n % len(EXPORT_TABLES)]
            params = {**f.as_query(), "table": table}
            started = time.perf_counter()
            response = client.get("/statistics/export/", params)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise CommandError(f"/statistics/export/ answered {response.status_code} for {params}")
            times.append(elapsed)
            per_table.setdefault(table, []).append(elapsed)
        result = {
            **timings(times),
            "p95_ms_by_table": {
                table: round(bench_search.percentile(values, 0.95) * 1000, 2) for table, values in per_table.items()
            },
            "what": "GET /statistics/export/?table=… (one table as .xlsx), the tables in turn",
        }
        self.stdout.write(f"  export: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms")
        return result

    def _summary(self, report: dict, output: Path) -> None:
        self.stdout.write(json.dumps(report, ensure_ascii=False, indent=2))
        dashboard = report["dashboard"]
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{report['data']['contracts']['rows']:,} contracts, {report['data']['achievements']['rows']:,} "
                f"achievements: dashboard p50 {dashboard['p50_ms']} ms, p95 {dashboard['p95_ms']} ms "
                f"({dashboard['n']} requests); written to {output}"
            )
        )
