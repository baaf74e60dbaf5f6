"""Every write about events: the event's lifecycle, registration with capacity and a waiting list
(safe under concurrent sign-ups: the event row is locked), check-in by a signed token, the
roadshow line-up, 1:1 meetings that never clash for either side, and letters of intent with the
deals started from them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from events import rules as event_rules
from events.enums import EventStatus, MeetingStatus, PresentationStatus, RegistrationStatus
from events.models import Event, LetterOfIntent, Meeting, Presentation, Registration
from marketplace import search
from marketplace.enums import DealKind, DealOrigin
from marketplace.models import Organization, User
from marketplace.rules import membership_roles
from marketplace.services.mail import mail_queue
from marketplace.services.notifications import notify
from marketplace.services.transitions import Workflow, update_with_history

LIFECYCLE = Workflow(
    choices=EventStatus,
    transitions={
        EventStatus.DRAFT: {EventStatus.PUBLISHED, EventStatus.CANCELLED},
        EventStatus.PUBLISHED: {EventStatus.REGISTRATION_CLOSED, EventStatus.HELD, EventStatus.CANCELLED},
        EventStatus.REGISTRATION_CLOSED: {EventStatus.PUBLISHED, EventStatus.HELD, EventStatus.CANCELLED},
        EventStatus.HELD: {EventStatus.REPORTED},
        EventStatus.REPORTED: set(),
        EventStatus.CANCELLED: set(),
    },
    reason_required=frozenset({EventStatus.CANCELLED}),
    on_change=search.update_many,  # the index follows the status
)

EVENT_FIELDS = (
    "title",
    "kind",
    "region",
    "summary",
    "description",
    "agenda",
    "starts_at",
    "ends_at",
    "venue",
    "online_url",
    "capacity",
    "registration_opens_at",
    "registration_closes_at",
    "meeting_minutes",
)
CHECK_IN_SALT = "events.check-in"


def _require(user, permission: str, obj=None) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def _organizers(event: Event):
    """Who hears about an event's registrations: the members of its organizer and its creator."""
    users = list(User.objects.filter(is_active=True, memberships__organization_id=event.organizer_id))
    if event.created_by is not None and event.created_by not in users:
        users.append(event.created_by)
    return users


def _check_times(event: Event) -> None:
    errors = {}
    if event.starts_at and event.ends_at and event.ends_at <= event.starts_at:
        errors["ends_at"] = _("An event ends after it starts.")
    if event.registration_opens_at and event.registration_closes_at:
        if event.registration_closes_at <= event.registration_opens_at:
            errors["registration_closes_at"] = _("Registration closes after it opens.")
        elif event.ends_at and event.registration_closes_at > event.ends_at:
            errors["registration_closes_at"] = _("Registration closes before the event ends.")
    if not event.venue and not event.online_url:
        errors["venue"] = _("Give a venue or an online link.")
    if errors:
        raise ValidationError(errors)


# The event ----------------------------------------------------------------------------------


def _save(event: Event, fields: dict, industry_fields, co_organizers) -> Event:
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(event, name, value)
    _check_times(event)
    event.full_clean(exclude=["organizer", "created_by"])
    event.save()
    if industry_fields is not None:
        event.industry_fields.set(industry_fields)
    if co_organizers is not None:
        event.co_organizers.set([o for o in co_organizers if o.pk != event.organizer_id])
    return event


@transaction.atomic
def event_create(*, user: User, organizer: Organization, industry_fields=(), co_organizers=(), **fields) -> Event:
    """Event-organizer staff create an event for any organizer; a verified agency's member for its own."""
    from marketplace.rules import is_event_organizer

    if not (is_event_organizer(user) or organizer.pk in event_rules.organizing_organization_ids(user)):
        raise PermissionDenied
    event = Event(organizer=organizer, created_by=user)
    _save(event, fields, list(industry_fields), list(co_organizers))
    LIFECYCLE.record_start(event, actor=user)
    return event


@transaction.atomic
def event_update(*, event: Event, user: User, industry_fields=None, co_organizers=None, **fields) -> Event:
    _require(user, "events.change_event", event)
    # The row as stored, locked: only the edited fields are written (a colleague may have cancelled
    # it meanwhile), and the capacity is checked against sign-ups that cannot change under us.
    event = _locked(event)
    if event.status in (EventStatus.HELD, EventStatus.REPORTED, EventStatus.CANCELLED):
        raise ValidationError(_("A past or cancelled event is no longer edited."))
    if "capacity" in fields and fields["capacity"] is not None:
        confirmed = event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        if fields["capacity"] < confirmed:
            raise ValidationError(
                {
                    "capacity": _("%(count)s people are confirmed already: the capacity cannot be lower.")
                    % {"count": confirmed}
                }
            )
    _save(event, fields, industry_fields, co_organizers)
    if event.is_public:
        search.update(event)
        _promote(event)  # a larger capacity confirms people from the waiting list
    return event


