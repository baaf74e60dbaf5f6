"""Partner webhooks in the bureau's admin console: endpoints (the secret is generated, never
typed) and deliveries (read-only, with a replay action). Bureau administrators only."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import rules as market_rules
from marketplace.admin_actions import apply_service
from marketplace.models import WebhookDelivery, WebhookEndpoint
from marketplace.services.webhooks import (
    EVENTS,
    webhook_check_url,
    webhook_clean_events,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_replay,
)


class BureauAdministratorOnly:
    """Partner integrations are the bureau administrators' (design.md, who may do what)."""

    def has_module_permission(self, request):
        return market_rules.is_bureau_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return market_rules.is_bureau_administrator(request.user)

    def has_add_permission(self, request):
        return market_rules.is_bureau_administrator(request.user)

    def has_change_permission(self, request, obj=None):
        return market_rules.is_bureau_administrator(request.user)

    def has_delete_permission(self, request, obj=None):
        return market_rules.is_bureau_administrator(request.user)


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=gettext_lazy("events"),
        choices=[(name, f"{name} · {description}") for name, (description, _scope) in EVENTS.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["partner", "url", "events", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["events"] = sorted(self.instance.event_set)

    def clean_url(self):
        url = self.cleaned_data["url"]
        webhook_check_url(url)
        return url

    def clean(self):
        cleaned = super().clean()
        partner = cleaned.get("partner") or getattr(self.instance, "partner", None)
        if partner is not None and cleaned.get("events"):
            try:
                cleaned["events"] = webhook_clean_events(cleaned["events"], partner=partner)
            except ValidationError as exc:
                self.add_error("events", exc.message_dict["events"])
        return cleaned

    def _post_clean(self):
        # The services check and save; the model's own checks run there, with the secret set.
        pass


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(BureauAdministratorOnly, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "partner", "events", "is_active", "created_at", "updated_at")
    list_filter = ("is_active", "partner")
    search_fields = ("url", "partner__name")
    list_select_related = ["partner"]
    readonly_fields = ("secret", "created_at", "updated_at")

    def get_fields(self, request, obj=None):
        fields = ["partner", "url", "events", "is_active"]
        return [*fields, "secret", "created_at", "updated_at"] if obj is not None else fields

    def get_readonly_fields(self, request, obj=None):
        # The partner is fixed once its endpoint exists (the secret is shared with it alone).
        return [*self.readonly_fields, "partner"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            webhook_endpoint_update(endpoint=obj, url=data["url"], events=data["events"], is_active=data["is_active"])
        else:
            created = webhook_endpoint_create(
                partner=data["partner"], url=data["url"], events=data["events"], is_active=data["is_active"]
            )
            # The admin goes on with `obj` (its change message, the redirect): make it the saved row.
            for field in WebhookEndpoint._meta.concrete_fields:
                setattr(obj, field.attname, getattr(created, field.attname))
            obj._state.adding = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(BureauAdministratorOnly, admin.ModelAdmin):
    list_display = (
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event", "endpoint")
    search_fields = ("event_id", "endpoint__url", "endpoint__partner__name")
    list_select_related = ["endpoint"]
    date_hierarchy = "created_at"
    readonly_fields = (
        "endpoint",
        "event",
        "event_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
        "payload_json",
    )
    fields = readonly_fields
    actions = ["replay"]

    def has_add_permission(self, request):
        return False  # deliveries are written by webhook_emit only

    def has_change_permission(self, request, obj=None):
        return False  # read-only: the replay action is the only change

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what partners were sent stays

    def has_replay_permission(self, request):
        return market_rules.is_bureau_administrator(request.user)

    @admin.display(description=gettext_lazy("payload"))
    def payload_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, ensure_ascii=False, indent=2))

    @admin.action(description=gettext_lazy("Replay the selected deliveries"), permissions=["replay"])
    def replay(self, request, queryset):
        apply_service(
            self,
            request,
            queryset.select_related("endpoint"),
            lambda delivery: webhook_replay(delivery=delivery, actor=request.user),
            done_message=_("%(count)s deliveries queued to be sent again."),
        )
