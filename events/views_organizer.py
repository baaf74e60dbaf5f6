"""The organizer's pages: the events they organize, the event form, the management page of one
event (status, registrations, roadshow line-up, letters of intent, figures), check-in at the door,
the registrations as Excel, the post-event report and the yearly counts against the target.
An event the user does not organize does not exist here (404)."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from events import selectors, services
from events.enums import EventKind, EventStatus, PresentationStatus, RegistrationStatus
from events.forms import (
    CheckInForm,
    EventForm,
    IntentForm,
    ReasonForm,
    ReportForm,
    ScheduleForm,
    verified_organizations,
)
from events.models import Event, Presentation, Registration
from events.rules import organizing_organization_ids
from marketplace import rules as market_rules
from marketplace.models import Organization
from marketplace.permissions import object_or_404

YEARS_SHOWN = 6
EDITABLE = (EventStatus.DRAFT, EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED)
# The transition buttons: action slug → the status it moves to (and from which statuses the
# button applies: "publish" starts a draft, "reopen" follows a closed registration).
ACTIONS = {
    "publish": (EventStatus.PUBLISHED, {EventStatus.DRAFT}),
    "close": (EventStatus.REGISTRATION_CLOSED, {EventStatus.PUBLISHED}),
    "reopen": (EventStatus.PUBLISHED, {EventStatus.REGISTRATION_CLOSED}),
    "held": (EventStatus.HELD, {EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED}),
    "report": (EventStatus.REPORTED, {EventStatus.HELD}),
    "cancel": (EventStatus.CANCELLED, {EventStatus.DRAFT, EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED}),
}


def _refusal(exc: Exception) -> str:
    """The Chinese reason of a refused service call, for a message."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return _("Your role does not allow this.")


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _manage_url(event_id: int, anchor: str = "") -> str:
    return reverse("events:manage", args=[event_id]) + (f"#{anchor}" if anchor else "")


def _can_organize(user) -> bool:
    return user.has_perm("events.add_event")


# Look-ups: what the user organizes, 404 for everything else -------------------------------------


def _own_event(request, pk: int) -> Event:
    queryset = Event.objects.select_related("organizer", "region")
    return object_or_404(request.user, "events.change_event", queryset, pk=pk)


def _own_presentation(request, pk: int) -> Presentation:
    presentation = get_object_or_404(Presentation.objects.select_related("event", "achievement", "organization"), pk=pk)
    if not request.user.has_perm("events.change_event", presentation.event):
        raise Http404
    return presentation


def _organized_events(user):
    """Every event the user organizes: all of them for event-organizer staff, else those of the
    user's organizations; with the registration counts in the same query."""
    events = Event.objects.all()
    if not market_rules.is_event_organizer(user):
        events = events.filter(organizer_id__in=list(market_rules.membership_roles(user)))
    return (
        events.select_related("organizer")
        .annotate(
            confirmed_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)),
            waitlist_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
            checked_in_count=Count("registrations", filter=Q(registrations__checked_in_at__isnull=False)),
        )
        .order_by("-starts_at", "-id")
    )


def _organizer_choices(user):
    """Whom a new event may be organized by: any verified organization for event-organizer staff,
    else the verified agencies of the user."""
    if market_rules.is_event_organizer(user):
        return verified_organizations()
    return Organization.objects.filter(pk__in=organizing_organization_ids(user)).order_by("name", "id")


# The events ---------------------------------------------------------------------------------


@login_required
@require_GET
def organized(request):
    """The events the user organizes, in every status, latest first."""
    can_organize = _can_organize(request.user)
    events = list(_organized_events(request.user))
    if not can_organize and not events:
        raise Http404
    context = {"events": events, "can_organize": can_organize, "now": timezone.now()}
    return render(request, "events/organizer/organized.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request):
    if not _can_organize(request.user):
        raise Http404
    organizers = _organizer_choices(request.user)
    form = EventForm(request.POST or None, organizers=organizers)
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(user=request.user, organizer=form.chosen_organizer(), **form.service_fields())
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("The event is saved as a draft. Publish it when it is ready."))
            return redirect("events:manage", event.pk)
    return render(request, "events/organizer/event_form.html", {"form": form, "event": None})


@login_required
@require_http_methods(["GET", "POST"])
def edit(request, pk: int):
    event = _own_event(request, pk)
    if event.status not in EDITABLE:
        messages.error(request, _("A past or cancelled event is no longer edited."))
        return redirect("events:manage", event.pk)
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(event=event, user=request.user, **form.service_fields())
        except ValidationError as exc:
            form.add_service_error(exc)
            event.refresh_from_db()
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Saved."))
            return redirect("events:manage", event.pk)
    return render(request, "events/organizer/event_form.html", {"form": form, "event": event})


