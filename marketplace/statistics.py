"""The bureau's statistics console: figures over registered technology contracts (pure reads).

Every figure counts REGISTERED contracts (status `registered`) by their registration time
(`registered_at`, read in Asia/Shanghai), narrowed by a `StatsFilter`. Each function runs a
fixed, small number of queries: the grouping and the sums happen in the database, never row by
row. Money is Decimal in 元, to the cent; shares are Decimal fractions (0.4523 is 45.23 %),
None when there is nothing to divide by.

Cuts that look at a contract's parties (region, kind) attribute each contract to its FIRST
party in the role asked (the lowest id, i.e. the first one named on the form), so a contract
with two buyers is counted once and the rows add up to the totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Count, DecimalField, Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Substr, TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import gettext_lazy as _

from marketplace.enums import (
    ContractCategory,
    LegalEntityKind,
    OrganizationKind,
    PartyRole,
    RegistrationStatus,
)
from marketplace.forms.base import MarketForm
from marketplace.models import ContractParty, ContractRegistration, IndustryField, Organization, Region
from marketplace.models.statistics import TargetMetric, YearlyTarget

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
SHARE = Decimal("0.0001")
ZERO = Decimal("0")
GRANULARITIES = ("month", "quarter", "year")
ROLES = (PartyRole.BUYER, PartyRole.SELLER)


# Filters -------------------------------------------------------------------------------------


# Registration dates outside these years are refused (Django's own message): they would only
# overflow the time-zone arithmetic.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class CodeChoiceField(forms.ModelChoiceField):
    """A row chosen by its code; a value the database cannot even compare (a NUL character) is an
    invalid choice like any unknown code."""

    def to_python(self, value):
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class StatsFilterForm(MarketForm):
    """The console's filter form (and the API's query parameters); Django's own messages are
    already in Chinese."""

    date_from = _date_field(_("Registered from"))
    date_to = _date_field(_("Registered until"))
    category = forms.ChoiceField(
        label=_("contract category"), required=False, choices=[("", "---------"), *ContractCategory.choices]
    )
    field = CodeChoiceField(
        label=_("industry field"),
        required=False,
        queryset=IndustryField.objects.select_related("parent").order_by("parent__position", "position", "code"),
        to_field_name="code",
    )
    region = CodeChoiceField(
        label=_("region"),
        required=False,
        queryset=Region.objects.all(),
        to_field_name="code",
        widget=forms.TextInput(attrs={"placeholder": "370200", "maxlength": 6, "inputmode": "numeric"}),
        help_text=_("A province, city or district code (GB/T 2260), e.g. 370200."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The period must end on or after its first day."))
        return data


@dataclass(frozen=True)
class StatsFilter:
    """Which registered contracts a figure counts.

    - date_from / date_to: inclusive dates of registration, in Asia/Shanghai;
    - category: a ContractCategory value;
    - field: an IndustryField; a top-level field takes in its children;
    - region: a Region; a contract is in it when its seller or its buyer party is registered
      in that province, city or district (prefix of the GB/T 2260 code by the region's level).
    """

    date_from: date | None = None
    date_to: date | None = None
    category: str | None = None
    field: IndustryField | None = None
    region: Region | None = None

    @classmethod
    def from_query(cls, params: Mapping | None) -> StatsFilter:
        """The filter from query parameters (date_from, date_to, category, field, region);
        ValidationError (a message per parameter) for bad input."""
        return cls.from_form(StatsFilterForm(data=cls.params(params)))

    @staticmethod
    def params(params: Mapping | None) -> dict[str, str]:
        """The filter's parameters among `params` (missing ones empty)."""
        return {name: (params or {}).get(name, "") for name in StatsFilterForm.base_fields}

    @classmethod
    def from_form(cls, form: StatsFilterForm) -> StatsFilter:
        """The filter from a bound form; ValidationError with the form's messages if invalid."""
        if not form.is_valid():
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        data = form.cleaned_data
        return cls(
            date_from=data["date_from"],
            date_to=data["date_to"],
            category=data["category"] or None,
            field=data["field"],
            region=data["region"],
        )

    def as_query(self) -> dict[str, str]:
        """The filter as query parameters (links to the exports keep the filters)."""
        values = {
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "category": self.category or "",
            "field": self.field.code if self.field else "",
            "region": self.region.code if self.region else "",
        }
        return {name: value for name, value in values.items() if value}

    @property
    def year(self) -> int:
        """The year the console's targets are shown for: the end of the range, else this year."""
        from django.utils import timezone

        return (self.date_to or timezone.localdate()).year


def region_prefix(code: str) -> str:
    """The code prefix every division inside `code` shares: 37 for a province (370000), 3702
    for a city (370200), the whole code for a district."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def registered(f: StatsFilter | None = None) -> QuerySet[ContractRegistration]:
    """The registered contracts the filter selects."""
    f = f or StatsFilter()
    queryset = ContractRegistration.objects.filter(status=RegistrationStatus.REGISTERED, registered_at__isnull=False)
    if f.date_from:
        queryset = queryset.filter(registered_at__gte=_start_of(f.date_from))
    if f.date_to:
        queryset = queryset.filter(registered_at__lt=_start_of(f.date_to + timedelta(days=1)))
    if f.category:
        queryset = queryset.filter(category=f.category)
    if f.field is not None:
        if f.field.parent_id is None:
            queryset = queryset.filter(Q(industry_field=f.field) | Q(industry_field__parent=f.field))
        else:
            queryset = queryset.filter(industry_field=f.field)
    if f.region is not None:
        inside = ContractParty.objects.filter(
            registration=OuterRef("pk"), role__in=ROLES, region__code__startswith=region_prefix(f.region.code)
        )
        queryset = queryset.filter(Exists(inside))
    return queryset.order_by()


# Result rows ---------------------------------------------------------------------------------


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def share(part, whole) -> Decimal | None:
    """part / whole as a fraction to four places (None when whole is zero)."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(SHARE, rounding=ROUND_HALF_UP)


@dataclass
class Row:
    """One line of a cut: its key (a code), its label, the contracts and their amounts."""

    key: str
    label: str
    count: int = 0
    total_amount: Decimal = ZERO
    technology_amount: Decimal = ZERO
    extra: dict = dataclass_field(default_factory=dict)


@dataclass
class Totals:
    count: int
    total_amount: Decimal
    technology_amount: Decimal


def _sums():
    return {
        "n": Count("pk"),
        "total": Sum("total_amount"),
        "technology": Sum("technology_amount"),
    }


def _row(key, label, values: dict, **extra) -> Row:
    return Row(
        key=str(key),
        label=str(label),
        count=values.get("n") or 0,
        total_amount=money(values.get("total")),
        technology_amount=money(values.get("technology")),
        extra=extra,
    )


def totals(f: StatsFilter | None = None) -> Totals:
    """Registered contracts, contract turnover and technology transaction amount (one query)."""
    values = registered(f).aggregate(**_sums())
    return Totals(count=values["n"], total_amount=money(values["total"]), technology_amount=money(values["technology"]))


TRUNC = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


def period_label(moment: date | datetime, granularity: str) -> str:
    if granularity == "year":
        return f"{moment.year}"
    if granularity == "quarter":
        return f"{moment.year}Q{(moment.month - 1) // 3 + 1}"
    return f"{moment.year}-{moment.month:02d}"


def by_period(f: StatsFilter | None = None, granularity: str = "month") -> list[Row]:
    """Per month (2026-03), quarter (2026Q1) or year (2026) of registration, in Asia/Shanghai,
    oldest first; periods without a contract are left out (one query)."""
    if granularity not in TRUNC:
        raise ValidationError({"granularity": [_("Choose month, quarter or year.")]})
    rows = (
        registered(f)
        .annotate(period=TRUNC[granularity]("registered_at", tzinfo=SHANGHAI))
        .values("period")
        .annotate(**_sums())
        .order_by("period")
    )
    result = []
    for values in rows:
        label = period_label(values["period"].astimezone(SHANGHAI), granularity)
        result.append(_row(label, label, values))
    return result


def by_category(f: StatsFilter | None = None) -> list[Row]:
    """Per contract category, every category listed in the form's order (one query)."""
    found = {values["category"]: values for values in registered(f).values("category").annotate(**_sums())}
    return [_row(value, label, found.get(value, {})) for value, label in ContractCategory.choices]


def by_field(f: StatsFilter | None = None) -> list[Row]:
    """Per top-level industry field (a child field counts for its parent), by turnover; contracts
    without a field last, as "Not classified" (one query)."""
    rows = (
        registered(f)
        .annotate(
            top_code=Coalesce(F("industry_field__parent__code"), F("industry_field__code")),
            top_name=Coalesce(F("industry_field__parent__name"), F("industry_field__name")),
        )
        .values("top_code", "top_name")
        .annotate(**_sums())
    )
    result = [_row(values["top_code"] or "", values["top_name"] or _("Not classified"), values) for values in rows]
    return sorted(result, key=lambda row: (not row.key, -row.total_amount, -row.count, row.key))


def _first_party(role: str, path: str):
    """The value at `path` of the contract's first party in `role` (correlated subquery)."""
    parties = ContractParty.objects.filter(registration=OuterRef("pk"), role=role).order_by("pk")
    return Subquery(parties.values(path)[:1])


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError({"role": [_("Choose buyer or seller.")]})


def by_region(f: StatsFilter | None = None, role: str = PartyRole.BUYER) -> list[Row]:
    """Per city (GB/T 2260 code's first four digits + 00) of the contract's first buyer (or
    seller) party, by turnover, with the city's full name; contracts without a party in that role
    last (two queries: the figures, the names)."""
    _check_role(role)
    rows = list(
        registered(f).annotate(city=Substr(_first_party(role, "region_id"), 1, 4)).values("city").annotate(**_sums())
    )
    codes = [f"{values['city']}00" for values in rows if values["city"]]
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "full_name")) if codes else {}
    result = []
    for values in rows:
        code = f"{values['city']}00" if values["city"] else ""
        result.append(_row(code, names.get(code, code) if code else _("Not stated"), values))
    return sorted(result, key=lambda row: (not row.key, -row.total_amount, -row.count, row.key))


