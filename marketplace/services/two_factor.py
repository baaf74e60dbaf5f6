"""Second factor of staff accounts: an authenticator app (TOTP device) and one-time recovery codes.

django-otp keeps the state that makes codes safe: each TOTP device remembers the time step of the
last code it accepted (`last_t`), so a code works once; each wrong code doubles the wait before the
device accepts another (throttling, OTP_TOTP_THROTTLE_FACTOR / OTP_STATIC_THROTTLE_FACTOR); a
recovery code is deleted when it is used.
"""

from __future__ import annotations

import re
from base64 import b32encode

import django_otp
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_CODES_NAME = "recovery codes"
_TOTP_CODE = re.compile(r"\d{6}")


def wrong_code_error() -> ValidationError:
    return ValidationError(_("This code is wrong or has already been used."), code="wrong_code")


def confirmed_authenticator(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, or None before enrolment."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def authenticator_key_base32(device: TOTPDevice) -> str:
    """The device's secret as authenticator apps take it when typed in: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _refuse_if_throttled(device: Device) -> None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return
    locked_until = (info or {}).get("locked_until")
    if locked_until is None:
        raise ValidationError(_("Too many wrong codes. Please try again later."), code="throttled")
    raise ValidationError(
        _("Too many wrong codes. Please try again after %(time)s.")
        % {"time": date_format(timezone.localtime(locked_until), "H:i:s")},
        code="throttled",
    )


@transaction.atomic
def authenticator_enrolment_start(*, user) -> TOTPDevice:
    """The unconfirmed authenticator the user is enrolling: created with a fresh random key the first
    time, the same one afterwards, so that a reloaded page still shows the key already scanned."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def authenticator_enrolment_confirm(*, user, device: TOTPDevice, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm an enrolment with the first code from the app. On success the device is confirmed and
    the user's recovery codes are replaced by RECOVERY_CODE_COUNT new ones, returned in clear text
    (they are shown once). A wrong code counts against the device's throttle and confirms nothing.
    Raises ValidationError (wrong code, throttled, or the user already has an authenticator)."""
    token = re.sub(r"\s", "", token or "")
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user)
        if device.confirmed or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise ValidationError(_("An authenticator app is already set up for this account."), code="enrolled")
        _refuse_if_throttled(device)
        # Outside a raise: a wrong code's throttle count must be committed, not rolled back.
        accepted = bool(_TOTP_CODE.fullmatch(token)) and device.verify_token(token)
        if not accepted and not _TOTP_CODE.fullmatch(token):
            device.throttle_increment(commit=True)
        if accepted:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = recovery_codes_replace(user=user)
    if not accepted:
        raise wrong_code_error()
    return device, codes


@transaction.atomic
def recovery_codes_replace(*, user) -> list[str]:
    """Delete the user's recovery codes and make RECOVERY_CODE_COUNT new ones; returns them."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_verify(*, user, token: str) -> Device:
    """Check a code: six digits go to the user's authenticator, anything else is tried as one of the
    recovery codes (which is then used up). Returns the device that accepted it; raises
    ValidationError on a wrong or reused code, or while the device is throttled."""
    token = re.sub(r"[\s-]", "", token or "")
    if _TOTP_CODE.fullmatch(token):
        device = confirmed_authenticator(user)
    else:
        token = token.lower()
        device = StaticDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None or not token:
        raise wrong_code_error()
    _refuse_if_throttled(device)
    # Locks the device row while checking, so two requests cannot both spend one code.
    verified = django_otp.verify_token(user, device.persistent_id, token)
    if verified is None:
        raise wrong_code_error()
    return verified


@transaction.atomic
def demo_authenticator(*, user, key_hex: str) -> TOTPDevice:
    """A confirmed authenticator with a fixed, published key (demo data only: anyone can compute
    its codes)."""
    device, created = TOTPDevice.objects.get_or_create(
        user=user, name="demo", defaults={"key": key_hex, "confirmed": True}
    )
    if not created and (device.key != key_hex or not device.confirmed):
        device.key, device.confirmed = key_hex, True
        device.save(update_fields=["key", "confirmed"])
    return device
