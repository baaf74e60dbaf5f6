"""Matchmaking events (产学研对接活动): the event, registrations with a waiting list and check-in,
the roadshow line-up, 1:1 meetings and the letters of intent an event produces."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rules.contrib.models import RulesModelBase, RulesModelMixin
from simple_history.models import HistoricalRecords

from events import rules as event_rules
from events.enums import EventKind, EventStatus, MeetingStatus, PresentationStatus, RegistrationStatus
from marketplace.models.base import TimeStampedModel


class EventQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=EventStatus.public_values())

    def upcoming(self, *, now=None):
        return self.public().filter(ends_at__gte=now or timezone.now()).exclude(status=EventStatus.CANCELLED)


class Event(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices, default=EventKind.MATCHMAKING)
    organizer = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("organizer"), on_delete=models.PROTECT, related_name="events"
    )
    co_organizers = models.ManyToManyField(
        "marketplace.Organization", verbose_name=_("co-organizers"), blank=True, related_name="co_organized_events"
    )
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("industry fields"), blank=True, related_name="events"
    )
    region = models.ForeignKey(
        "marketplace.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    summary = models.CharField(pgettext_lazy("event", "summary"), max_length=300)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    agenda = models.TextField(
        _("agenda"), max_length=5000, blank=True, help_text=_("One item per line, e.g. 14:00 开幕致辞.")
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty for no limit."),
    )
    registration_opens_at = models.DateTimeField(_("registration opens at"))
    registration_closes_at = models.DateTimeField(_("registration closes at"))
    meeting_minutes = models.PositiveSmallIntegerField(
        _("length of a 1:1 meeting (minutes)"), default=20, validators=[MinValueValidator(5)]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.DRAFT, db_index=True
    )
    status_note = models.TextField(_("note"), blank=True, help_text=_("The reason given with a cancellation."))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    report = models.TextField(_("post-event report"), max_length=10000, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("activity", "event")
        verbose_name_plural = pgettext_lazy("activity", "events")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="event_ends_after_start",
                violation_error_message=_("An event ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=F("registration_opens_at")),
                name="event_registration_window",
                violation_error_message=_("Registration closes after it opens."),
            ),
        ]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="event_sync_idx")]
        rules_permissions = {
            "view": event_rules.view_event,
            "add": event_rules.can_organize,
            "change": event_rules.is_event_organizer,
            "register": event_rules.can_register,
        }

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:detail", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.status in EventStatus.public_values()

    def registration_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == EventStatus.PUBLISHED
            and self.registration_opens_at <= now < self.registration_closes_at
            and now < self.ends_at
        )


class RegistrationQuerySet(models.QuerySet):
    def active(self):
        return self.exclude(status=RegistrationStatus.CANCELLED)


class Registration(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A person registered for an event on behalf of their organization: confirmed while places
    last, then on the waiting list in order of registration."""

    event = models.ForeignKey(
        Event, verbose_name=pgettext_lazy("activity", "event"), on_delete=models.CASCADE, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="event_registrations"
    )
    organization = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("organization"), on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=RegistrationStatus.choices, db_index=True)
    note = models.CharField(_("note to the organizer"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    objects = RegistrationQuerySet.as_manager()

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = pgettext_lazy("event sign-up", "registration")
        verbose_name_plural = pgettext_lazy("event sign-up", "registrations")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=~Q(status="cancelled"),
                name="event_registration_once",
                violation_error_message=_("You are registered for this event already."),
            )
        ]
        indexes = [models.Index(fields=["event", "status", "created_at"], name="event_registration_queue_idx")]
        rules_permissions = {
            "view": event_rules.is_registrant | event_rules.is_registration_organizer,
            "cancel": event_rules.is_registrant | event_rules.is_registration_organizer,
        }

    def __str__(self) -> str:
        return f"{self.event} · {self.user}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == RegistrationStatus.CONFIRMED


