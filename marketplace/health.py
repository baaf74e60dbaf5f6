"""Service status for /healthz and `manage.py healthcheck` (compose health checks)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _cache() -> str:
    cache.set("healthz", "1", 10)
    return "ok" if cache.get("healthz") == "1" else "error: read-back"


def _broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from marketplace.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def service_status() -> tuple[bool, dict[str, str]]:
    """(healthy, {service: "ok" | "eager" | "error: …"}) for database, cache and broker."""
    checks = {}
    for name, check in (("database", _database), ("cache", _cache), ("broker", _broker)):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}"
    return all(value in ("ok", "eager") for value in checks.values()), checks