def by_kind(f: StatsFilter | None = None, role: str = PartyRole.BUYER) -> list[Row]:
    """Per kind of the contract's first buyer (or seller) party. The cut is the party's legal
    form on the registration form (主体性质: enterprise, public institution…), which every party
    has; each row also says how many of those parties are organizations on the platform, split by
    their organization kind (`extra["organization_kinds"]`: {kind label: count}, "Not on the
    platform" for parties not linked). One query."""
    _check_role(role)
    rows = (
        registered(f)
        .annotate(
            legal_form=_first_party(role, "legal_entity_kind"),
            organization_kind=_first_party(role, "organization__kind"),
        )
        .values("legal_form", "organization_kind")
        .annotate(**_sums())
    )
    grouped: dict[str, Row] = {}
    for values in rows:
        legal_form = values["legal_form"] or ""
        label = LegalEntityKind(legal_form).label if legal_form in LegalEntityKind.values else _("Not stated")
        row = grouped.setdefault(legal_form, Row(key=legal_form, label=str(label), extra={"organization_kinds": {}}))
        row.count += values["n"]
        row.total_amount += money(values["total"])
        row.technology_amount += money(values["technology"])
        kind = values["organization_kind"]
        kind_label = str(OrganizationKind(kind).label if kind in OrganizationKind.values else _("Not on the platform"))
        kinds = row.extra["organization_kinds"]
        kinds[kind_label] = kinds.get(kind_label, 0) + values["n"]
    order = {value: position for position, value in enumerate(LegalEntityKind.values)}
    return sorted(grouped.values(), key=lambda row: order.get(row.key, len(order)))


