"""Celery beat jobs of the demand board (thin: call a service, safe to run twice)."""

from celery import shared_task


@shared_task(name="demands.expire_past_deadline")
def expire_past_deadline() -> int:
    from demands.services import demands_expire

    return demands_expire()


@shared_task(name="demands.send_freshness_reminders")
def send_freshness_reminders() -> int:
    from demands.services import demand_freshness_reminders_send

    return demand_freshness_reminders_send()


@shared_task(name="demands.close_stale")
def close_stale() -> int:
    from demands.services import stale_demands_close

    return stale_demands_close()


@shared_task(name="demands.advance_challenges")
def advance_challenges() -> int:
    """Open and close the bidding windows that are due."""
    from demands.services.challenges import challenges_advance

    return challenges_advance()


@shared_task(name="demands.lapse_pools")
def lapse_pools() -> int:
    from demands.services.pools import pools_lapse

    return pools_lapse()
