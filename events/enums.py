from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventKind(models.TextChoices):
    MATCHMAKING = "matchmaking", _("Matchmaking session")
    ROADSHOW = "roadshow", _("Roadshow")
    LAUNCH = "launch", _("Achievement launch")
    COMPETITION = "competition", _("Competition")
    TRAINING = "training", _("Training")
    VISIT_CAMPAIGN = "visit_campaign", _("Company-visit campaign")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Open for registration")
    REGISTRATION_CLOSED = "registration_closed", _("Registration closed")
    HELD = "held", _("Held")
    REPORTED = "reported", _("Reported")
    CANCELLED = "cancelled", pgettext_lazy("event", "Cancelled")

    @classmethod
    def public_values(cls) -> list[str]:
        return [cls.PUBLISHED, cls.REGISTRATION_CLOSED, cls.HELD, cls.REPORTED, cls.CANCELLED]


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", pgettext_lazy("event sign-up", "Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", pgettext_lazy("event sign-up", "Cancelled")


class PresentationStatus(models.TextChoices):
    APPLIED = "applied", pgettext_lazy("presentation", "Applied")
    SELECTED = "selected", _("Selected")
    REJECTED = "rejected", _("Not selected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MeetingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", pgettext_lazy("meeting", "Accepted")
    DECLINED = "declined", pgettext_lazy("meeting", "Declined")
    CANCELLED = "cancelled", pgettext_lazy("meeting", "Cancelled")

    @classmethod
    def holding_values(cls) -> list[str]:
        """Meetings that hold their slot in both agendas."""
        return [cls.REQUESTED, cls.ACCEPTED]
