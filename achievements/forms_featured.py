"""Forms of the featured-achievements digest: subscribing (public) and changing a subscription
(workspace). The services in achievements/services_digest.py do the work and the checks."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from achievements.enums import DigestFrequency
from achievements.models import Subscription
from marketplace.forms.base import MarketForm
from marketplace.forms.fields import IndustryFieldsField


def _frequency_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=capfirst(Subscription._meta.get_field("frequency").verbose_name),
        choices=DigestFrequency.choices,
        initial=DigestFrequency.WEEKLY,
        widget=forms.RadioSelect,
    )


def _fields_field() -> IndustryFieldsField:
    return IndustryFieldsField(
        required=False,
        label=capfirst(Subscription._meta.get_field("industry_fields").verbose_name),
        help_text=Subscription._meta.get_field("industry_fields").help_text,
    )


class SubscribeForm(MarketForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    industry_fields = _fields_field()
    frequency = _frequency_field()

    field_order = ["email", "frequency", "industry_fields"]


class SubscriptionUpdateForm(MarketForm):
    """The fields and frequency of one of the user's subscriptions (prefixed per subscription)."""

    frequency = _frequency_field()
    industry_fields = _fields_field()
