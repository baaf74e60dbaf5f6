"""Forms of the achievement library: the listing with its completers and IP rights, inquiries,
tracking, and the library's filters. Prices are entered in 万元 and stored in 元."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from achievements.enums import (
    SORT_LABELS,
    Category,
    DeclineReason,
    IPRightKind,
    IPRightStatus,
    ProblemStatus,
    TransferMode,
)
from achievements.models import Achievement
from achievements.selectors import LibraryFilters
from achievements.validators import validate_ip_number
from marketplace.forms.base import MarketForm, MarketFormMixin, MarketModelForm
from marketplace.forms.fields import IndustryFieldsField
from marketplace.forms.organizations import MultipleFileField, MultipleFileInput
from marketplace.validators import validate_mobile_phone

WAN = Decimal(10000)
ATTACHMENT_ACCEPT = "application/pdf,image/png,image/jpeg,image/webp"


class AchievementForm(MarketModelForm):
    industry_fields = IndustryFieldsField(required=True)
    keywords = forms.CharField(
        label=_("Keywords"), required=False, max_length=400, help_text=_("Separate with commas, up to 20.")
    )
    transfer_modes = forms.MultipleChoiceField(
        label=_("Transfer modes"), choices=TransferMode.choices, widget=forms.CheckboxSelectMultiple
    )
    asking_price_wan = forms.DecimalField(
        label=_("Asking price (10,000 yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("In 万元; leave empty and tick “negotiable” to discuss the price."),
    )

    class Meta:
        model = Achievement
        fields = [
            "title", "summary", "category", "trl", "industry_fields", "keywords", "transfer_modes",
            "asking_price_wan", "price_negotiable", "description", "innovation_points", "technical_indicators",
            "application_scenarios", "contact_name", "contact_phone", "contact_email",
        ]  # fmt: skip
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 5, "maxlength": 2000}),
            "description": forms.Textarea(attrs={"rows": 8}),
            "innovation_points": forms.Textarea(attrs={"rows": 3}),
            "technical_indicators": forms.Textarea(attrs={"rows": 3}),
            "application_scenarios": forms.Textarea(attrs={"rows": 3}),
            "category": forms.RadioSelect,
        }
        labels = {"title": _("Achievement name")}
        help_texts = {
            "summary": _("Up to 2,000 characters: what it is, what it does, what it is good for."),
            "description": _("Basic formatting (paragraphs, lists, tables, bold) is kept; anything else is removed."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_phone"].validators.append(validate_mobile_phone)
        self.fields["category"].choices = Category.choices
        self.fields["trl"].help_text = _("GB/T 22900-2022: each level's meaning is shown in the list.")
        if self.instance.pk:
            self.initial.setdefault("keywords", "，".join(self.instance.keywords))
            self.initial.setdefault("transfer_modes", list(self.instance.transfer_modes.values_list("mode", flat=True)))
            if self.instance.asking_price is not None:
                self.initial.setdefault("asking_price_wan", self.instance.asking_price / WAN)

    def clean(self):
        data = super().clean()
        if data.get("asking_price_wan") is None and not data.get("price_negotiable"):
            self.add_error("asking_price_wan", _("Give an asking price or mark the price as negotiable."))
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        price = data.get("asking_price_wan")
        return {
            "title": data["title"],
            "summary": data["summary"],
            "category": data["category"],
            "trl": data["trl"],
            "keywords": data.get("keywords", ""),
            "asking_price": None if price is None else (price * WAN).quantize(Decimal("0.01")),
            "price_negotiable": data.get("price_negotiable", False),
            "description": data.get("description", ""),
            "innovation_points": data.get("innovation_points", ""),
            "technical_indicators": data.get("technical_indicators", ""),
            "application_scenarios": data.get("application_scenarios", ""),
            "contact_name": data.get("contact_name", ""),
            "contact_phone": data.get("contact_phone", ""),
            "contact_email": data.get("contact_email", ""),
            "industry_fields": list(data["industry_fields"]),
            "transfer_modes": data["transfer_modes"],
        }


class CompleterForm(MarketForm):
    name = forms.CharField(label=_("Name"), max_length=50)
    affiliation = forms.CharField(label=_("Affiliation"), max_length=100, required=False)
    title = forms.CharField(label=_("Professional title"), max_length=50, required=False)


class IPRightForm(MarketForm):
    # A blank first choice, so that an untouched extra row counts as empty.
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *IPRightKind.choices])
    title = forms.CharField(label=_("Title"), max_length=200)
    number = forms.CharField(label=_("Number"), max_length=40, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=IPRightStatus.choices, initial=IPRightStatus.GRANTED)

    def clean(self):
        data = super().clean()
        if data.get("kind"):
            try:
                data["number"] = validate_ip_number(data["kind"], data.get("number", ""))
            except ValidationError as exc:
                self.add_error("number", exc)
        return data


class BaseRowFormSet(forms.BaseFormSet):
    """Formset whose filled rows, in order, become the service's list of dicts."""

    def rows(self) -> list[dict]:
        return [
            {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


CompleterFormSet = forms.formset_factory(CompleterForm, formset=BaseRowFormSet, extra=2, can_delete=True, max_num=30)
IPRightFormSet = forms.formset_factory(IPRightForm, formset=BaseRowFormSet, extra=1, can_delete=True, max_num=50)


class AttachmentForm(MarketForm):
    files = MultipleFileField(
        label=_("Attachments"),
        help_text=_("PDF or images, checked by content; private until the achievement is published."),
        widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
    )


class InquiryForm(MarketForm):
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    body = forms.CharField(label=_("Your question"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = MultipleFileField(
        label=_("Attachments"), required=False, widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT})
    )


class ReplyForm(MarketForm):
    body = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(
        label=_("Attachments"), required=False, widget=MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT})
    )