@dataclass
class LocalConversion:
    """Local conversion (本地转化率), see `local_conversion`."""

    region_code: str
    local_sellers: int
    local_buyers: int
    seller_amount: Decimal
    local_amount: Decimal

    @property
    def rate_by_count(self) -> Decimal | None:
        return share(self.local_buyers, self.local_sellers)

    @property
    def rate_by_amount(self) -> Decimal | None:
        return share(self.local_amount, self.seller_amount)


def _inside(role: str, prefix: str) -> Exists:
    return Exists(ContractParty.objects.filter(registration=OuterRef("pk"), role=role, region__code__startswith=prefix))


def local_conversion(f: StatsFilter | None = None) -> LocalConversion:
    """The local conversion rate: among the registered contracts whose technology comes from
    the market's own region (a SELLER party inside settings.MARKET_REGION_CODE, by the prefix of
    its level: 370200 takes in every 3702xx district), the share whose technology stays there
    (a BUYER party inside it too) — by number of contracts, and by technology transaction amount
    (their technology amount over that of all locally supplied contracts). One query."""
    code = settings.MARKET_REGION_CODE
    prefix = region_prefix(code)
    local_seller = registered(f).filter(_inside(PartyRole.SELLER, prefix))
    local_buyer = Q(_inside(PartyRole.BUYER, prefix))
    values = local_seller.aggregate(
        sellers=Count("pk"),
        buyers=Count("pk", filter=local_buyer),
        seller_amount=Sum("technology_amount"),
        local_amount=Sum("technology_amount", filter=local_buyer),
    )
    return LocalConversion(
        region_code=code,
        local_sellers=values["sellers"],
        local_buyers=values["buyers"],
        seller_amount=money(values["seller_amount"]),
        local_amount=money(values["local_amount"]),
    )


