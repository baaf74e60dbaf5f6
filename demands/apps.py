from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandsConfig(AppConfig):
    name = "demands"
    verbose_name = _("Demands")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from demands import evaluation, matching, search

        evaluation.register()
        search.register()
        matching.register()
