"""Forms of the attendee pages: registering for an event, asking another attendee for a 1:1
meeting, declining one, and applying to present an achievement at a roadshow. The services check
everything that matters (capacity, the window, clashes, whose achievement it is); these forms only
parse the input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from achievements.models import Achievement
from marketplace.forms.base import MarketForm
from marketplace.models import Organization
from marketplace.rules import membership_roles

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class RegistrationForm(MarketForm):
    """Registration for one of the user's organizations (chosen when there are several)."""

    organization = forms.ModelChoiceField(label=_("Registering for"), queryset=Organization.objects.none())
    note = forms.CharField(
        label=_("Note to the organizer"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you hope to find at the event, e.g. partners for a pilot line."),
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "register_%s")
        super().__init__(*args, **kwargs)
        organizations = Organization.objects.filter(pk__in=list(membership_roles(user))).order_by("name", "id")
        self.fields["organization"].queryset = organizations
        self.single_organization = None
        if len(organizations) == 1:
            # Nothing to choose: the only organization is used.
            self.single_organization = organizations[0]
            del self.fields["organization"]
        self.has_organization = bool(organizations)

    def chosen_organization(self) -> Organization | None:
        if "organization" in self.fields:
            return self.cleaned_data.get("organization")
        return self.single_organization


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, registration) -> str:
        label = f"{registration.user.get_full_name()} · {registration.organization.name}"
        if getattr(registration, "presenting", 0):
            presenting = _("presenting")  # outside the f-string, where makemessages finds it
            return f"{label} · {presenting}"
        return label


class MeetingForm(MarketForm):
    """A request for a 1:1 meeting with another confirmed attendee; it lasts the event's meeting
    length."""

    invitee = PartnerChoiceField(label=_("Meet"), queryset=None, empty_label=_("Choose an attendee"))
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        input_formats=[DATETIME_FORMAT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    topic = forms.CharField(
        label=_("Topic"), max_length=200, help_text=_("e.g. licensing the coating process for our cathode line")
    )

    def __init__(self, *args, partners, **kwargs):
        kwargs.setdefault("auto_id", "meeting_%s")
        super().__init__(*args, **kwargs)
        self.fields["invitee"].queryset = partners


class DeclineForm(MarketForm):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class PresentationForm(MarketForm):
    """An application to present one of the user's organizations' published achievements."""

    achievement = forms.ModelChoiceField(label=_("Achievement"), queryset=Achievement.objects.none())
    presenter_name = forms.CharField(label=_("Presenter"), max_length=50, help_text=_("Who takes the stage."))
    pitch = forms.CharField(
        label=_("Pitch"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the achievement offers and whom you hope to meet."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["achievement"].queryset = (
            Achievement.objects.public()
            .filter(organization_id__in=list(membership_roles(user)))
            .select_related("organization")
            .order_by("-updated_at", "-id")
        )
