from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AchievementsConfig(AppConfig):
    name = "achievements"
    verbose_name = _("Achievements")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from achievements import evaluation, matching, search

        evaluation.register()
        search.register()
        matching.register()
