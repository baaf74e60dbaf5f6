"""Technology brokers (技术经纪人): profiles filed with the bureau, level upgrades and
engagements (撮合) on demands and achievements."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin
from simple_history.models import HistoricalRecords

from brokers import rules as broker_rules
from brokers.enums import ActivityKind, EngagementStage, FilingStatus, Level, UpgradeStatus
from marketplace import rules as market_rules
from marketplace.models.base import TimeStampedModel


class BrokerProfileQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=FilingStatus.ACTIVE)

    def certificate_expired(self, *, today=None):
        return self.filter(certificate_expires_on__lt=today or timezone.localdate())


class BrokerProfile(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A person's broker profile, filed with the bureau through their transfer agency."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="broker_profile"
    )
    agency = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("transfer agency"),
        on_delete=models.PROTECT,
        related_name="brokers",
        help_text=_("The technology transfer or service agency the broker works for."),
    )
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.JUNIOR)
    certificate_number = models.CharField(_("certificate number"), max_length=50)
    certificate_issuer = models.CharField(_("certificate issuer"), max_length=100)
    certificate_issued_on = models.DateField(_("certificate issued on"))
    certificate_expires_on = models.DateField(_("certificate expires on"), null=True, blank=True)
    specialities = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("specialities"), blank=True, related_name="brokers"
    )
    regions = models.ManyToManyField(
        "marketplace.Region", verbose_name=_("regions served"), blank=True, related_name="+"
    )
    introduction = models.TextField(_("introduction"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=FilingStatus.choices, default=FilingStatus.APPLIED, db_index=True
    )
    status_note = models.TextField(
        _("note"), blank=True, help_text=_("The reason given with a rejection or suspension.")
    )
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    objects = BrokerProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("broker")
        verbose_name_plural = _("brokers")
        ordering = ["-approved_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(certificate_expires_on__isnull=True)
                | Q(certificate_expires_on__gt=F("certificate_issued_on")),
                name="broker_certificate_expires_after_issue",
                violation_error_message=_("A certificate expires after it was issued."),
            ),
        ]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="broker_sync_idx")]
        rules_permissions = {
            "view": broker_rules.view_profile,
            "add": market_rules.always_allow,
            "change": broker_rules.is_profile_owner,
            "confirm": broker_rules.is_agency_admin,
            "review": market_rules.is_bureau_reviewer,
        }

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def get_absolute_url(self) -> str:
        return reverse("brokers:detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status == FilingStatus.ACTIVE

    @property
    def certificate_expired(self) -> bool:
        return self.certificate_expires_on is not None and self.certificate_expires_on < timezone.localdate()


class LevelUpgrade(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A broker applies for the next level with evidence; bureau staff decide."""

    profile = models.ForeignKey(
        BrokerProfile, verbose_name=_("broker"), on_delete=models.CASCADE, related_name="upgrades"
    )
    from_level = models.CharField(_("from level"), max_length=20, choices=Level.choices)
    to_level = models.CharField(_("to level"), max_length=20, choices=Level.choices)
    training_hours = models.PositiveIntegerField(_("training hours"))
    deal_count = models.PositiveIntegerField(_("deals brokered"))
    evidence = models.TextField(_("evidence"), max_length=3000)
    status = models.CharField(_("status"), max_length=20, choices=UpgradeStatus.choices, default=UpgradeStatus.PENDING)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.SET_NULL, null=True, blank=True
    )
    review_note = models.TextField(_("review note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("level upgrade")
        verbose_name_plural = _("level upgrades")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile"],
                condition=Q(status="pending"),
                name="upgrade_one_pending_per_broker",
                violation_error_message=_("An upgrade application is already waiting for review."),
            )
        ]
        rules_permissions = {
            "view": broker_rules.is_upgrade_owner | market_rules.is_bureau_staff,
            "review": market_rules.is_bureau_reviewer,
        }

    def __str__(self) -> str:
        return f"{self.profile} → {self.get_to_level_display()}"


class EngagementQuerySet(models.QuerySet):
    def live(self):
        return self.exclude(stage=EngagementStage.DROPPED)


class Engagement(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A broker's matchmaking (撮合) on one demand or one achievement, from claim to deal."""

    broker = models.ForeignKey(
        BrokerProfile, verbose_name=_("broker"), on_delete=models.PROTECT, related_name="engagements"
    )
    demand = models.ForeignKey(
        "demands.Demand",
        verbose_name=_("demand"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="engagements",
    )
    achievement = models.ForeignKey(
        "achievements.Achievement",
        verbose_name=_("achievement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="engagements",
    )
    stage = models.CharField(
        _("stage"), max_length=20, choices=EngagementStage.choices, default=EngagementStage.CLAIMED, db_index=True
    )
    deal = models.ForeignKey(
        "marketplace.Deal", verbose_name=_("deal"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    drop_reason = models.TextField(_("reason for dropping"), blank=True)

    objects = EngagementQuerySet.as_manager()

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(demand__isnull=False, achievement__isnull=True)
                | Q(demand__isnull=True, achievement__isnull=False),
                name="engagement_on_demand_or_achievement",
                violation_error_message=_("An engagement is on one demand or one achievement."),
            ),
            # A broker works a listing once at a time (exclusivity between brokers is the
            # service's, configurable).
            models.UniqueConstraint(
                fields=["broker", "demand"],
                condition=~Q(stage="dropped") & Q(demand__isnull=False),
                name="engagement_one_live_per_broker_demand",
            ),
            models.UniqueConstraint(
                fields=["broker", "achievement"],
                condition=~Q(stage="dropped") & Q(achievement__isnull=False),
                name="engagement_one_live_per_broker_achievement",
            ),
        ]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="engagement_sync_idx")]
        rules_permissions = {
            "view": broker_rules.view_engagement,
            "change": broker_rules.is_engagement_broker,
        }

    def __str__(self) -> str:
        return f"{self.broker} · {self.listing}"

    @property
    def listing(self):
        return self.demand or self.achievement

    def get_absolute_url(self) -> str:
        return reverse("brokers:engagement", args=[self.pk])


class EngagementActivity(models.Model):
    """What the broker did: a visit, a call, a meeting, a proposal listing matched achievements."""

    engagement = models.ForeignKey(
        Engagement, verbose_name=_("engagement"), on_delete=models.CASCADE, related_name="activities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    occurred_on = models.DateField(_("date"))
    note = models.TextField(_("note"), max_length=3000)
    proposed_achievements = models.ManyToManyField(
        "achievements.Achievement", verbose_name=_("proposed achievements"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}"
