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