@transaction.atomic
def event_publish(*, event: Event, user: User) -> Event:
    """Organizers publish without a separate review: the event is in the calendar at once."""
    _require(user, "events.change_event", event)
    _check_times(event)
    if event.starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("An event is published before it starts.")})
    event.published_at = timezone.now()
    LIFECYCLE.apply(event, EventStatus.PUBLISHED, actor=user, update_fields=["published_at"])
    return event


@transaction.atomic
def event_close_registration(*, event: Event, user: User) -> Event:
    _require(user, "events.change_event", event)
    LIFECYCLE.apply(event, EventStatus.REGISTRATION_CLOSED, actor=user)
    return event


@transaction.atomic
def event_reopen_registration(*, event: Event, user: User) -> Event:
    _require(user, "events.change_event", event)
    if event.registration_closes_at <= timezone.now():
        raise ValidationError({"registration_closes_at": _("Move the registration deadline first.")})
    LIFECYCLE.apply(event, EventStatus.PUBLISHED, actor=user)
    return event


@transaction.atomic
def event_mark_held(*, event: Event, user: User) -> Event:
    _require(user, "events.change_event", event)
    if event.starts_at > timezone.now():
        raise ValidationError(_("The event has not started yet."))
    LIFECYCLE.apply(event, EventStatus.HELD, actor=user)
    # The waiting list never got in.
    now = timezone.now()
    update_with_history(
        event.registrations.filter(status=RegistrationStatus.WAITLISTED),
        user=user,
        status=RegistrationStatus.CANCELLED,
        cancelled_at=now,
        updated_at=now,
    )
    return event


@transaction.atomic
def event_report(*, event: Event, user: User, report: str) -> Event:
    """The post-event report: the organizer's account; the figures are counted (report_figures)."""
    _require(user, "events.change_event", event)
    if len(report.strip()) < 20:
        raise ValidationError({"report": _("Write the report (at least 20 characters).")})
    event.report = report.strip()
    event.reported_at = timezone.now()
    LIFECYCLE.apply(event, EventStatus.REPORTED, actor=user, update_fields=["report", "reported_at"])
    return event


@transaction.atomic
def event_cancel(*, event: Event, user: User, reason: str) -> Event:
    _require(user, "events.change_event", event)
    event.status_note = reason.strip()
    LIFECYCLE.apply(event, EventStatus.CANCELLED, actor=user, reason=reason, update_fields=["status_note"])
    registrations = list(event.registrations.active().select_related("user"))
    update_with_history(
        Meeting.objects.filter(event=event, status__in=MeetingStatus.holding_values()),
        user=user,
        reason=reason,
        status=MeetingStatus.CANCELLED,
        status_note=reason.strip()[:300],
        updated_at=timezone.now(),
    )
    notify(
        users=[r.user for r in registrations],
        kind="events.cancelled",
        title=_("Cancelled: %(title)s") % {"title": event.title},
        body=reason,
        url=event.get_absolute_url(),
    )
    for registration in registrations:
        if registration.user.email:
            mail_queue(
                to=registration.user.email,
                purpose="event.cancelled",
                period=f"event-{event.pk}",
                template="mail/event_cancelled",
                context={"event": event, "registration": registration, "reason": reason},
                user=registration.user,
            )
    return event


# Registration -------------------------------------------------------------------------------


def check_in_token(registration: Registration) -> str:
    """The signed token in the attendee's QR code: the registration and its event."""
    return signing.dumps({"r": registration.pk, "e": registration.event_id}, salt=CHECK_IN_SALT, compress=True)


def ics(event: Event) -> str:
    """The event as an iCalendar file (RFC 5545) for a confirmed registrant's e-mail (with the online link)."""
    from events.calendar import calendar_for

    return calendar_for([event], with_link=True).to_ical().decode("utf-8")


