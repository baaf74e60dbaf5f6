"""Forms of the operator's workspace: the base, its equipment and services, calendar blocks and
the files (filing documents, photos). The services validate again; these forms give the errors a
place next to their fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.enums import FilePurpose
from marketplace.forms.base import MarketForm, MarketModelForm
from marketplace.forms.fields import IndustryFieldsField, RegionField
from marketplace.models import Organization
from pilots.enums import FilingStatus
from pilots.models import Equipment, PilotBase, PilotService
from pilots.services import BASE_FIELDS, EQUIPMENT_FIELDS, FILED_FIELDS, SERVICE_FIELDS

DATETIME_WIDGET = {"attrs": {"type": "datetime-local"}, "format": "%Y-%m-%dT%H:%M"}
UPLOAD_ACCEPT = "application/pdf,image/png,image/jpeg,image/webp"


class BaseForm(MarketModelForm):
    """The base's description; a new base also names its operator when the user has several
    organizations. Once applied for or filed, the name, kind and level are what the bureau files."""

    operator = forms.ModelChoiceField(label=_("Operator"), queryset=Organization.objects.none(), empty_label=None)
    industry_fields = IndustryFieldsField(required=True)
    region = RegionField()

    class Meta:
        model = PilotBase
        fields = [
            "name",
            "kind",
            "level",
            "industry_fields",
            *[name for name in BASE_FIELDS if name not in ("name", "kind", "level")],
        ]
        widgets = {
            "introduction": forms.Textarea(attrs={"rows": 5}),
            "processes": forms.Textarea(attrs={"rows": 3}),
            "qualifications": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["operator"]
            if self.instance.status in (FilingStatus.APPLIED, FilingStatus.APPROVED):
                for name in FILED_FIELDS:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Fixed while the filing is under review or in force.")
        else:
            organizations = list(organizations or [])
            if len(organizations) == 1:
                # Nothing to choose: the base is the user's organization's.
                del self.fields["operator"]
                self.instance.operator = organizations[0]
            else:
                self.fields["operator"].queryset = Organization.objects.filter(pk__in=[o.pk for o in organizations])
                self.fields["operator"].initial = organizations[0].pk if organizations else None
                self.order_fields(["operator"])

    def clean(self):
        data = super().clean()
        low, high = data.get("trl_min"), data.get("trl_max")
        if low is not None and high is not None and int(low) > int(high):
            self.add_error("trl_max", _("The lowest TRL served cannot be above the highest."))
        operator = data.get("operator") if "operator" in self.fields else self.instance.operator
        name = data.get("name")
        if operator is not None and name:
            taken = PilotBase.objects.filter(operator=operator, name=name).exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("name", _("Your organization already has a base with this name."))
        return data

    def _post_clean(self):
        # The service validates the base (with its operator); the form must not touch the instance.
        pass

    def chosen_operator(self) -> Organization:
        return self.cleaned_data["operator"] if "operator" in self.fields else self.instance.operator

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in BASE_FIELDS if name in self.fields and not self.fields[name].disabled}
        fields["industry_fields"] = list(data["industry_fields"])
        return fields


class EquipmentForm(MarketModelForm):
    class Meta:
        model = Equipment
        fields = list(EQUIPMENT_FIELDS)
        widgets = {"parameters": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        pass  # the service validates (and sets) the equipment

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in EQUIPMENT_FIELDS}


class ServiceForm(MarketModelForm):
    class Meta:
        model = PilotService
        fields = list(SERVICE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        pass  # the service validates (and sets) the service

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in SERVICE_FIELDS}


class BlockForm(MarketForm):
    """Equipment unavailable for a while (maintenance, own use)."""

    starts_at = forms.DateTimeField(label=_("From"), widget=forms.DateTimeInput(**DATETIME_WIDGET))
    ends_at = forms.DateTimeField(label=_("Until"), widget=forms.DateTimeInput(**DATETIME_WIDGET))
    note = forms.CharField(label=_("Why"), max_length=200)


class FileForm(MarketForm):
    purpose = forms.ChoiceField(
        label=_("Kind of file"),
        choices=[
            (FilePurpose.FILING_DOCUMENT, FilePurpose.FILING_DOCUMENT.label),
            (FilePurpose.PHOTO, FilePurpose.PHOTO.label),
        ],
        help_text=_(
            "Filing documents (PDF or images) are read by the bureau only; photos are public once the base is filed."
        ),
    )
    file = forms.FileField(label=_("File"), widget=forms.ClearableFileInput(attrs={"accept": UPLOAD_ACCEPT}))
