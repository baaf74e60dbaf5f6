"""The demand board (企业技术需求): demands, their cooperation modes and the responses to them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin
from simple_history.models import HistoricalRecords

from brokers import rules as broker_rules
from demands import rules as demand_rules
from demands.enums import (
    BidStatus,
    ChallengeStatus,
    CooperationMode,
    DemandType,
    MilestoneStatus,
    ObjectionStatus,
    PledgeStatus,
    PoolStatus,
    ResponseDeclineReason,
    ResponseStatus,
    Source,
    Status,
    Visibility,
)
from marketplace import rules as market_rules
from marketplace.fields import UnicodeJSONEncoder
from marketplace.freshness import is_stale, stale_filter
from marketplace.models.base import TimeStampedModel


class DemandQuerySet(models.QuerySet):
    def public(self):
        """Demands on the public board (their details may still be masked per visibility)."""
        return self.filter(status__in=demand_rules.PUBLIC_STATUSES)

    def visible_to(self, user):
        """What the user may open: the public board, plus their organizations' demands, plus
        those they are assigned to as a broker; staff see all."""
        if market_rules.is_bureau_staff(user):
            return self
        query = Q(status__in=demand_rules.PUBLIC_STATUSES)
        if getattr(user, "is_authenticated", False):
            query |= Q(organization_id__in=market_rules.membership_roles(user).keys()) | Q(assigned_brokers=user)
        if partner_id := market_rules.partner_id_of(user):
            query |= Q(partner_id=partner_id)  # a partner system sees the records it wrote
        return self.filter(query).distinct()

    def stale(self, *, now=None):
        return stale_filter(self.filter(status=Status.PUBLISHED), now=now)

    def enterprise_disclosed_to(self, user):
        """Demands whose enterprise the user may know (the queryset form of sees_enterprise)."""
        return self.filter(_disclosed(user, Visibility.ANONYMOUS, invited_count=False))

    def details_disclosed_to(self, user):
        """Demands whose details the user may see (the queryset form of sees_details)."""
        return self.filter(_disclosed(user, Visibility.CONFIDENTIAL, invited_count=True))


def _disclosed(user, hiding_visibility: str, *, invited_count: bool) -> Q:
    if market_rules.is_bureau_staff(user):
        return Q()
    query = ~Q(visibility=hiding_visibility)
    if partner_id := market_rules.partner_id_of(user):
        return query | Q(partner_id=partner_id)
    if not getattr(user, "is_authenticated", False):
        return query
    organizations = list(market_rules.membership_roles(user))
    query |= Q(organization_id__in=organizations) | Q(
        pk__in=Demand.assigned_brokers.through.objects.filter(user_id=user.pk).values("demand_id")
    )
    if invited_count:
        query |= Q(
            pk__in=Demand.invited_organizations.through.objects.filter(organization_id__in=organizations).values(
                "demand_id"
            )
        )
    return query


class Demand(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A technical need of an enterprise, posted by it or recorded on its behalf."""

    organization = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="demands"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("public summary"),
        max_length=300,
        help_text=_("One or two sentences everyone may read, even for a confidential demand."),
    )
    problem = models.TextField(_("problem"), max_length=5000)
    desired_outcome = models.TextField(_("desired outcome"), blank=True, max_length=3000)
    technical_indicators = models.TextField(_("technical indicators"), blank=True, max_length=3000)
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("industry fields"), related_name="demands"
    )
    keywords = models.JSONField(_("keywords"), default=list, blank=True, encoder=UnicodeJSONEncoder)
    demand_type = models.CharField(_("demand type"), max_length=30, choices=DemandType.choices)
    min_trl = models.PositiveSmallIntegerField(
        _("minimum TRL wanted"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    budget_min = models.DecimalField(
        _("budget from (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    budget_max = models.DecimalField(
        _("budget to (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    budget_negotiable = models.BooleanField(_("budget negotiable"), default=False)
    deadline = models.DateField(_("deadline"), help_text=_("The demand expires after this day."))
    region = models.ForeignKey(
        "marketplace.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    visibility = models.CharField(_("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    invited_organizations = models.ManyToManyField(
        "marketplace.Organization",
        verbose_name=_("invited organizations"),
        blank=True,
        related_name="demand_invitations",
        help_text=_("They see the details of a confidential demand."),
    )
    assigned_brokers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("assigned brokers"), blank=True, related_name="assigned_demands"
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    review_note = models.TextField(_("review note"), blank=True)
    close_note = models.TextField(_("closing note"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.ENTERPRISE)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The broker or staff member who wrote it down for the enterprise."),
    )
    enterprise_confirmed_at = models.DateTimeField(_("confirmed by the enterprise"), null=True, blank=True)
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
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("views"), default=0)
    # Set by the matcher (marketplace.services.matching): the best score it found, and since when
    # the published demand has waited in the broker triage queue for want of a good match.
    best_match_score = models.FloatField(_("best match score"), null=True, blank=True, editable=False)
    triage_since = models.DateTimeField(_("in the broker triage queue since"), null=True, blank=True, editable=False)
    history = HistoricalRecords(
        excluded_fields=["updated_at", "view_count", "best_match_score", "triage_since"], m2m_fields=[]
    )

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=~Q(external_ref="") & Q(partner__isnull=True),
                name="demand_unique_source_external_ref",
                violation_error_message=_("A demand from this source already has this external reference."),
            ),
            models.UniqueConstraint(
                fields=["partner", "external_ref"],
                condition=Q(partner__isnull=False),
                name="demand_unique_partner_external_ref",
                violation_error_message=_("This partner already has a record with this external reference."),
            ),
            models.CheckConstraint(
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_min__lte=models.F("budget_max")),
                name="demand_budget_min_not_above_max",
                violation_error_message=_("The lower budget is above the upper budget."),
            ),
            models.CheckConstraint(
                condition=Q(min_trl__isnull=True) | Q(min_trl__gte=1, min_trl__lte=9), name="demand_trl_1_to_9"
            ),
        ]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="demand_sync_idx"),
            models.Index(fields=["status", "-published_at"], name="demand_board_idx"),
            models.Index(fields=["organization", "status"], name="demand_owner_idx"),
            models.Index(fields=["status", "deadline"], name="demand_deadline_idx"),
            models.Index(fields=["triage_since"], name="demand_triage_idx", condition=Q(triage_since__isnull=False)),
        ]
        rules_permissions = {
            "view": demand_rules.view_demand,
            "add": market_rules.is_org_member,
            "change": demand_rules.owner_member & demand_rules.is_editable_status,
            "delete": demand_rules.owner_member,
            "manage": demand_rules.owner_member,
            "review": market_rules.is_bureau_reviewer,
            "respond": demand_rules.can_respond,
            "see_enterprise": demand_rules.sees_enterprise,
            "see_details": demand_rules.sees_details,
            "see_matches": demand_rules.insider,
            # Demand mining (需求挖掘): bureau staff and active brokers record demands for enterprises.
            "record": market_rules.is_bureau_staff | broker_rules.is_active_broker,
        }

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("demands:detail", args=[self.pk])

    # Attachments are readable by whoever may see the demand's details.
    file_permission = "demands.see_details_demand"

    @property
    def is_public(self) -> bool:
        return self.status in demand_rules.PUBLIC_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in demand_rules.OPEN_STATUSES

    @property
    def is_stale(self) -> bool:
        return self.status == Status.PUBLISHED and is_stale(self.confirmed_at)

    @property
    def needs_enterprise_confirmation(self) -> bool:
        return self.source in Source.recorded() and self.enterprise_confirmed_at is None


