"""Choices of the demand board. An import leaf."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class DemandType(models.TextChoices):
    TECHNOLOGY_ACQUISITION = "technology_acquisition", _("Technology acquisition")
    JOINT_DEVELOPMENT = "joint_development", _("Joint development")
    PROBLEM_SOLVING = "problem_solving", _("Problem solving")
    CONSULTING = "consulting", pgettext_lazy("demand type", "Consulting")
    PILOT_TESTING = "pilot_testing", _("Pilot or testing")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    ANONYMOUS = "anonymous", _("Anonymous (enterprise hidden)")
    CONFIDENTIAL = "confidential", _("Confidential (details for invited parties)")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting bureau review")
    PUBLISHED = "published", pgettext_lazy("demand", "Open for responses")
    REJECTED = "rejected", _("Rejected")
    NEGOTIATING = "negotiating", _("Negotiating")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", pgettext_lazy("demand", "Closed")
    EXPIRED = "expired", _("Expired")


class Source(models.TextChoices):
    ENTERPRISE = "enterprise", _("Posted by the enterprise")
    STAFF = "staff", _("Recorded by bureau staff")
    BROKER = "broker", _("Recorded by a broker")
    IMPORT = "import", _("Bulk import")
    PARTNER = "partner", _("Partner system")

    @classmethod
    def recorded(cls) -> set[str]:
        """Sources where someone else wrote the demand: the enterprise must confirm it."""
        return {cls.STAFF, cls.BROKER}


class CooperationMode(models.TextChoices):
    TRANSFER = "transfer", _("Technology transfer")
    LICENSE = "license", _("Technology license")
    COMMISSIONED_DEVELOPMENT = "commissioned_development", _("Commissioned development")
    COOPERATIVE_DEVELOPMENT = "cooperative_development", _("Cooperative development")
    CONSULTING = "consulting", _("Technical consulting")
    SERVICE = "service", _("Technical service")
    EQUITY = "equity", _("Technology as equity")


class ResponseStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("response", "Submitted")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    DECLINED = "declined", pgettext_lazy("response", "Declined")
    DEAL_STARTED = "deal_started", _("Deal started")
    WITHDRAWN = "withdrawn", _("Withdrawn")

    @classmethod
    def live(cls) -> set[str]:
        return {cls.SUBMITTED, cls.SHORTLISTED}


class ResponseDeclineReason(models.TextChoices):
    APPROACH_UNSUITABLE = "approach_unsuitable", _("Approach unsuitable")
    TOO_EXPENSIVE = "too_expensive", _("Too expensive")
    TOO_EARLY = "too_early", _("Too early (not mature enough)")
    NOT_CONVINCING = "not_convincing", _("Not convincing")
    OTHER = "other", _("Other")


SORT_LABELS = [
    # Best match applies with search words; without them the board falls back to newest.
    ("relevance", _("Best match")),
    ("newest", _("Newest")),
    ("deadline", _("Deadline soonest")),
    ("budget_high", _("Budget: high to low")),
    ("popular", _("Most viewed")),
]


class ChallengeStatus(models.TextChoices):
    """揭榜挂帅: draft → submitted (to the bureau) → published → bidding → reviewing →
    shortlisted → awarded → notice (公示) → contracted → in progress → accepted | failed."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Awaiting bureau review")
    PUBLISHED = "published", pgettext_lazy("challenge", "Announced")
    BIDDING = "bidding", _("Open for bids")
    REVIEWING = "reviewing", _("Bids under review")
    SHORTLISTED = "shortlisted", pgettext_lazy("challenge", "Shortlist made")
    AWARDED = "awarded", _("Awarded")
    NOTICE = "notice", _("Public notice")
    CONTRACTED = "contracted", _("Contracted")
    IN_PROGRESS = "in_progress", _("In progress")
    ACCEPTED = "accepted", _("Accepted")
    FAILED = "failed", pgettext_lazy("challenge", "Failed")

    @classmethod
    def unpublished(cls) -> set[str]:
        """Statuses only the issuer's members and bureau staff see."""
        return {cls.DRAFT, cls.SUBMITTED}


class BidStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("bid", "Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    AWARDED = "awarded", pgettext_lazy("bid", "Awarded")
    NOT_SELECTED = "not_selected", _("Not selected")

    @classmethod
    def live(cls) -> set[str]:
        return {cls.SUBMITTED, cls.SHORTLISTED, cls.AWARDED}


class MilestoneStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("milestone", "Pending")
    SUBMITTED = "submitted", _("Report submitted")
    APPROVED = "approved", _("Approved, tranche released")
    REJECTED = "rejected", _("Not approved")


class ObjectionStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("objection", "Open")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


class PoolStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("pool", "Collecting pledges")
    FUNDED = "funded", _("Funded")
    LAPSED = "lapsed", _("Lapsed")
    CANCELLED = "cancelled", pgettext_lazy("pool", "Cancelled")


class PledgeStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("pledge", "Active")
    RELEASED = "released", _("Released")
    WITHDRAWN = "withdrawn", _("Withdrawn")