class Presentation(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """An achievement presented at a roadshow: its owner applies, the organizer selects and
    orders the line-up in time slots."""

    event = models.ForeignKey(
        Event, verbose_name=pgettext_lazy("activity", "event"), on_delete=models.CASCADE, related_name="presentations"
    )
    achievement = models.ForeignKey(
        "achievements.Achievement", verbose_name=_("achievement"), on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("presenter"), on_delete=models.CASCADE, related_name="+"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    presenter_name = models.CharField(_("presenter"), max_length=50)
    pitch = models.TextField(_("pitch"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PresentationStatus.choices, default=PresentationStatus.APPLIED
    )
    status_note = models.TextField(_("reason"), blank=True)
    slot_starts_at = models.DateTimeField(_("slot starts at"), null=True, blank=True)
    slot_ends_at = models.DateTimeField(_("slot ends at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("roadshow presentation")
        verbose_name_plural = _("roadshow presentations")
        ordering = ["slot_starts_at", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "achievement"],
                condition=~Q(status="withdrawn"),
                name="event_presentation_once",
                violation_error_message=_("This achievement has applied to present at this event already."),
            ),
            models.CheckConstraint(
                condition=Q(slot_starts_at__isnull=True) | Q(slot_ends_at__gt=F("slot_starts_at")),
                name="event_presentation_slot",
                violation_error_message=_("A slot ends after it starts."),
            ),
        ]
        rules_permissions = {
            "view": event_rules.is_presenter | event_rules.is_presentation_organizer,
        }

    def __str__(self) -> str:
        return f"{self.event} · {self.achievement}"


class Meeting(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A 1:1 meeting between two registrations of an event, in a slot that clashes with no other
    meeting of either side."""

    event = models.ForeignKey(
        Event, verbose_name=pgettext_lazy("activity", "event"), on_delete=models.CASCADE, related_name="meetings"
    )
    requester = models.ForeignKey(
        Registration, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="meetings_requested"
    )
    invitee = models.ForeignKey(
        Registration, verbose_name=_("with"), on_delete=models.CASCADE, related_name="meetings_invited"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    topic = models.CharField(_("topic"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.REQUESTED, db_index=True
    )
    status_note = models.CharField(_("reason"), max_length=300, blank=True)
    table = models.CharField(_("table"), max_length=20, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("1:1 meeting")
        verbose_name_plural = _("1:1 meetings")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="event_meeting_ends_after_start",
                violation_error_message=_("A meeting ends after it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(requester=F("invitee")),
                name="event_meeting_two_people",
                violation_error_message=_("A meeting is between two people."),
            ),
        ]
        rules_permissions = {
            "view": event_rules.is_meeting_party | event_rules.is_meeting_organizer,
        }

    def __str__(self) -> str:
        return self.topic


class LetterOfIntent(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A letter of intent (意向协议) signed at an event; a deal can start from it."""

    event = models.ForeignKey(
        Event, verbose_name=pgettext_lazy("activity", "event"), on_delete=models.PROTECT, related_name="intents"
    )
    seller = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("seller"), on_delete=models.PROTECT, related_name="+"
    )
    buyer = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="+"
    )
    achievement = models.ForeignKey(
        "achievements.Achievement",
        verbose_name=_("achievement"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    demand = models.ForeignKey(
        "demands.Demand", verbose_name=_("demand"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("subject"), max_length=200)
    amount = models.DecimalField(
        _("intended amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    deal = models.OneToOneField(
        "marketplace.Deal",
        verbose_name=_("deal"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="letter_of_intent",
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("letter of intent")
        verbose_name_plural = _("letters of intent")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(seller=F("buyer")),
                name="event_intent_two_parties",
                violation_error_message=_("The seller and the buyer are different organizations."),
            )
        ]
        rules_permissions = {
            "view": event_rules.is_intent_party | event_rules.is_intent_organizer,
        }

    def __str__(self) -> str:
        return self.title
