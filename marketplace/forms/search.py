"""The search box and its filters (GET parameters), shared by the search page, the API and saved searches."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketplace import search

TRL_CHOICES = [("", "—")] + [(str(level), f"TRL {level}") for level in range(1, 10)]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search words"), required=False, strip=True)
    kind = forms.ChoiceField(label=_("Type"), required=False)
    category = forms.CharField(label=_("Category"), required=False, max_length=40)
    field = forms.CharField(label=_("Industry field"), required=False, max_length=20)
    trl_min = forms.TypedChoiceField(
        label=_("Lowest readiness level"), required=False, choices=TRL_CHOICES, coerce=int, empty_value=None
    )
    trl_max = forms.TypedChoiceField(
        label=_("Highest readiness level"), required=False, choices=TRL_CHOICES, coerce=int, empty_value=None
    )
    region = forms.CharField(
        label=_("Region"),
        required=False,
        validators=[RegexValidator(r"^\d{6}$", _("An administrative division code has 6 digits (GB/T 2260)."))],
    )
    organization = forms.IntegerField(label=_("Organization"), required=False, min_value=1)
    page = forms.IntegerField(label=_("Page"), required=False, min_value=1, max_value=search.COUNT_CAP)

    FILTER_FIELDS = ("kind", "category", "field", "trl_min", "trl_max", "region", "organization")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All"))] + [
            (kind, adapter.label) for kind, adapter in search.adapters().items()
        ]

    def clean(self):
        data = super().clean()
        low, high = data.get("trl_min"), data.get("trl_max")
        if low is not None and high is not None and low > high:
            self.add_error("trl_max", _("The highest level cannot be below the lowest."))
        return data

    def filters(self) -> search.SearchFilters:
        data = self.cleaned_data
        return search.SearchFilters(
            kind=data.get("kind") or "",
            category=data.get("category") or "",
            field=data.get("field") or "",
            trl_min=data.get("trl_min"),
            trl_max=data.get("trl_max"),
            region=data.get("region") or "",
            organization=data.get("organization"),
        )

    def run(self, *, per_page: int = search.PER_PAGE) -> search.SearchResults:
        data = self.cleaned_data
        return search.search(data.get("q") or "", self.filters(), page=data.get("page") or 1, per_page=per_page)


class SavedSearchForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("saved search", "Name"), max_length=100)
