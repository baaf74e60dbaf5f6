"""Filter sets shared by every list: `updated_since` for incremental sync."""

import django_filters
from django.utils.translation import gettext_lazy as _


class SyncFilterSet(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Only rows changed at or after this ISO 8601 time"),
    )
