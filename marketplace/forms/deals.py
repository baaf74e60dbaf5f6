"""Forms of the deal workspace and the contract registration. Amounts are entered in 万元 and
handed to the services in 元; the registrar's fields are not on any party's form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from marketplace.enums import ContractCategory, ContractSubtype, DealKind, DealStage, LegalEntityKind, PartyRole
from marketplace.forms.base import MarketForm
from marketplace.forms.fields import IndustryFieldField, RegionField, wan_field
from marketplace.money import to_wan, to_yuan
from marketplace.validators import validate_uscc

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date_field(label, *, required=True, help_text=""):
    return forms.DateField(label=label, required=required, help_text=help_text, widget=DATE_INPUT)


class DealTermsForm(MarketForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=DealKind.choices)
    amount_wan = wan_field(_("Agreed amount (10,000 yuan)"), required=False, help_text=_("Leave empty until agreed."))

    @classmethod
    def for_deal(cls, deal, data=None):
        return cls(data, initial={"title": deal.title, "kind": deal.kind, "amount_wan": to_wan(deal.amount)})

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "kind": data["kind"], "amount": to_yuan(data["amount_wan"])}


class DealSignForm(MarketForm):
    signed_on = _date_field(_("Signed on"))
    amount_wan = wan_field(_("Agreed amount (10,000 yuan)"))

    def clean_signed_on(self):
        value = self.cleaned_data["signed_on"]
        if value > timezone.localdate():
            raise ValidationError(_("The signing date cannot be in the future."))
        return value


class DealFailForm(MarketForm):
    reason = forms.CharField(label=_("Why the deal failed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PaymentForm(MarketForm):
    amount_wan = wan_field(_("Amount received (10,000 yuan)"))
    received_on = _date_field(_("Received on"))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"amount": to_yuan(data["amount_wan"]), "received_on": data["received_on"], "note": data["note"]}


def _subtype_choices():
    return [("", "---------")] + [
        (
            ContractCategory(category).label,
            [(value, ContractSubtype(value).label) for value in ContractSubtype.for_category(category)],
        )
        for category in ContractCategory.values
    ]


# The party rows of the form: the seller and the buyer are required, an intermediary optional.
PARTY_PREFIXES = {PartyRole.SELLER: "seller", PartyRole.BUYER: "buyer", PartyRole.INTERMEDIARY: "intermediary"}


class RegistrationForm(MarketForm):
    """The national registration form as the parties fill it in; each field is checked as it
    is entered. The technology transaction amount and the registration number are the
    registrar's and are not here."""

    title = forms.CharField(label=_("Contract name"), max_length=200)
    contract_number = forms.CharField(
        label=_("Contract number"), max_length=50, help_text=_("The number the parties gave the contract.")
    )
    category = forms.ChoiceField(label=_("Contract category"), choices=ContractCategory.choices)
    subtype = forms.ChoiceField(label=_("Sub-type"), choices=_subtype_choices)
    industry_field = IndustryFieldField()
    signed_on = _date_field(_("Signed on"))
    valid_from = _date_field(_("Valid from"))
    valid_until = _date_field(_("Valid until"))
    total_amount_wan = wan_field(_("Contract amount (10,000 yuan)"))
    signed_contract = forms.FileField(
        label=_("Signed contract (PDF)"),
        required=False,
        help_text=_("Seen only by the parties and the registrar."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args, has_contract_file: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_contract_file = has_contract_file

    def party_groups(self) -> list[tuple[str, list]]:
        """(label, bound fields) of each party, for the template."""
        return [
            (
                PartyRole(role).label,
                [self[f"{prefix}_{name}"] for name in ("name", "uscc", "region", "legal_entity_kind")],
            )
            for role, prefix in PARTY_PREFIXES.items()
        ]

    @classmethod
    def initial_from(cls, initial: dict) -> dict:
        """Form initial data from services.deals.registration_initial or an existing registration."""
        data = {key: value for key, value in initial.items() if key not in ("parties", "total_amount")}
        data["total_amount_wan"] = to_wan(initial.get("total_amount"))
        for party in initial.get("parties", []):
            prefix = PARTY_PREFIXES[party["role"]]
            for name in ("name", "uscc", "region", "legal_entity_kind"):
                data[f"{prefix}_{name}"] = party.get(name) or ""
        return data

    def clean(self):
        data = super().clean()
        category, subtype = data.get("category"), data.get("subtype")
        if category and subtype and subtype not in ContractSubtype.for_category(category):
            self.add_error(
                "subtype", _("Choose a sub-type of “%(category)s”.") % {"category": ContractCategory(category).label}
            )
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The contract must end after it starts."))
        signed = data.get("signed_on")
        if signed and signed > timezone.localdate():
            self.add_error("signed_on", _("The signing date cannot be in the future."))
        intermediary = [data.get(f"intermediary_{name}") for name in ("name", "uscc", "region", "legal_entity_kind")]
        if any(intermediary) and not all(intermediary):
            self.add_error("intermediary_name", _("Complete every field of the intermediary, or leave them all empty."))
        seller, buyer = data.get("seller_uscc"), data.get("buyer_uscc")
        if seller and buyer and seller.upper() == buyer.upper():
            self.add_error("buyer_uscc", _("The seller and the buyer must be different organizations."))
        return data

    def service_arguments(self, organizations: dict) -> dict:
        """Keyword arguments of services.deals.registration_save; `organizations` maps a role
        to the platform organization the deal names for it."""
        data = self.cleaned_data
        parties = []
        for role, prefix in PARTY_PREFIXES.items():
            if not data.get(f"{prefix}_name"):
                continue
            parties.append(
                {
                    "role": role,
                    "organization": organizations.get(role),
                    "name": data[f"{prefix}_name"],
                    "uscc": data[f"{prefix}_uscc"],
                    "region": data[f"{prefix}_region"],
                    "legal_entity_kind": data[f"{prefix}_legal_entity_kind"],
                }
            )
        return {
            "title": data["title"],
            "contract_number": data["contract_number"],
            "category": data["category"],
            "subtype": data["subtype"],
            "industry_field": data["industry_field"],
            "signed_on": data["signed_on"],
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
            "total_amount": to_yuan(data["total_amount_wan"]),
            "parties": parties,
            "signed_contract": data.get("signed_contract") or None,
        }


def _required_message(role: str):
    # Lazy: translated when shown, in the request's language, not at import.
    return lazy(
        lambda: gettext("The %(role)s needs this for the registration.") % {"role": PartyRole(role).label}, str
    )()


def _party_fields() -> dict:
    """The four fields of each party (seller and buyer required, the intermediary optional),
    labelled briefly: the form shows them under the party's heading."""
    fields = {}
    for role, prefix in PARTY_PREFIXES.items():
        required = role != PartyRole.INTERMEDIARY
        party_fields = {
            "name": forms.CharField(label=pgettext_lazy("party", "Name"), max_length=100, required=required),
            "uscc": forms.CharField(
                label=_("Unified social credit code"), max_length=18, required=required, validators=[validate_uscc]
            ),
            "region": RegionField(label=_("Region"), required=required),
            "legal_entity_kind": forms.ChoiceField(
                label=_("Legal form"), choices=[("", "---------"), *LegalEntityKind.choices], required=required
            ),
        }
        for name, field in party_fields.items():
            field.error_messages["required"] = _required_message(role)
            fields[f"{prefix}_{name}"] = field
    return fields


# Added to the declared fields so the form's widgets get their classes like every other field.
RegistrationForm.base_fields.update(_party_fields())


STAGE_ACTIONS = {
    DealStage.NEGOTIATING: _("Start negotiating"),
    DealStage.PERFORMING: _("Start performing"),
    DealStage.COMPLETED: _("Mark completed"),
}