def _transitions(event: Event) -> list[str]:
    """The action slugs the event's status allows now."""
    return [
        action
        for action, (target, sources) in ACTIONS.items()
        if event.status in sources and services.LIFECYCLE.can(event.status, target)
    ]


@login_required
@require_GET
def manage(request, pk: int):
    """Everything the organizer does with one event, on one page."""
    try:
        event = selectors.event_detail(pk)
    except Event.DoesNotExist as exc:
        raise Http404 from exc
    if not request.user.has_perm("events.change_event", event):
        raise Http404
    registrations = list(event.registrations.select_related("user", "organization").order_by("created_at", "id"))
    presentations = list(
        event.presentations.exclude(status=PresentationStatus.WITHDRAWN)
        .select_related("achievement", "organization")
        .order_by("created_at", "id")
    )
    intents = list(
        event.intents.select_related("seller", "buyer", "achievement", "demand", "deal").order_by("-created_at", "-id")
    )
    context = {
        "event": event,
        "actions": _transitions(event),
        "editable": event.status in EDITABLE,
        "confirmed": [r for r in registrations if r.status == RegistrationStatus.CONFIRMED],
        "waitlisted": [r for r in registrations if r.status == RegistrationStatus.WAITLISTED],
        "cancelled": [r for r in registrations if r.status == RegistrationStatus.CANCELLED],
        "registrations_open": event.status
        in (EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED, EventStatus.DRAFT),
        "presentations": presentations,
        "line_up": list(selectors.line_up(event)),
        "intents": intents,
        "intent_form": IntentForm(event=event),
        "takes_intents": event.status
        in (EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED, EventStatus.HELD, EventStatus.REPORTED),
        "figures": selectors.report_figures(event),
        "report_form": ReportForm(),
        "reason_form": ReasonForm(),
    }
    return render(request, "events/organizer/manage.html", context)


@login_required
@require_POST
def transition(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    event = _own_event(request, pk)
    user = request.user
    try:
        if action == "publish":
            services.event_publish(event=event, user=user)
            done = _("The event is published: it is in the calendar now.")
        elif action == "close":
            services.event_close_registration(event=event, user=user)
            done = _("Registration is closed.")
        elif action == "reopen":
            services.event_reopen_registration(event=event, user=user)
            done = _("Registration is open again.")
        elif action == "held":
            services.event_mark_held(event=event, user=user)
            done = _("The event is marked as held. Write the post-event report.")
        elif action == "report":
            form = ReportForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_form_errors(form))
            services.event_report(event=event, user=user, report=form.cleaned_data["report"])
            done = _("The report is saved.")
        else:
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Please give a reason."))
            services.event_cancel(event=event, user=user, reason=form.cleaned_data["reason"])
            done = _("The event is cancelled; the registered people are told.")
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, done)
    return redirect("events:manage", event.pk)


# Registrations and check-in -----------------------------------------------------------------


def registrations_workbook(event: Event) -> bytes:
    """The event's registrations (every status) as an Excel workbook."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Registrations")
    sheet.append(
        [_("Name"), _("Organization"), _("Status"), pgettext("event sign-up", "Registered at"), _("Checked in at")]
    )
    registrations = event.registrations.select_related("user", "organization").order_by("created_at", "id")
    for registration in registrations:
        checked_in = registration.checked_in_at
        sheet.append(
            [
                registration.user.get_full_name(),
                registration.organization.name,
                str(registration.get_status_display()),
                f"{timezone.localtime(registration.created_at):%Y-%m-%d %H:%M}",
                f"{timezone.localtime(checked_in):%Y-%m-%d %H:%M}" if checked_in else "",
            ]
        )
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@login_required
@require_GET
def registrations_export(request, pk: int):
    event = _own_event(request, pk)
    response = HttpResponse(
        registrations_workbook(event),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-registrations.xlsx"'
    return response


def _token(value: str) -> str:
    """The ticket code, whether the scanner read the bare code or the ticket's check-in link."""
    value = (value or "").strip()
    if "token=" in value:
        found = parse_qs(urlsplit(value).query).get("token")
        if found:
            return found[0].strip()
    return value


def _ticket(event: Event, token: str) -> Registration:
    """The registration a ticket code names, for the confirmation screen (nothing is written);
    services.check_in checks again when the organizer confirms."""
    try:
        data = signing.loads(token, salt=services.CHECK_IN_SALT)
    except signing.BadSignature as error:
        raise ValidationError(_("This is not a valid ticket of the market.")) from error
    if not isinstance(data, dict) or data.get("e") != event.pk:
        raise ValidationError(_("This ticket is for another event."))
    registration = (
        Registration.objects.filter(pk=data.get("r"), event=event).select_related("user", "organization").first()
    )
    if registration is None:
        raise ValidationError(_("This registration is not confirmed."))
    return registration


