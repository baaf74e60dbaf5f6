from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class BaseKind(models.TextChoices):
    PILOT_BASE = "pilot_base", _("Pilot base")
    POC_CENTRE = "poc_centre", _("Proof-of-concept centre")


class BaseLevel(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    MUNICIPAL = "municipal", _("Municipal")


class FilingStatus(models.TextChoices):
    """A base's filing (备案) with the bureau."""

    DRAFT = "draft", _("Draft")
    APPLIED = "applied", _("Applied, under review")
    APPROVED = "approved", _("Filed")
    REJECTED = "rejected", _("Rejected")
    REVOKED = "revoked", _("Revoked")


class ReviewOutcome(models.TextChoices):
    """The yearly re-evaluation of a filed base."""

    PASSED = "passed", _("Passed")
    RECTIFY = "rectify", _("Passed with rectification")
    FAILED = "failed", _("Failed (filing revoked)")


class FeeUnit(models.TextChoices):
    HOUR = "hour", _("per hour")
    DAY = "day", _("per day")
    BATCH = "batch", _("per batch")
    SAMPLE = "sample", _("per sample")
    PROJECT = "project", _("per project")


class RequestStatus(models.TextChoices):
    """A service request (中试熟化服务) from submission to the outcome report."""

    SUBMITTED = "submitted", _("Submitted")
    QUOTED = "quoted", _("Quoted, awaiting the requester")
    ACCEPTED = "accepted", pgettext_lazy("service request", "Accepted")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", pgettext_lazy("service request", "Completed")
    DECLINED = "declined", pgettext_lazy("service request", "Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    @classmethod
    def open_values(cls) -> list[str]:
        return [cls.SUBMITTED, cls.QUOTED, cls.ACCEPTED, cls.SCHEDULED, cls.IN_PROGRESS]
