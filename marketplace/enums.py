"""Choices shared by the whole market. An import leaf: nothing here imports models."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
    SIGNED_CONTRACT = "signed_contract", _("Signed contract")
    FILING_DOCUMENT = "filing_document", _("Filing document")
    PHOTO = "photo", _("Photo")


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


class DealKind(models.TextChoices):
    """What a deal trades: the transfer modes of the achievement library and the contract
    categories of the registration, seen from the market."""

    TRANSFER = "transfer", _("Technology transfer")
    LICENSE = "license", _("Technology license")
    EQUITY = "equity", _("Technology as equity")
    DEVELOPMENT = "development", _("Technology development")
    CONSULTING = "consulting", _("Technical consulting")
    SERVICE = "service", _("Technical service")


class DealStage(models.TextChoices):
    """intent → negotiating → signed → registered → performing → completed | failed (reason)."""

    INTENT = "intent", _("Intent")
    NEGOTIATING = "negotiating", pgettext_lazy("deal", "Negotiating")
    SIGNED = "signed", _("Contract signed")
    REGISTERED = "registered", _("Contract registered")
    PERFORMING = "performing", _("Performing")
    COMPLETED = "completed", pgettext_lazy("deal", "Completed")
    FAILED = "failed", pgettext_lazy("deal", "Failed")

    @classmethod
    def open(cls) -> set[str]:
        return {cls.INTENT, cls.NEGOTIATING, cls.SIGNED, cls.REGISTERED, cls.PERFORMING}


class DealOrigin(models.TextChoices):
    """Where a deal started."""

    INQUIRY = "inquiry", _("An inquiry about an achievement")
    RESPONSE = "response", _("A response to a demand")
    MATCH = "match", _("A supply–demand match")
    CHALLENGE = "challenge", _("An open-challenge award")
    EVENT = "event", _("A letter of intent signed at an event")
    DIRECT = "direct", _("Recorded directly")


class ContractCategory(models.TextChoices):
    """The five categories of the national technology-contract registration (技术合同认定登记)."""

    DEVELOPMENT = "development", _("Technology development")
    TRANSFER = "transfer", _("Technology transfer")
    LICENSE = "license", _("Technology license")
    CONSULTING = "consulting", _("Technical consulting")
    SERVICE = "service", _("Technical service")


class ContractSubtype(models.TextChoices):
    """Sub-types of each category; `for_category` says which belong where."""

    COMMISSIONED_DEVELOPMENT = "commissioned_development", _("Commissioned development")
    COOPERATIVE_DEVELOPMENT = "cooperative_development", _("Cooperative development")
    PATENT_RIGHT = "patent_right", _("Patent right transfer")
    PATENT_APPLICATION_RIGHT = "patent_application_right", _("Patent application right transfer")
    TECHNICAL_SECRET = "technical_secret", _("Technical secret transfer")
    PATENT_LICENSE = "patent_license", _("Patent implementation license")
    TECHNICAL_SECRET_LICENSE = "technical_secret_license", _("Technical secret license")
    CONSULTING = "consulting", _("Technical consulting")
    GENERAL_SERVICE = "general_service", _("Technical service")
    TRAINING = "training", _("Technical training")
    BROKERAGE = "brokerage", _("Technical brokerage")

    @classmethod
    def for_category(cls, category: str) -> list[str]:
        return {
            ContractCategory.DEVELOPMENT: [cls.COMMISSIONED_DEVELOPMENT, cls.COOPERATIVE_DEVELOPMENT],
            ContractCategory.TRANSFER: [cls.PATENT_RIGHT, cls.PATENT_APPLICATION_RIGHT, cls.TECHNICAL_SECRET],
            ContractCategory.LICENSE: [cls.PATENT_LICENSE, cls.TECHNICAL_SECRET_LICENSE],
            ContractCategory.CONSULTING: [cls.CONSULTING],
            ContractCategory.SERVICE: [cls.GENERAL_SERVICE, cls.TRAINING, cls.BROKERAGE],
        }.get(category, [])


class RegistrationStatus(models.TextChoices):
    """draft → submitted → accepted (受理) → registered (number issued) | returned (reasons)."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted for registration")
    ACCEPTED = "accepted", _("Accepted by the registrar")
    RETURNED = "returned", _("Returned for correction")
    REGISTERED = "registered", pgettext_lazy("contract", "Registered")


class PartyRole(models.TextChoices):
    """A party's side in the contract, as the registration form names them."""

    SELLER = "seller", _("Seller (technology provider)")
    BUYER = "buyer", _("Buyer (technology recipient)")
    INTERMEDIARY = "intermediary", _("Intermediary")


class LegalEntityKind(models.TextChoices):
    """The legal form of a party (主体性质) on the registration form."""

    ENTERPRISE = "enterprise", _("Enterprise legal person")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution legal person")
    GOVERNMENT = "government", _("Government body")
    SOCIAL_ORGANIZATION = "social_organization", _("Social organization legal person")
    OTHER_ORGANIZATION = "other_organization", _("Other organization")


class WebhookStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Failed (retries used up)")


class PartnerListingStatus(models.TextChoices):
    """What a partner wants for a listing it writes by reference."""

    PUBLISHED = (
        "published",
        _("Listed: on the market (after the bureau's review unless the partner publishes directly)"),
    )
    WITHDRAWN = "withdrawn", _("Withdrawn: taken off the market")
