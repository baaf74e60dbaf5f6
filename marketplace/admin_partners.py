"""Partner applications in the admin: create (the secret is shown once), set scopes and limits,
rotate the secret, revoke."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rules.contrib.admin import ObjectPermissionsModelAdmin

from marketplace.enums import OrganizationKind
from marketplace.models import Organization, PartnerApplication
from marketplace.scopes import SCOPES
from marketplace.services.partners import (
    partner_application_create,
    partner_application_revoke,
    partner_application_rotate,
    partner_application_set_scopes,
)


class PartnerApplicationForm(forms.ModelForm):
    name = forms.CharField(label=gettext_lazy("application name"), max_length=255, required=False)
    scope_list = forms.MultipleChoiceField(
        label=gettext_lazy("scopes"),
        choices=[(name, f"{name}：{description}") for name, description in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = PartnerApplication
        fields = ["organization", "throttle_rate", "publishes_directly"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = Organization.objects.filter(kind=OrganizationKind.PARTNER_SYSTEM)
        if self.instance.pk:
            self.fields["scope_list"].initial = sorted(self.instance.scope_set)
            self.fields["name"].initial = self.instance.application.name
            self.fields["organization"].disabled = True

    def clean_throttle_rate(self):
        rate = self.cleaned_data["throttle_rate"].strip()
        if rate:
            count, _slash, period = rate.partition("/")
            if not count.isdigit() or int(count) < 1 or period not in ("second", "minute", "hour", "day"):
                raise ValidationError(_("Write a limit such as 600/minute (per second, minute, hour or day)."))
        return rate


def _show_secret(request, credentials) -> None:
    messages.warning(
        request,
        _("Credentials of %(name)s — client_id: %(id)s, client_secret: %(secret)s. The secret is shown only now.")
        % {
            "name": credentials.partner_application,
            "id": credentials.client_id,
            "secret": credentials.client_secret,
        },
    )


@admin.register(PartnerApplication)
class PartnerApplicationAdmin(ObjectPermissionsModelAdmin):
    form = PartnerApplicationForm
    list_display = ["__str__", "organization", "scopes", "publishes_directly", "revoked_at", "secret_rotated_at"]
    list_filter = ["publishes_directly", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["application__name", "application__client_id", "organization__name"]
    list_select_related = ["application", "organization"]
    readonly_fields = ["client_id", "revoked_at", "secret_rotated_at", "created_at"]
    actions = ["rotate_secret", "revoke"]

    @admin.display(description=gettext_lazy("client ID"))
    def client_id(self, obj):
        return obj.application.client_id if obj.pk else "—"

    def save_model(self, request, obj, form, change):
        scopes = form.cleaned_data["scope_list"]
        if change:
            application = obj.application
            if form.cleaned_data["name"] and form.cleaned_data["name"] != application.name:
                application.name = form.cleaned_data["name"]
                application.save(update_fields=["name", "updated"])
            obj.save()
            partner_application_set_scopes(partner_application=obj, scopes=scopes)
            return
        credentials = partner_application_create(
            organization=form.cleaned_data["organization"],
            name=form.cleaned_data["name"],
            scopes=scopes,
            created_by=request.user,
        )
        created = credentials.partner_application
        created.throttle_rate = obj.throttle_rate
        created.publishes_directly = obj.publishes_directly
        created.save(update_fields=["throttle_rate", "publishes_directly", "updated_at"])
        obj.pk = created.pk
        obj.application = created.application
        _show_secret(request, credentials)

    @admin.action(description=gettext_lazy("Rotate the secret (issued tokens stop working)"))
    def rotate_secret(self, request, queryset):
        for partner_application in queryset.select_related("application"):
            if partner_application.revoked_at:
                self.message_user(request, _("%(name)s is revoked.") % {"name": partner_application}, messages.ERROR)
                continue
            _show_secret(request, partner_application_rotate(partner_application=partner_application))

    @admin.action(description=gettext_lazy("Revoke (no more tokens; issued ones stop working)"))
    def revoke(self, request, queryset):
        for partner_application in queryset:
            partner_application_revoke(partner_application=partner_application)
        self.message_user(request, _("%(count)d applications revoked.") % {"count": queryset.count()})