def _confirmation_mail(registration: Registration) -> None:
    if not registration.user.email:
        return
    event = registration.event
    mail_queue(
        to=registration.user.email,
        purpose="event.confirmed",
        period=f"registration-{registration.pk}",
        template="mail/event_confirmed",
        context={
            "event": event,
            "registration": registration,
            "ticket_url": settings.SITE_URL + reverse("events:ticket", args=[registration.pk]),
        },
        user=registration.user,
        attachments=[{"name": f"event-{event.pk}.ics", "content": ics(event), "mimetype": "text/calendar"}],
    )


def _confirm(registration: Registration) -> None:
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = timezone.now()
    registration.save(update_fields=["status", "confirmed_at", "updated_at"])
    notify(
        users=[registration.user],
        kind="events.confirmed",
        title=_("Your place at %(title)s is confirmed") % {"title": registration.event.title},
        url=reverse("events:ticket", args=[registration.pk]),
    )
    _confirmation_mail(registration)


def _promote(event: Event) -> list[Registration]:
    """Confirm people from the waiting list, first come first served, while places last.
    The caller holds the event's row lock."""
    if event.capacity is None:
        waiting = list(event.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by("created_at", "id"))
    else:
        confirmed = event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        free = max(event.capacity - confirmed, 0)
        waiting = list(
            event.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by("created_at", "id")[:free]
        )
    for registration in waiting:
        _confirm(registration)
    return waiting


