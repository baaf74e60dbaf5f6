"""Attendee and presenter pages: my registrations, a ticket with its QR code for the door, the
personal agenda of 1:1 meetings, applying to present at a roadshow, and starting a deal from a
letter of intent signed at an event."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from events import rules as event_rules
from events import selectors, services
from events.enums import EventStatus, MeetingStatus, PresentationStatus, RegistrationStatus
from events.forms_attendee import DeclineForm, MeetingForm, PresentationForm
from events.models import Event, LetterOfIntent, Meeting, Presentation, Registration
from events.views_public import PRESENTING_KINDS, visible_event
from marketplace.permissions import object_or_404
from marketplace.rules import membership_roles


def _refusal(exc: Exception) -> str:
    """The Chinese reason of a refused service call, for a message."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("Your role does not allow this.")


def _registration(request, pk: int) -> Registration:
    """The registration if the user is its registrant or an organizer of its event; 404 otherwise."""
    return object_or_404(
        request.user,
        "events.view_registration",
        Registration.objects.select_related("event", "event__organizer", "organization", "user"),
        pk=pk,
    )


# My registrations and tickets --------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    waiting_ahead = (
        Registration.objects.filter(
            event=OuterRef("event"), status=RegistrationStatus.WAITLISTED, id__lte=OuterRef("pk")
        )
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    registrations = (
        Registration.objects.filter(user=request.user)
        .select_related("event", "event__organizer", "organization")
        .annotate(position=Subquery(waiting_ahead))
        .order_by("event__starts_at", "id")
    )
    now = timezone.now()
    upcoming, past = [], []
    for registration in registrations:
        (upcoming if registration.event.ends_at >= now else past).append(registration)
    past.reverse()
    return render(request, "events/attendee/mine.html", {"upcoming": upcoming, "past": past})


@login_required
@require_GET
def ticket(request, pk: int):
    registration = _registration(request, pk)
    event = registration.event
    context = {
        "registration": registration,
        "event": event,
        "is_registrant": registration.user_id == request.user.pk,
        "waitlist_position": selectors.waitlist_position(registration),
        "can_cancel": registration.status != RegistrationStatus.CANCELLED
        and event.status not in (EventStatus.HELD, EventStatus.REPORTED),
    }
    return render(request, "events/attendee/ticket.html", context)


def check_in_url(registration: Registration) -> str:
    """What the QR code says: the organizer's check-in page with the signed token."""
    path = reverse("events:check-in", args=[registration.event_id])
    return f"{settings.SITE_URL}{path}?token={services.check_in_token(registration)}"


@login_required
@require_GET
def ticket_qr(request, pk: int):
    """The QR code of a confirmed ticket, as SVG, for the registrant and the organizers only."""
    registration = _registration(request, pk)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Http404
    buffer = io.BytesIO()
    segno.make(check_in_url(registration), error="m", micro=False).save(buffer, kind="svg", scale=6, border=2)
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    patch_cache_control(response, private=True, max_age=300)
    return response


@login_required
@require_POST
def registration_cancel(request, pk: int):
    registration = _registration(request, pk)
    try:
        services.registration_cancel(registration=registration, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("Your registration for %(title)s is cancelled.") % {"title": registration.event})
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)  # the organizer's page it was cancelled from
    return redirect("events:ticket", registration.pk)


# The personal agenda -----------------------------------------------------------------------


def _attendance(request, pk: int) -> tuple[Event, Registration | None, bool]:
    """The event, the user's registration (an active one, else their last cancelled one) and
    whether they organize it; 404 for people neither registered nor organizing."""
    event = visible_event(request.user, pk)
    registration = selectors.registration_of(event, request.user)
    if registration is None:
        registration = (
            event.registrations.filter(user=request.user).select_related("organization").order_by("-id").first()
        )
    is_organizer = request.user.has_perm("events.change_event", event)
    if registration is None and not is_organizer:
        raise Http404
    return event, registration, is_organizer


def _agenda_page(request, event, registration, is_organizer, *, form=None, status=200):
    can_request = (
        registration is not None
        and registration.status == RegistrationStatus.CONFIRMED
        and event.status in (EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED)
    )
    meetings = []
    if registration is not None:
        for meeting in selectors.agenda(event, registration):
            invited = meeting.invitee_id == registration.pk
            meetings.append(
                {
                    "meeting": meeting,
                    "other": meeting.requester if invited else meeting.invitee,
                    "invited": invited,
                    "can_answer": invited and meeting.status == MeetingStatus.REQUESTED,
                    "can_cancel": meeting.status in MeetingStatus.holding_values(),
                }
            )
    if can_request and form is None:
        form = MeetingForm(
            partners=selectors.meeting_partners(event, registration),
            initial={"starts_at": timezone.localtime(event.starts_at)},
        )
    roles = list(membership_roles(request.user))
    intents = (
        event.intents.filter(Q(seller_id__in=roles) | Q(buyer_id__in=roles)).select_related("seller", "buyer", "deal")
        if roles
        else []
    )
    context = {
        "event": event,
        "registration": registration,
        "is_organizer": is_organizer,
        "meetings": meetings,
        "form": form if can_request else None,
        "intents": intents,
    }
    return render(request, "events/attendee/agenda.html", context, status=status)


