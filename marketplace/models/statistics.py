"""The bureau's yearly targets (年度目标), kept in the admin and read by the statistics console
(marketplace/statistics.py: `targets_progress`)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin
from simple_history.models import HistoricalRecords

from marketplace import rules as market_rules

from .base import TimeStampedModel


class TargetMetric(models.TextChoices):
    """What a yearly target counts; how each actual is measured is written in
    marketplace/statistics.py."""

    CONTRACT_TURNOVER = "contract_turnover", _("contract amount (yuan)")
    TECHNOLOGY_AMOUNT = "technology_amount", _("technology transaction amount (yuan)")
    REGISTERED_CONTRACTS = "registered_contracts", _("Registered contracts")
    LINKED_DEMANDS = "linked_demands", _("Linked demands")
    EVENTS_HELD = "events_held", _("Events held")
    BROKERS_TRAINED = "brokers_trained", _("Brokers trained")
    MAJOR_ACHIEVEMENTS = "major_achievements", _("Major achievements")
    INDUSTRY_PROJECTS = "industry_projects", _("Industry projects")

    @classmethod
    def money(cls) -> set[str]:
        return {cls.CONTRACT_TURNOVER, cls.TECHNOLOGY_AMOUNT}


class YearlyTarget(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """One of the bureau's targets for a year (e.g. ≥ 100 industry projects in 2026)."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)], db_index=True
    )
    metric = models.CharField(_("metric"), max_length=30, choices=TargetMetric.choices)
    target = models.DecimalField(
        _("target"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("Amounts in yuan; counts as whole numbers."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("yearly target")
        verbose_name_plural = _("yearly targets")
        ordering = ["-year", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "metric"],
                name="yearly_target_once_per_metric",
                violation_error_message=_("This metric already has a target for the year."),
            )
        ]
        rules_permissions = {
            "view": market_rules.is_bureau_staff,
            "add": market_rules.is_bureau_statistician,
            "change": market_rules.is_bureau_statistician,
            "delete": market_rules.is_bureau_statistician,
        }

    def __str__(self) -> str:
        return f"{self.year} {self.get_metric_display()}"
