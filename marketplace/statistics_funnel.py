"""The bureau's conversion funnel (pure reads): views → inquiries (achievements) or responses
(demands) → stored matches → broker engagements → deals → registered contracts, per listing,
per institution and per broker, and the share of stale listings.

What the StatsFilter narrows here (the contract category only concerns contracts and is not
used by the funnel):

- listings (achievements, demands, and the institutions' sums and the stale shares built on
  them): those PUBLISHED (published_at, read in Asia/Shanghai) within date_from / date_to, in
  the industry field (a top-level field takes in its children) and in the region (the owning
  organization's region for achievements; the demand's own region, else its enterprise's, for
  demands). Every later stage is counted over the listing's whole life (a cohort: what became
  of the listings published in the period), whenever it happened;
- brokers: each stage by its own date — engagements started, deals started (created) and
  contracts registered within the range — for brokers whose agency is in the region.

Stages counted for a listing: `views` its view counter; `inquiries` every inquiry on an
achievement; `responses` every response to a demand but withdrawn ones; `matches` the stored
matches of the listing (pairs found by the matching engine) and `contacted` those someone they
were shown to marked "contacted"; `engagements` brokers' engagements on it (dropped ones
included: they were worked); `deals` deals started on it, whatever their stage; `registered`
the registered contracts (status registered) of those deals.

Each function runs a fixed number of queries whatever the number of rows: the counts are
correlated subqueries annotated on the listing tables, sums and groupings happen in the
database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.statistics import StatsFilter, _start_of, region_prefix, share

LISTING_LIMIT = 50  # rows per table on the page (top by views); the exports take EXPORT_LIMIT
EXPORT_LIMIT = 5000


# Counting helpers ----------------------------------------------------------------------------


def _count(queryset: QuerySet) -> Coalesce:
    """The number of rows of an already correlated queryset (filters using OuterRef), as a
    subquery: COUNT without GROUP BY (as in marketplace.statistics.agency_subsidies)."""
    counted = queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _in_range(queryset: QuerySet, path: str, f: StatsFilter) -> QuerySet:
    """Rows whose moment at `path` falls within the filter's days (Asia/Shanghai)."""
    if f.date_from:
        queryset = queryset.filter(**{f"{path}__gte": _start_of(f.date_from)})
    if f.date_to:
        queryset = queryset.filter(**{f"{path}__lt": _start_of(f.date_to + timedelta(days=1))})
    return queryset


def _in_field(queryset: QuerySet, related_name: str, f: StatsFilter) -> QuerySet:
    if f.field is None:
        return queryset
    from marketplace.models import IndustryField

    fields_in = Q(pk=f.field.pk) | Q(parent=f.field) if f.field.parent_id is None else Q(pk=f.field.pk)
    return queryset.filter(Exists(IndustryField.objects.filter(fields_in, **{related_name: OuterRef("pk")})))


def _registered_contracts():
    from marketplace.enums import RegistrationStatus
    from marketplace.models import ContractRegistration

    return ContractRegistration.objects.filter(status=RegistrationStatus.REGISTERED)


def _contacted_matches():
    from marketplace.enums import MatchVerdict
    from marketplace.models import Match, MatchFeedback

    return Match.objects.filter(
        Exists(MatchFeedback.objects.filter(match=OuterRef("pk"), verdict=MatchVerdict.CONTACTED))
    )


# Listings ------------------------------------------------------------------------------------


def achievements(f: StatsFilter | None = None) -> QuerySet:
    """The achievements the funnel counts: published within the range, in the field and region."""
    from achievements.models import Achievement

    f = f or StatsFilter()
    queryset = _in_range(Achievement.objects.filter(published_at__isnull=False), "published_at", f)
    queryset = _in_field(queryset, "achievements", f)
    if f.region is not None:
        queryset = queryset.filter(organization__region__code__startswith=region_prefix(f.region.code))
    return queryset.order_by()


def demands(f: StatsFilter | None = None) -> QuerySet:
    """The demands the funnel counts: published within the range, in the field, and in the
    region (the demand's region, else its enterprise's)."""
    from demands.models import Demand

    f = f or StatsFilter()
    queryset = _in_range(Demand.objects.filter(published_at__isnull=False), "published_at", f)
    queryset = _in_field(queryset, "demands", f)
    if f.region is not None:
        prefix = region_prefix(f.region.code)
        queryset = queryset.filter(
            Q(region__code__startswith=prefix) | Q(region__isnull=True, organization__region__code__startswith=prefix)
        )
    return queryset.order_by()


def _achievement_stages() -> dict:
    from achievements.models import Inquiry
    from brokers.models import Engagement
    from marketplace.models import Deal, Match

    listing = OuterRef("pk")
    return {
        "n_inquiries": _count(Inquiry.objects.filter(achievement=listing)),
        "n_matches": _count(Match.objects.filter(achievement=listing)),
        "n_contacted": _count(_contacted_matches().filter(achievement=listing)),
        "n_engagements": _count(Engagement.objects.filter(achievement=listing)),
        "n_deals": _count(Deal.objects.filter(achievement=listing)),
        "n_registered": _count(_registered_contracts().filter(deal__achievement=listing)),
    }


