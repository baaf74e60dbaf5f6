"""The second step of a staff log-in: a code from the authenticator app or a recovery code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from marketplace.forms.base import MarketForm


class AuthenticatorCodeForm(MarketForm):
    """Enrolment: the first six-digit code the app shows, proving it holds the key."""

    code = forms.RegexField(
        label=_("6-digit code"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        max_length=8,
        error_messages={"invalid": _("Enter the 6 digits shown in your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}
        ),
    )


class SecondFactorForm(MarketForm):
    """Log-in: the current six-digit code, or one of the recovery codes."""

    code = forms.CharField(
        label=_("6-digit code or recovery code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}),
    )
