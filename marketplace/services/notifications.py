"""In-app notifications, mirrored by e-mail at each user's chosen frequency."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from marketplace.enums import EmailFrequency
from marketplace.models import Notification, User
from marketplace.services.mail import mail_queue


@transaction.atomic
def notify(
    *,
    users: Iterable[User],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    organization=None,
) -> list[Notification]:
    """Create one notification per user; users who chose immediate e-mail get a mail queued.

    Duplicate users are notified once. Returns the notifications created.
    """
    recipients = {user.pk: user for user in users if user is not None and user.is_active}
    notifications = Notification.objects.bulk_create(
        [
            Notification(user=user, organization=organization, kind=kind, title=title[:200], body=body, url=url)
            for user in recipients.values()
        ]
    )
    now = timezone.now()
    mailed = []
    for notification in notifications:
        user = recipients[notification.user_id]
        if user.email and user.email_frequency == EmailFrequency.IMMEDIATE:
            mail_queue(
                to=user.email,
                user=user,
                purpose="notification",
                period=str(notification.pk),
                template="mail/notification",
                context={"user": user, "notification": notification},
            )
            mailed.append(notification.pk)
    if mailed:
        Notification.objects.filter(pk__in=mailed).update(emailed_at=now)
    return notifications


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def notification_digests_send(*, day: date | None = None) -> int:
    """Queue one digest per daily-frequency user with notifications not yet e-mailed.

    One mail per user and day (the outbox's uniqueness), so running it twice sends nothing
    more. Returns the number of digests queued.
    """
    day = day or timezone.localdate()
    pending = (
        Notification.objects.filter(
            emailed_at__isnull=True,
            user__email_frequency=EmailFrequency.DAILY,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user_id", "created_at")
    )
    by_user: dict[int, list[Notification]] = {}
    for notification in pending:
        by_user.setdefault(notification.user_id, []).append(notification)
    queued = 0
    for items in by_user.values():
        user = items[0].user
        if not user.email:
            continue
        with transaction.atomic():
            mail_queue(
                to=user.email,
                user=user,
                purpose="notification-digest",
                period=day.isoformat(),
                template="mail/notification_digest",
                context={"user": user, "notifications": items, "day": day},
            )
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
        queued += 1
    return queued