def _attendance(event: Event) -> dict:
    return event.registrations.aggregate(
        confirmed=Count("pk", filter=Q(status=RegistrationStatus.CONFIRMED)),
        checked_in=Count("pk", filter=Q(status=RegistrationStatus.CONFIRMED, checked_in_at__isnull=False)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def check_in(request, pk: int):
    """The door: a scanned ticket (?token=) shows the attendee and a confirm button; the form
    takes a code pasted from a scanner."""
    event = _own_event(request, pk)
    attendee = None
    error = ""
    if request.method == "POST":
        form = CheckInForm(request.POST)
        if form.is_valid():
            try:
                registration = services.check_in(
                    event=event, token=_token(form.cleaned_data["token"]), user=request.user
                )
            except PermissionDenied as exc:
                raise Http404 from exc
            except ValidationError as exc:
                form.add_error("token", _refusal(exc))
            else:
                messages.success(
                    request,
                    _("%(name)s (%(organization)s) is checked in.")
                    % {"name": registration.user.get_full_name(), "organization": registration.organization.name},
                )
                return redirect("events:check-in", event.pk)
    else:
        token = _token(request.GET.get("token", ""))
        form = CheckInForm(initial={"token": token} if token else None)
        if token:
            try:
                attendee = _ticket(event, token)
            except ValidationError as exc:
                error = _refusal(exc)
    context = {"event": event, "form": form, "attendee": attendee, "error": error, **_attendance(event)}
    return render(request, "events/organizer/check_in.html", context)


# Roadshow line-up ---------------------------------------------------------------------------


@login_required
@require_POST
def presentation_schedule(request, pk: int):
    presentation = _own_presentation(request, pk)
    form = ScheduleForm(request.POST)
    anchor = f"presentation-{presentation.pk}"
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_manage_url(presentation.event_id, anchor))
    try:
        services.presentation_schedule(
            presentation=presentation,
            user=request.user,
            starts_at=form.cleaned_data["slot_starts_at"],
            ends_at=form.cleaned_data["slot_ends_at"],
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("“%(title)s” is in the line-up.") % {"title": presentation.achievement.title})
    return redirect(_manage_url(presentation.event_id, anchor))


@login_required
@require_POST
def presentation_reject(request, pk: int):
    presentation = _own_presentation(request, pk)
    anchor = f"presentation-{presentation.pk}"
    try:
        services.presentation_reject(
            presentation=presentation, user=request.user, reason=request.POST.get("reason", "")
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("“%(title)s” is not selected.") % {"title": presentation.achievement.title})
    return redirect(_manage_url(presentation.event_id, anchor))


# Outcomes -----------------------------------------------------------------------------------


@login_required
@require_POST
def intent_new(request, pk: int):
    event = _own_event(request, pk)
    form = IntentForm(request.POST, event=event)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_manage_url(event.pk, "intents"))
    data = form.cleaned_data
    try:
        intent = services.intent_record(
            event=event,
            user=request.user,
            seller=data["seller"],
            buyer=data["buyer"],
            title=data["title"],
            achievement=data["achievement"],
            demand=data["demand"],
            amount=data["amount"],
            note=data["note"],
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("The letter of intent “%(title)s” is recorded.") % {"title": intent.title})
    return redirect(_manage_url(event.pk, "intents"))


@login_required
@require_GET
def report(request, pk: int):
    """The post-event report, for the organizer and for bureau staff."""
    event = get_object_or_404(Event.objects.select_related("organizer", "region"), pk=pk)
    if not (request.user.has_perm("events.change_event", event) or market_rules.is_bureau_staff(request.user)):
        raise Http404
    context = {
        "event": event,
        "figures": selectors.report_figures(event),
        "line_up": list(selectors.line_up(event)),
        "intents": list(event.intents.select_related("seller", "buyer", "deal").order_by("-created_at", "-id")),
        "is_organizer": request.user.has_perm("events.change_event", event),
    }
    return render(request, "events/organizer/report.html", context)


def _years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - YEARS_SHOWN, -1))


def _year(value: str | None) -> int:
    years = _years()
    return int(value) if value and value.isdigit() and int(value) in years else years[0]


@login_required
@require_GET
def yearly(request):
    """Events held in a year against the target, for bureau staff and event organizers."""
    if not (market_rules.is_bureau_staff(request.user) or _can_organize(request.user)):
        raise Http404
    year = _year(request.GET.get("year"))
    counts = selectors.yearly_counts(year)
    kinds = [(label, counts.by_kind.get(value, 0)) for value, label in EventKind.choices]
    context = {
        "year": year,
        "years": _years(),
        "counts": counts,
        "kinds": kinds,
        "progress_percent": round(counts.progress * 100),
    }
    return render(request, "events/organizer/yearly.html", context)