def _demand_stages() -> dict:
    from brokers.models import Engagement
    from demands.enums import ResponseStatus
    from demands.models import DemandResponse
    from marketplace.models import Deal, Match

    listing = OuterRef("pk")
    return {
        "n_responses": _count(DemandResponse.objects.filter(demand=listing).exclude(status=ResponseStatus.WITHDRAWN)),
        "n_matches": _count(Match.objects.filter(demand=listing)),
        "n_contacted": _count(_contacted_matches().filter(demand=listing)),
        "n_engagements": _count(Engagement.objects.filter(demand=listing)),
        "n_deals": _count(Deal.objects.filter(demand=listing)),
        "n_registered": _count(_registered_contracts().filter(deal__demand=listing)),
    }


@dataclass
class Stages:
    """A funnel's figures. `first` is inquiries (achievements) or responses (demands)."""

    views: int = 0
    first: int = 0
    matches: int = 0
    contacted: int = 0
    engagements: int = 0
    deals: int = 0
    registered: int = 0

    def shares(self) -> list[Decimal | None]:
        """The conversion between consecutive stages: first / views, matches / first,
        engagements / matches, deals / engagements, registered / deals."""
        chain = [self.views, self.first, self.matches, self.engagements, self.deals, self.registered]
        return [share(later, earlier) for earlier, later in pairwise(chain)]


def _stages(values, first: str, prefix: str = "") -> Stages:
    """The stages from a row's annotations (or an aggregate's `prefix`ed sums)."""

    def get(name):
        name = prefix + name
        return values.get(name) if isinstance(values, dict) else getattr(values, name)

    return Stages(
        views=get("views") or 0,
        first=get(first) or 0,
        matches=get("n_matches") or 0,
        contacted=get("n_contacted") or 0,
        engagements=get("n_engagements") or 0,
        deals=get("n_deals") or 0,
        registered=get("n_registered") or 0,
    )


@dataclass
class ListingFunnel:
    pk: int
    title: str
    organization: str
    published_at: datetime
    status: str
    is_stale: bool
    stages: Stages


def _listings(queryset: QuerySet, annotations: dict, first: str, limit: int | None) -> list[ListingFunnel]:
    rows = (
        queryset.annotate(views=F("view_count"), **annotations)
        .select_related("organization")
        .order_by("-view_count", "-published_at", "-pk")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        ListingFunnel(
            pk=row.pk,
            title=row.title,
            organization=row.organization.name,
            published_at=row.published_at,
            status=str(row.get_status_display()),
            is_stale=row.is_stale,
            stages=_stages(row, first),
        )
        for row in rows
    ]


def achievement_funnel(f: StatsFilter | None = None, limit: int | None = LISTING_LIMIT) -> list[ListingFunnel]:
    """Per achievement, the most viewed first (at most `limit`; None: all). One query."""
    return _listings(achievements(f), _achievement_stages(), "n_inquiries", limit)


def demand_funnel(f: StatsFilter | None = None, limit: int | None = LISTING_LIMIT) -> list[ListingFunnel]:
    """Per demand, the most viewed first (at most `limit`; None: all). One query."""
    return _listings(demands(f), _demand_stages(), "n_responses", limit)


SUM = "sum_"


def _summed(annotations: dict) -> dict:
    """The sums of the view counter and of each stage's subquery, named with SUM first."""
    return {f"{SUM}views": Sum("view_count"), **{f"{SUM}{name}": Sum(name) for name in annotations}}


def achievement_totals(f: StatsFilter | None = None) -> tuple[int, Stages]:
    """(achievements counted, their funnel summed). One query."""
    annotations = _achievement_stages()
    values = achievements(f).annotate(**annotations).aggregate(listings=Count("pk"), **_summed(annotations))
    return values["listings"], _stages(values, "n_inquiries", SUM)


def demand_totals(f: StatsFilter | None = None) -> tuple[int, Stages]:
    """(demands counted, their funnel summed). One query."""
    annotations = _demand_stages()
    values = demands(f).annotate(**annotations).aggregate(listings=Count("pk"), **_summed(annotations))
    return values["listings"], _stages(values, "n_responses", SUM)


# Institutions --------------------------------------------------------------------------------


@dataclass
class InstitutionFunnel:
    organization_id: int
    name: str
    achievements: int
    stages: Stages


def institution_funnel(f: StatsFilter | None = None, limit: int | None = LISTING_LIMIT) -> list[InstitutionFunnel]:
    """Per organization owning achievements counted by the filter, its achievements' funnels
    summed; the most viewed first (ties: most registered contracts, name). One query."""
    annotations = _achievement_stages()
    rows = (
        achievements(f)
        .annotate(**annotations)
        .values("organization_id", "organization__name")
        .annotate(listings=Count("pk"), **_summed(annotations))
        .order_by(f"-{SUM}views", f"-{SUM}n_registered", "organization__name", "organization_id")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        InstitutionFunnel(
            organization_id=values["organization_id"],
            name=values["organization__name"],
            achievements=values["listings"],
            stages=_stages(values, "n_inquiries", SUM),
        )
        for values in rows
    ]


