"""The public pages of pilot bases: the directory with capability search, a base's page, the
booking calendar of its shared equipment, and the form to request a service."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from achievements.enums import TRL
from marketplace.enums import FilePurpose
from marketplace.models import IndustryField
from marketplace.rules import membership_roles
from marketplace.selectors import active_membership, industry_field_groups, region_children
from pilots import rules as pilot_rules
from pilots import selectors, services
from pilots.enums import BaseKind, BaseLevel, FilingStatus
from pilots.forms_requests import RequestForm
from pilots.models import PilotBase

PAGE_SIZE = 20
CALENDAR_DAYS = 28


def _querystring_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _visible_base(user, pk: int) -> PilotBase:
    """The base with its fields, equipment and services, if the user may see it: a filed base
    for everyone, any other for its operator's members and bureau staff; 404 otherwise."""
    try:
        base = selectors.base_detail(pk)
    except PilotBase.DoesNotExist:
        raise Http404 from None
    if not user.has_perm("pilots.view_pilotbase", base):
        raise Http404
    return base


@require_GET
def directory(request):
    # NUL never reaches the database: PostgreSQL refuses it in a query parameter (a 500 otherwise).
    field_code = request.GET.get("field", "").replace("\x00", "").strip()[:60]
    field = IndustryField.objects.filter(code=field_code).first() if field_code else None
    region = request.GET.get("region", "")
    trl = request.GET.get("trl", "")
    filters = {
        "q": request.GET.get("q", "").replace("\x00", "").strip()[:100],
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in BaseKind.values else "",
        "level": request.GET.get("level", "") if request.GET.get("level") in BaseLevel.values else "",
        "field": field.code if field else "",
        "region": region if region.isdigit() and len(region) == 6 else "",
        "trl": int(trl) if trl.isdigit() and 1 <= int(trl) <= 9 else None,
    }
    bases = selectors.directory(
        q=filters["q"],
        kind=filters["kind"],
        level=filters["level"],
        field=field,
        region=filters["region"],
        trl=filters["trl"],
    )
    context = {
        "page": Paginator(bases, PAGE_SIZE).get_page(request.GET.get("page")),
        "filters": filters,
        "kinds": BaseKind.choices,
        "levels": BaseLevel.choices,
        "trl_levels": TRL.choices,
        "provinces": region_children(None),
        "field_groups": industry_field_groups(),
        "querystring": _querystring_without_page(request),
    }
    return render(request, "pilots/public/list.html", context)


@require_GET
def detail(request, pk: int):
    base = _visible_base(request.user, pk)
    is_operator = pilot_rules.is_operator_member(request.user, base)
    context = {
        "base": base,
        "shared_equipment": [item for item in base.equipment.all() if item.is_shared],
        "services": base.services.all(),
        "photos": services.base_files(base, FilePurpose.PHOTO).filter(is_public=True).order_by("created_at"),
        "is_operator": is_operator,
        "can_request": base.is_filed and not is_operator,
    }
    return render(request, "pilots/public/detail.html", context)


def _calendar_start(value: str) -> date:
    """The first day shown: `?start=YYYY-MM-DD`, today when missing or unreadable."""
    today = timezone.localdate()
    try:
        start = date.fromisoformat(value)
    except ValueError:
        return today
    # Two years back or ahead at most (the booking horizon), and never a date that overflows.
    return start if abs((start - today).days) <= 730 else today


@require_GET
def calendar(request, pk: int):
    """Four weeks of the shared equipment's busy slots. Who booked a slot is the operator's to
    know: only its members see the request (or the reason of a block)."""
    base = _visible_base(request.user, pk)
    start, days, bookings = selectors.calendar(base, start=_calendar_start(request.GET.get("start", "")))
    is_operator = pilot_rules.is_operator_member(request.user, base)
    rows = []
    for equipment, slots in bookings.items():
        local = [(timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at), slot) for slot in slots]
        busy_days = {
            day
            for day in days
            for begins, ends, _slot in local
            if begins.date() <= day and (ends - timedelta(microseconds=1)).date() >= day
        }
        rows.append(
            {
                "equipment": equipment,
                "days": [(day, day in busy_days) for day in days],
                "slots": [
                    {
                        "starts_at": slot.starts_at,
                        "ends_at": slot.ends_at,
                        "label": _calendar_label(slot) if is_operator else "",
                        "request": slot.request if is_operator else None,
                    }
                    for slot in slots
                ],
            }
        )
    context = {
        "base": base,
        "start": start,
        "end": days[-1],
        "days": days,
        "rows": rows,
        "previous": start - timedelta(days=CALENDAR_DAYS),
        "next": start + timedelta(days=CALENDAR_DAYS),
        "today": timezone.localdate(),
        "is_operator": is_operator,
    }
    return render(request, "pilots/public/calendar.html", context)


def _calendar_label(booking) -> str:
    if booking.request is not None:
        return booking.request.title
    return booking.note or _("Blocked")


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request, pk: int):
    """Ask a filed base for a service, for one of the user's organizations."""
    base = _visible_base(request.user, pk)
    if base.status != FilingStatus.APPROVED:
        raise Http404  # a draft or revoked base takes no requests, even from its own operator or staff
    if not membership_roles(request.user):
        return render(request, "pilots/public/request_form.html", {"base": base, "no_organization": True})
    membership = active_membership(request)
    form = RequestForm(
        request.POST or None,
        base=base,
        user=request.user,
        organization=membership.organization if membership else None,
        initial={"service": request.GET.get("service")} if request.method == "GET" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_submit(
                user=request.user, organization=form.chosen_organization(), base=base, **form.service_fields()
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied:
            form.add_error(None, _("You are not a member of that organization."))
        else:
            messages.success(request, _("Your request has been sent to %(base)s.") % {"base": base.name})
            return redirect(created)
    return render(request, "pilots/public/request_form.html", {"base": base, "form": form})
