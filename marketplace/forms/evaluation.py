"""Forms of the expert pages: the expert's own profile and the score sheet of one subject."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms.base import MarketForm, MarketModelForm
from marketplace.forms.fields import IndustryFieldsField
from marketplace.models import ExpertProfile, Organization
from marketplace.models.evaluation import SCORE_MAX, SCORE_MIN


class ExpertProfileForm(MarketModelForm):
    """What experts keep themselves; kind, employer and pool membership are the bureau's."""

    industry_fields = IndustryFieldsField()
    conflicts = forms.ModelMultipleChoiceField(
        label=_("Declared conflicts of interest"),
        queryset=Organization.objects.verified().order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Organizations whose subjects you must not evaluate (hold Ctrl to choose several)."),
    )

    class Meta:
        model = ExpertProfile
        fields = ["title", "introduction", "industry_fields", "conflicts", "is_available"]
        widgets = {"introduction": forms.Textarea(attrs={"rows": 4})}


class ScoreForm(MarketForm):
    """One whole-number score per criterion of the round, and a comment."""

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion in criteria:
            self.fields[f"criterion_{criterion.pk}"] = forms.IntegerField(
                label=f"{criterion.name}（{_('weight')} {criterion.weight}）",
                min_value=SCORE_MIN,
                max_value=SCORE_MAX,
                widget=forms.NumberInput(attrs={"min": SCORE_MIN, "max": SCORE_MAX, "step": 1, "inputmode": "numeric"}),
            )
            self.fields[f"criterion_{criterion.pk}"].widget.attrs["class"] = "form-control"
        self.fields["comment"] = forms.CharField(
            label=_("Comment"),
            required=False,
            max_length=3000,
            widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        )

    def values(self) -> dict[int, int]:
        return {
            int(name.removeprefix("criterion_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("criterion_")
        }


class DeclineAssignmentForm(MarketForm):
    reason = forms.CharField(
        label=_("Why you cannot evaluate"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
