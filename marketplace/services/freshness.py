"""Listings that never go stale: owners re-confirm them every FRESHNESS_DAYS; Celery beat
reminds them through the outbox before that, marks overdue ones in public, and takes them
off the market after FRESHNESS_GRACE_DAYS more. Shared by achievements and demands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from marketplace.freshness import freshness_deadline
from marketplace.services.transitions import Workflow


@dataclass(frozen=True)
class FreshnessPolicy:
    """How one kind of listing is kept fresh.

    live: the published listings whose `confirmed_at` counts; recipients(listing) → the users
    reminded; retire(listing) → what else happens when it is taken off (e.g. files made
    private); `reason` is logged with the retiring transition.
    """

    name: str
    live: Callable[[], QuerySet]
    workflow: Workflow
    retire_to: str
    reason: str
    recipients: Callable
    confirm_url: Callable
    retire: Callable | None = None


def freshness_reminders_send(policy: FreshnessPolicy, *, now: datetime | None = None) -> int:
    """Remind the owners of listings due for re-confirmation within FRESHNESS_REMINDER_DAYS.

    One reminder per listing and confirmation: the outbox key is the listing and its last
    confirmation date, so running this again sends nothing more. Returns the listings reminded.
    """
    from marketplace.services.mail import mail_queue

    now = now or timezone.now()
    due = now - timedelta(days=settings.FRESHNESS_DAYS - settings.FRESHNESS_REMINDER_DAYS)
    count = 0
    for listing in policy.live().filter(confirmed_at__lt=due).iterator(chunk_size=500):
        for user in policy.recipients(listing):
            if not user.email:
                continue
            mail_queue(
                to=user.email,
                user=user,
                purpose=f"{policy.name}-freshness",
                period=f"{listing.pk}:{listing.confirmed_at:%Y%m%d}",
                template="mail/listing_freshness",
                context={
                    "user": user,
                    "listing": listing,
                    "deadline": freshness_deadline(listing.confirmed_at),
                    "confirm_url": policy.confirm_url(listing),
                },
            )
        count += 1
    return count


def stale_listings_retire(policy: FreshnessPolicy, *, now: datetime | None = None) -> int:
    """Take off the market the listings not re-confirmed within the period and the grace
    period (a logged transition without an actor). Returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FRESHNESS_DAYS + settings.FRESHNESS_GRACE_DAYS)
    retired = 0
    for listing in policy.live().filter(confirmed_at__lt=cutoff).iterator(chunk_size=500):
        with transaction.atomic():
            policy.workflow.apply(listing, policy.retire_to, reason=policy.reason)
            if policy.retire is not None:
                policy.retire(listing)
        retired += 1
    return retired
