"""Service teams ("1+N"), broker performance, rewards, the annual ranking and the excellent-broker
selection (优秀技术经纪人).

Performance counts, per broker and year: demands mined (recorded by the broker), engagements
claimed, deals (engagements that reached the deal stage that year) and the registered technology
transaction amount (registered contracts whose deal names the broker). Rewards apply the active
RewardRules of the year to those figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, DecimalField, Exists, F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from brokers.enums import EngagementStage, FilingStatus, RewardKind
from brokers.models import BrokerProfile, Engagement, ExcellentBroker, RewardRule, ServiceTeam
from brokers.services import AGENCY_KINDS
from marketplace.enums import RegistrationStatus
from marketplace.models import ContractRegistration, Deal, Organization, TransitionLog, User

CENT = Decimal("0.01")
ZERO = Decimal("0")
# Brokers who hold (or held) an approved filing are ranked; applicants and refusals are not.
RANKED_STATUSES = (FilingStatus.ACTIVE, FilingStatus.SUSPENDED)


def _require(user, permission: str, obj=None) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied(_("Your role does not allow this."))


# Service teams ("1+N") -----------------------------------------------------------------------


def check_team(*, institution: Organization, office: Organization, brokers: Sequence[BrokerProfile]) -> None:
    if office.kind not in AGENCY_KINDS:
        raise ValidationError({"office": _("The team's office must be a technology transfer or service agency.")})
    if institution.pk == office.pk:
        raise ValidationError({"institution": _("The institution and the office must be different organizations.")})
    inactive = [str(profile) for profile in brokers if profile.status != FilingStatus.ACTIVE]
    if inactive:
        raise ValidationError(
            {"brokers": _("Only active brokers join a team: %(names)s") % {"names": "、".join(inactive)}}
        )


@transaction.atomic
def team_create(
    *, user: User, name: str, institution: Organization, office: Organization, brokers: Sequence[BrokerProfile]
) -> ServiceTeam:
    """Bureau staff set up a "1+N" team: one transfer office and N active brokers serving a key
    institution."""
    _require(user, "brokers.add_serviceteam")
    check_team(institution=institution, office=office, brokers=brokers)
    if ServiceTeam.objects.filter(institution=institution, office=office).exists():
        raise ValidationError(_("This office already runs a team for this institution."))
    team = ServiceTeam(name=name.strip(), institution=institution, office=office)
    team.full_clean()
    team.save()
    team.brokers.set(brokers)
    return team


@transaction.atomic
def team_update(
    *,
    team: ServiceTeam,
    user: User,
    name: str | None = None,
    institution: Organization | None = None,
    office: Organization | None = None,
    brokers: Sequence[BrokerProfile] | None = None,
    is_active: bool | None = None,
) -> ServiceTeam:
    """Bureau staff change a team; brokers, when given, replace the team's brokers."""
    _require(user, "brokers.change_serviceteam", team)
    institution = institution or team.institution
    office = office or team.office
    check_team(institution=institution, office=office, brokers=brokers or [])
    clash = ServiceTeam.objects.filter(institution=institution, office=office).exclude(pk=team.pk)
    if clash.exists():
        raise ValidationError(_("This office already runs a team for this institution."))
    team.institution, team.office = institution, office
    if name is not None:
        team.name = name.strip()
    if is_active is not None:
        team.is_active = is_active
    team.full_clean()
    team.save()
    if brokers is not None:
        team.brokers.set(brokers)
    return team


# Performance ---------------------------------------------------------------------------------


@dataclass
class BrokerPerformance:
    profile: BrokerProfile
    demands_mined: int
    engagements: int
    deals: int
    registered_deals: int
    registered_amount: Decimal
    reward: Decimal = ZERO
    rank: int | None = None


@dataclass
class AgencyPerformance:
    agency: Organization
    brokers: int = 0
    demands_mined: int = 0
    engagements: int = 0
    deals: int = 0
    registered_deals: int = 0
    registered_amount: Decimal = ZERO
    reward: Decimal = ZERO


@dataclass
class PerformanceReport:
    year: int
    brokers: list[BrokerPerformance] = field(default_factory=list)
    agencies: list[AgencyPerformance] = field(default_factory=list)


def _count(queryset, key: str):
    """A correlated COUNT(*) of `queryset` (already filtered on OuterRef), 0 when empty."""
    counted = queryset.order_by().values(key).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _registered(year: int):
    return ContractRegistration.objects.filter(status=RegistrationStatus.REGISTERED, registered_at__year=year)


