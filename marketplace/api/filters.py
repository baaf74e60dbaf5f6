"""Filter sets shared by every list: `updated_since` for incremental sync."""

import datetime

import django_filters
from django.utils.translation import gettext_lazy as _


def in_utc(value: datetime.datetime) -> datetime.datetime:
    """ISO 8601 allows UTC offsets PostgreSQL refuses (beyond ±15:59): compare in UTC."""
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:  # before year 1 in UTC: every row is newer
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    def filter(self, qs, value):
        return super().filter(qs, in_utc(value) if value is not None else value)


class SyncFilterSet(django_filters.FilterSet):
    updated_since = UpdatedSinceFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Only rows changed at or after this ISO 8601 time"),
    )
