"""Choices of the achievement library. An import leaf."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Category(models.TextChoices):
    """The three kinds of achievements of the Qingdao action plan."""

    MAJOR_ORIGINAL = "major_original", _("Major original innovation")
    INDUSTRIAL = "industrial", _("Industrial innovation")
    DEMAND_DRIVEN = "demand_driven", _("Enterprise-demand driven")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    INTERNAL_REVIEW = "internal_review", _("Awaiting the institution's approval")
    SUBMITTED = "submitted", _("Awaiting bureau review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    TRANSFERRED = "transferred", _("Transferred")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ARCHIVED = "archived", _("Archived")


class TRL(models.IntegerChoices):
    """Technology readiness levels of GB/T 22900-2022 (技术就绪水平)."""

    L1 = 1, _("TRL 1 · Basic principles observed and reported")
    L2 = 2, _("TRL 2 · Technology concept and application formulated")
    L3 = 3, _("TRL 3 · Key functions proven feasible by analysis and experiment")
    L4 = 4, _("TRL 4 · Components or modules validated in the laboratory")
    L5 = 5, _("TRL 5 · Components or modules validated in a relevant environment")
    L6 = 6, _("TRL 6 · Prototype system demonstrated in a relevant environment")
    L7 = 7, _("TRL 7 · Prototype demonstrated in the operational environment")
    L8 = 8, _("TRL 8 · Actual system completed, tested and qualified (pilot scale)")
    L9 = 9, _("TRL 9 · Actual system proven in operation, ready for volume production")


class TransferMode(models.TextChoices):
    """转化方式. Assignment (转让) is a mode here; "transfer" is a contract category."""

    ASSIGNMENT = "assignment", _("Assignment")
    LICENSE_EXCLUSIVE = "license_exclusive", _("Exclusive license")
    LICENSE_SOLE = "license_sole", _("Sole license")
    LICENSE_NON_EXCLUSIVE = "license_non_exclusive", _("Non-exclusive license")
    EQUITY = "equity", _("Equity investment")
    JOINT_IMPLEMENTATION = "joint_implementation", _("Joint implementation")
    SELF_IMPLEMENTATION = "self_implementation", _("Self implementation")


class IPRightKind(models.TextChoices):
    INVENTION_PATENT = "invention_patent", _("Invention patent")
    UTILITY_MODEL = "utility_model", _("Utility model patent")
    DESIGN_PATENT = "design_patent", _("Design patent")
    SOFTWARE_COPYRIGHT = "software_copyright", _("Software copyright")
    KNOW_HOW = "know_how", _("Know-how")
    OTHER = "other", _("Other")

    @classmethod
    def patent_kinds(cls) -> set[str]:
        return {cls.INVENTION_PATENT, cls.UTILITY_MODEL, cls.DESIGN_PATENT}


class IPRightStatus(models.TextChoices):
    FILED = "filed", _("Application filed")
    GRANTED = "granted", _("Granted or registered")


class InquiryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    DEAL_STARTED = "deal_started", _("Deal started")
    DECLINED = "declined", _("Declined")


class DeclineReason(models.TextChoices):
    TOO_EARLY = "too_early", _("Too early (not mature enough)")
    PRICE = "price", _("Price")
    IP_UNCLEAR = "ip_unclear", _("IP rights unclear")
    NOT_OUR_FIELD = "not_our_field", _("Not our field")
    OTHER = "other", _("Other")


class ProblemStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("problem", "Open")
    IN_PROGRESS = "in_progress", _("Being handled")
    RESOLVED = "resolved", _("Resolved")


class Source(models.TextChoices):
    """Where a record came from; with external_ref it identifies imported records."""

    PLATFORM = "platform", _("Entered on the platform")
    IMPORT = "import", _("Bulk import")
    CSL = "csl", _("CSL sample")
    PARTNER = "partner", _("Partner system")


# The library's sort orders (keys of achievements.selectors.SORTS).
SORT_LABELS = [
    # Best match applies with search words; without them the library falls back to newest.
    ("relevance", _("Best match")),
    ("newest", _("Newest")),
    ("price_low", _("Price: low to high")),
    ("price_high", _("Price: high to low")),
    ("trl_high", _("Most mature")),
    ("popular", _("Most viewed")),
]


class FeaturedIssueStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("featured issue", "Being composed")
    PUBLISHED = "published", pgettext_lazy("featured issue", "Published")


class DigestFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    ACTIVE = "active", pgettext_lazy("subscription", "Active")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class DeliveryStatus(models.TextChoices):
    """queued → claimed (by a worker, in a batch) → sending (its group on the wire) → sent |
    failed; a claim left by a dead worker goes back to queued; a message left `sending` may or may
    not have gone out and is `ambiguous` until staff reconcile it (never resent on a guess)."""

    QUEUED = "queued", pgettext_lazy("delivery", "Queued")
    CLAIMED = "claimed", _("Claimed by a worker")
    SENDING = "sending", _("Sending")
    SENT = "sent", pgettext_lazy("delivery", "Sent")
    FAILED = "failed", pgettext_lazy("delivery", "Failed")
    AMBIGUOUS = "ambiguous", _("Unknown: to reconcile")
