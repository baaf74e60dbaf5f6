"""Reads of the demand board: joined querysets, filters, and the one presentation of a demand
that every channel (pages, API, exports, e-mails, search) uses, so that an anonymous demand
never names its enterprise and a confidential one never shows its details to outsiders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from demands import rules as demand_rules
from demands.enums import BidStatus, ChallengeStatus, PledgeStatus, PoolStatus
from demands.models import Bid, Challenge, Demand, DemandResponse, Milestone, Objection, Pledge, PooledProcurement
from marketplace import rules as market_rules
from marketplace import search
from marketplace.enums import OrganizationKind
from marketplace.models import IndustryField, Message, Organization, PrivateFile
from marketplace.money import format_wan
from marketplace.selectors import region_prefix

WAN = Decimal(10000)

SORTS = {
    "relevance": ("-search_relevance", "-published_at", "-id"),
    "newest": ("-published_at", "-id"),
    "deadline": ("deadline", "-id"),
    "budget_high": (F("budget_max").desc(nulls_last=True), "-id"),
    "popular": ("-view_count", "-id"),
}


def demand_list_queryset() -> QuerySet[Demand]:
    """Demands with everything a list and the visibility rules read, in a fixed number of queries."""
    return Demand.objects.select_related("organization", "region", "region__parent").prefetch_related(
        Prefetch("industry_fields", queryset=IndustryField.objects.select_related("parent")),
        "cooperation_modes",
        "assigned_brokers",
        "invited_organizations",
    )


@dataclass
class BoardFilters:
    q: str = ""
    field: str = ""
    demand_type: str = ""
    mode: str = ""
    budget_min_wan: Decimal | None = None
    budget_max_wan: Decimal | None = None
    max_trl: int | None = None
    region: str = ""
    organization: int | None = None
    sort: str = "newest"


def demand_filter(queryset: QuerySet[Demand], filters: BoardFilters, *, user=None) -> QuerySet[Demand]:
    """The board's filters, for `user`. Nothing hidden from the user can be probed: text
    matches the search index, which holds only what every visitor may read; the
    budget, readiness and cooperation filters (and a district) leave out demands whose details
    (or enterprise) the user may not see; `organization` never lists anonymous demands."""
    detail_visible = Demand.objects.details_disclosed_to(user).values("pk")
    if filters.q:
        queryset = search.narrow(queryset, filters.q)
    probes_details = (filters.mode, filters.budget_min_wan, filters.budget_max_wan, filters.max_trl)
    if any(value not in (None, "") for value in probes_details):
        queryset = queryset.filter(pk__in=detail_visible)
    if filters.region and not filters.region.endswith("00"):
        disclosed = Demand.objects.enterprise_disclosed_to(user).details_disclosed_to(user)
        queryset = queryset.filter(pk__in=disclosed.values("pk"))
    if filters.field:
        field_ids = IndustryField.objects.filter(Q(code=filters.field) | Q(parent__code=filters.field)).values("pk")
        queryset = queryset.filter(
            pk__in=Demand.industry_fields.through.objects.filter(industryfield_id__in=field_ids).values("demand_id")
        )
    if filters.demand_type:
        queryset = queryset.filter(demand_type=filters.demand_type)
    if filters.mode:
        queryset = queryset.filter(cooperation_modes__mode=filters.mode)
    if filters.budget_min_wan is not None:
        queryset = queryset.filter(budget_max__gte=filters.budget_min_wan * WAN)
    if filters.budget_max_wan is not None:
        queryset = queryset.filter(budget_min__lte=filters.budget_max_wan * WAN)
    if filters.max_trl is not None:
        # Demands an achievement of this readiness satisfies.
        queryset = queryset.filter(Q(min_trl__isnull=True) | Q(min_trl__lte=filters.max_trl))
    if filters.region:
        queryset = queryset.filter(region__code__startswith=region_prefix(filters.region))
    if filters.organization:
        # Never reveals which anonymous demands belong to an organization.
        queryset = queryset.filter(organization_id=filters.organization).exclude(visibility="anonymous")
    sort = filters.sort if filters.q or filters.sort != "relevance" else "newest"
    return queryset.order_by(*SORTS.get(sort, SORTS["newest"]))


@dataclass(frozen=True)
class DemandPresentation:
    """A demand as one user may see it. `enterprise` is None when hidden; `details` is False
    when the problem, indicators, budget, contact and files are hidden."""

    demand: Demand
    enterprise: object | None
    details: bool

    @property
    def enterprise_name(self) -> str:
        return self.enterprise.name if self.enterprise is not None else _("Anonymous enterprise")

    @property
    def region(self):
        """The region as this user may see it: a district can point to the enterprise, so
        whoever sees neither the enterprise nor the details gets the city."""
        region = self.demand.region
        hides = self.enterprise is None or not self.details
        if region is not None and hides and region.level == 3 and region.parent is not None:
            return region.parent
        return region

    @property
    def region_name(self) -> str:
        return self.region.full_name if self.region is not None else ""

    @property
    def budget_text(self) -> str:
        if not self.details:
            return ""
        demand = self.demand
        if demand.budget_min is None and demand.budget_max is None:
            return _("Negotiable")
        low, high = format_wan(demand.budget_min), format_wan(demand.budget_max)
        text = f"{low}–{high}" if low and high and low != high else (low or high)
        return _("%(amount)s 10k yuan") % {"amount": text}


def present(demand: Demand, user) -> DemandPresentation:
    return DemandPresentation(
        demand=demand,
        enterprise=demand.organization if demand_rules.sees_enterprise(user, demand) else None,
        details=bool(demand_rules.sees_details(user, demand)),
    )


def present_many(demands, user) -> list[DemandPresentation]:
    return [present(demand, user) for demand in demands]


def demand_detail(pk: int) -> QuerySet[Demand]:
    return demand_list_queryset().filter(pk=pk).select_related("created_by", "recorded_by")


def demand_files(demand: Demand) -> QuerySet[PrivateFile]:
    return PrivateFile.objects.filter(
        parent_type=ContentType.objects.get_for_model(Demand), parent_id=demand.pk
    ).order_by("created_at")


def organization_demands(organization_id: int) -> QuerySet[Demand]:
    return (
        demand_list_queryset()
        .filter(organization_id=organization_id)
        .annotate(response_count=Count("responses", distinct=True))
        .order_by("-updated_at", "-id")
    )


def response_list_queryset() -> QuerySet[DemandResponse]:
    return DemandResponse.objects.select_related(
        "demand", "demand__organization", "demand__region", "demand__region__parent", "organization", "created_by"
    ).prefetch_related("demand__assigned_brokers", "demand__invited_organizations", "achievements")


def demand_responses(demand: Demand) -> QuerySet[DemandResponse]:
    """The responses to a demand, for its enterprise."""
    return (
        response_list_queryset().filter(demand=demand).annotate(message_count=Count("messages")).order_by("-created_at")
    )


def responses_of(user) -> QuerySet[DemandResponse]:
    """Responses the user's organizations sent."""
    return (
        response_list_queryset()
        .filter(organization_id__in=list(market_rules.membership_roles(user).keys()))
        .order_by("-updated_at", "-id")
    )


