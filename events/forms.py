"""Forms of the organizer's pages: the event, the roadshow slots and rejections, the status
transitions that take text (report, cancellation), check-in and letters of intent. The services
validate again; these forms give the errors a place next to their fields."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from achievements.models import Achievement
from demands.models import Demand
from events.models import Event
from events.services import EVENT_FIELDS
from marketplace.enums import VerificationStatus
from marketplace.forms.base import MarketForm, MarketModelForm
from marketplace.forms.fields import IndustryFieldsField, RegionField
from marketplace.models import Organization

DATETIME_WIDGET = {"attrs": {"type": "datetime-local"}, "format": "%Y-%m-%dT%H:%M"}
DATETIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


def verified_organizations():
    return Organization.objects.filter(verification_status=VerificationStatus.VERIFIED).order_by("name", "id")


class EventForm(MarketModelForm):
    """The event; a new one also names its organizer (the agencies the user may organize for, or
    any verified organization for event-organizer staff). The organizer of a saved event is fixed."""

    organizer = forms.ModelChoiceField(label=_("Organizer"), queryset=Organization.objects.none(), empty_label=None)
    co_organizers = forms.ModelMultipleChoiceField(
        label=_("Co-organizers"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("Hold Ctrl (or ⌘) to choose several."),
    )
    industry_fields = IndustryFieldsField(required=False)
    region = RegionField(required=False)
    online_url = forms.URLField(label=_("Online link"), max_length=200, required=False, assume_scheme="https")

    class Meta:
        model = Event
        fields = [
            "title",
            "kind",
            "co_organizers",
            "industry_fields",
            *[n for n in EVENT_FIELDS if n not in ("title", "kind")],
        ]
        labels = {"summary": pgettext_lazy("event", "Summary")}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "agenda": forms.Textarea(attrs={"rows": 5}),
            **{name: forms.DateTimeInput(**DATETIME_WIDGET) for name in DATETIME_FIELDS},
        }

    def __init__(self, *args, organizers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["co_organizers"].queryset = verified_organizations()
        if self.instance.pk:
            del self.fields["organizer"]
        else:
            self.fields["organizer"].queryset = organizers if organizers is not None else Organization.objects.none()
            self.order_fields(["title", "kind", "organizer"])

    def _post_clean(self):
        # The service validates the event (times, venue, capacity); the form must not touch the instance.
        pass

    def chosen_organizer(self) -> Organization:
        return self.cleaned_data["organizer"]

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {name: data[name] for name in EVENT_FIELDS}
        fields["industry_fields"] = list(data["industry_fields"])
        fields["co_organizers"] = list(data["co_organizers"])
        return fields


class ScheduleForm(MarketForm):
    """A roadshow presentation's slot in the line-up."""

    slot_starts_at = forms.DateTimeField(label=_("Slot starts"), widget=forms.DateTimeInput(**DATETIME_WIDGET))
    slot_ends_at = forms.DateTimeField(label=_("Slot ends"), widget=forms.DateTimeInput(**DATETIME_WIDGET))


class ReasonForm(MarketForm):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ReportForm(MarketForm):
    report = forms.CharField(
        label=_("Post-event report"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened: the programme, who came, what was agreed and what follows."),
    )


class CheckInForm(MarketForm):
    token = forms.CharField(
        label=_("Ticket code"),
        max_length=500,
        help_text=_("Scan the attendee's QR code, or paste the code a scanner read."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class IntentForm(MarketForm):
    """A letter of intent signed at the event. Seller and buyer are chosen among the organizations
    registered for the event, or given as another verified organization's name or credit code."""

    seller = forms.ModelChoiceField(label=_("Seller"), queryset=Organization.objects.none(), required=False)
    seller_other = forms.CharField(
        label=_("Or another seller"),
        max_length=200,
        required=False,
        help_text=_("The full name or unified social credit code of a verified organization."),
    )
    buyer = forms.ModelChoiceField(label=_("Buyer"), queryset=Organization.objects.none(), required=False)
    buyer_other = forms.CharField(
        label=_("Or another buyer"),
        max_length=200,
        required=False,
        help_text=_("The full name or unified social credit code of a verified organization."),
    )
    title = forms.CharField(label=_("Subject"), max_length=200, required=False)
    achievement = forms.ModelChoiceField(label=_("Achievement"), queryset=Achievement.objects.none(), required=False)
    demand = forms.ModelChoiceField(label=_("Demand"), queryset=Demand.objects.none(), required=False)
    amount = forms.DecimalField(
        label=_("Intended amount (yuan)"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        attending = verified_organizations().filter(
            Q(pk=event.organizer_id) | Q(pk__in=event.registrations.active().values("organization_id"))
        )
        for name in ("seller", "buyer"):
            self.fields[name].queryset = attending
        self.fields["achievement"].queryset = (
            Achievement.objects.public()
            .filter(organization__in=attending)
            .select_related("organization")
            .order_by("organization__name", "title", "id")
        )
        self.fields["achievement"].label_from_instance = lambda a: f"{a.title}（{a.organization.name}）"
        self.fields["demand"].queryset = (
            Demand.objects.public()
            .filter(organization__in=attending)
            .select_related("organization")
            .order_by("organization__name", "title", "id")
        )
        self.fields["demand"].label_from_instance = lambda d: f"{d.title}（{d.organization.name}）"

    def _party(self, name: str) -> Organization | None:
        other = (self.cleaned_data.get(f"{name}_other") or "").strip()
        if not other:
            return self.cleaned_data.get(name)
        found = verified_organizations().filter(Q(name=other) | Q(uscc=other.upper())).first()
        if found is None:
            self.add_error(f"{name}_other", _("No verified organization has this name or credit code."))
        return found

    def clean(self):
        data = super().clean()
        for name in ("seller", "buyer"):
            party = self._party(name)
            if party is None and not self.has_error(f"{name}_other"):
                self.add_error(name, _("Choose an organization."))
            data[name] = party
        if data["seller"] is not None and data["seller"] == data["buyer"]:
            self.add_error("buyer", _("The seller and the buyer are different organizations."))
        if not data.get("title") and not data.get("achievement") and not data.get("demand"):
            self.add_error("title", _("Give the subject of the letter of intent."))
        return data
