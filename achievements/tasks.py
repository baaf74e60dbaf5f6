"""Celery beat jobs of the achievement library (thin: call a service, safe to run twice)."""

from celery import shared_task


@shared_task(name="achievements.send_freshness_reminders")
def send_freshness_reminders() -> int:
    from achievements.services import freshness_reminders_send

    return freshness_reminders_send()


@shared_task(name="achievements.archive_stale")
def archive_stale() -> int:
    from achievements.services import stale_achievements_archive

    return stale_achievements_archive()


@shared_task(name="achievements.propose_monthly_evaluation")
def propose_monthly_evaluation() -> int | None:
    """On the 1st: a draft evaluation round over last month's newly published achievements."""
    from datetime import timedelta

    from django.utils import timezone

    from achievements.selectors import evaluation_candidates
    from marketplace.services.evaluation import monthly_round_propose

    previous = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    evaluation = monthly_round_propose(
        period=previous.strftime("%Y-%m"), subjects=list(evaluation_candidates(previous))
    )
    return evaluation.pk if evaluation else None


# The featured-achievements digest (see achievements/services_digest.py) -------------------------

# Batches per send task: a task holds its claims for at most this many messages.
DIGEST_BATCH = 200


def _worker_id() -> str:
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def _enqueue_senders(queued: int) -> int:
    """Enough send tasks for `queued` rows, at most one per batch, at least one."""
    tasks = max(1, min(32, -(-queued // DIGEST_BATCH)))
    for _ in range(tasks):
        send_digest_batch.delay()
    return tasks


@shared_task(name="achievements.run_digest")
def run_digest(frequency: str, day: str | None = None) -> dict:
    """Beat starts each period's run: plan the deliveries (idempotent) and start the senders."""
    from datetime import date

    from django.utils import timezone

    from achievements.services_digest import digest_plan

    period, queued = digest_plan(frequency=frequency, day=date.fromisoformat(day) if day else timezone.localdate())
    tasks = _enqueue_senders(queued) if queued else 0
    return {"period": period.key, "queued": queued, "tasks": tasks}


@shared_task(name="achievements.send_digest_batch")
def send_digest_batch() -> dict:
    """Claim one batch, send it, and hand on to a fresh task while rows remain (so one task
    never holds many claims, and a killed worker loses at most one batch's claims)."""
    from achievements.services_digest import digest_claim, digest_send_claimed

    worker = _worker_id()
    ids = digest_claim(worker=worker, batch_size=DIGEST_BATCH)
    if not ids:
        return {"claimed": 0}
    counts = digest_send_claimed(ids=ids, worker=worker)
    send_digest_batch.delay()
    return {"claimed": len(ids), **counts}


@shared_task(name="achievements.sweep_digests")
def sweep_digests() -> dict:
    """Every few minutes: return dead workers' claims to the queue, list what they left
    in flight as ambiguous, and start senders for whatever is due (a lost task loses nothing)."""
    from django.db.models import Q
    from django.utils import timezone

    from achievements.enums import DeliveryStatus
    from achievements.models import DigestDelivery
    from achievements.services_digest import digest_sweep

    swept = digest_sweep()
    due = DigestDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()), status=DeliveryStatus.QUEUED
    ).count()
    return {**swept, "tasks": _enqueue_senders(due) if due else 0}