def response_messages(response: DemandResponse) -> QuerySet[Message]:
    return response.messages.select_related("author", "organization").order_by("created_at", "id")


def response_files(response: DemandResponse) -> QuerySet[PrivateFile]:
    return PrivateFile.objects.filter(
        parent_type=ContentType.objects.get_for_model(DemandResponse), parent_id=response.pk
    ).order_by("created_at")


def demands_to_expire(today: date) -> QuerySet[Demand]:
    return Demand.objects.filter(status__in=demand_rules.OPEN_STATUSES, deadline__lt=today)


# Open challenges (揭榜挂帅) and pooled procurement (集采研发): one copy of each read, for the
# pages and the API.

# The public list ranks live challenges first.
UNDER_REVIEW_STATUSES = (
    ChallengeStatus.REVIEWING,
    ChallengeStatus.SHORTLISTED,
    ChallengeStatus.AWARDED,
    ChallengeStatus.NOTICE,
)
UNDER_WAY_STATUSES = (ChallengeStatus.CONTRACTED, ChallengeStatus.IN_PROGRESS)
UPCOMING_STATUSES = (ChallengeStatus.BIDDING, ChallengeStatus.PUBLISHED)


def own_organization_ids(user) -> list[int]:
    """The organizations the user belongs to (none for a visitor)."""
    return list(market_rules.membership_roles(user))


