"""Pilot bases and proof-of-concept centres (中试基地 / 概念验证中心)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("Pilot bases")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from pilots import matching, search

        search.register()
        matching.register()
