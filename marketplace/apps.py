from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = _("Technology market")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from marketplace.search.organizations import register_organizations

        register_organizations()
