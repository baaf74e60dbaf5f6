"""Pilot bases and proof-of-concept centres (中试基地 / 概念验证中心): the facility filed with the
bureau, its equipment and priced services, service requests (中试熟化服务) with equipment
bookings, yearly re-evaluations and facility subsidies."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin
from simple_history.models import HistoricalRecords

from achievements.enums import TRL
from marketplace import rules as market_rules
from marketplace.models.base import TimeStampedModel
from pilots import rules as pilot_rules
from pilots.enums import BaseKind, BaseLevel, FeeUnit, FilingStatus, RequestStatus, ReviewOutcome

MONEY = {"max_digits": 14, "decimal_places": 2}


class PilotBaseQuerySet(models.QuerySet):
    def filed(self):
        """Bases whose filing is approved: the public directory."""
        return self.filter(status=FilingStatus.APPROVED)

    def review_due(self, *, today=None):
        return self.filed().filter(next_review_due__lte=today or timezone.localdate())


class PilotBase(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A pilot base or proof-of-concept centre, run by an operator organization."""

    name = models.CharField(_("name"), max_length=200)
    operator = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        related_name="pilot_bases",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=BaseKind.choices, default=BaseKind.PILOT_BASE)
    level = models.CharField(
        _("level"),
        max_length=20,
        choices=BaseLevel.choices,
        default=BaseLevel.MUNICIPAL,
        help_text=_("The level applied for; the bureau confirms it when it approves the filing."),
    )
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("industry fields"), related_name="pilot_bases"
    )
    region = models.ForeignKey(
        "marketplace.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="pilot_bases"
    )
    address = models.CharField(_("address"), max_length=200)
    introduction = models.TextField(_("introduction"), max_length=5000)
    processes = models.TextField(
        _("processes"),
        max_length=3000,
        help_text=_("The processes and kinds of work the base can run, e.g. 精细化工连续流合成、中试放大、小批量试产."),
    )
    scale = models.CharField(
        _("scale"), max_length=200, blank=True, help_text=_("E.g. 百公斤级中试线, 年产 500 吨, 洁净车间 2,000 ㎡.")
    )
    trl_min = models.PositiveSmallIntegerField(
        _("lowest TRL served"), choices=TRL.choices, default=4, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    trl_max = models.PositiveSmallIntegerField(
        _("highest TRL served"), choices=TRL.choices, default=6, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    qualifications = models.TextField(
        _("qualifications and certifications"),
        max_length=2000,
        blank=True,
        help_text=_("E.g. CNAS, CMA, ISO 9001, 安全生产许可, 危险化学品经营许可."),
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=20)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(
        _("filing status"), max_length=20, choices=FilingStatus.choices, default=FilingStatus.DRAFT, db_index=True
    )
    status_note = models.TextField(
        _("note"), blank=True, help_text=_("The reason given with a rejection or revocation.")
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    filing_number = models.CharField(_("filing number"), max_length=50, blank=True)
    next_review_due = models.DateField(_("next re-evaluation due"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    objects = PilotBaseQuerySet.as_manager()

    file_permission = "pilots.view_documents_pilotbase"

    class Meta:
        verbose_name = _("pilot base")
        verbose_name_plural = _("pilot bases")
        ordering = ["-approved_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(trl_min__lte=F("trl_max")),
                name="pilot_base_trl_range",
                violation_error_message=_("The lowest TRL served cannot be above the highest."),
            ),
            models.UniqueConstraint(
                fields=["operator", "name"],
                name="pilot_base_unique_name_per_operator",
                violation_error_message=_("Your organization already has a base with this name."),
            ),
        ]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="pilot_base_sync_idx")]
        rules_permissions = {
            "view": pilot_rules.view_base,
            "add": market_rules.always_allow,
            "change": pilot_rules.is_operator_member,
            "view_documents": pilot_rules.is_operator_member | market_rules.is_bureau_staff,
            "review": market_rules.is_bureau_reviewer,
        }

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pilots:detail", args=[self.pk])

    @property
    def is_filed(self) -> bool:
        return self.status == FilingStatus.APPROVED

    @property
    def trl_range(self) -> str:
        return f"TRL {self.trl_min}–{self.trl_max}"


class Equipment(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A piece of equipment of a base; shared equipment can be booked through service requests."""

    base = models.ForeignKey(
        PilotBase, verbose_name=_("pilot base"), on_delete=models.CASCADE, related_name="equipment"
    )
    name = models.CharField(_("name"), max_length=100)
    model_number = models.CharField(_("model"), max_length=100, blank=True)
    parameters = models.TextField(_("key parameters"), max_length=1000, blank=True)
    is_shared = models.BooleanField(
        _("shared"), default=True, help_text=_("Open to outside users, booked through service requests.")
    )
    fee = models.DecimalField(_("fee (yuan)"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)])
    fee_unit = models.CharField(_("fee unit"), max_length=10, choices=FeeUnit.choices, default=FeeUnit.HOUR)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["base", "name", "id"]
        rules_permissions = {
            "view": pilot_rules.view_child,
            "change": pilot_rules.is_child_operator,
        }

    def __str__(self) -> str:
        return f"{self.name} {self.model_number}".strip()


class PilotService(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A service a base offers at a listed price (or by quotation)."""

    base = models.ForeignKey(PilotBase, verbose_name=_("pilot base"), on_delete=models.CASCADE, related_name="services")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    price = models.DecimalField(
        _("price (yuan)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Leave empty for a price by quotation."),
    )
    price_unit = models.CharField(_("price unit"), max_length=10, choices=FeeUnit.choices, default=FeeUnit.PROJECT)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("pilot service")
        verbose_name_plural = _("pilot services")
        ordering = ["base", "name", "id"]
        rules_permissions = {
            "view": pilot_rules.view_child,
            "change": pilot_rules.is_child_operator,
        }

    def __str__(self) -> str:
        return self.name


class FilingReview(TimeStampedModel):
    """The yearly re-evaluation (年度复评) of a filed base."""

    base = models.ForeignKey(PilotBase, verbose_name=_("pilot base"), on_delete=models.CASCADE, related_name="reviews")
    year = models.PositiveSmallIntegerField(_("year"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=ReviewOutcome.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("re-evaluation")
        verbose_name_plural = _("re-evaluations")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "year"],
                name="pilot_review_one_per_year",
                violation_error_message=_("This base has been re-evaluated for this year already."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.base} {self.year}"


class FacilitySubsidy(TimeStampedModel):
    """Investment in a new facility of a base and the subsidy the bureau granted for it."""

    base = models.ForeignKey(
        PilotBase, verbose_name=_("pilot base"), on_delete=models.PROTECT, related_name="subsidies"
    )
    facility = models.CharField(_("facility"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    investment = models.DecimalField(_("investment (yuan)"), **MONEY, validators=[MinValueValidator(0)])
    subsidy = models.DecimalField(_("subsidy granted (yuan)"), **MONEY, validators=[MinValueValidator(0)])
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    granted_on = models.DateField(_("granted on"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("facility subsidy")
        verbose_name_plural = _("facility subsidies")
        ordering = ["-year", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subsidy__lte=F("investment")),
                name="pilot_subsidy_within_investment",
                violation_error_message=_("The subsidy cannot exceed the investment."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.base} · {self.facility}"


class ServiceRequest(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A request for pilot or proof-of-concept work, from the requester's organization to a base."""

    base = models.ForeignKey(
        PilotBase, verbose_name=_("pilot base"), on_delete=models.PROTECT, related_name="service_requests"
    )
    service = models.ForeignKey(
        PilotService,
        verbose_name=_("service"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
    )
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="pilot_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    achievement = models.ForeignKey(
        "achievements.Achievement",
        verbose_name=_("achievement"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pilot_requests",
    )
    demand = models.ForeignKey(
        "demands.Demand",
        verbose_name=_("demand"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="pilot_requests",
    )
    title = models.CharField(_("title"), max_length=200)
    process = models.TextField(_("process"), max_length=3000, help_text=_("What is to be run, tested or scaled up."))
    quantity = models.CharField(_("quantity"), max_length=100, help_text=_("E.g. 3 批次, 200 kg, 500 小时."))
    start_on = models.DateField(_("wanted from"))
    end_on = models.DateField(_("wanted until"))
    quoted_amount = models.DecimalField(
        _("quoted amount (yuan)"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    quote_note = models.TextField(_("quotation note"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED, db_index=True
    )
    status_note = models.TextField(_("reason"), blank=True)
    outcome_report = models.TextField(_("outcome report"), max_length=10000, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    file_permission = "pilots.view_servicerequest"

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__gte=F("start_on")),
                name="pilot_request_period",
                violation_error_message=_("The period cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="pilot_request_sync_idx")]
        rules_permissions = {
            "view": pilot_rules.is_request_party | market_rules.is_bureau_staff,
            "operate": pilot_rules.is_request_operator,
            "request": pilot_rules.is_requester,
        }

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pilots:request", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in RequestStatus.open_values()


class Booking(TimeStampedModel):
    """A slot of a piece of equipment, held for a service request (or blocked by the operator for
    maintenance). Two live bookings of one piece of equipment never overlap: the service checks
    under a row lock of the equipment, and on PostgreSQL an exclusion constraint backs it."""

    equipment = models.ForeignKey(
        Equipment, verbose_name=_("equipment"), on_delete=models.CASCADE, related_name="bookings"
    )
    request = models.ForeignKey(
        ServiceRequest,
        verbose_name=_("service request"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="bookings",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("booked by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="pilot_booking_ends_after_start",
                violation_error_message=_("A booking ends after it starts."),
            ),
        ]
        indexes = [models.Index(fields=["equipment", "starts_at"], name="pilot_booking_calendar_idx")]

    def __str__(self) -> str:
        return f"{self.equipment} {self.starts_at:%Y-%m-%d %H:%M}"
