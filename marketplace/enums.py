"""Choices shared by the whole market. An import leaf: nothing here imports models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationKind(models.TextChoices):
    UNIVERSITY = "university", _("University")
    INSTITUTE = "institute", _("Research institute")
    NEW_TYPE_RD = "new_type_rd", _("New-type R&D institution")
    ENTERPRISE = "enterprise", _("Enterprise")
    TRANSFER_AGENCY = "transfer_agency", _("Technology transfer agency")
    SERVICE_AGENCY = "service_agency", _("Service agency")
    PILOT_OPERATOR = "pilot_operator", _("Pilot base operator")
    BUREAU = "bureau", _("Science and technology bureau")
    PARTNER_SYSTEM = "partner_system", _("Partner system")

    @classmethod
    def supply_kinds(cls) -> set[str]:
        """Kinds that publish achievements (高校院所 and new-type R&D institutions)."""
        return {cls.UNIVERSITY, cls.INSTITUTE, cls.NEW_TYPE_RD}

    @classmethod
    def self_registration_choices(cls) -> list[tuple[str, str]]:
        """Kinds a visitor may register; the bureau and partner systems are created by staff."""
        return [(value, label) for value, label in cls.choices if value not in (cls.BUREAU, cls.PARTNER_SYSTEM)]


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", _("Not verified")
    PENDING = "pending", _("Awaiting review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("Organization administrator")
    MEMBER = "member", _("Member")


class JoinRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class StaffGroup(models.TextChoices):
    """The bureau's staff groups (design.md). The value is the auth Group name."""

    REVIEWER = "bureau_reviewer", _("Bureau reviewer")
    REGISTRAR = "bureau_registrar", _("Bureau contract registrar")
    STATISTICIAN = "bureau_statistician", _("Bureau statistician")
    EVENT_ORGANIZER = "event_organizer", _("Event organizer")
    ADMINISTRATOR = "bureau_administrator", _("Bureau administrator")


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("Province")
    CITY = 2, _("City")
    DISTRICT = 3, _("District or county")


class EmailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DAILY = "daily", _("Daily digest")
    NEVER = "never", _("Never (in-app only)")


class MailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class FileKind(models.TextChoices):
    """What an uploaded file is, decided from its content, not from its name."""

    PDF = "pdf", "PDF"
    PNG = "png", "PNG"
    JPEG = "jpeg", "JPEG"
    WEBP = "webp", "WebP"


class FilePurpose(models.TextChoices):
    VERIFICATION_EVIDENCE = "verification_evidence", _("Verification evidence")
    ATTACHMENT = "attachment", _("Attachment")


class ExpertKind(models.TextChoices):
    TECHNICAL = "technical", _("Technical expert")
    INDUSTRY = "industry", _("Industry expert")
    INVESTMENT = "investment", _("Investment expert")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    SCORING = "scoring", _("Experts scoring")
    CLOSED = "closed", _("Closed, results published")
    CANCELLED = "cancelled", _("Cancelled")


class AssignmentStatus(models.TextChoices):
    ACTIVE = "active", _("Assigned")
    DECLINED = "declined", _("Declined")
    SUBMITTED = "submitted", _("Scores submitted")


class MatchVerdict(models.TextChoices):
    USEFUL = "useful", _("Useful")
    NOT_USEFUL = "not_useful", _("Not useful")
    CONTACTED = "contacted", _("Contacted")


class MatchSide(models.TextChoices):
    """Which party of a match a person speaks for."""

    DEMAND = "demand", _("Demand side")
    ACHIEVEMENT = "achievement", _("Achievement side")
