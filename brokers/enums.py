from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """T/CASTEM 1007-2022 levels (技术经理人 初级 / 中级 / 高级)."""

    JUNIOR = "junior", _("Junior")
    INTERMEDIATE = "intermediate", _("Intermediate")
    SENIOR = "senior", _("Senior")

    @classmethod
    def rank(cls, level: str) -> int:
        return list(cls.values).index(level)


class FilingStatus(models.TextChoices):
    """A broker's filing with the bureau: the agency confirms, the bureau approves."""

    APPLIED = "applied", _("Applied, awaiting the agency")
    CONFIRMED = "confirmed", _("Confirmed by the agency, awaiting the bureau")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class UpgradeStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class EngagementStage(models.TextChoices):
    CLAIMED = "claimed", _("Claimed")
    CONTACTED = "contacted", _("Contacted")
    PROPOSAL = "proposal", _("Proposal made")
    NEGOTIATING = "negotiating", _("Negotiating")
    DEAL = "deal", _("Deal")
    DROPPED = "dropped", _("Dropped")


class ActivityKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    PROPOSAL = "proposal", _("Proposal")


class RewardKind(models.TextChoices):
    PERCENTAGE = "percentage", _("A percentage of the registered technology transaction amount")
    FIXED_PER_DEAL = "fixed_per_deal", _("A fixed sum per deal")