def _sum_amount(queryset):
    """A correlated SUM(technology_amount) without GROUP BY (the filter already correlates)."""
    total = queryset.order_by().annotate(total=Func(F("technology_amount"), function="SUM")).values("total")[:1]
    return Coalesce(Subquery(total, output_field=DecimalField(max_digits=16, decimal_places=2)), Value(ZERO))


def _performance_queryset(year: int, agency: Organization | None):
    from demands.enums import Source
    from demands.models import Demand

    reached_deal = TransitionLog.objects.filter(
        content_type__app_label="brokers",
        content_type__model="engagement",
        object_id=OuterRef("pk"),
        field="stage",
        to_status=EngagementStage.DEAL,
        created_at__year=year,
    )
    deals = Engagement.objects.filter(broker=OuterRef("pk"), stage=EngagementStage.DEAL).filter(Exists(reached_deal))
    registered = _registered(year).filter(deal__brokers=OuterRef("user_id"))
    queryset = BrokerProfile.objects.filter(status__in=RANKED_STATUSES).select_related("user", "agency")
    if agency is not None:
        queryset = queryset.filter(agency=agency)
    return queryset.annotate(
        demands_mined=_count(
            Demand.objects.filter(recorded_by=OuterRef("user_id"), source=Source.BROKER, created_at__year=year),
            "recorded_by",
        ),
        engagements_claimed=_count(Engagement.objects.filter(broker=OuterRef("pk"), created_at__year=year), "broker"),
        deals_reached=_count(deals, "broker"),
        registered_deals=_count(registered, "deal__brokers"),
        registered_amount=_sum_amount(registered),
    ).order_by("pk")


def _agency_registrations(year: int, agency_ids: list[int]) -> dict[int, tuple[int, Decimal]]:
    """Each agency's registered contracts and amount, counting a contract once even when several
    of its brokers are named on the deal (one query)."""
    named = Deal.brokers.through.objects.filter(
        deal_id=OuterRef("deal_id"), user__broker_profile__agency_id=OuterRef(OuterRef("pk"))
    )
    contracts = _registered(year).filter(Exists(named)).order_by()
    counted = contracts.annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]
    rows = Organization.objects.filter(pk__in=agency_ids).annotate(
        registered_deals=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
        registered_amount=_sum_amount(contracts),
    )
    return {
        pk: (count, Decimal(amount).quantize(CENT))
        for pk, count, amount in rows.values_list("pk", "registered_deals", "registered_amount")
    }


def broker_performance(year: int, *, agency: Organization | None = None) -> PerformanceReport:
    """Every filed broker's figures for the year (of one agency, if given) and a roll-up per
    agency, in two aggregate queries. Reads only."""
    report = PerformanceReport(year=year)
    agencies: dict[int, AgencyPerformance] = {}
    for profile in _performance_queryset(year, agency):
        row = BrokerPerformance(
            profile=profile,
            demands_mined=profile.demands_mined,
            engagements=profile.engagements_claimed,
            deals=profile.deals_reached,
            registered_deals=profile.registered_deals,
            registered_amount=Decimal(profile.registered_amount).quantize(CENT),
        )
        report.brokers.append(row)
        roll_up = agencies.setdefault(profile.agency_id, AgencyPerformance(agency=profile.agency))
        roll_up.brokers += 1
        roll_up.demands_mined += row.demands_mined
        roll_up.engagements += row.engagements
        roll_up.deals += row.deals
    if agencies:
        for agency_id, (count, amount) in _agency_registrations(year, list(agencies)).items():
            agencies[agency_id].registered_deals = count
            agencies[agency_id].registered_amount = amount
    report.agencies = sorted(agencies.values(), key=lambda a: (-a.registered_amount, -a.deals, a.agency.name))
    return report


# Rewards -------------------------------------------------------------------------------------


def rules_for(year: int) -> list[RewardRule]:
    """The active reward rules of the year and those for every year."""
    return list(RewardRule.objects.filter(Q(year=year) | Q(year__isnull=True), is_active=True).order_by("pk"))


def reward_for(rule: RewardRule, *, registered_amount: Decimal, registered_deals: int) -> Decimal:
    """One rule's reward for one broker's year, capped by the rule's annual cap."""
    is_percentage = rule.kind == RewardKind.PERCENTAGE
    reward = registered_amount * rule.rate if is_percentage else rule.amount * registered_deals
    if rule.annual_cap is not None:
        reward = min(reward, rule.annual_cap)
    return reward.quantize(CENT, rounding=ROUND_HALF_UP)