@login_required
@require_GET
def agenda(request, pk: int):
    event, registration, is_organizer = _attendance(request, pk)
    return _agenda_page(request, event, registration, is_organizer)


@login_required
@require_POST
def meeting_request(request, pk: int):
    event, registration, is_organizer = _attendance(request, pk)
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        messages.error(request, _("Register for the event (confirmed) to request meetings."))
        return redirect("events:agenda", event.pk)
    form = MeetingForm(request.POST, partners=selectors.meeting_partners(event, registration))
    if form.is_valid():
        try:
            meeting = services.meeting_request(
                event=event,
                user=request.user,
                invitee=form.cleaned_data["invitee"],
                starts_at=form.cleaned_data["starts_at"],
                topic=form.cleaned_data["topic"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied as exc:
            form.add_error(None, _refusal(exc))
        else:
            messages.success(
                request,
                _("Your request to meet %(name)s has been sent.") % {"name": meeting.invitee.user.get_full_name()},
            )
            return redirect("events:agenda", event.pk)
    messages.error(request, _("The meeting was not requested: see the form below."))
    return _agenda_page(request, event, registration, is_organizer, form=form, status=400)


def _party_meeting(request, pk: int) -> Meeting:
    """The meeting if the user is one of its two people; 404 otherwise."""
    meeting = get_object_or_404(Meeting.objects.select_related("event", "requester__user", "invitee__user"), pk=pk)
    if not event_rules.is_meeting_party(request.user, meeting):
        raise Http404
    return meeting


def _meeting_move(request, pk: int, move, done: str, **kwargs):
    meeting = _party_meeting(request, pk)
    try:
        move(meeting=meeting, user=request.user, **kwargs)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, done % {"topic": meeting.topic})
    return redirect("events:agenda", meeting.event_id)


@login_required
@require_POST
def meeting_accept(request, pk: int):
    return _meeting_move(request, pk, services.meeting_accept, _("You accepted the meeting “%(topic)s”."))


@login_required
@require_POST
def meeting_decline(request, pk: int):
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _meeting_move(
        request, pk, services.meeting_decline, _("You declined the meeting “%(topic)s”."), reason=reason
    )


@login_required
@require_POST
def meeting_cancel(request, pk: int):
    return _meeting_move(request, pk, services.meeting_cancel, _("The meeting “%(topic)s” is cancelled."))


# Presenting at a roadshow ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def present(request, pk: int):
    """Apply to present one of the user's organizations' published achievements at a roadshow or
    a launch; the user's applications are listed with their status."""
    event = visible_event(request.user, pk)
    if event.kind not in PRESENTING_KINDS:
        raise Http404
    form = PresentationForm(
        request.POST or None, user=request.user, initial={"presenter_name": request.user.get_full_name()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.presentation_apply(event=event, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        except PermissionDenied:
            form.add_error("achievement", _("You are not a member of that organization."))
        else:
            messages.success(
                request,
                _("Your application to present “%(achievement)s” has been sent to the organizer.")
                % {"achievement": form.cleaned_data["achievement"].title},
            )
            return redirect("events:present", event.pk)
    roles = list(membership_roles(request.user))
    applications = (
        Presentation.objects.filter(event=event, organization_id__in=roles)
        .select_related("achievement", "organization")
        .order_by("-created_at", "-id")
    )
    context = {
        "event": event,
        "form": form,
        "applications": applications,
        "open": event.status == EventStatus.PUBLISHED,
        "has_organization": bool(roles),
        "withdrawable": (PresentationStatus.APPLIED, PresentationStatus.SELECTED),
    }
    return render(request, "events/attendee/present.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def presentation_withdraw(request, pk: int):
    presentation = get_object_or_404(Presentation.objects.select_related("event", "achievement"), pk=pk)
    if not event_rules.is_presenter(request.user, presentation):
        raise Http404
    if presentation.status not in (PresentationStatus.APPLIED, PresentationStatus.SELECTED):
        messages.error(request, _("This application is no longer open."))
    else:
        try:
            services.presentation_withdraw(presentation=presentation, user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _refusal(exc))
        else:
            messages.success(
                request, _("You withdrew “%(achievement)s”.") % {"achievement": presentation.achievement.title}
            )
    return redirect("events:present", presentation.event_id)


# Outcomes ----------------------------------------------------------------------------------


@login_required
@require_POST
def intent_deal(request, pk: int):
    """A party of a letter of intent starts the deal from it and goes to the deal's page."""
    intent = get_object_or_404(LetterOfIntent.objects.select_related("event", "achievement", "demand"), pk=pk)
    if not event_rules.is_intent_party(request.user, intent):
        raise Http404
    try:
        deal = services.intent_start_deal(intent=intent, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _refusal(exc))
        intent.refresh_from_db(fields=["deal"])
        if intent.deal_id is not None:
            return redirect("deals:detail", intent.deal_id)
        return redirect("events:detail", intent.event_id)
    messages.success(request, _("The deal “%(title)s” has been started.") % {"title": deal.title})
    return redirect("deals:detail", deal.pk)
