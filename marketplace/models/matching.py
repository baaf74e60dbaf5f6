"""Supply–demand matches (供需对接): stored pairs of a demand and an achievement with their
explanation, the feedback of the people shown them, and the corpus statistics the matcher weighs
words by. See marketplace/matching."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin

from marketplace import rules as market_rules
from marketplace.enums import MatchSide, MatchVerdict

# Bureau staff read matches and feedback in the admin console; only the services write them.
STAFF_READ_ONLY = {
    "view": market_rules.is_bureau_staff,
    "add": market_rules.always_deny,
    "change": market_rules.always_deny,
    "delete": market_rules.always_deny,
}


class TermStatistic(models.Model):
    """How many indexed documents hold a word (PostgreSQL; refreshed by `recompute_matches`).
    Rows whose term starts with "#" hold the corpus totals (see matching.statistics)."""

    term = models.CharField(_("term"), max_length=100, primary_key=True)
    documents = models.BigIntegerField(_("documents"))

    class Meta:
        verbose_name = _("term statistic")
        verbose_name_plural = _("term statistics")

    def __str__(self) -> str:
        return f"{self.term} ({self.documents})"


class MatchQuerySet(models.QuerySet):
    def for_demand(self, demand_id: int):
        """The demand's list of achievements, best first, public ones only."""
        from achievements.rules import PUBLIC_STATUSES

        return self.filter(
            demand_id=demand_id, demand_rank__isnull=False, achievement__status__in=PUBLIC_STATUSES
        ).order_by("demand_rank")

    def for_achievement(self, achievement_id: int):
        """The achievement's list of demands, best first, public ones only."""
        from demands.rules import PUBLIC_STATUSES

        return self.filter(
            achievement_id=achievement_id, achievement_rank__isnull=False, demand__status__in=PUBLIC_STATUSES
        ).order_by("achievement_rank")


class Match(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """One demand and one achievement that fit, with the score and why.

    The score of a pair is the same whichever side it was computed from. `demand_rank` is the
    achievement's place in the demand's list and `achievement_rank` the demand's place in the
    achievement's list (null: not in that list). A pair in neither list is kept only while it
    carries feedback."""

    demand = models.ForeignKey(
        "demands.Demand", verbose_name=_("demand"), on_delete=models.CASCADE, related_name="matches"
    )
    achievement = models.ForeignKey(
        "achievements.Achievement", verbose_name=_("achievement"), on_delete=models.CASCADE, related_name="matches"
    )
    score = models.FloatField(_("score"))
    components = models.JSONField(_("score components"), default=list)
    terms = models.JSONField(_("matched terms"), default=list)
    shared_field_ids = models.JSONField(_("shared industry fields"), default=list)
    demand_rank = models.PositiveSmallIntegerField(_("place in the demand's list"), null=True, blank=True)
    achievement_rank = models.PositiveSmallIntegerField(_("place in the achievement's list"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    notified_at = models.DateTimeField(_("owners notified at"), null=True, blank=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(fields=["demand", "achievement"], name="match_unique_pair"),
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=1), name="match_score_0_to_1"),
        ]
        indexes = [
            models.Index(fields=["demand", "demand_rank"], name="match_demand_list_idx"),
            models.Index(fields=["achievement", "achievement_rank"], name="match_achievement_list_idx"),
        ]
        rules_permissions = STAFF_READ_ONLY

    def __str__(self) -> str:
        return f"{self.demand_id} ↔ {self.achievement_id} ({self.score:.2f})"

    @property
    def percent(self) -> int:
        return round(self.score * 100)

    @property
    def is_strong(self) -> bool:
        return self.score >= settings.MATCHING["STRONG_SCORE"]


class MatchFeedback(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """What one person shown a match thought of it: useful, not useful, or that they made contact."""

    match = models.ForeignKey(Match, verbose_name=_("match"), on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="match_feedback"
    )
    side = models.CharField(_("side"), max_length=20, choices=MatchSide.choices)
    verdict = models.CharField(_("verdict"), max_length=20, choices=MatchVerdict.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("match feedback")
        verbose_name_plural = _("match feedback")
        constraints = [models.UniqueConstraint(fields=["match", "user"], name="match_feedback_once_per_user")]
        rules_permissions = STAFF_READ_ONLY

    def __str__(self) -> str:
        return f"{self.match_id}: {self.get_verdict_display()}"
