from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin
from simple_history.models import HistoricalRecords

from marketplace import rules as market_rules
from marketplace.enums import JoinRequestStatus, MembershipRole, OrganizationKind, VerificationStatus
from marketplace.validators import validate_mobile_phone, validate_uscc

from .base import TimeStampedModel


class OrganizationQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verification_status=VerificationStatus.VERIFIED)


class Organization(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A party of the market: university, institute, enterprise, agency, the bureau, a partner."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganizationKind.choices)
    uscc = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_uscc],
        help_text=_("18 characters, GB 32100-2015."),
    )
    region = models.ForeignKey(
        "marketplace.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True, validators=[validate_mobile_phone])
    description = models.TextField(_("introduction"), blank=True, max_length=2000)
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("industry fields"), blank=True, related_name="organizations"
    )
    requires_internal_approval = models.BooleanField(
        _("internal approval before submission"),
        default=False,
        help_text=_(
            "Achievements go to the organization's own tech-transfer office (its administrators) before the bureau."
        ),
    )
    verification_status = models.CharField(
        _("verification"), max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    verification_note = models.TextField(_("review note"), blank=True, help_text=_("Reason given with a rejection."))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verification_requested_at = models.DateTimeField(_("verification requested at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="organization_sync_idx"),
            models.Index(fields=["verification_status", "kind"], name="organization_status_kind_idx"),
        ]
        rules_permissions = {
            "view": market_rules.is_verified_organization | market_rules.is_org_member | market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_administrator,
            "change": market_rules.is_org_admin | market_rules.is_bureau_reviewer,
            "delete": market_rules.is_bureau_administrator,
            "review": market_rules.is_bureau_reviewer,
            "manage_members": market_rules.is_org_admin,
            "request_verification": market_rules.is_org_admin,
            "view_evidence": market_rules.is_org_member | market_rules.is_bureau_reviewer,
        }

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED

    # A file attached to an organization (its verification evidence) is readable by whoever
    # holds this permission on the organization; see PrivateFile.
    file_permission = "marketplace.view_evidence_organization"


class Membership(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A user's role in an organization."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    created_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organization__name", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_organization")
        ]
        rules_permissions = {
            "view": market_rules.is_org_member | market_rules.is_bureau_staff,
            "add": market_rules.is_org_admin | market_rules.is_bureau_administrator,
            "change": market_rules.is_org_admin | market_rules.is_bureau_administrator,
            "delete": market_rules.is_org_admin | market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization}（{self.get_role_display()}）"


class JoinRequest(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A user asks to join an existing organization; one of its administrators decides."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="join_requests"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="join_requests"
    )
    message = models.CharField(_("message"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JoinRequestStatus.choices, default=JoinRequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"],
                condition=Q(status=JoinRequestStatus.PENDING),
                name="join_request_one_pending_per_user_organization",
            )
        ]
        rules_permissions = {
            "view": market_rules.is_own_record | market_rules.is_org_admin | market_rules.is_bureau_staff,
            "add": market_rules.always_allow,
            "cancel": market_rules.is_own_record,
            "change": market_rules.is_org_admin | market_rules.is_bureau_administrator,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return f"{self.user} → {self.organization}"
