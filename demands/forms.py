"""Forms of the demand board. Budgets and prices are entered in 万元 and stored in 元."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from demands.enums import SORT_LABELS, CooperationMode, DemandType, ResponseDeclineReason, Visibility
from demands.models import Demand
from demands.selectors import BoardFilters
from marketplace.forms.base import MarketForm, MarketFormMixin, MarketModelForm
from marketplace.forms.fields import IndustryFieldsField, RegionField, wan_field
from marketplace.forms.organizations import MultipleFileField, MultipleFileInput
from marketplace.models import Organization
from marketplace.money import YUAN_PER_WAN, to_yuan
from marketplace.validators import validate_mobile_phone

ATTACHMENT_ACCEPT = "application/pdf,image/png,image/jpeg,image/webp"


def _wan_field(label, help_text=""):
    return wan_field(label, required=False, min_value=0, help_text=help_text)


class DemandForm(MarketModelForm):
    """The guided demand form: each field is checked as it is filled in (live validation)."""

    industry_fields = IndustryFieldsField()
    region = RegionField(required=False, help_text=_("Where the work is needed; defaults to the enterprise's region."))
    keywords = forms.CharField(
        label=_("Keywords"), required=False, max_length=400, help_text=_("Separate with commas, up to 20.")
    )
    cooperation_modes = forms.MultipleChoiceField(
        label=_("Preferred cooperation modes"), choices=CooperationMode.choices, widget=forms.CheckboxSelectMultiple
    )
    budget_min_wan = _wan_field(_("Budget from (10,000 yuan)"))
    budget_max_wan = _wan_field(
        _("Budget to (10,000 yuan)"), _("In 万元; leave both empty and tick “negotiable” to discuss it.")
    )
    invited_organizations = forms.ModelMultipleChoiceField(
        label=_("Invited organizations"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text=_("For a confidential demand: who may read the details (hold Ctrl to choose several)."),
    )

    class Meta:
        model = Demand
        fields = [
            "title", "summary", "demand_type", "industry_fields", "keywords", "problem", "desired_outcome",
            "technical_indicators", "min_trl", "budget_min_wan", "budget_max_wan", "budget_negotiable", "deadline",
            "cooperation_modes", "region", "visibility", "invited_organizations", "contact_name", "contact_phone",
            "contact_email",
        ]  # fmt: skip
        widgets = {
            "problem": forms.Textarea(attrs={"rows": 6}),
            "desired_outcome": forms.Textarea(attrs={"rows": 3}),
            "technical_indicators": forms.Textarea(attrs={"rows": 3}),
            "deadline": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "visibility": forms.RadioSelect,
            "demand_type": forms.RadioSelect,
        }
        labels = {"problem": _("Technical problem")}
        help_texts = {
            "title": _("What you need, in one line, e.g. 高镍正极材料循环寿命提升."),
            "problem": _("The technical problem, what you have tried, and the constraints."),
            "min_trl": _("The lowest technology readiness an offer may have (1–9)."),
        }

    def __init__(self, *args, owner: Organization | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["demand_type"].choices = DemandType.choices
        self.fields["visibility"].choices = Visibility.choices
        self.fields["contact_phone"].validators.append(validate_mobile_phone)
        owner_id = owner.pk if owner else self.instance.organization_id
        self.fields["invited_organizations"].queryset = (
            Organization.objects.verified().exclude(pk=owner_id).order_by("name")
        )
        if self.instance.pk:
            self.initial.setdefault("keywords", "，".join(self.instance.keywords))
            self.initial.setdefault(
                "cooperation_modes", list(self.instance.cooperation_modes.values_list("mode", flat=True))
            )
            for name in ("budget_min", "budget_max"):
                value = getattr(self.instance, name)
                if value is not None:
                    self.initial.setdefault(f"{name}_wan", value / YUAN_PER_WAN)

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline and deadline < timezone.localdate():
            raise ValidationError(_("The deadline is in the past."))
        return deadline

    def clean(self):
        data = super().clean()
        low, high = data.get("budget_min_wan"), data.get("budget_max_wan")
        if low is not None and high is not None and low > high:
            # On both ends, so that the live check of either field shows it.
            for name in ("budget_min_wan", "budget_max_wan"):
                self.add_error(name, _("The lower budget is above the upper budget."))
        if low is None and high is None and not data.get("budget_negotiable"):
            self.add_error("budget_max_wan", _("Give a budget range or mark the budget as negotiable."))
        if data.get("visibility") == Visibility.CONFIDENTIAL and not data.get("summary"):
            self.add_error("summary", _("A confidential demand needs a public summary."))
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = {
            name: data.get(name)
            for name in (
                "title", "summary", "demand_type", "problem", "desired_outcome", "technical_indicators", "min_trl",
                "budget_negotiable", "deadline", "visibility", "contact_name", "contact_phone", "contact_email",
            )
        }  # fmt: skip
        fields.update(
            keywords=data.get("keywords", ""),
            budget_min=to_yuan(data.get("budget_min_wan")),
            budget_max=to_yuan(data.get("budget_max_wan")),
            cooperation_modes=data["cooperation_modes"],
            industry_fields=list(data["industry_fields"]),
            invited_organizations=list(data.get("invited_organizations") or []),
        )
        if data.get("region") is not None:
            fields["region"] = data["region"]
        return fields


class ResponseForm(MarketForm):
    approach = forms.CharField(label=_("Proposed approach"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    team = forms.CharField(label=_("Team"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    price_idea_wan = _wan_field(_("Price idea (10,000 yuan)"))
    achievements = forms.ModelMultipleChoiceField(
        label=_("Our achievements that apply"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attachments = MultipleFileField(
        label=_("Attachments"), required=False, widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT})
    )

    def __init__(self, *args, organization_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        from achievements.models import Achievement

        self.fields["achievements"].queryset = (
            Achievement.objects.public().filter(organization_id__in=organization_ids).order_by("-published_at")[:50]
        )

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "approach": data["approach"],
            "team": data.get("team", ""),
            "price_idea": to_yuan(data.get("price_idea_wan")),
            "achievements": list(data.get("achievements") or []),
            "attachments": data.get("attachments") or [],
        }


class ResponseDeclineForm(MarketForm):
    reason = forms.ChoiceField(label=_("Why not?"), choices=ResponseDeclineReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note for the responder"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MessageForm(MarketForm):
    body = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(
        label=_("Attachments"), required=False, widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT})
    )


class NoteForm(MarketForm):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class BoardFilterForm(MarketFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    field = forms.CharField(label=_("Industry field"), required=False, max_length=60)
    demand_type = forms.ChoiceField(
        label=_("Demand type"), required=False, choices=[("", _("All")), *DemandType.choices]
    )
    mode = forms.ChoiceField(
        label=_("Cooperation mode"), required=False, choices=[("", _("All")), *CooperationMode.choices]
    )
    budget_min = forms.DecimalField(
        label=_("Budget from (万元)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    budget_max = forms.DecimalField(
        label=_("Budget to (万元)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    max_trl = forms.TypedChoiceField(
        label=_("My technology's TRL"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(n, n) for n in range(1, 10)]],
    )
    region = forms.RegexField(label=_("Province"), regex=r"^\d{6}$", required=False)
    organization = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_LABELS)

    def filters(self) -> BoardFilters:
        self.is_valid()
        data = self.cleaned_data  # holds the fields that validated
        return BoardFilters(
            q=data.get("q") or "",
            field=data.get("field") or "",
            demand_type=data.get("demand_type") or "",
            mode=data.get("mode") or "",
            budget_min_wan=data.get("budget_min"),
            budget_max_wan=data.get("budget_max"),
            max_trl=data.get("max_trl"),
            region=data.get("region") or "",
            organization=data.get("organization"),
            sort=data.get("sort") or ("relevance" if data.get("q") else "newest"),
        )
