"""The bureau's console for service teams ("1+N"), reward rules and excellent brokers."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from brokers.enums import FilingStatus
from brokers.models import BrokerProfile, ExcellentBroker, RewardRule, ServiceTeam
from brokers.services_rewards import check_team


class ServiceTeamForm(forms.ModelForm):
    class Meta:
        model = ServiceTeam
        fields = ("name", "institution", "office", "brokers", "is_active")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "brokers" in self.fields:
            self.fields["brokers"].queryset = BrokerProfile.objects.filter(status=FilingStatus.ACTIVE).select_related(
                "user"
            )

    def clean(self):
        data = super().clean()
        if data.get("institution") and data.get("office"):
            try:
                check_team(institution=data["institution"], office=data["office"], brokers=data.get("brokers") or [])
            except ValidationError as exc:
                raise ValidationError(exc.messages) from exc
        return data


@admin.register(ServiceTeam)
class ServiceTeamAdmin(ObjectPermissionsModelAdmin):
    form = ServiceTeamForm
    list_display = ("name", "institution", "office", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "institution__name", "office__name")
    autocomplete_fields = ("institution", "office")
    filter_horizontal = ("brokers",)
    list_select_related = ("institution", "office")


@admin.register(RewardRule)
class RewardRuleAdmin(ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    list_display = ("name", "kind", "rate", "amount", "annual_cap", "year", "is_active")
    list_filter = ("kind", "is_active", "year")
    search_fields = ("name",)


@admin.register(ExcellentBroker)
class ExcellentBrokerAdmin(ObjectPermissionsModelAdmin):
    list_display = ("year", "rank", "profile", "selected_by")
    list_filter = ("year",)
    search_fields = ("profile__user__name", "profile__user__username")
    list_select_related = ("profile__user", "selected_by")
    autocomplete_fields = ("profile",)
    readonly_fields = ("selected_by",)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.selected_by = request.user
        super().save_model(request, obj, form, change)