def broker_rewards(year: int, *, agency: Organization | None = None) -> PerformanceReport:
    """The year's performance with each broker's reward (the sum over the active rules) and its
    place in the annual ranking: by registered amount, then deals. Reads only."""
    report = broker_performance(year, agency=agency)
    rules = rules_for(year)
    for row in report.brokers:
        row.reward = sum(
            (
                reward_for(rule, registered_amount=row.registered_amount, registered_deals=row.registered_deals)
                for rule in rules
            ),
            ZERO,
        )
    report.brokers.sort(key=lambda r: (-r.registered_amount, -r.deals, -r.registered_deals, r.profile.pk))
    for place, row in enumerate(report.brokers, start=1):
        row.rank = place
    by_agency = {a.agency.pk: a for a in report.agencies}
    for row in report.brokers:
        by_agency[row.profile.agency_id].reward += row.reward
    return report


# Excellent brokers ---------------------------------------------------------------------------


@transaction.atomic
def excellent_select(
    *, year: int, user: User, profiles: Sequence[BrokerProfile], citation: str = ""
) -> list[ExcellentBroker]:
    """The bureau names the year's excellent brokers, ranked in the given order. Selecting again
    replaces the year's selection (in one transaction: all or nothing)."""
    _require(user, "brokers.add_excellentbroker")
    if not profiles:
        raise ValidationError(_("Choose at least one broker."))
    if len({p.pk for p in profiles}) != len(profiles):
        raise ValidationError(_("A broker is named once a year."))
    inactive = [str(p) for p in profiles if p.status not in RANKED_STATUSES]
    if inactive:
        raise ValidationError(_("Only filed brokers are named: %(names)s") % {"names": "、".join(inactive)})
    ExcellentBroker.objects.filter(year=year).delete()
    return ExcellentBroker.objects.bulk_create(
        ExcellentBroker(year=year, profile=profile, rank=place, citation=citation.strip(), selected_by=user)
        for place, profile in enumerate(profiles, start=1)
    )


def excellent_by_year(*, year: int | None = None) -> list[tuple[int, list[ExcellentBroker]]]:
    """Every year's excellent brokers (or one year's), newest year first, in rank order (one
    query)."""
    rows = ExcellentBroker.objects.select_related("profile__user", "profile__agency").order_by("-year", "rank")
    if year is not None:
        rows = rows.filter(year=year)
    years: dict[int, list[ExcellentBroker]] = {}
    for row in rows:
        years.setdefault(row.year, []).append(row)
    return list(years.items())


def team_workspace(team: ServiceTeam, user: User):
    """The institution's published achievements and the demands matched to them, one query per
    section (the demands shown as the viewer may see them)."""
    from achievements.enums import Status as AchievementStatus
    from achievements.models import Achievement
    from demands.rules import PUBLIC_STATUSES as DEMAND_PUBLIC
    from demands.selectors import present
    from marketplace.models import Match

    achievements = list(
        Achievement.objects.filter(organization_id=team.institution_id, status=AchievementStatus.PUBLISHED).order_by(
            "-published_at", "-id"
        )
    )
    matches = list(
        Match.objects.filter(
            achievement__organization_id=team.institution_id,
            achievement__status=AchievementStatus.PUBLISHED,
            achievement_rank__isnull=False,
            demand__status__in=DEMAND_PUBLIC,
        )
        .select_related("achievement", "demand__organization", "demand__region")
        .prefetch_related("demand__assigned_brokers", "demand__invited_organizations")
        .order_by("-score", "pk")[:200]
    )
    return achievements, [(match, present(match.demand, user)) for match in matches]


def teams_of(user: User):
    """The teams the user serves on, runs (office member) or is served by (institution member);
    every team for bureau staff."""
    from marketplace import rules as market_rules

    queryset = ServiceTeam.objects.select_related("institution", "office").annotate(broker_count=Count("brokers"))
    if market_rules.is_bureau_staff(user):
        return queryset
    organizations = list(market_rules.membership_roles(user))
    mine = ServiceTeam.objects.filter(brokers__user=user).values("pk")
    return queryset.filter(Q(office_id__in=organizations) | Q(institution_id__in=organizations) | Q(pk__in=mine))