def _locked(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


@transaction.atomic
def register(*, event: Event, user: User, organization: Organization, note: str = "") -> Registration:
    """Register for one's organization: confirmed while places last, else on the waiting list.
    The event row is locked, so concurrent sign-ups never exceed the capacity."""
    if organization.pk not in membership_roles(user):
        raise PermissionDenied
    event = _locked(event)
    if not event.registration_open():
        if event.status == EventStatus.PUBLISHED and timezone.now() < event.registration_opens_at:
            raise ValidationError(
                _("Registration opens at %(time)s.")
                % {"time": f"{timezone.localtime(event.registration_opens_at):%Y-%m-%d %H:%M}"}
            )
        raise ValidationError(_("Registration for this event is closed."))
    if event.registrations.active().filter(user=user).exists():
        raise ValidationError(_("You are registered for this event already."))
    confirmed = event.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    full = event.capacity is not None and confirmed >= event.capacity
    registration = Registration.objects.create(
        event=event,
        user=user,
        organization=organization,
        note=note.strip()[:300],
        status=RegistrationStatus.WAITLISTED if full else RegistrationStatus.CONFIRMED,
        confirmed_at=None if full else timezone.now(),
    )
    if full:
        position = event.registrations.filter(status=RegistrationStatus.WAITLISTED, id__lte=registration.pk).count()
        notify(
            users=[user],
            kind="events.waitlisted",
            title=_("%(title)s is full: you are number %(position)s on the waiting list")
            % {"title": event.title, "position": position},
            url=event.get_absolute_url(),
        )
    else:
        _confirmation_mail(registration)
    return registration


@transaction.atomic
def registration_cancel(*, registration: Registration, user: User) -> Registration:
    """The attendee (or the organizer) cancels; a freed place goes to the first on the waiting list."""
    _require(user, "events.cancel_registration", registration)
    event = _locked(registration.event)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == RegistrationStatus.CANCELLED:
        return registration
    if event.status in (EventStatus.HELD, EventStatus.REPORTED):
        raise ValidationError(_("The event has taken place."))
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at", "updated_at"])
    update_with_history(
        Meeting.objects.filter(
            Q(requester=registration) | Q(invitee=registration), status__in=MeetingStatus.holding_values()
        ),
        user=user,
        status=MeetingStatus.CANCELLED,
        updated_at=timezone.now(),
    )
    if event.status in (EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED):
        _promote(event)
    return registration


@transaction.atomic
def check_in(*, event: Event, token: str, user: User) -> Registration:
    """The organizer scans an attendee's QR code at the door. A forged, foreign or cancelled
    ticket is refused; a second scan keeps the first time."""
    _require(user, "events.change_event", event)
    try:
        data = signing.loads(token, salt=CHECK_IN_SALT)
    except signing.BadSignature as error:
        raise ValidationError(_("This is not a valid ticket of the market.")) from error
    if not isinstance(data, dict) or data.get("e") != event.pk:
        raise ValidationError(_("This ticket is for another event."))
    registration = Registration.objects.select_for_update().filter(pk=data.get("r"), event=event).first()
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        raise ValidationError(_("This registration is not confirmed."))
    if event.status not in (EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED, EventStatus.HELD):
        raise ValidationError(_("Check-in is closed for this event."))
    if registration.checked_in_at is None:
        registration.checked_in_at = timezone.now()
        registration.checked_in_by = user
        registration.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
    return registration


# Roadshow line-up ---------------------------------------------------------------------------


@transaction.atomic
def presentation_apply(*, event: Event, user: User, achievement, presenter_name: str, pitch: str = "") -> Presentation:
    """An achievement's owner applies to present it at a roadshow or launch."""
    if achievement.organization_id not in membership_roles(user):
        raise PermissionDenied
    event = _locked(event)  # one application per achievement, also when submitted twice at once
    if event.status != EventStatus.PUBLISHED:
        raise ValidationError(_("This event takes no more applications."))
    if not achievement.is_public:
        raise ValidationError({"achievement": _("Only a published achievement is presented.")})
    if (
        Presentation.objects.filter(event=event, achievement=achievement)
        .exclude(status=PresentationStatus.WITHDRAWN)
        .exists()
    ):
        raise ValidationError({"achievement": _("This achievement has applied to present at this event already.")})
    presentation = Presentation(
        event=event,
        achievement=achievement,
        organization=achievement.organization,
        applied_by=user,
        presenter_name=presenter_name.strip(),
        pitch=pitch.strip(),
    )
    presentation.full_clean(exclude=["event", "achievement", "organization", "applied_by"])
    presentation.save()
    notify(
        users=_organizers(event),
        kind="events.presentation",
        title=_("%(organization)s applies to present “%(achievement)s”")
        % {"organization": achievement.organization.name, "achievement": achievement.title},
        url=reverse("events:manage", args=[event.pk]),
    )
    return presentation


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@transaction.atomic
def presentation_schedule(
    *, presentation: Presentation, user: User, starts_at: datetime, ends_at: datetime
) -> Presentation:
    """The organizer selects a presentation into a slot of the line-up (slots never overlap)."""
    event = _locked(presentation.event)
    _require(user, "events.change_event", event)
    if presentation.status not in (PresentationStatus.APPLIED, PresentationStatus.SELECTED):
        raise ValidationError(_("This application was withdrawn or not selected."))
    starts_at, ends_at = _aware(starts_at), _aware(ends_at)
    if ends_at <= starts_at:
        raise ValidationError({"slot_ends_at": _("A slot ends after it starts.")})
    if starts_at < event.starts_at or ends_at > event.ends_at:
        raise ValidationError({"slot_starts_at": _("A slot lies within the event's time.")})
    clash = (
        Presentation.objects.filter(
            event=event, status=PresentationStatus.SELECTED, slot_starts_at__lt=ends_at, slot_ends_at__gt=starts_at
        )
        .exclude(pk=presentation.pk)
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {"slot_starts_at": _("The slot overlaps “%(title)s”.") % {"title": clash.achievement.title}}
        )
    presentation.status = PresentationStatus.SELECTED
    presentation.slot_starts_at, presentation.slot_ends_at = starts_at, ends_at
    presentation.save(update_fields=["status", "slot_starts_at", "slot_ends_at", "updated_at"])
    notify(
        users=User.objects.filter(is_active=True, memberships__organization_id=presentation.organization_id),
        kind="events.presentation_selected",
        title=_("“%(achievement)s” presents at %(time)s")
        % {"achievement": presentation.achievement.title, "time": f"{timezone.localtime(starts_at):%m-%d %H:%M}"},
        url=event.get_absolute_url(),
    )
    return presentation


@transaction.atomic
def presentation_reject(*, presentation: Presentation, user: User, reason: str) -> Presentation:
    _require(user, "events.change_event", presentation.event)
    if not reason.strip():
        raise ValidationError({"reason": _("Please give a reason.")})
    presentation.status = PresentationStatus.REJECTED
    presentation.status_note = reason.strip()
    presentation.slot_starts_at = presentation.slot_ends_at = None
    presentation.save()
    return presentation


@transaction.atomic
def presentation_withdraw(*, presentation: Presentation, user: User) -> Presentation:
    if presentation.organization_id not in membership_roles(user):
        raise PermissionDenied
    presentation.status = PresentationStatus.WITHDRAWN
    presentation.slot_starts_at = presentation.slot_ends_at = None
    presentation.save()
    return presentation


# 1:1 meetings -------------------------------------------------------------------------------


def _clash(registration: Registration, starts_at: datetime, ends_at: datetime, exclude=None) -> Meeting | None:
    meetings = Meeting.objects.filter(
        Q(requester=registration) | Q(invitee=registration),
        status__in=MeetingStatus.holding_values(),
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude is not None:
        meetings = meetings.exclude(pk=exclude.pk)
    return meetings.first()


def _lock_pair(*registrations: Registration) -> None:
    """Lock both agendas in one order (by id), so two requests between the same people never deadlock."""
    list(Registration.objects.select_for_update().filter(pk__in=[r.pk for r in registrations]).order_by("pk"))


@transaction.atomic
def meeting_request(
    *, event: Event, user: User, invitee: Registration, starts_at: datetime, ends_at: datetime | None = None, topic: str
) -> Meeting:
    """An attendee asks another (a presenter, an enterprise) for a meeting in a free slot of both."""
    requester = event.registrations.filter(user=user, status=RegistrationStatus.CONFIRMED).first()
    if requester is None:
        raise ValidationError(_("Register for the event (confirmed) to request meetings."))
    if invitee.event_id != event.pk or invitee.status != RegistrationStatus.CONFIRMED:
        raise ValidationError({"invitee": _("Choose a confirmed attendee of this event.")})
    if invitee.pk == requester.pk:
        raise ValidationError({"invitee": _("A meeting is between two people.")})
    if event.status not in (EventStatus.PUBLISHED, EventStatus.REGISTRATION_CLOSED):
        raise ValidationError(_("Meetings are arranged before the event."))
    starts_at = _aware(starts_at)
    ends_at = _aware(ends_at) if ends_at else starts_at + timedelta(minutes=event.meeting_minutes)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("A meeting ends after it starts.")})
    if starts_at < event.starts_at or ends_at > event.ends_at:
        raise ValidationError({"starts_at": _("A meeting takes place during the event.")})
    if not topic.strip():
        raise ValidationError({"topic": _("Say what the meeting is about.")})
    _lock_pair(requester, invitee)
    # Re-read under the locks: a cancellation that committed meanwhile ends it here.
    if Registration.objects.filter(pk__in=[requester.pk, invitee.pk], status=RegistrationStatus.CONFIRMED).count() != 2:
        raise ValidationError({"invitee": _("Choose a confirmed attendee of this event.")})
    for side, label in ((requester, _("You have")), (invitee, _("%(name)s has") % {"name": invitee.user})):
        clash = _clash(side, starts_at, ends_at)
        if clash is not None:
            raise ValidationError(
                {
                    "starts_at": _("%(who)s a meeting from %(start)s to %(end)s: choose another time.")
                    % {
                        "who": label,
                        "start": f"{timezone.localtime(clash.starts_at):%H:%M}",
                        "end": f"{timezone.localtime(clash.ends_at):%H:%M}",
                    }
                },
                code="meeting_clash",
            )
    meeting = Meeting.objects.create(
        event=event, requester=requester, invitee=invitee, starts_at=starts_at, ends_at=ends_at, topic=topic.strip()
    )
    notify(
        users=[invitee.user],
        kind="events.meeting_requested",
        title=_("%(name)s asks to meet you at %(time)s: %(topic)s")
        % {"name": user, "time": f"{timezone.localtime(starts_at):%m-%d %H:%M}", "topic": meeting.topic},
        url=reverse("events:agenda", args=[event.pk]),
    )
    return meeting