class DemandCooperationMode(models.Model):
    demand = models.ForeignKey(Demand, on_delete=models.CASCADE, related_name="cooperation_modes")
    mode = models.CharField(_("cooperation mode"), max_length=30, choices=CooperationMode.choices)

    class Meta:
        verbose_name = _("cooperation mode")
        verbose_name_plural = _("cooperation modes")
        constraints = [models.UniqueConstraint(fields=["demand", "mode"], name="demand_cooperation_mode_unique")]
        indexes = [models.Index(fields=["mode", "demand"], name="demand_mode_idx")]

    def __str__(self) -> str:
        return self.get_mode_display()


class DemandResponse(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A solver organization's proposal for a published demand."""

    demand = models.ForeignKey(Demand, verbose_name=_("demand"), on_delete=models.CASCADE, related_name="responses")
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("responding organization"),
        on_delete=models.CASCADE,
        related_name="demand_responses",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    approach = models.TextField(_("proposed approach"), max_length=5000)
    team = models.TextField(_("team"), blank=True, max_length=2000)
    price_idea = models.DecimalField(
        _("price idea (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    achievements = models.ManyToManyField(
        "achievements.Achievement", verbose_name=_("linked achievements"), blank=True, related_name="demand_responses"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.SUBMITTED
    )
    decline_reason = models.CharField(
        _("decline reason"), max_length=30, choices=ResponseDeclineReason.choices, blank=True
    )
    decline_note = models.TextField(_("decline note"), blank=True)
    messages = GenericRelation("marketplace.Message", content_type_field="thread_type", object_id_field="thread_id")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("demand response")
        verbose_name_plural = _("demand responses")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["demand", "organization"],
                condition=Q(status__in=["submitted", "shortlisted"]),
                name="demand_response_one_live_per_organization",
                violation_error_message=_("Your organization already has a live response to this demand."),
            )
        ]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="demand_response_sync_idx")]
        rules_permissions = {
            "view": demand_rules.is_response_party | market_rules.is_bureau_staff,
            "message": demand_rules.is_response_party,
            "decide": demand_rules.is_response_demand_owner,
            "withdraw": demand_rules.is_responder & demand_rules.is_live_response,
            "add": market_rules.always_allow,
            "change": demand_rules.is_responder & demand_rules.is_live_response,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.organization} → {self.demand}"

    def get_absolute_url(self) -> str:
        return reverse("demands:response", args=[self.pk])

    file_permission = "demands.view_demandresponse"


