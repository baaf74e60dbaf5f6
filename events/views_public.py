"""The public calendar of matchmaking events: the list with its filters, the month grid, the iCal
feed, an event's page with its registration form, and registering."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from events import selectors, services
from events.calendar import calendar_for
from events.enums import EventKind, EventStatus, RegistrationStatus
from events.forms_attendee import RegistrationForm
from events.models import Event
from marketplace.models import IndustryField
from marketplace.selectors import industry_field_groups, region_children

PAGE_SIZE = 20
FEED_SIZE = 500
PRESENTING_KINDS = (EventKind.ROADSHOW, EventKind.LAUNCH)


def _querystring_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def places_left(event: Event) -> int | None:
    """Free places (capacity − confirmed), None for an event without a limit. Needs the
    `confirmed_count` annotation of the selectors."""
    if event.capacity is None:
        return None
    return max(event.capacity - event.confirmed_count, 0)


def visible_event(user, pk: int) -> Event:
    """The event with its organizers and counts, if the user may see it: a public one for
    everyone, a draft for its organizers (and bureau staff); 404 otherwise."""
    try:
        event = selectors.event_detail(pk)
    except Event.DoesNotExist:
        raise Http404 from None
    if not user.has_perm("events.view_event", event):
        raise Http404
    return event


# The calendar ------------------------------------------------------------------------------


@require_GET
def event_list(request):
    # NUL never reaches the database: PostgreSQL refuses it in a query parameter (a 500 otherwise).
    field_code = request.GET.get("field", "").replace("\x00", "").strip()[:60]
    field = IndustryField.objects.filter(code=field_code).first() if field_code else None
    region = request.GET.get("region", "")
    filters = {
        "q": request.GET.get("q", "").replace("\x00", "").strip()[:100],
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in EventKind.values else "",
        "field": field.code if field else "",
        "region": region if region.isdigit() and len(region) == 6 else "",
        "past": request.GET.get("past") == "1",
    }
    events = selectors.public_events(
        kind=filters["kind"], field=field, region=filters["region"], past=filters["past"], q=filters["q"]
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        event.places_left = places_left(event)
    today = timezone.localdate()
    context = {
        "page": page,
        "filters": filters,
        "kinds": EventKind.choices,
        "provinces": region_children(None),
        "field_groups": industry_field_groups(),
        "querystring": _querystring_without_page(request),
        "this_month": (today.year, today.month),
    }
    return render(request, "events/public/list.html", context)


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@require_GET
def month(request, year: int, month: int):
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    first, weeks = selectors.month(year, month)
    context = {
        "first": first,
        "weeks": weeks,
        "previous": _shift(first, -1),
        "next": _shift(first, 1),
        "today": timezone.localdate(),
    }
    return render(request, "events/public/month.html", context)


@require_GET
def feed(request):
    """The upcoming public events as an iCalendar feed to subscribe to."""
    events = Event.objects.upcoming().order_by("starts_at", "id")[:FEED_SIZE]
    calendar = calendar_for(events, name=_("%(market)s events") % {"market": settings.MARKET_NAME})
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="events.ics"'
    return response


@require_GET
def event_ics(request, pk: int):
    event = Event.objects.public().filter(pk=pk).first()
    if event is None:
        raise Http404
    response = HttpResponse(calendar_for([event]).to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}.ics"'
    return response


# An event's page ---------------------------------------------------------------------------


def _registration_window(event: Event) -> tuple[str, str]:
    """Whether registration is open now, as (state, message) for the page."""
    now = timezone.now()
    if event.registration_open(now):
        return "open", ""
    if event.status == EventStatus.PUBLISHED and now < event.registration_opens_at:
        return "not_yet", _("Registration opens at %(time)s.") % {
            "time": f"{timezone.localtime(event.registration_opens_at):%Y-%m-%d %H:%M}"
        }
    if event.status == EventStatus.CANCELLED:
        return "closed", ""
    return "closed", _("Registration for this event is closed.")


@require_GET
def detail(request, pk: int):
    event = visible_event(request.user, pk)
    user = request.user
    is_organizer = user.has_perm("events.change_event", event)
    registration = selectors.registration_of(event, user)
    window, window_message = _registration_window(event)
    form = None
    if window == "open" and registration is None and user.is_authenticated:
        form = RegistrationForm(user=user)
    context = {
        "event": event,
        "is_organizer": is_organizer,
        "registration": registration,
        "waitlist_position": selectors.waitlist_position(registration) if registration else None,
        "show_online_url": bool(event.online_url)
        and (is_organizer or (registration is not None and registration.status == RegistrationStatus.CONFIRMED)),
        "places_left": places_left(event),
        "agenda_lines": [line.strip() for line in event.agenda.splitlines() if line.strip()],
        "line_up": selectors.line_up(event) if event.kind in PRESENTING_KINDS else [],
        "window": window,
        "window_message": window_message,
        "form": form,
        "can_apply_to_present": event.kind in PRESENTING_KINDS and event.status == EventStatus.PUBLISHED,
    }
    return render(request, "events/public/detail.html", context)


@login_required
@require_POST
def register(request, pk: int):
    """Register for one of the user's organizations: confirmed while places last, else on the
    waiting list. A refusal (full window, registered already) is shown on the event's page."""
    event = visible_event(request.user, pk)
    form = RegistrationForm(request.POST, user=request.user)
    if not form.has_organization:
        messages.error(request, _("Events are attended for an organization. Join your organization first."))
        return redirect(event)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(event)
    try:
        registration = services.register(
            event=event, user=request.user, organization=form.chosen_organization(), note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(event)
    except PermissionDenied:
        messages.error(request, _("You are not a member of that organization."))
        return redirect(event)
    if registration.status == RegistrationStatus.CONFIRMED:
        messages.success(
            request,
            _("Your place at %(title)s is confirmed. A confirmation e-mail with a calendar file is on its way.")
            % {"title": event.title},
        )
    else:
        messages.info(
            request,
            _(
                "%(title)s is full: you are number %(position)s on the waiting list. You will hear from us when a place frees up."
            )
            % {"title": event.title, "position": selectors.waitlist_position(registration)},
        )
    return redirect("events:ticket", registration.pk)
