from django.db import models
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin

from marketplace import rules as market_rules
from marketplace.enums import RegionLevel
from marketplace.validators import validate_region_code


class Region(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """An administrative division (GB/T 2260): province, city or district/county."""

    code = models.CharField(_("division code"), max_length=6, primary_key=True, validators=[validate_region_code])
    name = models.CharField(_("name"), max_length=50)
    full_name = models.CharField(
        _("full name"), max_length=120, help_text=_("Province, city and district, e.g. 山东省青岛市市南区")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"], name="region_parent_idx")]
        rules_permissions = {
            "view": market_rules.always_allow,
            "add": market_rules.is_bureau_administrator,
            "change": market_rules.is_bureau_administrator,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return self.full_name

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    def ancestor_codes(self) -> list[str]:
        """Codes from the province down to this division, without a database query."""
        codes = [self.code[:2] + "0000"]
        if self.level >= RegionLevel.CITY:
            codes.append(self.code[:4] + "00")
        if self.level >= RegionLevel.DISTRICT:
            codes.append(self.code)
        return list(dict.fromkeys(codes))

    def is_within(self, code: str) -> bool:
        """True when this division is `code` or lies inside it (370202 is within 370200 and 370000)."""
        if code.endswith("0000"):
            return self.code[:2] == code[:2]
        if code.endswith("00"):
            return self.code[:4] == code[:4]
        return self.code == code


class IndustryField(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """A node of the shared industry-field taxonomy (产业领域); two levels deep."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent field"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive fields are kept on old records but cannot be chosen.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("industry field")
        verbose_name_plural = _("industry fields")
        ordering = ["position", "code"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="industry_field_unique_name_per_parent")]
        rules_permissions = {
            "view": market_rules.always_allow,
            "add": market_rules.is_bureau_administrator,
            "change": market_rules.is_bureau_administrator,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name
