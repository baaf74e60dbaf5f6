"""The technology market project package and its shared core (parties, taxonomy, services)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