def _meeting_for(meeting: Meeting, user: User, side: str) -> None:
    registration = meeting.invitee if side == "invitee" else meeting.requester
    if registration.user_id != getattr(user, "pk", None):
        raise PermissionDenied


@transaction.atomic
def meeting_accept(*, meeting: Meeting, user: User) -> Meeting:
    _meeting_for(meeting, user, "invitee")
    _lock_pair(meeting.requester, meeting.invitee)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status != MeetingStatus.REQUESTED:
        raise ValidationError(_("This meeting is no longer waiting for an answer."))
    meeting.status = MeetingStatus.ACCEPTED
    meeting.save(update_fields=["status", "updated_at"])
    notify(
        users=[meeting.requester.user],
        kind="events.meeting_accepted",
        title=_("%(name)s accepted the meeting at %(time)s")
        % {"name": meeting.invitee.user, "time": f"{timezone.localtime(meeting.starts_at):%m-%d %H:%M}"},
        url=reverse("events:agenda", args=[meeting.event_id]),
    )
    return meeting


@transaction.atomic
def meeting_decline(*, meeting: Meeting, user: User, reason: str = "") -> Meeting:
    _meeting_for(meeting, user, "invitee")
    meeting = Meeting.objects.select_for_update().select_related("requester__user", "invitee__user").get(pk=meeting.pk)
    if meeting.status != MeetingStatus.REQUESTED:
        raise ValidationError(_("This meeting is no longer waiting for an answer."))
    meeting.status = MeetingStatus.DECLINED
    meeting.status_note = reason.strip()[:300]
    meeting.save(update_fields=["status", "status_note", "updated_at"])
    notify(
        users=[meeting.requester.user],
        kind="events.meeting_declined",
        title=_("%(name)s declined the meeting: %(topic)s") % {"name": meeting.invitee.user, "topic": meeting.topic},
        body=meeting.status_note,
        url=reverse("events:agenda", args=[meeting.event_id]),
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, user: User) -> Meeting:
    if getattr(user, "pk", None) not in (meeting.requester.user_id, meeting.invitee.user_id):
        raise PermissionDenied
    meeting = Meeting.objects.select_for_update().select_related("requester__user", "invitee__user").get(pk=meeting.pk)
    if meeting.status not in MeetingStatus.holding_values():
        raise ValidationError(_("This meeting is not planned."))
    meeting.status = MeetingStatus.CANCELLED
    meeting.save(update_fields=["status", "updated_at"])
    other = meeting.invitee if meeting.requester.user_id == user.pk else meeting.requester
    notify(
        users=[other.user],
        kind="events.meeting_cancelled",
        title=_("The meeting “%(topic)s” is cancelled") % {"topic": meeting.topic},
        url=reverse("events:agenda", args=[meeting.event_id]),
    )
    return meeting