def own_enterprises(user) -> QuerySet[Organization]:
    """The verified enterprises the user belongs to: who may open a pool or pledge."""
    return Organization.objects.verified().filter(pk__in=own_organization_ids(user), kind=OrganizationKind.ENTERPRISE)


def challenge_queryset() -> QuerySet[Challenge]:
    """Challenges with what a page's card and detail read: issuer, demand, pool, fields."""
    return Challenge.objects.select_related("organization", "demand", "demand__organization", "pool").prefetch_related(
        Prefetch("industry_fields", queryset=IndustryField.objects.order_by("code"))
    )


def challenge_list_queryset() -> QuerySet[Challenge]:
    """Challenges with everything the API's serializer and the visibility rules read, in a
    fixed number of queries: `challenge_queryset` plus milestones, the awarded bids (as
    `awarded_bids`) and what the demand's visibility reads."""
    return challenge_queryset().prefetch_related(
        Prefetch("milestones", queryset=Milestone.objects.order_by("position", "due_date", "id")),
        Prefetch(
            "bids",
            queryset=Bid.objects.filter(status=BidStatus.AWARDED).select_related("organization").order_by("id"),
            to_attr="awarded_bids",
        ),
        "demand__assigned_brokers",
        "demand__invited_organizations",
    )


def challenges_visible_to(user, queryset: QuerySet[Challenge] | None = None) -> QuerySet[Challenge]:
    """Every published challenge, plus the unpublished ones (draft, submitted) of the user's
    organizations; bureau staff see all (the queryset form of the `view_challenge` rule)."""
    queryset = challenge_list_queryset() if queryset is None else queryset
    if market_rules.is_bureau_staff(user):
        return queryset
    return queryset.filter(
        ~Q(status__in=ChallengeStatus.unpublished()) | Q(organization_id__in=own_organization_ids(user))
    )


