from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin

from marketplace import rules as market_rules
from marketplace.enums import MailStatus


class OutgoingMail(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """One e-mail message in the outbox: queued → sent | failed, sent by a Celery task by id.

    Unique per (recipient, purpose, period): queueing the same message twice is a no-op, so
    a digest or reminder is never sent twice, and a lost worker loses nothing (the row stays
    queued and the periodic sweep enqueues it again).
    """

    to = models.EmailField(_("recipient"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    purpose = models.CharField(
        _("purpose"), max_length=60, help_text=_("What the message is, e.g. password-reset, digest.")
    )
    period = models.CharField(
        _("period key"),
        max_length=60,
        help_text=_("What makes this message unique for its purpose, e.g. 2026-11 or an object id."),
    )
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    attachments = models.JSONField(
        _("attachments"),
        default=list,
        blank=True,
        help_text=_("Text files sent with the message: name, content, type."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MailStatus.choices, default=MailStatus.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["to", "purpose", "period"], name="outgoing_mail_unique_recipient_purpose_period"
            )
        ]
        rules_permissions = {
            "view": market_rules.is_bureau_administrator,
            "add": market_rules.always_deny,
            "change": market_rules.is_bureau_administrator,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