# Outcomes -----------------------------------------------------------------------------------


@transaction.atomic
def intent_record(
    *,
    event: Event,
    user: User,
    seller: Organization,
    buyer: Organization,
    title: str,
    achievement=None,
    demand=None,
    amount: Decimal | None = None,
    note: str = "",
) -> LetterOfIntent:
    """A letter of intent signed at the event, recorded by the organizer or by one of its parties."""
    roles = membership_roles(user)
    if not (user.has_perm("events.change_event", event) or seller.pk in roles or buyer.pk in roles):
        raise PermissionDenied
    if event.status not in (
        EventStatus.PUBLISHED,
        EventStatus.REGISTRATION_CLOSED,
        EventStatus.HELD,
        EventStatus.REPORTED,
    ):
        raise ValidationError(_("Letters of intent are recorded for events that take place."))
    if seller.pk == buyer.pk:
        raise ValidationError({"buyer": _("The seller and the buyer are different organizations.")})
    if achievement is not None and achievement.organization_id != seller.pk:
        raise ValidationError({"achievement": _("Choose an achievement of the seller.")})
    if demand is not None and demand.organization_id != buyer.pk:
        raise ValidationError({"demand": _("Choose a demand of the buyer.")})
    intent = LetterOfIntent(
        event=event,
        seller=seller,
        buyer=buyer,
        achievement=achievement,
        demand=demand,
        title=(title or getattr(achievement or demand, "title", "")).strip()[:200],
        amount=amount,
        note=note.strip(),
        recorded_by=user,
    )
    intent.full_clean(exclude=["recorded_by", "deal"])
    intent.save()
    return intent


@transaction.atomic
def intent_start_deal(*, intent: LetterOfIntent, user: User):
    """Either party starts a deal from the letter (once)."""
    from marketplace.services.deals import deal_start, kind_for_transfer_modes

    roles = membership_roles(user)
    if intent.seller_id not in roles and intent.buyer_id not in roles:
        raise PermissionDenied
    intent = LetterOfIntent.objects.select_for_update().get(pk=intent.pk)
    if intent.deal_id is not None:
        raise ValidationError(_("A deal has been started from this letter of intent already."))
    kind = DealKind.TRANSFER
    if intent.achievement is not None:
        kind = kind_for_transfer_modes(intent.achievement.transfer_modes.values_list("mode", flat=True)) or kind
    deal = deal_start(
        user=user,
        origin=DealOrigin.EVENT,
        seller=intent.seller,
        buyer=intent.buyer,
        kind=kind,
        achievement=intent.achievement,
        demand=intent.demand,
        amount=intent.amount,
        title=intent.title,
    )
    intent.deal = deal
    intent.save(update_fields=["deal", "updated_at"])
    return deal
