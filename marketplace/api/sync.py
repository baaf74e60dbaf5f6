"""Incremental sync: `?updated_since=` lists that also return what the caller lost.

A list asked with `updated_since` pages forward over (-updated_at, -id) with a keyset cursor and
merges, in the same order, tombstones `{"id", "external_ref", "deleted": true, "updated_at"}`
for records changed since then that the caller could see before and no longer can:

- rows still in the table that left the public market (withdrawn, closed, revoked…) and are not
  the caller's own: `SOURCES[model].gone(user)` says which, as a condition on the table;
- rows deleted outright, from the Tombstone table (deleted drafts are tombstoned only for their
  own organization and the partner that wrote them).

A partner that applies the live rows and deletes the tombstoned ids converges without reloading
everything. A tombstone for an id the partner never had is harmless (it deletes nothing)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.utils.urls import replace_query_param

from marketplace import rules as market_rules
from marketplace.api.filters import in_utc


@dataclass(frozen=True)
class SyncSource:
    collection: str  # the Tombstone collection of deleted rows
    # Rows still in the table that the caller has lost (None: none can be lost, e.g. staff).
    gone: Callable[[object], Q | None]


def _listing_gone(public_statuses) -> Callable[[object], Q | None]:
    def gone(user) -> Q | None:
        if market_rules.is_bureau_staff(user):
            return None
        query = Q(published_at__isnull=False) & ~Q(status__in=public_statuses)
        organizations = list(market_rules.membership_roles(user))
        if organizations:
            query &= ~Q(organization_id__in=organizations)
        if partner_id := market_rules.partner_id_of(user):
            query &= ~Q(partner_id=partner_id)
        return query

    return gone


def _organization_gone(user) -> Q | None:
    """Organizations leave the directory when their verification is revoked."""
    from marketplace.enums import VerificationStatus

    return Q(verified_at__isnull=False) & ~Q(verification_status=VerificationStatus.VERIFIED)


def _sources() -> dict[type, SyncSource]:
    from achievements import rules as achievement_rules
    from achievements.models import Achievement
    from brokers.enums import FilingStatus
    from brokers.models import BrokerProfile
    from demands import rules as demand_rules
    from demands.models import Demand
    from events.models import Event
    from marketplace.models import Organization
    from pilots.enums import FilingStatus as PilotFilingStatus
    from pilots.models import PilotBase

    def broker_gone(user) -> Q | None:
        """Brokers leave the directory when suspended (a filing once approved)."""
        return Q(approved_at__isnull=False) & ~Q(status=FilingStatus.ACTIVE)

    def pilot_base_gone(user) -> Q | None:
        """Bases leave the directory when their filing is revoked (a filing once approved),
        except for the members of their operator, who still see them."""
        if market_rules.is_bureau_staff(user):
            return None
        query = Q(approved_at__isnull=False) & ~Q(status=PilotFilingStatus.APPROVED)
        organizations = list(market_rules.membership_roles(user))
        if organizations:
            query &= ~Q(operator_id__in=organizations)
        return query

    def event_gone(user) -> Q | None:
        """Events never leave the public calendar: a cancelled one stays listed (status
        cancelled), and a draft was never public. Only deleted rows could be tombstoned."""
        return None

    return {
        BrokerProfile: SyncSource("brokers", broker_gone),
        PilotBase: SyncSource("pilot_bases", pilot_base_gone),
        Event: SyncSource("events", event_gone),
        Achievement: SyncSource("achievements", _listing_gone(achievement_rules.PUBLIC_STATUSES)),
        Demand: SyncSource("demands", _listing_gone(demand_rules.PUBLIC_STATUSES)),
        Organization: SyncSource("organizations", _organization_gone),
    }


_SOURCES: dict[type, SyncSource] | None = None


def source_for(model) -> SyncSource | None:
    global _SOURCES
    if _SOURCES is None:
        _SOURCES = _sources()
    return _SOURCES.get(model)


def parse_since(value: str):
    try:
        since = parse_datetime(value or "")
    except ValueError:
        since = None
    if since is None:
        raise serializers.ValidationError({"updated_since": [_("Enter an ISO 8601 date and time.")]})
    if since.tzinfo is None:
        since = timezone.make_aware(since)
    return in_utc(since)


def _tombstones_visible(user) -> Q | None:
    """Deleted rows the caller could have seen: public ones for everyone, its own otherwise."""
    if market_rules.is_bureau_staff(user):
        return Q()
    query = Q(was_public=True)
    organizations = list(market_rules.membership_roles(user))
    if organizations:
        query |= Q(organization_id__in=organizations)
    if partner_id := market_rules.partner_id_of(user):
        query |= Q(partner_id=partner_id)
    return query


class SyncPaginator:
    """Forward-only keyset pages over live rows and tombstones, in one order."""

    def __init__(self, *, page_size: int, tie_field: str = "id"):
        self.page_size = page_size
        self.tie_field = tie_field

    # Cursor: base64 of {"t": updated_at, "k": tie value} of the last row of the page.
    def _decode(self, raw: str | None):
        if not raw:
            return None
        try:
            position = json.loads(base64.urlsafe_b64decode(raw.encode("ascii")))
            moment = parse_datetime(position["t"])
            key = position["k"]
            moment = in_utc(moment) if moment is not None else None
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
            moment, key = None, None
        if moment is None or not isinstance(key, (int, str)):
            raise serializers.ValidationError({"cursor": [_("This cursor is not valid.")]})
        return moment, key

    @staticmethod
    def _encode(moment, key) -> str:
        return base64.urlsafe_b64encode(json.dumps({"t": moment.isoformat(), "k": key}).encode()).decode()

    def paginate(self, queryset, request):
        self.request = request
        since = parse_since(request.query_params.get("updated_since"))
        position = self._decode(request.query_params.get("cursor"))
        tie = self.tie_field
        limit = self.page_size + 1

        def after(rows, time_field: str, key_field: str):
            if position is None:
                return rows
            moment, key = position
            return rows.filter(Q(**{f"{time_field}__lt": moment}) | Q(**{time_field: moment, f"{key_field}__lt": key}))

        live = list(after(queryset, "updated_at", tie).order_by("-updated_at", f"-{tie}")[:limit])
        items = [(row.updated_at, getattr(row, tie), row) for row in live]
        source = source_for(queryset.model)
        user = request.user
        if source is not None:
            gone_query = source.gone(user)
            if gone_query is not None:
                names = ["id", "updated_at"] + (["external_ref"] if hasattr(queryset.model, "external_ref") else [])
                gone = (
                    queryset.model._default_manager.filter(gone_query, updated_at__gte=since)
                    .order_by("-updated_at", "-id")
                    .values(*names)
                )
                items += [(row["updated_at"], row["id"], row) for row in after(gone, "updated_at", "id")[:limit]]
            from marketplace.models import Tombstone

            deleted = (
                Tombstone.objects.filter(_tombstones_visible(user), collection=source.collection, deleted_at__gte=since)
                .order_by("-deleted_at", "-object_id")
                .values("object_id", "external_ref", "deleted_at")
            )
            items += [
                (row["deleted_at"], row["object_id"], {"id": row["object_id"], "external_ref": row["external_ref"],
                                                        "updated_at": row["deleted_at"]})
                for row in after(deleted, "deleted_at", "object_id")[:limit]
            ]  # fmt: skip
        items.sort(key=lambda item: (item[0], item[1]), reverse=True)
        self.has_next = len(items) > self.page_size
        self.items = items[: self.page_size]
        return [item[2] for item in self.items if not isinstance(item[2], dict)]

    def response_data(self, data) -> dict:
        """{next, previous, results}: the serialized live rows with the tombstones in place."""
        serialized = iter(data)
        results = []
        for moment, _key, item in self.items:
            if isinstance(item, dict):
                results.append(
                    {
                        "id": item["id"],
                        "external_ref": item.get("external_ref") or None,
                        "deleted": True,
                        "updated_at": serializers.DateTimeField().to_representation(moment),
                    }
                )
            else:
                results.append(next(serialized))
        following = None
        if self.has_next:
            moment, key, _item = self.items[-1]
            url = self.request.build_absolute_uri()
            following = replace_query_param(url, "cursor", self._encode(moment, key))
        return {"next": following, "previous": None, "results": results}
