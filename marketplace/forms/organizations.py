"""Forms of the organization workspace: details, verification, members, join requests."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace import rules as market_rules
from marketplace.enums import MembershipRole, OrganizationKind
from marketplace.forms.base import MarketForm, MarketModelForm
from marketplace.forms.fields import IndustryFieldsField, RegionField
from marketplace.models import Organization
from marketplace.services.files import DOCUMENT_KINDS
from marketplace.services.organizations import IDENTITY_FIELDS
from marketplace.validators import inspect_upload, normalize_uscc


class OrganizationForm(MarketModelForm):
    region = RegionField()
    industry_fields = IndustryFieldsField(required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Organization
        fields = [
            "name",
            "short_name",
            "kind",
            "uscc",
            "region",
            "address",
            "website",
            "contact_phone",
            "description",
            "industry_fields",
            "requires_internal_approval",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = OrganizationKind.self_registration_choices()
        self.fields["uscc"].required = True
        if self.instance.pk and self.instance.is_verified and not market_rules.is_bureau_reviewer(user):
            for name in IDENTITY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Verified organizations change this through the bureau.")

    def clean_uscc(self):
        return normalize_uscc(self.cleaned_data.get("uscc") or "") or None

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        industry_fields = list(data.pop("industry_fields", []) or [])
        return {"industry_fields": industry_fields, **{k: v for k, v in data.items() if k in self.Meta.fields}}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several documents (PDF or images), each checked by content here already: the services
    store files one by one, and bytes stored before a later file of the same batch is refused
    would stay on disk after the rollback."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        files = [single(item, initial) for item in data] if isinstance(data, (list, tuple)) else [single(data, initial)]
        files = [uploaded for uploaded in files if uploaded]
        for uploaded in files:
            inspect_upload(uploaded, allowed_kinds=DOCUMENT_KINDS, max_bytes=settings.PRIVATE_FILE_MAX_BYTES)
        return files


class VerificationRequestForm(MarketForm):
    evidence = MultipleFileField(
        label=_("Business licence or legal-person certificate"),
        required=False,
        help_text=_("PDF, PNG or JPEG, checked by content; several files allowed."),
        widget=MultipleFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg,image/webp"}),
    )


class JoinOrganizationForm(MarketForm):
    query = forms.CharField(label=_("Exact name or credit code of the organization"), max_length=100)
    message = forms.CharField(label=_("Message to its administrators"), max_length=300, required=False)

    def clean_query(self):
        query = self.cleaned_data["query"].strip()
        organization = Organization.objects.filter(Q(name=query) | Q(uscc=normalize_uscc(query))).first()
        if organization is None:
            raise ValidationError(_("No registered organization has this exact name or credit code."))
        self.organization = organization
        return query


class DecisionForm(MarketForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MembershipRoleForm(MarketForm):
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices)
