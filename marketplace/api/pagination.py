from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from marketplace.api.sync import SyncPaginator

TOMBSTONE_SCHEMA = {
    "type": "object",
    "description": "A record the caller no longer sees (withdrawn or deleted), in lists asked with updated_since.",
    "required": ["id", "deleted", "updated_at"],
    "properties": {
        "id": {"type": "integer"},
        "external_ref": {"type": "string", "nullable": True},
        "deleted": {"type": "boolean", "enum": [True]},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}


class UpdatedCursorPagination(CursorPagination):
    """Stable cursor pages over (-updated_at, -id): rows changed while a partner pages through
    a list cannot be skipped or repeated, and `updated_since` syncs stay cheap."""

    ordering = ("-updated_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        # With `updated_since`: forward keyset pages that also carry tombstones (api/sync.py).
        self.sync = None
        if request.query_params.get("updated_since"):
            self.sync = SyncPaginator(page_size=self.get_page_size(request), tie_field=self.ordering[1].lstrip("-"))
            return self.sync.paginate(queryset, request)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        if self.sync is not None:
            return Response(self.sync.response_data(data))
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema):
        # A sync page mixes live rows and tombstones.
        schema = dict(schema)
        schema["items"] = {"anyOf": [schema["items"], TOMBSTONE_SCHEMA]}
        return super().get_paginated_response_schema(schema)


class CreatedCursorPagination(CursorPagination):
    """Rows that are never changed, only added or removed (favourites, pledges): newest first."""

    ordering = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


class CappedPagePagination(BasePagination):
    """Page numbers for the library's sort orders, capped at `max_page` pages.

    A sorted list is for browsing, not for syncing (that is the cursor's job), and a sort key
    such as the price repeats and may be null, which a cursor cannot page over reliably. The
    response has the cursor pages' shape, {next, previous, results}, so clients follow `next`
    either way.
    """

    page_size = 20
    max_page_size = 100
    max_page = 50

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.number = self._number(request, "page", default=1)
        if self.number > self.max_page:
            raise serializers.ValidationError(
                {"page": [_("Sorted lists stop at page %(max)d; narrow the filters.") % {"max": self.max_page}]}
            )
        self.size = min(self._number(request, "page_size", default=self.page_size), self.max_page_size)
        start = (self.number - 1) * self.size
        rows = list(queryset[start : start + self.size + 1])
        self.has_next = len(rows) > self.size and self.number < self.max_page
        return rows[: self.size]

    @staticmethod
    def _number(request, name: str, *, default: int) -> int:
        value = request.query_params.get(name)
        if value in (None, ""):
            return default
        if not value.isdigit() or int(value) < 1:
            raise serializers.ValidationError({name: [_("Enter a whole number of at least 1.")]})
        return int(value)

    def get_paginated_response(self, data):
        url = self.request.build_absolute_uri()
        following = replace_query_param(url, "page", self.number + 1) if self.has_next else None
        if self.number == 1:
            previous = None
        elif self.number == 2:
            previous = remove_query_param(url, "page")
        else:
            previous = replace_query_param(url, "page", self.number - 1)
        return Response({"next": following, "previous": previous, "results": data})


class MessageCursorPagination(CursorPagination):
    """A conversation reads oldest first."""

    ordering = ("created_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
