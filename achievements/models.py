"""The achievement library (成果库): achievements, their IP rights, inquiries and tracking."""

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

from achievements import rules as achievement_rules
from achievements.enums import (
    TRL,
    Category,
    DeclineReason,
    DeliveryStatus,
    DigestFrequency,
    FeaturedIssueStatus,
    InquiryStatus,
    IPRightKind,
    IPRightStatus,
    ProblemStatus,
    Source,
    Status,
    SubscriptionStatus,
    TransferMode,
)
from marketplace import rules as market_rules
from marketplace.fields import UnicodeJSONEncoder
from marketplace.freshness import is_stale, stale_filter
from marketplace.models.base import TimeStampedModel


class AchievementQuerySet(models.QuerySet):
    def public(self):
        """Published and transferred achievements: what visitors see."""
        return self.filter(status__in=achievement_rules.PUBLIC_STATUSES)

    def visible_to(self, user):
        """Public ones, plus every achievement of the user's organizations; staff see all."""
        if market_rules.is_bureau_staff(user):
            return self
        organizations = market_rules.membership_roles(user).keys()
        query = Q(status__in=achievement_rules.PUBLIC_STATUSES) | Q(organization_id__in=organizations)
        if partner_id := market_rules.partner_id_of(user):
            query |= Q(partner_id=partner_id)  # a partner system sees the records it wrote
        return self.filter(query)

    def stale(self, *, now=None):
        """Published achievements not re-confirmed within the freshness period."""
        return stale_filter(self.filter(status=Status.PUBLISHED), now=now)


