"""Celery tasks of the shared core: thin wrappers that load by id and call a service."""

from celery import shared_task

from marketplace.enums import MailStatus


@shared_task(name="marketplace.send_queued_mail", bind=True, max_retries=8)
def send_queued_mail(self, mail_id: int) -> str:
    from marketplace.services.mail import mail_send

    mail = mail_send(mail_id=mail_id)
    if mail.status == MailStatus.QUEUED and not self.request.is_eager:
        # A failed attempt with attempts left: back off 1, 2, 4 … minutes. Run eagerly (no
        # Redis), the mail stays queued for the admin's retry instead of blocking a request.
        raise self.retry(countdown=60 * 2 ** (mail.attempts - 1))
    return mail.status


@shared_task(name="marketplace.requeue_stale_mail")
def requeue_stale_mail() -> int:
    from marketplace.services.mail import mail_requeue_stale

    return mail_requeue_stale()


@shared_task(name="marketplace.send_notification_digests")
def send_notification_digests() -> int:
    from marketplace.services.notifications import notification_digests_send

    return notification_digests_send()


@shared_task(name="marketplace.send_evaluation_reminders")
def send_evaluation_reminders() -> int:
    from marketplace.services.evaluation import evaluation_reminders_send

    return evaluation_reminders_send()


@shared_task(name="marketplace.search_reindex_organization")
def search_reindex_organization(organization_id: int) -> int:
    from marketplace import search

    return search.update_organization_listings(organization_id)


@shared_task(name="marketplace.send_saved_search_alerts")
def send_saved_search_alerts() -> int:
    from marketplace.services.saved_searches import saved_search_alerts_send

    return saved_search_alerts_send()


@shared_task(name="marketplace.recompute_matches_for")
def recompute_matches_for(kind: str, pks: list[int]) -> int:
    """Recompute the matches of listings of one kind after they were published or changed."""
    from marketplace.services.matching import recompute_many

    return recompute_many(kind, pks)


@shared_task(name="marketplace.recompute_all_matches")
def recompute_all_matches() -> dict:
    """The nightly run: corpus statistics, then every public demand's matches, in batches."""
    from marketplace.services.matching import recompute_all

    # Batches to the workers, so that the run takes as long divided by their number.
    return recompute_all(fan_out=lambda kind, pks: recompute_matches_for.delay(kind, pks))


# Retries through the task itself only for short waits: a countdown longer than the broker's
# visibility timeout makes Redis hand the task out again and again. Longer waits (and eager
# runs, where countdowns do not apply) are the sweep's.
WEBHOOK_TASK_RETRY_UP_TO = 600


@shared_task(name="marketplace.deliver_webhook", bind=True)
def deliver_webhook(self, delivery_id: int) -> str:
    """One attempt at a webhook delivery (nothing if it is not due or another worker has it)."""
    from django.utils import timezone

    from marketplace.enums import WebhookStatus
    from marketplace.services.webhooks import webhook_deliver

    delivery = webhook_deliver(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.status == WebhookStatus.PENDING and not self.request.is_eager and delivery.next_attempt_at:
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        if wait <= WEBHOOK_TASK_RETRY_UP_TO:
            # +1 s: a task that ran a moment early would find the attempt not yet due.
            deliver_webhook.apply_async((delivery_id,), countdown=max(wait, 0) + 1)
    return delivery.status


@shared_task(name="marketplace.retry_webhooks")
def retry_webhooks() -> int:
    """Every minute (beat): enqueue the pending deliveries whose next attempt is due."""
    from marketplace.services.webhooks import webhook_deliveries_due

    due = webhook_deliveries_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task(name="marketplace.purge_partner_records")
def purge_partner_records() -> dict:
    """Daily: forget Idempotency-Keys past their replay window and expired OAuth2 tokens."""
    from oauth2_provider.models import clear_expired

    from marketplace.api.idempotency import purge_expired_keys

    keys = purge_expired_keys()
    clear_expired()
    return {"idempotency_keys": keys}
