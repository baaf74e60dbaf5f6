"""Deals (技术交易) and their technology-contract registrations (技术合同认定登记).

A deal is the market's result in progress: a seller and a buyer, an achievement and/or a
demand, from its first intent to a completed (or failed) contract, with the payments received.
Its registration is the form the bureau's registrar checks and registers; registered contracts
are what the bureau counts. Only the services in marketplace/services/deals.py write them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin
from simple_history.models import HistoricalRecords

from marketplace import rules as market_rules
from marketplace.enums import (
    ContractCategory,
    ContractSubtype,
    DealKind,
    DealOrigin,
    DealStage,
    LegalEntityKind,
    PartyRole,
    RegistrationStatus,
)
from marketplace.validators import validate_uscc

from .base import TimeStampedModel

MONEY = {"max_digits": 14, "decimal_places": 2}


class DealQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Deals of the user's organizations (either side) and deals they broker; staff see all."""
        if market_rules.is_bureau_staff(user):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        organizations = list(market_rules.membership_roles(user))
        return self.filter(
            Q(seller_id__in=organizations) | Q(buyer_id__in=organizations) | Q(brokers=user.pk)
        ).distinct()


class Deal(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A technology deal between a seller and a buyer, from intent to a completed contract."""

    title = models.CharField(_("title"), max_length=200)
    seller = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("seller"), on_delete=models.PROTECT, related_name="deals_sold"
    )
    buyer = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("buyer"), on_delete=models.PROTECT, related_name="deals_bought"
    )
    achievement = models.ForeignKey(
        "achievements.Achievement",
        verbose_name=_("achievement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
    )
    demand = models.ForeignKey(
        "demands.Demand",
        verbose_name=_("demand"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deals",
    )
    brokers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("brokers"), blank=True, related_name="brokered_deals"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DealKind.choices)
    amount = models.DecimalField(
        _("agreed amount (yuan)"), **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    stage = models.CharField(_("stage"), max_length=20, choices=DealStage.choices, default=DealStage.INTENT)
    failure_reason = models.TextField(_("reason it failed"), blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    origin = models.CharField(_("started from"), max_length=20, choices=DealOrigin.choices)
    inquiry = models.ForeignKey(
        "achievements.Inquiry",
        verbose_name=_("inquiry"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    response = models.ForeignKey(
        "demands.DemandResponse",
        verbose_name=_("demand response"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    match = models.ForeignKey(
        "marketplace.Match",
        verbose_name=_("match"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    bid = models.ForeignKey(
        "demands.Bid",
        verbose_name=_("awarded bid"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deals",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    objects = DealQuerySet.as_manager()

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(seller=F("buyer")),
                name="deal_seller_is_not_buyer",
                violation_error_message=_("The seller and the buyer must be different organizations."),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
                name="deal_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(achievement__isnull=False) | Q(demand__isnull=False) | Q(bid__isnull=False),
                name="deal_has_a_listing",
                violation_error_message=_("A deal concerns an achievement, a demand or both."),
            ),
            # One live deal per starting point; a failed one may be followed by another.
            *(
                models.UniqueConstraint(
                    fields=[name],
                    condition=~Q(stage="failed"),
                    name=f"deal_one_live_per_{name}",
                    violation_error_message=_("A deal has already been started from here."),
                )
                for name in ("inquiry", "response", "bid")
            ),
        ]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="deal_sync_idx"),
            models.Index(fields=["seller", "stage"], name="deal_seller_idx"),
            models.Index(fields=["buyer", "stage"], name="deal_buyer_idx"),
        ]
        rules_permissions = {
            "view": market_rules.is_deal_party | market_rules.is_deal_broker | market_rules.is_bureau_staff,
            "add": market_rules.has_any_membership,
            "change": market_rules.is_deal_party,
            "delete": market_rules.always_deny,
            "register": market_rules.is_deal_party,
        }

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("deals:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.stage in DealStage.open()

    @property
    def is_signed(self) -> bool:
        """The contract is signed: from `signed` on, failed ones excepted."""
        return self.stage in (DealStage.SIGNED, DealStage.REGISTERED, DealStage.PERFORMING, DealStage.COMPLETED)

    @property
    def amount_wan(self):
        return None if self.amount is None else self.amount / 10000


class DealPayment(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """One instalment received under a signed deal."""

    deal = models.ForeignKey(Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(_("amount (yuan)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="deal_payment_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            )
        ]
        # The deal's parties record payments through the services; staff read them in the admin.
        rules_permissions = {
            "view": market_rules.is_bureau_staff,
            "add": market_rules.always_deny,
            "change": market_rules.always_deny,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.received_on} {self.amount}"


class RegistrationSequence(models.Model):
    """The last registration number issued in a year; locked while the next one is taken."""

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("registration number sequence")
        verbose_name_plural = _("registration number sequences")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class ContractRegistrationQuerySet(models.QuerySet):
    def registered(self):
        return self.filter(status=RegistrationStatus.REGISTERED)

    def visible_to(self, user):
        """Registrations of the user's organizations (applicant, deal side or named party); staff
        see all."""
        if market_rules.is_bureau_staff(user):
            return self
        if partner_id := market_rules.partner_id_of(user):
            # A partner system with contracts:read (the token's scope is checked on the route)
            # sees registered contracts, which the registry reports anyway, and its own records.
            return self.filter(Q(status=RegistrationStatus.REGISTERED) | Q(partner_id=partner_id))
        if not getattr(user, "is_authenticated", False):
            return self.none()
        organizations = list(market_rules.membership_roles(user))
        return self.filter(
            Q(organization_id__in=organizations)
            | Q(deal__seller_id__in=organizations)
            | Q(deal__buyer_id__in=organizations)
            | Q(parties__organization_id__in=organizations)
        ).distinct()


class ContractRegistration(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A technology contract submitted for registration, following the national form.

    The parties fill in and submit it (prefilled from the deal); the registrar accepts it,
    sets the technology transaction amount and registers it (a registration number is issued),
    or returns it with reasons for correction."""

    deal = models.OneToOneField(
        Deal,
        verbose_name=_("deal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registration",
    )
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="contract_registrations",
    )
    title = models.CharField(_("contract name"), max_length=200)
    contract_number = models.CharField(_("contract number"), max_length=50, blank=True)
    category = models.CharField(_("contract category"), max_length=20, choices=ContractCategory.choices)
    subtype = models.CharField(_("sub-type"), max_length=30, choices=ContractSubtype.choices)
    industry_field = models.ForeignKey(
        "marketplace.IndustryField",
        verbose_name=_("industry field"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    total_amount = models.DecimalField(
        _("contract amount (yuan)"), **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    technology_amount = models.DecimalField(
        _("technology transaction amount (yuan)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Set by the registrar."),
    )
    signed_contract = models.ForeignKey(
        "marketplace.PrivateFile",
        verbose_name=_("signed contract (PDF)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.DRAFT
    )
    registration_number = models.CharField(_("registration number"), max_length=20, null=True, blank=True, unique=True)
    return_reason = models.TextField(_("reasons for return"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    registrar = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registrar"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True, db_index=True)
    external_ref = models.CharField(_("external reference"), max_length=100, blank=True, default="")
    partner = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("partner system"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The partner system that writes this record; with external_ref it identifies it."),
    )
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    objects = ContractRegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("contract registration")
        verbose_name_plural = _("contract registrations")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__isnull=True) | Q(total_amount__gt=0),
                name="registration_total_positive",
                violation_error_message=_("The contract amount must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(technology_amount__isnull=True) | Q(technology_amount__lte=F("total_amount")),
                name="registration_technology_within_total",
                violation_error_message=_("The technology transaction amount cannot exceed the contract amount."),
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="registration_validity_ordered",
                violation_error_message=_("The contract must end after it starts."),
            ),
            models.UniqueConstraint(
                fields=["partner", "external_ref"],
                condition=Q(partner__isnull=False),
                name="registration_unique_partner_external_ref",
                violation_error_message=_("This partner already has a record with this external reference."),
            ),
        ]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="registration_sync_idx"),
            models.Index(fields=["status", "submitted_at"], name="registration_queue_idx"),
        ]
        rules_permissions = {
            "view": market_rules.is_registration_party | market_rules.is_bureau_staff,
            "add": market_rules.has_any_membership,
            "change": market_rules.is_registration_party & market_rules.is_registration_editable,
            "delete": market_rules.always_deny,
            "register": market_rules.is_bureau_registrar,
        }

    def __str__(self) -> str:
        return self.registration_number or self.title

    def get_absolute_url(self) -> str:
        if self.deal_id:
            return reverse("deals:detail", args=[self.deal_id])
        return reverse("admin:marketplace_contractregistration_change", args=[self.pk])

    # The signed contract is readable by the parties and bureau staff only.
    file_permission = "marketplace.view_contractregistration"

    def parties_in(self, role: str) -> list:
        return [party for party in self.parties.all() if party.role == role]


class ContractParty(models.Model):
    """A party of a registered contract as the form records it: name, credit code, region and
    legal form. Linked to the organization when it is on the platform."""

    registration = models.ForeignKey(
        ContractRegistration, verbose_name=_("registration"), on_delete=models.CASCADE, related_name="parties"
    )
    role = models.CharField(_("role"), max_length=20, choices=PartyRole.choices)
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("organization"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=100)
    uscc = models.CharField(_("unified social credit code"), max_length=18, validators=[validate_uscc])
    region = models.ForeignKey(
        "marketplace.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+"
    )
    legal_entity_kind = models.CharField(_("legal form"), max_length=30, choices=LegalEntityKind.choices)

    class Meta:
        verbose_name = _("contract party")
        verbose_name_plural = _("contract parties")
        ordering = ["registration", "role", "id"]
        indexes = [models.Index(fields=["role", "region"], name="contract_party_region_idx")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}：{self.name}"