def subsidy_rate() -> Decimal:
    return Decimal(str(getattr(settings, "STATISTICS", {}).get("AGENCY_SUBSIDY_RATE", "0.02")))


@dataclass
class AgencySubsidy:
    organization: Organization
    contracts: int
    technology_amount: Decimal
    rate: Decimal

    @property
    def subsidy(self) -> Decimal:
        return (self.rate * self.technology_amount).quantize(CENT, rounding=ROUND_HALF_UP)


def agency_subsidies(f: StatsFilter | None = None, rate: Decimal | None = None) -> list[AgencySubsidy]:
    """The transfer-agency subsidy report (奖补): for each organization of kind transfer_agency
    named as an INTERMEDIARY party of registered contracts (the party linked to it on the
    platform — the legal form alone cannot tell a transfer agency), its contracts (each counted
    once, even if the agency is named twice), their technology transaction amount and the
    subsidy = rate × that amount, rounded to the cent. The rate defaults to
    settings.STATISTICS["AGENCY_SUBSIDY_RATE"] (2 %, env STATS_AGENCY_SUBSIDY_RATE). By subsidy,
    largest first. One query."""
    rate = subsidy_rate() if rate is None else Decimal(str(rate))
    named = ContractParty.objects.filter(
        registration=OuterRef("pk"), role=PartyRole.INTERMEDIARY, organization_id=OuterRef(OuterRef("pk"))
    )
    contracts = registered(f).filter(Exists(named))
    # Correlated COUNT / SUM without GROUP BY (the filter already correlates), as in
    # brokers.services_rewards.
    counted = contracts.annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]
    summed = contracts.annotate(s=Func(F("technology_amount"), function="SUM")).values("s")[:1]
    agencies = (
        Organization.objects.filter(kind=OrganizationKind.TRANSFER_AGENCY)
        .annotate(
            contracts=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
            amount=Subquery(summed, output_field=DecimalField(max_digits=16, decimal_places=2)),
        )
        .filter(contracts__gt=0)
        .order_by("name", "pk")
    )
    result = [
        AgencySubsidy(
            organization=agency, contracts=agency.contracts, technology_amount=money(agency.amount), rate=rate
        )
        for agency in agencies
    ]
    return sorted(result, key=lambda row: -row.technology_amount)


# Yearly targets ------------------------------------------------------------------------------


def _year_range(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=SHANGHAI), datetime(year + 1, 1, 1, tzinfo=SHANGHAI)


def _in_year(year: int) -> StatsFilter:
    return StatsFilter(date_from=date(year, 1, 1), date_to=date(year, 12, 31))


