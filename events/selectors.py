"""Reads about events: the calendar, an attendee's agenda, the organizer's figures and the
bureau's yearly counts against the target."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from events.enums import EventStatus, MeetingStatus, PresentationStatus, RegistrationStatus
from events.models import Event, LetterOfIntent, Meeting, Presentation, Registration
from marketplace.enums import DealStage


def public_events(*, kind: str = "", field=None, region: str = "", past: bool = False, q: str = "") -> QuerySet:
    """The public calendar: upcoming events first (or past ones, latest first), filtered."""
    events = Event.objects.public().select_related("organizer", "region").prefetch_related("industry_fields")
    now = timezone.now()
    events = (
        events.filter(ends_at__lt=now).order_by("-starts_at", "-id")
        if past
        else events.filter(ends_at__gte=now).order_by("starts_at", "id")
    )
    if kind:
        events = events.filter(kind=kind)
    if field is not None:  # a subquery, not a join: the registrations below are counted once
        tagged = Event.objects.filter(Q(industry_fields=field) | Q(industry_fields__parent=field)).values("pk")
        events = events.filter(pk__in=tagged)
    if region:
        prefix = region[:2] if region.endswith("0000") else region[:4] if region.endswith("00") else region
        events = events.filter(region__code__startswith=prefix)
    if q:
        from marketplace import search

        events = search.narrow(events, q)
    return events.annotate(
        confirmed_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED))
    )


def month(year: int, month_number: int) -> tuple[date, list[list[tuple[date, list[Event]]]]]:
    """The weeks (Monday first) of a month, each day with the public events on it."""
    first = date(year, month_number, 1)
    tz = timezone.get_current_timezone()
    start = datetime.combine(first - timedelta(days=first.weekday()), datetime.min.time(), tzinfo=tz)
    end = start + timedelta(weeks=6)
    events = list(
        Event.objects.public()
        .filter(starts_at__lt=end, ends_at__gte=start)
        .select_related("organizer")
        .order_by("starts_at", "id")
    )
    weeks = []
    for week in month_calendar.Calendar().monthdatescalendar(year, month_number):
        days = []
        for day in week:
            days.append(
                (
                    day,
                    [
                        e
                        for e in events
                        if timezone.localtime(e.starts_at).date() <= day <= timezone.localtime(e.ends_at).date()
                    ],
                )
            )
        weeks.append(days)
    return first, weeks


def event_detail(pk: int) -> Event:
    return (
        Event.objects.select_related("organizer", "region")
        .prefetch_related("industry_fields", "co_organizers")
        .annotate(
            confirmed_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)),
            waitlist_count=Count("registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)),
        )
        .get(pk=pk)
    )


def line_up(event: Event) -> QuerySet:
    return (
        Presentation.objects.filter(event=event, status=PresentationStatus.SELECTED)
        .select_related("achievement", "organization")
        .order_by("slot_starts_at", "id")
    )


def registration_of(event: Event, user) -> Registration | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return event.registrations.active().filter(user=user).select_related("organization").first()


def waitlist_position(registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return registration.event.registrations.filter(
        status=RegistrationStatus.WAITLISTED, created_at__lte=registration.created_at, id__lte=registration.pk
    ).count()


def agenda(event: Event, registration: Registration) -> QuerySet:
    """The attendee's meetings at the event, in time order."""
    return (
        Meeting.objects.filter(Q(requester=registration) | Q(invitee=registration), event=event)
        .select_related("requester__user", "requester__organization", "invitee__user", "invitee__organization")
        .order_by("starts_at", "id")
    )


def meeting_partners(event: Event, registration: Registration) -> QuerySet:
    """Whom an attendee can ask for a meeting: the other confirmed attendees, presenters first."""
    presenting = Presentation.objects.filter(event=event, status=PresentationStatus.SELECTED).values("organization_id")
    return (
        event.registrations.filter(status=RegistrationStatus.CONFIRMED)
        .exclude(pk=registration.pk)
        .select_related("user", "organization")
        .annotate(presenting=Count("pk", filter=Q(organization_id__in=presenting)))
        .order_by("-presenting", "organization__name", "id")
    )


@dataclass
class Figures:
    """What an event produced: the post-event report's numbers."""

    registered: int
    confirmed: int
    waitlisted: int
    checked_in: int
    organizations: int
    presentations: int
    meetings_requested: int
    meetings_accepted: int
    intents: int
    intended_amount: object
    deals: int
    deals_signed: int

    @property
    def attendance_rate(self) -> float | None:
        return self.checked_in / self.confirmed if self.confirmed else None


def report_figures(event: Event) -> Figures:
    registrations = event.registrations.aggregate(
        registered=Count("pk"),
        confirmed=Count("pk", filter=Q(status=RegistrationStatus.CONFIRMED)),
        waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
        checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
        organizations=Count("organization", filter=Q(checked_in_at__isnull=False), distinct=True),
    )
    meetings = event.meetings.aggregate(
        requested=Count("pk"), accepted=Count("pk", filter=Q(status=MeetingStatus.ACCEPTED))
    )
    from django.db.models import Sum

    intents = event.intents.aggregate(
        count=Count("pk"),
        amount=Sum("amount"),
        deals=Count("deal"),
        signed=Count(
            "deal",
            filter=Q(
                deal__stage__in=[DealStage.SIGNED, DealStage.REGISTERED, DealStage.PERFORMING, DealStage.COMPLETED]
            ),
        ),
    )
    return Figures(
        registered=registrations["registered"],
        confirmed=registrations["confirmed"],
        waitlisted=registrations["waitlisted"],
        checked_in=registrations["checked_in"],
        organizations=registrations["organizations"],
        presentations=event.presentations.filter(status=PresentationStatus.SELECTED).count(),
        meetings_requested=meetings["requested"],
        meetings_accepted=meetings["accepted"],
        intents=intents["count"],
        intended_amount=intents["amount"],
        deals=intents["deals"],
        deals_signed=intents["signed"],
    )


@dataclass
class YearCounts:
    year: int
    target: int
    held: int  # held or reported
    by_kind: dict
    attendees: int
    intents: int
    deals: int

    @property
    def progress(self) -> float:
        return self.held / self.target if self.target else 0.0


def yearly_counts(year: int) -> YearCounts:
    """Events held in a year (by start, Asia/Shanghai), against settings.EVENTS["YEARLY_TARGET"]."""
    tz = timezone.get_current_timezone()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    held = Event.objects.filter(
        status__in=[EventStatus.HELD, EventStatus.REPORTED], starts_at__gte=start, starts_at__lt=end
    )
    by_kind = dict(held.values_list("kind").annotate(n=Count("pk")).order_by())
    attendees = Registration.objects.filter(event__in=held, checked_in_at__isnull=False).count()
    intents = LetterOfIntent.objects.filter(event__in=held)
    return YearCounts(
        year=year,
        target=settings.EVENTS["YEARLY_TARGET"],
        held=sum(by_kind.values()),
        by_kind=by_kind,
        attendees=attendees,
        intents=intents.count(),
        deals=intents.filter(deal__isnull=False).count(),
    )
