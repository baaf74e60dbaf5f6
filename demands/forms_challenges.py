"""Forms of open challenges (揭榜挂帅) and pooled procurement (集采研发). Bounties, tranches,
budgets, thresholds and pledges are entered in 万元 and handed to the services in 元."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from demands.enums import Status
from demands.models import Demand
from marketplace.forms.base import MarketForm
from marketplace.forms.fields import IndustryFieldsField, wan_field
from marketplace.forms.organizations import MultipleFileField, MultipleFileInput
from marketplace.money import to_wan, to_yuan

ATTACHMENT_ACCEPT = "application/pdf,image/png,image/jpeg,image/webp"
# Demands a challenge or a pool may still be built on.
LIVE_DEMAND_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.PUBLISHED, Status.NEGOTIATING)
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _datetime_field(label, help_text=""):
    return forms.DateTimeField(
        label=label,
        help_text=help_text,
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )


def _textarea(rows: int):
    return forms.Textarea(attrs={"rows": rows})


class ChallengeForm(MarketForm):
    """A draft challenge on one of the enterprise's demands; the bureau publishes it. With
    `challenge`, the form edits that draft: its fields filled in, its demand kept."""

    demand = forms.ModelChoiceField(
        label=_("Demand"),
        queryset=Demand.objects.none(),
        help_text=_("The challenge is issued on one of your demands."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("The challenge"), max_length=5000, widget=_textarea(6))
    bounty_wan = wan_field(_("Bounty (10,000 yuan)"), help_text=_("The milestone tranches may not exceed it."))
    opens_at = _datetime_field(_("Bids open"))
    closes_at = _datetime_field(_("Bids close"))
    eligibility = forms.CharField(
        label=_("Eligibility"),
        max_length=3000,
        widget=_textarea(3),
        help_text=_("Who may bid: kinds of organization, qualifications, facilities."),
    )
    deliverables = forms.CharField(label=_("Deliverables"), max_length=3000, widget=_textarea(3))
    review_criteria = forms.CharField(label=_("Review criteria"), max_length=2000, required=False, widget=_textarea(2))
    award_count = forms.IntegerField(label=_("Number of winners"), min_value=1, max_value=5, initial=1)
    notice_days = forms.IntegerField(label=_("Public notice (days)"), min_value=1, max_value=30, initial=7)

    # Handed to the services as they are (the bounty is converted from 万元).
    SERVICE_FIELDS = (
        "title", "description", "opens_at", "closes_at", "eligibility", "deliverables", "review_criteria",
        "award_count", "notice_days",
    )  # fmt: skip

    def __init__(self, *args, organization, challenge=None, **kwargs):
        if challenge is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(challenge, name) for name in self.SERVICE_FIELDS},
                    "bounty_wan": to_wan(challenge.bounty),
                },
            )
        super().__init__(*args, **kwargs)
        if challenge is None:
            self.fields["demand"].queryset = Demand.objects.filter(
                organization=organization, status__in=LIVE_DEMAND_STATUSES
            ).order_by("-updated_at", "-id")
        else:
            del self.fields["demand"]

    def clean_closes_at(self):
        closes_at = self.cleaned_data["closes_at"]
        if closes_at <= timezone.now():
            raise ValidationError(_("The window must close in the future."))
        return closes_at

    def clean(self):
        data = super().clean()
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("The window must close after it opens."))
        return data

    def service_fields(self) -> dict:
        """The keyword arguments of challenge_create (with `demand`) or challenge_update."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.SERVICE_FIELDS}
        if "demand" in self.fields:
            fields["demand"] = data["demand"]
        fields["bounty"] = to_yuan(data["bounty_wan"])
        return fields


class MilestoneForm(MarketForm):
    """One milestone and the tranche of the bounty its approval releases."""

    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    tranche_wan = wan_field(_("Tranche (10,000 yuan)"), min_value=Decimal(0))

    def clean_due_date(self):
        due_date = self.cleaned_data["due_date"]
        if due_date < timezone.localdate():
            raise ValidationError(_("The due date is in the past."))
        return due_date

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "due_date": data["due_date"], "tranche": to_yuan(data["tranche_wan"])}


MilestoneFormSet = forms.formset_factory(
    MilestoneForm, extra=2, min_num=1, validate_min=True, max_num=12, validate_max=True
)


class BidForm(MarketForm):
    proposal = forms.CharField(label=_("Technical proposal"), max_length=10000, widget=_textarea(8))
    team = forms.CharField(label=_("Team"), max_length=3000, widget=_textarea(3))
    plan = forms.CharField(label=_("Work plan"), max_length=5000, widget=_textarea(4))
    budget_wan = wan_field(_("Budget (10,000 yuan)"), min_value=Decimal(0))
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, PNG or JPEG, checked by content; several files allowed."),
        widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )

    def __init__(self, *args, bid=None, **kwargs):
        if bid is not None:
            kwargs.setdefault(
                "initial",
                {"proposal": bid.proposal, "team": bid.team, "plan": bid.plan, "budget_wan": to_wan(bid.budget)},
            )
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "proposal": data["proposal"],
            "team": data["team"],
            "plan": data["plan"],
            "budget": to_yuan(data["budget_wan"]),
            "attachments": data.get("attachments") or [],
        }


class ObjectionForm(MarketForm):
    text = forms.CharField(
        label=_("Your objection"),
        max_length=3000,
        widget=_textarea(4),
        help_text=_("State the facts and, if you can, the evidence. The bureau reviews every objection."),
    )


class MilestoneReportForm(MarketForm):
    report = forms.CharField(label=_("Progress report"), max_length=5000, widget=_textarea(4))


class PledgeForm(MarketForm):
    amount_wan = wan_field(_("Pledge (10,000 yuan)"))
    agreement = forms.FileField(
        label=_("Signed pre-purchase agreement"),
        help_text=_("A PDF or a scan (PNG, JPEG), checked by content."),
        widget=forms.ClearableFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )

    def service_fields(self) -> dict:
        return {"amount": to_yuan(self.cleaned_data["amount_wan"]), "agreement": self.cleaned_data["agreement"]}


class PoolForm(MarketForm):
    """An enterprise opens a pool for a need other enterprises share."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("The shared need"), max_length=5000, widget=_textarea(6))
    industry_fields = IndustryFieldsField()
    threshold_wan = wan_field(
        _("Funding threshold (10,000 yuan)"),
        help_text=_("When the pledges reach it, the pool is funded and proceeds as an open challenge."),
    )
    deadline = _datetime_field(
        _("Pledge deadline"), help_text=_("Below the threshold at this time, the pool lapses and pledges are released.")
    )
    source_demands = forms.ModelMultipleChoiceField(
        label=_("Our demands it gathers"),
        queryset=Demand.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source_demands"].queryset = Demand.objects.filter(
            organization=organization, status__in=LIVE_DEMAND_STATUSES
        ).order_by("-updated_at", "-id")

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "industry_fields": list(data["industry_fields"]),
            "threshold": to_yuan(data["threshold_wan"]),
            "deadline": data["deadline"],
            "source_demands": list(data.get("source_demands") or []),
        }
