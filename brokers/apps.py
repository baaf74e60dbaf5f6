from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrokersConfig(AppConfig):
    name = "brokers"
    verbose_name = _("Technology brokers")
    default_auto_field = "django.db.models.BigAutoField"