class Achievement(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """One result offered for transfer: a technology, a patent group, know-how or a variety."""

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=2000)
    description = models.TextField(
        _("detailed description"), blank=True, help_text=_("Formatted text; scripts and styles are removed.")
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("owner organization"),
        on_delete=models.PROTECT,
        related_name="achievements",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("industry fields"), blank=True, related_name="achievements"
    )
    keywords = models.JSONField(_("keywords"), default=list, blank=True, encoder=UnicodeJSONEncoder)
    trl = models.PositiveSmallIntegerField(
        _("technology readiness level"), choices=TRL.choices, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    asking_price = models.DecimalField(
        _("asking price (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    price_negotiable = models.BooleanField(_("price negotiable"), default=False)
    innovation_points = models.TextField(_("innovation points"), blank=True)
    technical_indicators = models.TextField(_("technical indicators"), blank=True)
    application_scenarios = models.TextField(_("application scenarios"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    review_note = models.TextField(
        _("review note"), blank=True, help_text=_("The reason given with the last rejection.")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(
        _("last confirmed"), null=True, blank=True, help_text=_("When the owner last confirmed the listing is current.")
    )
    is_tracked = models.BooleanField(_("tracked major achievement"), default=False)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.PLATFORM)
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
    view_count = models.PositiveIntegerField(_("views"), default=0)
    license_count = models.PositiveIntegerField(
        _("licenses registered"), default=0, help_text=_("Registered license contracts on this achievement.")
    )
    history = HistoricalRecords(excluded_fields=["updated_at", "view_count"], m2m_fields=[])

    objects = AchievementQuerySet.as_manager()

    class Meta:
        verbose_name = _("achievement")
        verbose_name_plural = _("achievements")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_ref"],
                condition=~Q(external_ref="") & Q(partner__isnull=True),
                name="achievement_unique_source_external_ref",
                violation_error_message=_("An achievement from this source already has this external reference."),
            ),
            models.UniqueConstraint(
                fields=["partner", "external_ref"],
                condition=Q(partner__isnull=False),
                name="achievement_unique_partner_external_ref",
                violation_error_message=_("This partner already has a record with this external reference."),
            ),
            models.CheckConstraint(condition=Q(trl__gte=1, trl__lte=9), name="achievement_trl_1_to_9"),
            models.CheckConstraint(
                condition=Q(asking_price__isnull=True) | Q(asking_price__gte=0), name="achievement_price_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="achievement_sync_idx"),
            models.Index(fields=["status", "-published_at"], name="achievement_library_idx"),
            models.Index(fields=["organization", "status"], name="achievement_owner_idx"),
        ]
        rules_permissions = {
            "view": achievement_rules.view_achievement,
            "add": market_rules.can_submit_for_publication | market_rules.is_org_member,
            "change": achievement_rules.change_achievement,
            "delete": achievement_rules.owner_member & achievement_rules.is_editable_status,
            "submit": achievement_rules.owner_member & market_rules.is_verified_organization,
            "approve_internally": achievement_rules.approve_internally,
            "review": market_rules.is_bureau_reviewer,
            "withdraw": achievement_rules.owner_member,
            "confirm": achievement_rules.owner_member,
            "inquire": achievement_rules.can_inquire,
            "track": achievement_rules.owner_member | market_rules.is_bureau_reviewer,
            "see_matches": achievement_rules.owner_member | market_rules.is_bureau_staff,
        }

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("achievements:detail", args=[self.pk])

    # Files attached to an achievement are readable by whoever may view it; they are made
    # public when it is published (see services).
    file_permission = "achievements.view_achievement"

    @property
    def is_public(self) -> bool:
        return self.status in achievement_rules.PUBLIC_STATUSES

    @property
    def is_stale(self) -> bool:
        return self.status == Status.PUBLISHED and is_stale(self.confirmed_at)

    @property
    def asking_price_wan(self):
        """The asking price in 万元, as the market speaks."""
        return None if self.asking_price is None else self.asking_price / 10000


class AchievementTransferMode(models.Model):
    """One transfer mode offered for an achievement (several per achievement)."""

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="transfer_modes")
    mode = models.CharField(_("transfer mode"), max_length=30, choices=TransferMode.choices)

    class Meta:
        verbose_name = _("transfer mode")
        verbose_name_plural = _("transfer modes")
        constraints = [models.UniqueConstraint(fields=["achievement", "mode"], name="achievement_transfer_mode_unique")]
        indexes = [models.Index(fields=["mode", "achievement"], name="achievement_mode_idx")]

    def __str__(self) -> str:
        return self.get_mode_display()


class Completer(models.Model):
    """A person who completed the achievement, in ranked order (完成人)."""

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="completers")
    rank = models.PositiveSmallIntegerField(_("rank"))
    name = models.CharField(_("name"), max_length=50)
    affiliation = models.CharField(_("affiliation"), max_length=100, blank=True)
    title = models.CharField(_("professional title"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("completer")
        verbose_name_plural = _("completers")
        ordering = ["rank"]
        constraints = [models.UniqueConstraint(fields=["achievement", "rank"], name="completer_unique_rank")]

    def __str__(self) -> str:
        return self.name


class IPRight(models.Model):
    """A patent, software copyright or piece of know-how behind an achievement."""

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="ip_rights")
    kind = models.CharField(_("kind"), max_length=20, choices=IPRightKind.choices)
    title = models.CharField(_("title"), max_length=200)
    number = models.CharField(_("application or registration number"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=IPRightStatus.choices, default=IPRightStatus.GRANTED)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("IP right")
        verbose_name_plural = _("IP rights")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()

    def clean(self):
        from django.core.exceptions import ValidationError

        from achievements.validators import validate_ip_number

        try:
            self.number = validate_ip_number(self.kind, self.number)
        except ValidationError as exc:
            raise ValidationError({"number": exc.messages}) from exc


class Inquiry(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A buyer's conversation with the owner about one achievement."""

    achievement = models.ForeignKey(
        Achievement, verbose_name=_("achievement"), on_delete=models.CASCADE, related_name="inquiries"
    )
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("asking organization"),
        on_delete=models.CASCADE,
        related_name="inquiries_sent",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=InquiryStatus.choices, default=InquiryStatus.OPEN)
    decline_reason = models.CharField(_("decline reason"), max_length=20, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(_("decline note"), blank=True)
    messages = GenericRelation("marketplace.Message", content_type_field="thread_type", object_id_field="thread_id")

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="inquiry_sync_idx")]
        rules_permissions = {
            "view": achievement_rules.is_inquiry_party | market_rules.is_bureau_staff,
            "change": achievement_rules.is_inquiry_party,
            "reply": achievement_rules.is_inquiry_party,
            "decline": achievement_rules.is_inquiry_asker,
            "start_deal": achievement_rules.is_inquiry_party,
            "add": market_rules.always_allow,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("achievements:inquiry", args=[self.pk])

    file_permission = "achievements.view_inquiry"


class LedgerEntry(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """Monthly progress of a tracked major achievement (研发台账)."""

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="ledger_entries")
    month = models.DateField(_("month"), help_text=_("The first day of the month reported."))
    progress = models.TextField(_("progress this month"))
    next_steps = models.TextField(_("next steps"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("R&D ledger entry")
        verbose_name_plural = _("R&D ledger")
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["achievement", "month"], name="ledger_entry_one_per_month")]
        rules_permissions = {
            "view": achievement_rules.is_achievement_owner_member | market_rules.is_bureau_staff,
            "add": market_rules.always_allow,
            "change": achievement_rules.is_achievement_owner_member,
            "delete": achievement_rules.is_achievement_owner_member,
        }

    def __str__(self) -> str:
        return f"{self.achievement} {self.month:%Y-%m}"


class Problem(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """An obstacle blocking the transfer of a tracked achievement (问题清单)."""

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="problems")
    obstacle = models.TextField(_("obstacle"))
    department = models.CharField(_("owning department"), max_length=100)
    status = models.CharField(_("status"), max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problem list")
        ordering = ["status", "-created_at"]
        rules_permissions = {
            "view": achievement_rules.is_achievement_owner_member | market_rules.is_bureau_staff,
            "add": market_rules.always_allow,
            "change": achievement_rules.is_achievement_owner_member | market_rules.is_bureau_reviewer,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return self.obstacle[:40]


# Featured achievements (好成果) and their e-mail digest ----------------------------------------


class FeaturedIssue(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A numbered issue of the featured-achievements publication (e.g. 第 12 期) for a period,
    composed by bureau staff from proposed candidates; public once published."""

    number = models.PositiveIntegerField(_("issue number"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period until"))
    editor_note = models.TextField(_("editor's note"), blank=True, max_length=3000)
    status = models.CharField(
        _("status"), max_length=20, choices=FeaturedIssueStatus.choices, default=FeaturedIssueStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("composed by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("featured issue")
        verbose_name_plural = _("featured issues")
        ordering = ["-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="featured_issue_period_ordered",
                violation_error_message=_("The period must end on or after its first day."),
            )
        ]
        rules_permissions = {
            "view": achievement_rules.is_published_issue | market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_reviewer,
            "change": market_rules.is_bureau_reviewer,
            "delete": market_rules.is_bureau_reviewer & achievement_rules.is_draft_issue,
            "publish": market_rules.is_bureau_reviewer,
        }

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("achievements:featured-issue", args=[self.number])

    @property
    def is_published(self) -> bool:
        return self.status == FeaturedIssueStatus.PUBLISHED


class FeaturedItem(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """One achievement in a featured issue, in the editor's order, with the editor's note."""

    issue = models.ForeignKey(FeaturedIssue, verbose_name=_("issue"), on_delete=models.CASCADE, related_name="items")
    achievement = models.ForeignKey(
        Achievement, verbose_name=_("achievement"), on_delete=models.PROTECT, related_name="featured_items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    note = models.TextField(_("editor's note"), blank=True, max_length=1000)

    class Meta:
        verbose_name = _("featured achievement")
        verbose_name_plural = _("featured achievements")
        ordering = ["issue", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "achievement"], name="featured_item_once_per_issue"),
        ]
        rules_permissions = {
            "view": market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_reviewer,
            "change": market_rules.is_bureau_reviewer,
            "delete": market_rules.is_bureau_reviewer,
        }

    def __str__(self) -> str:
        return f"{self.issue.number}·{self.position} {self.achievement}"


class Subscription(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """An e-mail address subscribed to the featured-achievements digest, with its fields of
    interest (none: every field) and frequency. Active only once the address is confirmed
    (double opt-in); one row per address, so subscribing again updates it."""

    email = models.EmailField(_("e-mail address"), unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="digest_subscriptions",
    )
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField",
        verbose_name=_("fields of interest"),
        blank=True,
        related_name="+",
        help_text=_("None chosen: every field."),
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    status = models.CharField(
        _("status"), max_length=20, choices=SubscriptionStatus.choices, default=SubscriptionStatus.PENDING
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "frequency"], name="subscription_due_idx")]
        rules_permissions = {
            "view": achievement_rules.is_subscription_owner | market_rules.is_bureau_staff,
            "add": market_rules.always_allow,
            "change": achievement_rules.is_subscription_owner | market_rules.is_bureau_administrator,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return self.email


class DigestDelivery(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """The digest of one period for one subscription: the digest's outbox row. Unique per
    (subscription, period), so planning a period twice sends nothing new; see DeliveryStatus
    for the states and achievements/digest.py for the guarantee."""

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    period = models.CharField(_("digest period"), max_length=20, help_text=_("e.g. weekly-2026-W48, monthly-2026-11"))
    email = models.EmailField(_("sent to"))
    status = models.CharField(
        _("status"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED, db_index=True
    )
    claimed_by = models.CharField(_("claimed by"), max_length=100, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("planned at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("digest delivery")
        verbose_name_plural = _("digest deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period"], name="digest_delivery_once_per_period"),
        ]
        indexes = [models.Index(fields=["status", "period", "id"], name="digest_delivery_claim_idx")]
        # Staff read them and resend or reconcile through the admin's actions (services).
        rules_permissions = {
            "view": market_rules.is_bureau_staff,
            "add": market_rules.always_deny,
            "change": market_rules.is_bureau_reviewer,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.period} → {self.email}"
