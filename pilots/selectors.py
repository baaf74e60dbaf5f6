"""Reads about pilot bases: the directory with capability search, suggestions through matching,
calendars and each party's requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from marketplace import matching, search
from marketplace.rules import membership_roles
from pilots.enums import RequestStatus
from pilots.models import Booking, Equipment, PilotBase, PilotService, ServiceRequest

# Achievements at these levels are past the laboratory and not yet in production: ready for a pilot.
SUGGEST_TRL = range(4, 7)


def directory(*, q: str = "", kind: str = "", level: str = "", field=None, region: str = "", trl=None) -> QuerySet:
    """Filed bases, filtered; `q` searches names, processes, equipment and services (segmented),
    `trl` keeps the bases whose range serves that level."""
    bases = PilotBase.objects.filed().select_related("operator", "region").prefetch_related("industry_fields")
    if kind:
        bases = bases.filter(kind=kind)
    if level:
        bases = bases.filter(level=level)
    if field is not None:
        bases = bases.filter(Q(industry_fields=field) | Q(industry_fields__parent=field)).distinct()
    if region:  # a province, a city or a district code: the bases inside it
        prefix = region[:2] if region.endswith("0000") else region[:4] if region.endswith("00") else region
        bases = bases.filter(region__code__startswith=prefix)
    if trl:
        bases = bases.filter(trl_min__lte=trl, trl_max__gte=trl)
    bases = bases.annotate(equipment_count=Count("equipment", filter=Q(equipment__is_shared=True), distinct=True))
    if q:
        return search.narrow(bases, q).order_by("-search_relevance", "-approved_at", "-id")
    return bases.order_by("-approved_at", "-id")


def base_detail(pk: int) -> PilotBase:
    return (
        PilotBase.objects.select_related("operator", "region")
        .prefetch_related(
            "industry_fields",
            Prefetch("equipment", queryset=Equipment.objects.order_by("name", "id")),
            Prefetch("services", queryset=PilotService.objects.order_by("name", "id")),
        )
        .get(pk=pk)
    )


@dataclass
class Suggestion:
    base: PilotBase
    ranked: matching.Ranked

    @property
    def score(self) -> float:
        return self.ranked.score


def suggestions_for_achievement(achievement, *, limit: int = 5) -> list[Suggestion]:
    """Filed bases whose fields and processes fit an achievement ready for a pilot (TRL 4–6) and
    whose TRL range covers its level, best first. Empty for other levels or a non-public listing."""
    if achievement.trl not in SUGGEST_TRL:
        return []
    ranked = matching.match_listing(achievement, "pilot_base", limit=limit * 3)
    bases = (
        PilotBase.objects.filed()
        .filter(pk__in=[r.profile.pk for r in ranked], trl_min__lte=achievement.trl, trl_max__gte=achievement.trl)
        .select_related("operator", "region")
        .in_bulk()
    )
    found = [Suggestion(bases[r.profile.pk], r) for r in ranked if r.profile.pk in bases]
    return found[:limit]


def achievements_for_base(base: PilotBase, *, limit: int = 10) -> list[matching.Ranked]:
    """Public achievements within the base's TRL range that fit what it runs (the operator's lead list)."""
    ranked = matching.match_listing(base, "achievement", limit=limit * 3)
    return [r for r in ranked if r.profile.trl is None or base.trl_min <= r.profile.trl <= base.trl_max][:limit]


def requests_for(user, *, side: str, status: str = "") -> QuerySet:
    """Service requests of the user's organizations: those they made ("requester") or those made
    to their bases ("operator")."""
    organizations = list(membership_roles(user))
    requests = ServiceRequest.objects.select_related("base", "organization", "service")
    if side == "operator":
        requests = requests.filter(base__operator_id__in=organizations)
    else:
        requests = requests.filter(organization_id__in=organizations)
    if status == "open":
        requests = requests.filter(status__in=RequestStatus.open_values())
    elif status:
        requests = requests.filter(status=status)
    return requests.order_by("-updated_at", "-id")


def calendar(base: PilotBase, *, start: date | None = None, days: int = 28) -> tuple[date, list[date], dict]:
    """The bookable equipment's live bookings over `days` from `start` (today by default):
    (start, the days, {equipment: [bookings]})."""
    start = start or timezone.localdate()
    begin = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    end = begin + timedelta(days=days)
    bookings = Booking.objects.filter(is_active=True, starts_at__lt=end, ends_at__gt=begin).select_related("request")
    equipment = list(
        base.equipment.filter(is_shared=True)
        .order_by("name", "id")
        .prefetch_related(Prefetch("bookings", queryset=bookings, to_attr="upcoming"))
    )
    return start, [start + timedelta(days=n) for n in range(days)], {e: e.upcoming for e in equipment}
