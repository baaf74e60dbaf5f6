"""When a listing is stale: not re-confirmed by its owner within FRESHNESS_DAYS.
(The reminders and the retiring of stale listings are in marketplace.services.freshness.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone


def freshness_deadline(confirmed_at: datetime) -> datetime:
    return confirmed_at + timedelta(days=settings.FRESHNESS_DAYS)


def is_stale(confirmed_at: datetime | None, *, now: datetime | None = None) -> bool:
    return confirmed_at is not None and freshness_deadline(confirmed_at) < (now or timezone.now())


def stale_filter(queryset: QuerySet, *, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return queryset.filter(confirmed_at__lt=now - timedelta(days=settings.FRESHNESS_DAYS))
