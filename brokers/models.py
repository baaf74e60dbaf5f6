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
from brokers.enums import ActivityKind, EngagementStage, FilingStatus, Level, RewardKind, UpgradeStatus
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

    history = HistoricalRecords(excluded_fields=["updated_at"])

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

    history = HistoricalRecords(excluded_fields=["updated_at"])

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


# Training ------------------------------------------------------------------------------------


class Course(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A broker training course (技术经纪人培训) of one level, run by a provider."""

    title = models.CharField(_("title"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    hours = models.PositiveSmallIntegerField(_("hours"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    provider = models.CharField(_("provider"), max_length=100)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True, help_text=_("Empty: no limit."))
    description = models.TextField(_("description"), max_length=3000, blank=True)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="course_ends_after_it_starts",
                violation_error_message=_("A course ends on or after the day it starts."),
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="course_has_hours"),
        ]
        rules_permissions = {
            "view": market_rules.always_allow,
            "add": market_rules.is_bureau_staff,
            "change": market_rules.is_bureau_staff,
            "delete": market_rules.is_bureau_staff,
        }

    def __str__(self) -> str:
        return self.title


class Enrolment(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A broker on a course: attendance and, once completed, the completion certificate."""

    course = models.ForeignKey(Course, verbose_name=_("course"), on_delete=models.CASCADE, related_name="enrolments")
    profile = models.ForeignKey(
        BrokerProfile, verbose_name=_("broker"), on_delete=models.CASCADE, related_name="enrolments"
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    attended = models.BooleanField(_("attended"), default=False)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    certificate_number = models.CharField(
        _("completion certificate"), max_length=50, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["course", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "profile"],
                name="enrolment_once_per_course",
                violation_error_message=_("This broker is enrolled on the course already."),
            )
        ]
        rules_permissions = {
            "view": broker_rules.is_enrolment_owner | market_rules.is_bureau_staff,
            "change": market_rules.is_bureau_staff,
        }

    def __str__(self) -> str:
        return f"{self.profile} · {self.course}"


# Service teams ("1+N") -----------------------------------------------------------------------


class ServiceTeam(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A "1+N" service team: one transfer office and N brokers assigned to a key institution."""

    name = models.CharField(_("name"), max_length=100)
    institution = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("key institution"),
        on_delete=models.PROTECT,
        related_name="service_teams",
    )
    office = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("transfer office"),
        on_delete=models.PROTECT,
        related_name="teams_run",
    )
    brokers = models.ManyToManyField(BrokerProfile, verbose_name=_("brokers"), blank=True, related_name="teams")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "office"],
                name="service_team_one_per_institution_office",
                violation_error_message=_("This office already runs a team for this institution."),
            )
        ]
        rules_permissions = {
            "view": broker_rules.is_team_member | market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_staff,
            "change": market_rules.is_bureau_staff,
            "delete": market_rules.is_bureau_staff,
        }

    def __str__(self) -> str:
        return self.name


# Performance and rewards ---------------------------------------------------------------------


class RewardRule(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """How brokers are rewarded: a percentage of the registered technology transaction amount
    (with an optional annual cap per broker), or a fixed sum per deal."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=RewardKind.choices)
    rate = models.DecimalField(
        _("rate"), max_digits=6, decimal_places=4, null=True, blank=True, help_text=_("0.02 for 2%.")
    )
    amount = models.DecimalField(_("amount per deal (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    annual_cap = models.DecimalField(
        _("annual cap per broker (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, help_text=_("Empty: every year."))
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")
        ordering = ["-year", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="percentage", rate__gt=0, rate__lte=1) | ~Q(kind="percentage"),
                name="reward_percentage_has_a_rate",
                violation_error_message=_("A percentage rule needs a rate above 0 and at most 1."),
            ),
            models.CheckConstraint(
                condition=Q(kind="fixed_per_deal", amount__gt=0) | ~Q(kind="fixed_per_deal"),
                name="reward_fixed_has_an_amount",
                violation_error_message=_("A fixed rule needs an amount above 0."),
            ),
            models.CheckConstraint(
                condition=Q(annual_cap__isnull=True) | Q(annual_cap__gt=0),
                name="reward_cap_positive",
                violation_error_message=_("The annual cap must be above 0."),
            ),
        ]
        rules_permissions = {
            "view": market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_administrator,
            "change": market_rules.is_bureau_administrator,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return self.name


class ExcellentBroker(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """The bureau's yearly selection of excellent brokers (优秀技术经纪人)."""

    year = models.PositiveSmallIntegerField(_("year"))
    profile = models.ForeignKey(
        BrokerProfile, verbose_name=_("broker"), on_delete=models.PROTECT, related_name="distinctions"
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    citation = models.TextField(_("citation"), max_length=1000, blank=True)
    selected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("selected by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("excellent broker")
        verbose_name_plural = _("excellent brokers")
        ordering = ["-year", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["year", "profile"], name="excellent_broker_once_a_year"),
            models.UniqueConstraint(fields=["year", "rank"], name="excellent_broker_rank_unique"),
        ]
        rules_permissions = {
            "view": market_rules.always_allow,
            "add": market_rules.is_bureau_administrator,
            "change": market_rules.is_bureau_administrator,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return f"{self.year} · {self.profile}"