class DeclineForm(MarketForm):
    reason = forms.ChoiceField(label=_("Why not?"), choices=DeclineReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(MarketForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class OptionalReasonForm(MarketForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class MonthField(forms.DateField):
    """A month entered as YYYY-MM (the browser's month picker); the first day is kept."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m", "%Y-%m-%d"]

    def to_python(self, value):
        parsed = super().to_python(value)
        return parsed.replace(day=1) if parsed else parsed


class LedgerEntryForm(MarketForm):
    month = MonthField(label=_("Month"))
    progress = forms.CharField(label=_("Progress this month"), widget=forms.Textarea(attrs={"rows": 3}))
    next_steps = forms.CharField(label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month > date.today().replace(day=1):
            raise ValidationError(_("The month cannot be in the future."))
        return month


class ProblemForm(MarketForm):
    obstacle = forms.CharField(label=_("Obstacle"), widget=forms.Textarea(attrs={"rows": 2}))
    department = forms.CharField(label=_("Owning department"), max_length=100)


class ProblemUpdateForm(MarketForm):
    status = forms.ChoiceField(label=_("Status"), choices=ProblemStatus.choices)
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LibraryFilterForm(MarketFormMixin, forms.Form):
    """The public library's search box, filters and sort order (GET parameters)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    field = forms.CharField(label=_("Industry field"), required=False, max_length=60)
    category = forms.ChoiceField(label=_("Category"), required=False, choices=[("", _("All")), *Category.choices])
    trl_min = forms.TypedChoiceField(
        label=_("TRL from"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(n, n) for n in range(1, 10)]],
    )
    trl_max = forms.TypedChoiceField(
        label=_("TRL to"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—"), *[(n, n) for n in range(1, 10)]],
    )
    mode = forms.ChoiceField(label=_("Transfer mode"), required=False, choices=[("", _("All")), *TransferMode.choices])
    price_min = forms.DecimalField(
        label=_("Price from (万元)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    price_max = forms.DecimalField(
        label=_("Price to (万元)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    organization = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    region = forms.RegexField(label=_("Province"), regex=r"^\d{6}$", required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_LABELS)

    def filters(self) -> LibraryFilters:
        """The valid filters; invalid ones are ignored so a bad link still shows the library."""
        self.is_valid()
        data = self.cleaned_data  # holds the fields that validated
        return LibraryFilters(
            q=data.get("q") or "",
            field=data.get("field") or "",
            category=data.get("category") or "",
            trl_min=data.get("trl_min"),
            trl_max=data.get("trl_max"),
            mode=data.get("mode") or "",
            price_min_wan=data.get("price_min"),
            price_max_wan=data.get("price_max"),
            organization=data.get("organization"),
            region=data.get("region") or "",
            sort=data.get("sort") or ("relevance" if data.get("q") else "newest"),
        )
