"""The second step of a staff log-in (marketplace/otp.py says who and why).

/accounts/two-factor/         the code from the authenticator app, or a recovery code
/accounts/two-factor/setup/   first time: scan the key, confirm with a code, note the recovery codes
"""

from __future__ import annotations

from urllib.parse import urlencode

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice

from marketplace.forms.two_factor import AuthenticatorCodeForm, SecondFactorForm
from marketplace.otp import second_factor_pending
from marketplace.services import two_factor as services


def _next_url(request) -> str:
    """Where to go once verified: the page that asked (?next=), if it is on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _verified(request, device) -> None:
    # A new session key at the privilege change, as at the password log-in (session fixation).
    request.session.cycle_key()
    django_otp.login(request, device)


@sensitive_post_parameters("code")
@never_cache
@login_required
def two_factor(request):
    """Ask for the code of the staff member's authenticator (or a recovery code)."""
    next_url = _next_url(request)
    if not second_factor_pending(request):
        return redirect(next_url)
    if services.confirmed_authenticator(request.user) is None:
        return redirect(_with_next(reverse("two-factor-setup"), next_url))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_verify(user=request.user, token=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_service_error(error)
        else:
            _verified(request, device)
            if isinstance(device, StaticDevice):
                messages.warning(
                    request,
                    _("You used a recovery code; %(count)d left.")
                    % {"count": services.recovery_codes_left(request.user)},
                )
            return redirect(next_url)
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@never_cache
@login_required
def two_factor_setup(request):
    """Enrol an authenticator app; only while the account has none (a lost one is reset by a bureau
    administrator in the admin console), so a password alone never replaces an enrolled device."""
    next_url = _next_url(request)
    if not second_factor_pending(request):
        return redirect(next_url)
    if services.confirmed_authenticator(request.user) is not None:
        return redirect(_with_next(reverse("two-factor"), next_url))
    device = services.authenticator_enrolment_start(user=request.user)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.authenticator_enrolment_confirm(
                user=request.user, device=device, token=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            _verified(request, device)
            # Shown in this response only: they are stored nowhere but in the database's token rows.
            return render(request, "registration/two_factor_recovery_codes.html", {"codes": codes, "next": next_url})
    qr_code = segno.make(device.config_url, error="m", micro=False)
    context = {
        "form": form,
        "next": next_url,
        "qr_data_uri": qr_code.svg_data_uri(scale=5, border=2),
        "key": services.authenticator_key_base32(device),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "registration/two_factor_setup.html", context)
