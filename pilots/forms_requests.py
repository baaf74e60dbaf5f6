"""Forms of the service-request pages: the request to a base, and each side's moves on it
(quotation, acceptance, a reason to decline or withdraw, equipment bookings, the outcome report).
The services check everything that matters; these forms only parse the input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from achievements.models import Achievement
from demands.models import Demand
from marketplace.forms.base import MarketForm, MarketModelForm
from marketplace.models import Organization
from marketplace.rules import membership_roles
from pilots.models import Equipment, PilotBase, PilotService, ServiceRequest

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_WIDGET = {"attrs": {"type": "datetime-local"}, "format": DATETIME_FORMAT}


class RequestForm(MarketModelForm):
    """A request to one base, for one of the user's organizations (chosen when there are several)."""

    organization = forms.ModelChoiceField(label=_("Requesting organization"), queryset=Organization.objects.none())

    class Meta:
        model = ServiceRequest
        fields = ["service", "achievement", "demand", "title", "process", "quantity", "start_on", "end_on"]
        widgets = {
            "process": forms.Textarea(attrs={"rows": 4}),
            "start_on": forms.DateInput(**DATE_WIDGET),
            "end_on": forms.DateInput(**DATE_WIDGET),
        }
        help_texts = {
            "service": _("Leave empty if the work fits none of the listed services."),
            "achievement": _("The achievement of your organization to be piloted, if any."),
            "demand": _("The demand of your organization this work answers, if any."),
        }

    def __init__(self, *args, base: PilotBase, user, organization: Organization | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        organization_ids = list(membership_roles(user))
        self.fields["service"].queryset = PilotService.objects.filter(base=base).order_by("name", "id")
        self.fields["service"].empty_label = _("Not a listed service")
        self.fields["achievement"].empty_label = _("No achievement linked")
        self.fields["demand"].empty_label = _("No demand linked")
        self.fields["achievement"].queryset = Achievement.objects.filter(organization_id__in=organization_ids).order_by(
            "-updated_at", "-id"
        )
        self.fields["demand"].queryset = Demand.objects.filter(organization_id__in=organization_ids).order_by(
            "-updated_at", "-id"
        )
        organizations = Organization.objects.filter(pk__in=organization_ids).order_by("name")
        self.fields["organization"].queryset = organizations
        if len(organization_ids) > 1:
            self.fields["organization"].initial = organization
            # Listed first: what follows (achievements, demands) belongs to the organization chosen.
            self.order_fields(["organization"])
        else:
            del self.fields["organization"]
            self.single_organization = organization

    def _post_clean(self):
        # The service validates the request (the base, the period, whose achievement it is).
        pass

    def chosen_organization(self) -> Organization | None:
        if "organization" in self.fields:
            return self.cleaned_data["organization"]
        return self.single_organization

    def service_fields(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "organization"}


class QuoteForm(MarketForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "quote_%s")  # the page has several forms with an amount
        super().__init__(*args, **kwargs)

    amount = forms.DecimalField(label=_("Quoted amount (yuan)"), min_value=0, max_digits=14, decimal_places=2)
    note = forms.CharField(
        label=_("Quotation note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the amount covers, payment terms, how long the quotation holds."),
    )


class AcceptForm(MarketForm):
    """The operator accepts a request at the service's list price unless it enters another amount."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "accept_%s")
        super().__init__(*args, **kwargs)

    amount = forms.DecimalField(
        label=_("Agreed amount (yuan)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("The service's list price unless you enter another amount."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(MarketForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class BookingForm(MarketForm):
    equipment = forms.ModelChoiceField(label=_("Equipment"), queryset=Equipment.objects.none())
    starts_at = forms.DateTimeField(
        label=_("Starts at"), input_formats=[DATETIME_FORMAT], widget=forms.DateTimeInput(**DATETIME_WIDGET)
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), input_formats=[DATETIME_FORMAT], widget=forms.DateTimeInput(**DATETIME_WIDGET)
    )

    def __init__(self, *args, base: PilotBase, **kwargs):
        kwargs.setdefault("auto_id", "book_%s")
        super().__init__(*args, **kwargs)
        self.fields["equipment"].queryset = Equipment.objects.filter(base=base, is_shared=True).order_by("name", "id")

    def slots(self) -> list:
        data = self.cleaned_data
        return [(data["equipment"], data["starts_at"], data["ends_at"])]


class CompleteForm(MarketForm):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "complete_%s")
        super().__init__(*args, **kwargs)

    outcome_report = forms.CharField(
        label=_("Outcome report"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Results, data delivered, and what the process needs next (at least 20 characters)."),
    )
