"""Reads of the broker pages and API, already joined: the directory, a broker's engagements,
the filings waiting for an agency, who serves a listing."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When

from brokers.enums import EngagementStage, FilingStatus, Level
from brokers.models import BrokerProfile, Engagement, EngagementActivity, LevelUpgrade
from marketplace import rules as market_rules
from marketplace.enums import MembershipRole, OrganizationKind
from marketplace.models import IndustryField, Organization, Region
from marketplace.selectors import region_prefix

AGENCY_KINDS = (OrganizationKind.TRANSFER_AGENCY, OrganizationKind.SERVICE_AGENCY)


def broker_list_queryset() -> QuerySet[BrokerProfile]:
    """Profiles with the person, the agency, the specialities (and their parents) and the
    regions joined: a list never queries per row."""
    return BrokerProfile.objects.select_related("user", "agency").prefetch_related(
        Prefetch("specialities", queryset=IndustryField.objects.select_related("parent").order_by("position", "pk")),
        Prefetch("regions", queryset=Region.objects.order_by("code")),
    )


def broker_directory() -> QuerySet[BrokerProfile]:
    """The public directory: active brokers only."""
    return broker_list_queryset().active()


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    level: str = ""
    field: str = ""  # an industry-field code; includes its sub-fields
    region: str = ""  # a GB/T 2260 code; includes the divisions inside it
    agency: int | None = None


def broker_search(queryset: QuerySet[BrokerProfile], filters: DirectoryFilters) -> QuerySet[BrokerProfile]:
    """Filter the directory by name or introduction, level, speciality, region served and agency."""
    if filters.q:
        queryset = queryset.filter(
            Q(user__name__icontains=filters.q)
            | Q(introduction__icontains=filters.q)
            | Q(agency__name__icontains=filters.q)
        )
    if filters.level:
        queryset = queryset.filter(level=filters.level)
    if filters.agency:
        queryset = queryset.filter(agency_id=filters.agency)
    if filters.field:
        queryset = queryset.filter(
            pk__in=BrokerProfile.specialities.through.objects.filter(
                Q(industryfield__code=filters.field) | Q(industryfield__parent__code=filters.field)
            ).values("brokerprofile_id")
        )
    if filters.region:
        queryset = queryset.filter(
            pk__in=BrokerProfile.regions.through.objects.filter(
                region__code__startswith=region_prefix(filters.region)
            ).values("brokerprofile_id")
        )
    return queryset


def senior_first(queryset: QuerySet[BrokerProfile]) -> QuerySet[BrokerProfile]:
    """The directory's order: senior brokers first, then by name."""
    rank = Case(
        *[When(level=level, then=Value(position)) for position, level in enumerate(reversed(Level.values))],
        default=Value(len(Level.values)),
    )
    return queryset.order_by(rank, "user__name", "pk")


def directory_agencies() -> QuerySet[Organization]:
    """Agencies with at least one active broker (the directory's agency filter)."""
    return (
        Organization.objects.filter(brokers__status=FilingStatus.ACTIVE).distinct().order_by("name").only("pk", "name")
    )


def broker_counts(profile: BrokerProfile) -> dict[str, int]:
    """Engagements taken on (dropped ones included) and those that ended in a deal."""
    return profile.engagements.aggregate(
        engagements=Count("pk"), deals=Count("pk", filter=Q(stage=EngagementStage.DEAL))
    )


def agency_ids_administered(user) -> list[int]:
    """The agencies the user administers."""
    admin_of = [pk for pk, role in market_rules.membership_roles(user).items() if role == MembershipRole.ADMIN]
    if not admin_of:
        return []
    return list(Organization.objects.filter(pk__in=admin_of, kind__in=AGENCY_KINDS).values_list("pk", flat=True))


def agency_filings(agency_ids: list[int]) -> QuerySet[BrokerProfile]:
    """Filings that wait for the agencies' confirmation, oldest first."""
    return (
        broker_list_queryset()
        .filter(agency_id__in=agency_ids, status=FilingStatus.APPLIED)
        .order_by("applied_at", "pk")
    )


def agency_brokers(agency_ids: list[int]) -> QuerySet[BrokerProfile]:
    """The agencies' brokers past the agency's step (confirmed, active, suspended, rejected)."""
    return (
        broker_list_queryset()
        .filter(agency_id__in=agency_ids)
        .exclude(status=FilingStatus.APPLIED)
        .annotate(engagement_count=Count("engagements", distinct=True))
        .order_by("status", "user__name", "pk")
    )


def upgrades_of(profile: BrokerProfile) -> QuerySet[LevelUpgrade]:
    return profile.upgrades.select_related("reviewer").order_by("-created_at", "-pk")


def engagement_queryset() -> QuerySet[Engagement]:
    return Engagement.objects.select_related(
        "broker__user", "broker__agency", "demand__organization", "achievement__organization", "deal"
    )


def engagements_of(profile: BrokerProfile, *, stage: str = "") -> QuerySet[Engagement]:
    """A broker's own engagements, most recently changed first."""
    queryset = engagement_queryset().filter(broker=profile)
    if stage:
        queryset = queryset.filter(stage=stage)
    return queryset.order_by("-updated_at", "-pk")


def stage_counts(profile: BrokerProfile) -> dict[str, int]:
    return dict(profile.engagements.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))


def engagement_activities(engagement: Engagement) -> QuerySet[EngagementActivity]:
    return engagement.activities.prefetch_related("proposed_achievements").order_by("-occurred_on", "-pk")


def engagements_visible_to(user) -> QuerySet[Engagement]:
    """Engagements of the parties: the broker and the members of the listing's organization;
    bureau staff see all; anyone else none."""
    queryset = engagement_queryset()
    if market_rules.is_bureau_staff(user):
        return queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    organizations = list(market_rules.membership_roles(user))
    return queryset.filter(
        Q(broker__user_id=user.pk)
        | Q(demand__organization_id__in=organizations)
        | Q(achievement__organization_id__in=organizations)
    )


def serving_engagements(listing) -> list[Engagement]:
    """Who serves a demand (or an achievement): its live engagements, with broker and agency."""
    key = "demand" if listing._meta.model_name == "demand" else "achievement"
    return list(
        Engagement.objects.live()
        .filter(**{key: listing})
        .select_related("broker__user", "broker__agency")
        .order_by("created_at", "pk")
    )