# Open challenges (揭榜挂帅) -------------------------------------------------------------------


class Challenge(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A bounty on a hard problem: open bidding in a window, blind expert review, award,
    public notice, contract and milestone payments."""

    demand = models.ForeignKey(
        Demand, verbose_name=_("demand"), on_delete=models.PROTECT, null=True, blank=True, related_name="challenges"
    )
    pool = models.OneToOneField(
        "demands.PooledProcurement",
        verbose_name=_("pooled procurement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="challenge",
    )
    organization = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("issuer"), on_delete=models.PROTECT, related_name="challenges"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("challenge"), max_length=5000)
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("industry fields"), related_name="challenges"
    )
    bounty = models.DecimalField(_("bounty (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(1)])
    opens_at = models.DateTimeField(_("bids open"))
    closes_at = models.DateTimeField(_("bids close"))
    eligibility = models.TextField(_("eligibility"), max_length=3000)
    deliverables = models.TextField(_("deliverables"), max_length=3000)
    review_criteria = models.TextField(_("review criteria"), blank=True, max_length=2000)
    award_count = models.PositiveSmallIntegerField(
        _("number of winners"), default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notice_days = models.PositiveSmallIntegerField(
        _("public notice (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    notice_ends_at = models.DateTimeField(_("notice ends"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ChallengeStatus.choices, default=ChallengeStatus.DRAFT, db_index=True
    )
    evaluation = models.OneToOneField(
        "marketplace.EvaluationRound",
        verbose_name=_("evaluation round"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="challenge",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    class Meta:
        verbose_name = _("open challenge")
        verbose_name_plural = _("open challenges")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="challenge_window_closes_after_opening",
                violation_error_message=_("The window must close after it opens."),
            ),
        ]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="challenge_sync_idx"),
            models.Index(fields=["status", "closes_at"], name="challenge_window_idx"),
        ]
        rules_permissions = {
            "view": demand_rules.view_challenge,
            "add": market_rules.is_org_member | market_rules.is_bureau_reviewer,
            "change": (market_rules.is_org_member & demand_rules.is_draft_challenge) | market_rules.is_bureau_reviewer,
            # The issuer's members; the lifecycle allows it from a draft only.
            "submit": market_rules.is_org_member,
            "delete": market_rules.is_bureau_administrator,
            "manage": market_rules.is_bureau_reviewer,
            "bid": demand_rules.can_bid,
            "view_bids": market_rules.is_org_member | market_rules.is_bureau_staff,
            "object": demand_rules.can_object,
        }

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("demands:challenge", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.status not in ChallengeStatus.unpublished()

    @property
    def window_open(self) -> bool:
        from django.utils import timezone

        return self.status == ChallengeStatus.BIDDING and self.opens_at <= timezone.now() < self.closes_at


class Milestone(models.Model):
    """A milestone of a challenge's contract, and the tranche of the bounty it releases."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("milestone"), max_length=200)
    due_date = models.DateField(_("due"))
    tranche = models.DecimalField(
        _("tranche (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=MilestoneStatus.choices, default=MilestoneStatus.PENDING
    )
    report = models.TextField(_("progress report"), blank=True, max_length=5000)
    review_note = models.TextField(_("review note"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    released_at = models.DateTimeField(_("tranche released at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["position", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class Bid(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A solver organization's bid for a challenge (揭榜). One live bid per organization."""

    challenge = models.ForeignKey(Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="bids")
    organization = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("bidder"), on_delete=models.CASCADE, related_name="bids"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    proposal = models.TextField(_("technical proposal"), max_length=10000)
    team = models.TextField(_("team"), max_length=3000)
    plan = models.TextField(_("work plan"), max_length=5000)
    budget = models.DecimalField(_("budget (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    status = models.CharField(_("status"), max_length=20, choices=BidStatus.choices, default=BidStatus.SUBMITTED)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["challenge", "organization"],
                condition=Q(status__in=["submitted", "shortlisted", "awarded"]),
                name="bid_one_live_per_organization",
                violation_error_message=_("Your organization already has a live bid for this challenge."),
            )
        ]
        rules_permissions = {
            "view": demand_rules.is_bidder | demand_rules.is_challenge_issuer | market_rules.is_bureau_staff,
            "change": demand_rules.is_bidder & demand_rules.is_submitted_bid & demand_rules.bid_window_open,
            "withdraw": demand_rules.is_bidder & demand_rules.is_submitted_bid & demand_rules.bid_window_open,
            "add": market_rules.always_allow,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.organization} → {self.challenge}"

    def get_absolute_url(self) -> str:
        return reverse("demands:bid", args=[self.pk])

    file_permission = "demands.view_bid"


class Objection(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """An objection lodged during a challenge's public notice; bureau staff resolve it."""

    challenge = models.ForeignKey(
        Challenge, verbose_name=_("challenge"), on_delete=models.CASCADE, related_name="objections"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lodged by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("objection"), max_length=3000)
    status = models.CharField(_("status"), max_length=20, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]
        rules_permissions = {
            "view": market_rules.is_own_record | market_rules.is_bureau_staff,
            "change": market_rules.is_bureau_reviewer,
            "add": market_rules.always_allow,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return self.text[:40]


# Pooled R&D procurement (集采研发) ---------------------------------------------------------


class PooledProcurement(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A shared need several enterprises pledge money to; reaching the threshold by the
    deadline funds it and it proceeds as a challenge, otherwise it lapses."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("shared need"), max_length=5000)
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("industry fields"), related_name="pools"
    )
    organization = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("initiator"), on_delete=models.PROTECT, related_name="pools"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    source_demands = models.ManyToManyField(
        Demand, verbose_name=_("demands it gathers"), blank=True, related_name="pools"
    )
    threshold = models.DecimalField(
        _("funding threshold (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(1)]
    )
    pledged_total = models.DecimalField(_("pledged (yuan)"), max_digits=16, decimal_places=2, default=0)
    deadline = models.DateTimeField(_("pledge deadline"))
    status = models.CharField(
        _("status"), max_length=20, choices=PoolStatus.choices, default=PoolStatus.OPEN, db_index=True
    )
    funded_at = models.DateTimeField(_("funded at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("pooled procurement")
        verbose_name_plural = _("pooled procurements")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="pool_sync_idx"),
            models.Index(fields=["status", "deadline"], name="pool_deadline_idx"),
        ]
        rules_permissions = {
            "view": market_rules.always_allow,
            # On the initiating organization: its members if it is a verified enterprise.
            "add": demand_rules.is_verified_enterprise_member | market_rules.is_bureau_reviewer,
            "change": market_rules.is_bureau_reviewer,
            "delete": market_rules.is_bureau_administrator,
            "pledge": demand_rules.can_pledge,
        }

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("demands:pool", args=[self.pk])

    @property
    def progress(self) -> int:
        """Percent of the threshold pledged (0–100)."""
        if not self.threshold:
            return 0
        return min(100, int(self.pledged_total * 100 / self.threshold))


class Pledge(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """An enterprise's pre-purchase commitment (预采购协议) to a pool."""

    pool = models.ForeignKey(
        PooledProcurement, verbose_name=_("pooled procurement"), on_delete=models.CASCADE, related_name="pledges"
    )
    organization = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="pledges"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(1)])
    agreement = models.ForeignKey(
        "marketplace.PrivateFile",
        verbose_name=_("signed pre-purchase agreement"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=20, choices=PledgeStatus.choices, default=PledgeStatus.ACTIVE)
    created_at = models.DateTimeField(_("pledged at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pool", "organization"],
                condition=Q(status="active"),
                name="pledge_one_active_per_organization",
                violation_error_message=_("Your enterprise has already pledged to this pool."),
            )
        ]
        rules_permissions = {
            "view": market_rules.is_org_member | market_rules.is_bureau_staff,
            "add": market_rules.always_allow,
            "change": market_rules.always_deny,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.organization} {self.amount}"
