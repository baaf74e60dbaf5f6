"""The expert pool and evaluation rounds (成果评估评价), shared by achievements and, later,
the blind review of challenge bids. A round's subjects are any objects through a generic
relation; experts score every subject of their round on weighted criteria."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin
from simple_history.models import HistoricalRecords

from marketplace import rules as market_rules
from marketplace.enums import AssignmentStatus, ExpertKind, RoundStatus

from .base import TimeStampedModel

# Scores are whole numbers on this scale.
SCORE_MIN, SCORE_MAX = 0, 10


class ExpertProfile(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A user in the expert pool (评审专家库)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="expert_profile"
    )
    kind = models.CharField(_("expert kind"), max_length=20, choices=ExpertKind.choices)
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("employer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="experts",
        help_text=_("The expert never evaluates subjects of this organization."),
    )
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    introduction = models.TextField(_("introduction"), blank=True, max_length=2000)
    industry_fields = models.ManyToManyField(
        "marketplace.IndustryField", verbose_name=_("industry fields"), related_name="experts"
    )
    conflicts = models.ManyToManyField(
        "marketplace.Organization",
        verbose_name=_("declared conflicts of interest"),
        blank=True,
        related_name="conflicted_experts",
        help_text=_("Organizations whose subjects the expert must not evaluate."),
    )
    is_available = models.BooleanField(_("available for new rounds"), default=True)
    is_active = models.BooleanField(
        _("in the pool"), default=True, help_text=_("Bureau staff remove experts from the pool here.")
    )

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("expert pool")
        ordering = ["id"]
        rules_permissions = {
            "view": market_rules.is_own_record | market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_reviewer,
            "change": market_rules.is_own_record | market_rules.is_bureau_reviewer,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return f"{self.user.get_full_name()}（{self.get_kind_display()}）"


class EvaluationRound(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """One evaluation: subjects, weighted criteria, N drawn experts, a deadline."""

    title = models.CharField(_("title"), max_length=200)
    expert_count = models.PositiveSmallIntegerField(
        _("number of experts"), default=3, validators=[MinValueValidator(1), MaxValueValidator(15)]
    )
    deadline = models.DateTimeField(_("scoring deadline"))
    is_blind = models.BooleanField(
        _("blind review"), default=True, help_text=_("Experts never see who owns the subjects.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=RoundStatus.choices, default=RoundStatus.DRAFT, db_index=True
    )
    seed = models.BigIntegerField(
        _("draw seed"), null=True, blank=True, help_text=_("Recorded so that the draw can be reproduced.")
    )
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    period = models.CharField(
        _("monthly period"),
        max_length=7,
        blank=True,
        help_text=_("YYYY-MM for the monthly round proposed automatically."),
    )

    class Meta:
        verbose_name = _("evaluation round")
        verbose_name_plural = _("evaluation rounds")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-updated_at", "-id"], name="evaluation_round_sync_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["period"], condition=~models.Q(period=""), name="evaluation_round_one_per_period"
            )
        ]
        rules_permissions = {
            "view": market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_reviewer,
            "change": market_rules.is_bureau_reviewer,
            "delete": market_rules.is_bureau_administrator,
            "manage": market_rules.is_bureau_reviewer,
        }

    def __str__(self) -> str:
        return self.title


class Criterion(models.Model):
    round = models.ForeignKey(EvaluationRound, on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("criterion"), max_length=50)
    weight = models.DecimalField(
        _("weight"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name} ×{self.weight}"


class EvaluationSubject(models.Model):
    """One thing a round evaluates (an achievement now, a challenge bid later) and its result."""

    round = models.ForeignKey(EvaluationRound, on_delete=models.CASCADE, related_name="subjects")
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    owner = models.ForeignKey(
        "marketplace.Organization", verbose_name=_("owner organization"), on_delete=models.CASCADE, related_name="+"
    )
    label = models.CharField(
        _("blind label"), max_length=20, help_text=_("How experts see the subject in a blind round.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    result_score = models.DecimalField(_("weighted mean score"), max_digits=5, decimal_places=2, null=True, blank=True)
    result_spread = models.DecimalField(_("standard deviation"), max_digits=5, decimal_places=2, null=True, blank=True)
    result_count = models.PositiveSmallIntegerField(_("number of scores"), default=0)

    class Meta:
        verbose_name = _("evaluation subject")
        verbose_name_plural = _("evaluation subjects")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "content_type", "object_id"], name="evaluation_subject_once_per_round"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="evaluation_subject_object_idx")]

    def __str__(self) -> str:
        return self.label


class Assignment(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A drawn expert's place in a round."""

    round = models.ForeignKey(EvaluationRound, on_delete=models.CASCADE, related_name="assignments")
    expert = models.ForeignKey(
        ExpertProfile, verbose_name=_("expert"), on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=AssignmentStatus.choices, default=AssignmentStatus.ACTIVE
    )
    draw_index = models.PositiveSmallIntegerField(
        _("draw"), default=0, help_text=_("0 for the first draw, 1… for replacements.")
    )
    declined_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self", verbose_name=_("replaces"), on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by"
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("drawn at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("expert assignment")
        verbose_name_plural = _("expert assignments")
        ordering = ["round", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "expert"], name="assignment_expert_once_per_round")]
        rules_permissions = {
            "view": market_rules.is_assigned_expert | market_rules.is_bureau_staff,
            "score": market_rules.is_assigned_expert,
            "decline": market_rules.is_assigned_expert,
            "change": market_rules.is_bureau_reviewer,
            "add": market_rules.is_bureau_reviewer,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.round} · {self.expert}"


class Score(models.Model):
    """One expert's score of one subject on one criterion."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    subject = models.ForeignKey(EvaluationSubject, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="scores")
    value = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]
    )

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["assignment", "subject", "criterion"], name="score_once_per_criterion"),
            models.CheckConstraint(
                condition=models.Q(value__gte=SCORE_MIN, value__lte=SCORE_MAX), name="score_within_scale"
            ),
        ]

    def __str__(self) -> str:
        return str(self.value)


class ScoreComment(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="comments")
    subject = models.ForeignKey(EvaluationSubject, on_delete=models.CASCADE, related_name="comments")
    comment = models.TextField(_("comment"), blank=True, max_length=3000)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        constraints = [models.UniqueConstraint(fields=["assignment", "subject"], name="score_comment_once")]

    def __str__(self) -> str:
        return self.comment[:40]
