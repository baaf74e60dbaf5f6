"""The outbox: every e-mail is a row, queued once and sent by a Celery task by id."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from marketplace.enums import MailStatus
from marketplace.models import OutgoingMail

logger = logging.getLogger(__name__)

# A queued mail older than this has lost its task (a worker died, Redis restarted).
STALE_AFTER = timedelta(minutes=10)


def mail_queue(
    *,
    to: str,
    purpose: str,
    period: str,
    template: str,
    context: dict,
    user=None,
    headers: dict | None = None,
    attachments: list[dict] | None = None,
) -> OutgoingMail:
    """Queue one message rendered from `<template>_subject.txt`, `.txt` and (if present) `.html`.
    `attachments`: text files sent with it, [{"name", "content", "mimetype"}] (an event's .ics).

    Idempotent on (to, purpose, period): queueing it again returns the existing row and sends
    nothing more. The send task is enqueued after the surrounding transaction commits.
    """
    context = {"site_url": settings.SITE_URL, "market_name": settings.MARKET_NAME, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body_text = render_to_string(f"{template}.txt", context)
    try:
        body_html = render_to_string(f"{template}.html", context)
    except TemplateDoesNotExist:
        body_html = ""
    email = to.strip()
    existing = OutgoingMail.objects.filter(to=email, purpose=purpose, period=period).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            mail = OutgoingMail.objects.create(
                to=email,
                user=user,
                purpose=purpose,
                period=period,
                subject=subject[:200],
                body_text=body_text,
                body_html=body_html,
                headers=headers or {},
                attachments=attachments or [],
            )
    except IntegrityError:
        # Queued concurrently by another process: the unique constraint kept one.
        return OutgoingMail.objects.get(to=email, purpose=purpose, period=period)
    _enqueue_after_commit(mail.pk)
    return mail


def _enqueue_after_commit(mail_id: int) -> None:
    from marketplace.tasks import send_queued_mail

    # robust: a broker outage must not fail the request whose data already committed; the
    # row stays queued and the periodic sweep enqueues it again.
    transaction.on_commit(lambda: send_queued_mail.delay(mail_id), robust=True)


def mail_send(*, mail_id: int) -> OutgoingMail:
    """Send one queued mail. Safe to call twice: a sent or failed mail is left alone.

    The row stays locked while the message goes out, so two workers never both send it.
    A failed attempt is counted; after MAIL_MAX_ATTEMPTS the mail is marked failed.
    """
    with transaction.atomic():
        mail = OutgoingMail.objects.select_for_update().get(pk=mail_id)
        if mail.status != MailStatus.QUEUED:
            return mail
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[mail.to],
            headers=mail.headers or None,
        )
        if mail.body_html:
            message.attach_alternative(mail.body_html, "text/html")
        for attachment in mail.attachments or []:
            message.attach(attachment["name"], attachment["content"], attachment["mimetype"])
        mail.attempts += 1
        try:
            message.send()
        except Exception as exc:
            logger.warning("mail %s attempt %s failed: %s", mail.pk, mail.attempts, exc)
            mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if mail.attempts >= settings.MAIL_MAX_ATTEMPTS:
                mail.status = MailStatus.FAILED
            mail.save(update_fields=["attempts", "last_error", "status"])
            return mail
        mail.status = MailStatus.SENT
        mail.sent_at = timezone.now()
        mail.last_error = ""
        mail.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return mail


def mail_requeue_stale(*, older_than: timedelta = STALE_AFTER) -> int:
    """Enqueue again every mail still queued after `older_than`; returns how many."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutgoingMail.objects.filter(status=MailStatus.QUEUED, created_at__lt=cutoff).values_list("pk", flat=True)[:1000]
    )
    for mail_id in ids:
        _enqueue_after_commit(mail_id)
    return len(ids)


@transaction.atomic
def mail_retry(*, mail: OutgoingMail) -> OutgoingMail:
    """Put a failed or stuck mail back in the queue with fresh attempts (an admin action)."""
    if mail.status == MailStatus.SENT:
        return mail
    mail.status = MailStatus.QUEUED
    mail.attempts = 0
    mail.save(update_fields=["status", "attempts"])
    _enqueue_after_commit(mail.pk)
    return mail