def _linked_demands(year: int) -> int:
    """Distinct demands that, during the year (Asia/Shanghai), got at least one of: a response
    from a solver (not withdrawn), a stored match marked "contacted" by someone it was shown
    to, a broker's engagement, or a deal started on them. One query."""
    from brokers.models import Engagement
    from demands.enums import ResponseStatus
    from demands.models import Demand, DemandResponse
    from marketplace.enums import MatchVerdict
    from marketplace.models import Deal, MatchFeedback

    start, end = _year_range(year)
    during = {"created_at__gte": start, "created_at__lt": end}
    demand = OuterRef("pk")
    linked = (
        Q(Exists(DemandResponse.objects.filter(demand=demand, **during).exclude(status=ResponseStatus.WITHDRAWN)))
        | Q(Exists(MatchFeedback.objects.filter(match__demand=demand, verdict=MatchVerdict.CONTACTED, **during)))
        | Q(Exists(Engagement.objects.filter(demand=demand, **during)))
        | Q(Exists(Deal.objects.filter(demand=demand, **during)))
    )
    return Demand.objects.filter(linked).count()


def _events_held(year: int) -> int:
    """Events held or reported that started in the year (as events.selectors.yearly_counts)."""
    from events.enums import EventStatus
    from events.models import Event

    start, end = _year_range(year)
    return Event.objects.filter(
        status__in=[EventStatus.HELD, EventStatus.REPORTED], starts_at__gte=start, starts_at__lt=end
    ).count()


def _brokers_trained(year: int) -> int:
    """Distinct brokers who completed a course in the year."""
    from brokers.models import Enrolment

    return Enrolment.objects.filter(completed_on__year=year).values("profile").distinct().count()


def _major_achievements(year: int) -> int:
    """Distinct achievements featured in an issue of the featured-achievements publication
    (好成果发布) published in the year."""
    from achievements.enums import FeaturedIssueStatus
    from achievements.models import FeaturedItem

    start, end = _year_range(year)
    return (
        FeaturedItem.objects.filter(
            issue__status=FeaturedIssueStatus.PUBLISHED, issue__published_at__gte=start, issue__published_at__lt=end
        )
        .values("achievement")
        .distinct()
        .count()
    )


def _industry_projects(year: int) -> int:
    """Deals whose contract was signed in the year (signed or later, failed ones excepted)."""
    from marketplace.enums import DealStage
    from marketplace.models import Deal

    return Deal.objects.filter(signed_on__year=year).exclude(stage=DealStage.FAILED).count()


def actual(metric: str, year: int) -> Decimal:
    """The year's actual figure for a target metric (one query)."""
    if metric in (TargetMetric.CONTRACT_TURNOVER, TargetMetric.TECHNOLOGY_AMOUNT, TargetMetric.REGISTERED_CONTRACTS):
        figures = totals(_in_year(year))
        return {
            TargetMetric.CONTRACT_TURNOVER: figures.total_amount,
            TargetMetric.TECHNOLOGY_AMOUNT: figures.technology_amount,
            TargetMetric.REGISTERED_CONTRACTS: Decimal(figures.count),
        }[metric]
    counters = {
        TargetMetric.LINKED_DEMANDS: _linked_demands,
        TargetMetric.EVENTS_HELD: _events_held,
        TargetMetric.BROKERS_TRAINED: _brokers_trained,
        TargetMetric.MAJOR_ACHIEVEMENTS: _major_achievements,
        TargetMetric.INDUSTRY_PROJECTS: _industry_projects,
    }
    return Decimal(counters[metric](year))


@dataclass
class TargetProgress:
    target: YearlyTarget
    actual: Decimal

    @property
    def metric(self) -> str:
        return self.target.metric

    @property
    def label(self) -> str:
        return str(self.target.get_metric_display())

    @property
    def is_money(self) -> bool:
        return self.target.metric in TargetMetric.money()

    @property
    def share(self) -> Decimal | None:
        return share(self.actual, self.target.target)

    @property
    def bar_value(self) -> Decimal:
        """The actual, capped at the target (for <progress>)."""
        return min(self.actual, self.target.target)


def targets_progress(year: int) -> list[TargetProgress]:
    """Each target set for the year with its actual and the share reached (one query for the
    targets, then one per target: at most nine)."""
    targets = list(YearlyTarget.objects.filter(year=year).order_by("metric"))
    order = {value: position for position, value in enumerate(TargetMetric.values)}
    targets.sort(key=lambda target: order.get(target.metric, len(order)))
    return [TargetProgress(target=target, actual=actual(target.metric, year)) for target in targets]
