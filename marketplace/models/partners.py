"""Partner systems: OAuth2 applications with scopes, idempotency keys and sync tombstones.

A partner system (a provincial market, a sector exchange) is an organization of kind
`partner_system`. Each of its OAuth2 client-credentials applications carries the scopes staff
granted it; records it writes are unique on (partner, external_ref)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rules.contrib.models import RulesModelBase, RulesModelMixin

from marketplace import rules as market_rules
from marketplace.enums import WebhookStatus
from marketplace.models.base import TimeStampedModel


class PartnerApplication(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """The market's side of an OAuth2 application: whose it is and what it may do."""

    application = models.OneToOneField(
        "oauth2_provider.Application",
        verbose_name=_("OAuth2 application"),
        on_delete=models.CASCADE,
        related_name="partner",
    )
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("partner organization"),
        on_delete=models.PROTECT,
        related_name="partner_applications",
        limit_choices_to={"kind": "partner_system"},
    )
    scopes = models.CharField(_("scopes"), max_length=1000, help_text=_("Space-separated, from the scope catalogue."))
    throttle_rate = models.CharField(
        _("request limit"),
        max_length=20,
        blank=True,
        help_text=_("Such as 600/minute; empty: the default partner limit."),
    )
    publishes_directly = models.BooleanField(
        _("publishes without review"),
        default=False,
        help_text=_(
            "Achievements and demands this partner sends as published go on the market at once (the partner "
            "reviews them itself); otherwise they wait in the bureau's review queue."
        ),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    secret_rotated_at = models.DateTimeField(_("secret last rotated"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("partner application")
        verbose_name_plural = _("partner applications")
        ordering = ["organization__name", "id"]
        rules_permissions = {
            "view": market_rules.is_bureau_administrator,
            "add": market_rules.is_bureau_administrator,
            "change": market_rules.is_bureau_administrator,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return self.application.name

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyKey(models.Model):
    """One POST made with an `Idempotency-Key` header, and the response it got.

    The row is committed before the request runs: a concurrent duplicate finds it unfinished
    (409); a later replay gets the stored response; a 5xx removes it so the request can be
    retried."""

    owner = models.CharField(_("caller"), max_length=40, help_text=_("user:<id> or partner:<application id>"))
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.BinaryField(_("response body"), null=True, blank=True)
    response_headers = models.JSONField(_("response headers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_unique_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"

    @property
    def is_finished(self) -> bool:
        return self.response_status is not None


class Tombstone(models.Model):
    """A deleted record, kept so `updated_since` syncs learn of the deletion.

    `object_id` is the deleted row's id; with `deleted_at` it sorts with the live rows in the
    sync order (-updated_at, -id)."""

    collection = models.CharField(_("collection"), max_length=40)
    object_id = models.BigIntegerField(_("record id"))
    external_ref = models.CharField(_("external reference"), max_length=100, blank=True, default="")
    organization = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("owner organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    partner = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    was_public = models.BooleanField(_("was public"), default=False)
    deleted_at = models.DateTimeField(_("deleted at"), default=timezone.now)

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        indexes = [models.Index(fields=["collection", "-deleted_at", "-object_id"], name="tombstone_sync_idx")]

    def __str__(self) -> str:
        return f"{self.collection}/{self.object_id}"


class WebhookEndpoint(RulesModelMixin, TimeStampedModel, metaclass=RulesModelBase):
    """A URL of a partner that wants events pushed to it, signed with its own secret."""

    partner = models.ForeignKey(
        "marketplace.Organization",
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        limit_choices_to={"kind": "partner_system"},
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.CharField(_("events"), max_length=1000, help_text=_("Space-separated, from the event catalogue."))
    secret = models.CharField(
        _("signing secret"), max_length=100, help_text=_("Shared with the partner; signs every delivery.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["partner__name", "id"]
        rules_permissions = {
            "view": market_rules.is_bureau_administrator,
            "add": market_rules.is_bureau_administrator,
            "change": market_rules.is_bureau_administrator,
            "delete": market_rules.is_bureau_administrator,
        }

    def __str__(self) -> str:
        return self.url

    @property
    def event_set(self) -> set[str]:
        return set(self.events.split())


class WebhookDelivery(RulesModelMixin, models.Model, metaclass=RulesModelBase):
    """One event sent (or to be sent) to one endpoint, with every attempt's outcome."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=50)
    event_id = models.UUIDField(_("event id"))
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=20, choices=WebhookStatus.choices, default=WebhookStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]
        rules_permissions = {
            "view": market_rules.is_bureau_administrator,
            "add": market_rules.always_deny,
            "change": market_rules.is_bureau_administrator,
            "delete": market_rules.always_deny,
        }

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
