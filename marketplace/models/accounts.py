from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin

from marketplace import rules as market_rules
from marketplace.enums import EmailFrequency
from marketplace.validators import validate_mobile_phone

DELETED_USERNAME_PREFIX = "deleted-"


class User(RulesModelMixin, AbstractUser, metaclass=RulesModelBase):
    """A person. Chinese names are one field (姓名); organizations come through memberships."""

    first_name = None
    last_name = None
    name = models.CharField(_("full name"), max_length=50)
    email = models.EmailField(_("e-mail address"))
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_mobile_phone])
    email_frequency = models.CharField(
        _("e-mail notifications"),
        max_length=10,
        choices=EmailFrequency.choices,
        default=EmailFrequency.IMMEDIATE,
        help_text=_("How often notifications are also sent by e-mail."),
    )
    # PIPL art. 14: consent is given to a specific notice; a new notice version asks again.
    privacy_consent_at = models.DateTimeField(_("privacy consent given at"), null=True, blank=True, editable=False)
    privacy_consent_version = models.CharField(
        _("privacy notice version consented to"), max_length=20, blank=True, editable=False
    )

    objects = UserManager()

    REQUIRED_FIELDS = ["email", "name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                # Deleted accounts keep their row with a blank e-mail (marketplace.services.privacy).
                condition=~Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=_("An account with this e-mail address already exists."),
            ),
        ]
        rules_permissions = {
            "view": market_rules.is_self | market_rules.is_bureau_administrator,
            "add": market_rules.is_bureau_administrator,
            "change": market_rules.is_self | market_rules.is_bureau_administrator,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        if self.is_deleted:
            return str(_("Deleted user"))
        return f"{self.name}（{self.username}）" if self.name else self.username

    def get_full_name(self) -> str:
        if self.is_deleted:
            return str(_("Deleted user"))
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.get_full_name()

    @property
    def is_deleted(self) -> bool:
        """The person deleted their account; the row stays so that their records keep an author."""
        return self.username.startswith(DELETED_USERNAME_PREFIX) and not self.is_active

    def has_current_privacy_consent(self) -> bool:
        return self.privacy_consent_at is not None and self.privacy_consent_version == settings.PRIVACY_NOTICE_VERSION