def public_challenges(status: str = "") -> QuerySet[Challenge]:
    """Published challenges, the live ones first: open for bids (closing soonest first), then
    announced, under review, under way, and finished ones last (newest first)."""
    rank = Case(
        When(status=ChallengeStatus.BIDDING, then=Value(0)),
        When(status=ChallengeStatus.PUBLISHED, then=Value(1)),
        When(status__in=UNDER_REVIEW_STATUSES, then=Value(2)),
        When(status__in=UNDER_WAY_STATUSES, then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )
    soonest = Case(When(status__in=UPCOMING_STATUSES, then=F("closes_at")))
    queryset = challenge_queryset().exclude(status__in=ChallengeStatus.unpublished())
    if status:
        queryset = queryset.filter(status=status)
    return queryset.annotate(rank=rank).order_by("rank", soonest.asc(nulls_last=True), "-closes_at", "-id")


def organization_challenges(organization, status: str = "") -> QuerySet[Challenge]:
    """The issuer's challenges, newest change first, each with its number of live bids (`bid_count`)."""
    queryset = (
        Challenge.objects.filter(organization=organization)
        .select_related("demand")
        .annotate(bid_count=Count("bids", filter=Q(bids__status__in=BidStatus.live())))
        .order_by("-updated_at", "-id")
    )
    return queryset.filter(status=status) if status else queryset


def disclosed_demand(user, challenge: Challenge) -> Demand | None:
    """The challenge's demand, if it may be linked for `user`. The challenge names its issuer,
    so an anonymous demand is linked only for those who know its enterprise anyway."""
    demand = challenge.demand
    if demand is None or not (demand_rules.view_demand(user, demand) and demand_rules.sees_enterprise(user, demand)):
        return None
    return demand


def challenge_winners(challenge: Challenge) -> QuerySet[Bid]:
    """The awarded bids with their organizations (public from the award on)."""
    return challenge.bids.filter(status=BidStatus.AWARDED).select_related("organization").order_by("id")


def objections_visible_to(user, challenge: Challenge) -> QuerySet[Objection]:
    """The challenge's objections: all for bureau staff, the user's own for everyone else."""
    queryset = Objection.objects.filter(challenge=challenge).select_related("user")
    if market_rules.is_bureau_staff(user):
        return queryset
    return queryset.filter(user=user) if getattr(user, "is_authenticated", False) else queryset.none()


def own_objections(user, challenge: Challenge) -> QuerySet[Objection]:
    """The objections the user lodged against the challenge's award, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Objection.objects.none()
    return Objection.objects.filter(challenge=challenge, user=user).order_by("-created_at")


def bid_queryset() -> QuerySet[Bid]:
    return Bid.objects.select_related("challenge", "challenge__organization", "organization", "created_by")


def sees_all_bids(user, challenge: Challenge) -> bool:
    """The issuer's members and bureau staff read every bid; others their own organizations'."""
    return bool(market_rules.is_bureau_staff(user) or market_rules.is_org_member(user, challenge))


def bids_visible_to(user, challenge: Challenge) -> QuerySet[Bid]:
    """The challenge's bids the user may read: all for the issuer's members and staff, their
    own organizations' for everyone else, so nobody learns who bid before the award."""
    queryset = bid_queryset().filter(challenge=challenge)
    if sees_all_bids(user, challenge):
        return queryset
    return queryset.filter(organization_id__in=own_organization_ids(user))


def challenge_bids(challenge: Challenge) -> QuerySet[Bid]:
    """Every bid of the challenge, newest first, for its issuer's workspace."""
    return challenge.bids.select_related("organization").order_by("-created_at", "-id")


def bids_of(user) -> QuerySet[Bid]:
    """The bids of the user's organizations, newest change first."""
    return (
        Bid.objects.filter(organization_id__in=own_organization_ids(user))
        .select_related("challenge", "organization")
        .order_by("-updated_at", "-id")
    )


def own_live_bid(user, challenge: Challenge) -> Bid | None:
    """The live bid of one of the user's organizations for the challenge, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Bid.objects.filter(
        challenge=challenge, organization_id__in=own_organization_ids(user), status__in=BidStatus.live()
    ).first()


def attached_files(obj) -> QuerySet[PrivateFile]:
    """The private files stored with `obj` (a bid's attachments), oldest first."""
    return PrivateFile.objects.filter(
        parent_type=ContentType.objects.get_for_model(type(obj)), parent_id=obj.pk
    ).order_by("created_at")


def pool_list_queryset() -> QuerySet[PooledProcurement]:
    """Pools with their initiator, challenge, fields and gathered demands' ids."""
    return PooledProcurement.objects.select_related("organization", "challenge").prefetch_related(
        Prefetch("industry_fields", queryset=IndustryField.objects.order_by("code")),
        Prefetch("source_demands", queryset=Demand.objects.only("id").order_by("id")),
    )


def public_pools(status: str = "") -> QuerySet[PooledProcurement]:
    """Pools, those collecting pledges first (deadline soonest first), then the rest, newest first."""
    rank = Case(When(status=PoolStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    soonest = Case(When(status=PoolStatus.OPEN, then=F("deadline")))
    queryset = pool_list_queryset()
    if status:
        queryset = queryset.filter(status=status)
    return queryset.annotate(rank=rank).order_by("rank", soonest.asc(nulls_last=True), "-deadline", "-id")


def active_pledge_summary(pool: PooledProcurement) -> dict:
    """{"count", "total"} of the pool's active pledges (who pledged is never public)."""
    return pool.pledges.filter(status=PledgeStatus.ACTIVE).aggregate(count=Count("id"), total=Sum("amount"))


def pledges_visible_to(user, pool: PooledProcurement) -> QuerySet[Pledge]:
    """All of the pool's pledges for bureau staff, the user's own organizations' for everyone else."""
    queryset = Pledge.objects.filter(pool=pool).select_related("pool", "organization", "created_by", "agreement")
    if market_rules.is_bureau_staff(user):
        return queryset
    return queryset.filter(organization_id__in=own_organization_ids(user))


def own_pledges(user, pool: PooledProcurement) -> QuerySet[Pledge]:
    """The pledges of the user's organizations to the pool, newest first."""
    return Pledge.objects.filter(pool=pool, organization_id__in=own_organization_ids(user)).order_by("-created_at")


def organization_pools(organization) -> QuerySet[PooledProcurement]:
    return PooledProcurement.objects.filter(organization=organization).order_by("-created_at")


def organization_pledges(organization) -> QuerySet[Pledge]:
    return Pledge.objects.filter(organization=organization).select_related("pool").order_by("-created_at")
