"""What the live preview reads of a demand being typed."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from marketplace.forms.fields import IndustryFieldsField, RegionField
from marketplace.matching.profiles import field_arguments
from marketplace.money import YUAN_PER_WAN

TEXT_FIELDS = ("title", "summary", "keywords", "problem", "desired_outcome", "technical_indicators")
MAX_TEXT = 6000


class MatchPreviewForm(forms.Form):
    """The demand form's fields that matching reads. Each is optional and read only when valid, so
    the preview follows a form half filled in."""

    title = forms.CharField(required=False, max_length=200)
    summary = forms.CharField(required=False, max_length=300)
    keywords = forms.CharField(required=False, max_length=500)
    problem = forms.CharField(required=False, max_length=5000)
    desired_outcome = forms.CharField(required=False, max_length=3000)
    technical_indicators = forms.CharField(required=False, max_length=3000)
    industry_fields = IndustryFieldsField(required=False)
    min_trl = forms.IntegerField(required=False, validators=[MinValueValidator(1), MaxValueValidator(9)])
    budget_min_wan = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    budget_max_wan = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    region = RegionField(required=False)

    def value(self, name):
        self.is_valid()
        return self.cleaned_data.get(name) if name not in self.errors else None

    def text(self) -> str:
        return "\n".join(str(self.value(name) or "") for name in TEXT_FIELDS)[:MAX_TEXT]

    def profile_arguments(self) -> dict:
        def yuan(name) -> Decimal | None:
            amount = self.value(name)
            return None if amount is None else amount * YUAN_PER_WAN

        region = self.value("region")
        return {
            **field_arguments(self.value("industry_fields") or []),
            "trl_wanted": self.value("min_trl"),
            "budget_min": yuan("budget_min_wan"),
            "budget_max": yuan("budget_max_wan"),
            "region_code": region.code if region is not None else "",
        }
