"""Query parameters of the demands API: the board's filters (`selectors.demand_filter`), in the
API's units, plus what only the API has (`status`, `updated_since`, `ordering`).

A filter is also a question about a demand. Where the answer would tell a caller what the
demand hides from them, the demands that hide it are left out of the answer: filtering by
budget, readiness or cooperation mode skips confidential demands whose details the caller
may not see, and a district-level region skips demands shown to the caller at city level
only (anonymous ones whose enterprise, confidential ones whose details are hidden).
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from achievements.filters import IntegerFilter
from demands.enums import SORT_LABELS, CooperationMode, DemandType, ResponseStatus, Status
from demands.models import Demand, DemandResponse
from demands.selectors import BoardFilters, demand_filter
from marketplace.api.filters import SyncFilterSet

# The API speaks 元; the board's filters take 万元.
YUAN_PER_WAN = Decimal(10000)

TRL_CHOICES = [(level, str(level)) for level in range(1, 10)]


class DemandFilter(SyncFilterSet):
    """The board's filters plus `status`, `updated_since` and the `ordering` the view pages by."""

    q = django_filters.CharFilter(label=_("Words in the title, summary or keywords"), max_length=100)
    industry_field = django_filters.CharFilter(label=_("Industry field code; includes its sub-fields"))
    demand_type = django_filters.ChoiceFilter(choices=DemandType.choices)
    cooperation_mode = django_filters.ChoiceFilter(choices=CooperationMode.choices, label=_("Cooperation mode"))
    budget_min = django_filters.NumberFilter(
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label=_("Demands whose budget reaches at least this amount (yuan)"),
    )
    budget_max = django_filters.NumberFilter(
        min_value=0,
        max_digits=14,
        decimal_places=2,
        label=_("Demands whose budget starts at or below this amount (yuan)"),
    )
    max_trl = django_filters.TypedChoiceFilter(
        field_name="min_trl",  # documents the type; the board's filter does the filtering
        choices=TRL_CHOICES,
        coerce=int,
        empty_value=None,
        label=_("Demands an offer of this readiness level satisfies"),
    )
    region = django_filters.CharFilter(
        label=_("Division code; includes everything inside it"),
        validators=[RegexValidator(r"^\d{6}$", _("An administrative division code has 6 digits (GB/T 2260)."))],
    )
    organization = IntegerFilter(
        min_value=1, label=_("Enterprise organization id (its anonymous demands are never included)")
    )
    status = django_filters.ChoiceFilter(
        choices=Status.choices, label=_("Status (callers only see other statuses of their own demands)")
    )
    ordering = django_filters.ChoiceFilter(
        choices=SORT_LABELS, label=_("Sort order; without it, pages run over the last change")
    )

    # Parameters handed to the board's filter as one BoardFilters; the rest filter one by one.
    BOARD_PARAMETERS = frozenset(
        {"q", "industry_field", "demand_type", "cooperation_mode", "budget_min", "budget_max", "max_trl", "region",
         "organization", "ordering"}
    )  # fmt: skip
    # Parameters that ask about a demand's details (hidden in a confidential demand).

    class Meta:
        model = Demand
        fields = []

    def board_filters(self) -> BoardFilters:
        data = self.form.cleaned_data

        def wan(yuan):
            return None if yuan is None else yuan / YUAN_PER_WAN

        return BoardFilters(
            q=(data.get("q") or "").strip(),
            field=data.get("industry_field") or "",
            demand_type=data.get("demand_type") or "",
            mode=data.get("cooperation_mode") or "",
            budget_min_wan=wan(data.get("budget_min")),
            budget_max_wan=wan(data.get("budget_max")),
            max_trl=data.get("max_trl"),
            region=data.get("region") or "",
            organization=data.get("organization"),
            sort=data.get("ordering") or "newest",
        )

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        user = getattr(self.request, "user", None)
        queryset = demand_filter(queryset, self.board_filters(), user=user)
        for name, value in data.items():
            if name not in self.BOARD_PARAMETERS:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


class DemandResponseFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=ResponseStatus.choices)

    class Meta:
        model = DemandResponse
        fields = ["status"]
