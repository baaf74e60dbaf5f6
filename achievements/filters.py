"""Query parameters of the achievements API: the library page's filters, in the API's units."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from achievements.enums import SORT_LABELS, TRL, Category, InquiryStatus, Status, TransferMode
from achievements.models import Achievement, Inquiry
from achievements.selectors import LibraryFilters, achievement_filter
from marketplace.api.filters import SyncFilterSet

# The API speaks 元; the library's filters take 万元.
YUAN_PER_WAN = Decimal(10000)


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class AchievementFilter(SyncFilterSet):
    """The library's filters (`achievements.selectors.achievement_filter`) plus `status`,
    `updated_since` and the `ordering` the view paginates by."""

    q = django_filters.CharFilter(label=_("Words in the title, summary or keywords"), max_length=100)
    industry_field = django_filters.CharFilter(label=_("Industry field code; includes its sub-fields"))
    category = django_filters.ChoiceFilter(choices=Category.choices)
    trl_min = django_filters.TypedChoiceFilter(
        field_name="trl", choices=TRL.choices, coerce=int, empty_value=None, label=_("Lowest readiness level")
    )
    trl_max = django_filters.TypedChoiceFilter(
        field_name="trl", choices=TRL.choices, coerce=int, empty_value=None, label=_("Highest readiness level")
    )
    transfer_mode = django_filters.ChoiceFilter(choices=TransferMode.choices, label=_("Offered transfer mode"))
    price_min = django_filters.NumberFilter(
        min_value=0, max_digits=14, decimal_places=2, label=_("Lowest asking price (yuan)")
    )
    price_max = django_filters.NumberFilter(
        min_value=0, max_digits=14, decimal_places=2, label=_("Highest asking price (yuan)")
    )
    organization = IntegerFilter(min_value=1, label=_("Owner organization id"))
    region = django_filters.CharFilter(
        label=_("Division code of the owner; includes everything inside it"),
        validators=[RegexValidator(r"^\d{6}$", _("An administrative division code has 6 digits (GB/T 2260)."))],
    )
    status = django_filters.ChoiceFilter(
        choices=Status.choices, label=_("Status (callers only see other statuses of their own achievements)")
    )
    ordering = django_filters.ChoiceFilter(
        choices=SORT_LABELS, label=_("Sort order; without it, pages run over the last change")
    )

    # Parameters handed to the library's filter as one LibraryFilters; the rest filter one by one.
    LIBRARY_PARAMETERS = frozenset(
        {"q", "industry_field", "category", "trl_min", "trl_max", "transfer_mode", "price_min", "price_max",
         "organization", "region", "ordering"}
    )  # fmt: skip

    class Meta:
        model = Achievement
        fields = []

    def library_filters(self) -> LibraryFilters:
        data = self.form.cleaned_data

        def wan(yuan):
            return None if yuan is None else yuan / YUAN_PER_WAN

        return LibraryFilters(
            q=(data.get("q") or "").strip(),
            field=data.get("industry_field") or "",
            category=data.get("category") or "",
            trl_min=data.get("trl_min"),
            trl_max=data.get("trl_max"),
            mode=data.get("transfer_mode") or "",
            price_min_wan=wan(data.get("price_min")),
            price_max_wan=wan(data.get("price_max")),
            organization=data.get("organization"),
            region=data.get("region") or "",
            sort=data.get("ordering") or "newest",
        )

    def filter_queryset(self, queryset):
        queryset = achievement_filter(queryset, self.library_filters())
        for name, value in self.form.cleaned_data.items():
            if name not in self.LIBRARY_PARAMETERS:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


class InquiryFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=InquiryStatus.choices)

    class Meta:
        model = Inquiry
        fields = ["status"]