# Brokers -------------------------------------------------------------------------------------


@dataclass
class BrokerFunnel:
    profile_id: int
    name: str
    agency: str
    engagements: int
    deals: int
    registered: int

    @property
    def deal_share(self) -> Decimal | None:
        return share(self.deals, self.engagements)

    @property
    def registered_share(self) -> Decimal | None:
        return share(self.registered, self.deals)


def broker_funnel(f: StatsFilter | None = None, limit: int | None = LISTING_LIMIT) -> list[BrokerFunnel]:
    """Per broker with an engagement or a deal in the range: engagements started, deals started
    that name the broker (Deal.brokers), and registered contracts of such deals registered in
    the range; most registered contracts first. Brokers of agencies in the region only. One
    query."""
    from brokers.models import BrokerProfile, Engagement
    from marketplace.models import Deal

    f = f or StatsFilter()
    user = OuterRef("user_id")
    engagements = _in_range(Engagement.objects.filter(broker=OuterRef("pk")), "created_at", f)
    deals = _in_range(Deal.objects.filter(brokers=user), "created_at", f)
    registered = _in_range(_registered_contracts().filter(deal__brokers=user), "registered_at", f)
    profiles = BrokerProfile.objects.annotate(
        n_engagements=_count(engagements), n_deals=_count(deals), n_registered=_count(registered)
    ).filter(Q(n_engagements__gt=0) | Q(n_deals__gt=0) | Q(n_registered__gt=0))
    if f.region is not None:
        profiles = profiles.filter(agency__region__code__startswith=region_prefix(f.region.code))
    profiles = profiles.select_related("user", "agency").order_by("-n_registered", "-n_deals", "-n_engagements", "pk")
    if limit is not None:
        profiles = profiles[:limit]
    return [
        BrokerFunnel(
            profile_id=profile.pk,
            name=str(profile),
            agency=profile.agency.name,
            engagements=profile.n_engagements,
            deals=profile.n_deals,
            registered=profile.n_registered,
        )
        for profile in profiles
    ]


# Stale listings ------------------------------------------------------------------------------


@dataclass
class StaleShare:
    """Public listings and, among them, the stale ones (published, not re-confirmed within
    FRESHNESS_DAYS: AchievementQuerySet.stale / DemandQuerySet.stale)."""

    key: str
    label: str
    public_achievements: int = 0
    stale_achievements: int = 0
    public_demands: int = 0
    stale_demands: int = 0

    @property
    def achievement_share(self) -> Decimal | None:
        return share(self.stale_achievements, self.public_achievements)

    @property
    def demand_share(self) -> Decimal | None:
        return share(self.stale_demands, self.public_demands)

    @property
    def public(self) -> int:
        return self.public_achievements + self.public_demands

    @property
    def stale(self) -> int:
        return self.stale_achievements + self.stale_demands

    @property
    def overall_share(self) -> Decimal | None:
        return share(self.stale, self.public)


def stale_shares(f: StatsFilter | None = None, *, now: datetime | None = None) -> tuple[StaleShare, list[StaleShare]]:
    """(overall, per organization): among the listings the filter counts that are public now
    (achievements published or transferred; demands published, negotiating or solved), those
    stale by the project's freshness rule. Organizations with a public listing, the largest
    share of stale listings first. Two queries (achievements, demands, grouped by owner)."""
    from achievements import rules as achievement_rules
    from achievements.models import Achievement
    from demands import rules as demand_rules
    from demands.models import Demand

    now = now or timezone.now()
    rows: dict[int, StaleShare] = {}
    for queryset, model, statuses, kind in (
        (achievements(f), Achievement, achievement_rules.PUBLIC_STATUSES, "achievements"),
        (demands(f), Demand, demand_rules.PUBLIC_STATUSES, "demands"),
    ):
        stale = Q(pk__in=model.objects.stale(now=now).values("pk"))
        grouped = (
            queryset.filter(status__in=statuses)
            .values("organization_id", "organization__name")
            .annotate(public=Count("pk"), stale=Count("pk", filter=stale))
            .order_by()
        )
        for values in grouped:
            row = rows.setdefault(
                values["organization_id"], StaleShare(str(values["organization_id"]), values["organization__name"])
            )
            setattr(row, f"public_{kind}", values["public"])
            setattr(row, f"stale_{kind}", values["stale"])
    overall = StaleShare("", _("All listings"))
    for row in rows.values():
        overall.public_achievements += row.public_achievements
        overall.stale_achievements += row.stale_achievements
        overall.public_demands += row.public_demands
        overall.stale_demands += row.stale_demands
    ordered = sorted(rows.values(), key=lambda row: (-(row.overall_share or 0), -row.stale, row.label))
    return overall, ordered
