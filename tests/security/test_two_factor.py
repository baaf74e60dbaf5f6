"""Staff accounts log in with a second factor (marketplace/otp.py, marketplace/views/two_factor.py):
the password alone opens nothing staff-only, the admin's own log-in is no way around it, codes work
once and wrong ones are throttled; other users never see the step."""

import re
from base64 import b32decode, b32encode

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.enums import StaffGroup
from marketplace.models import Organization
from marketplace.services import two_factor as services
from tests.conftest import totp_code
from tests.factories.marketplace import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
TWO_FACTOR = reverse("two-factor")
SETUP = reverse("two-factor-setup")
WRONG = "This code is wrong or has already been used."


def password_log_in(user) -> Client:
    """A client that went through the real log-in form with the password only."""
    client = Client()
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.session["_auth_user_id"] == str(user.pk)
    return client


def enrolled(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device


def wrong_code_for(device) -> str:
    right = totp_code(device)
    return f"{(int(right) + 1) % 1_000_000:06d}"


def two_factor_redirect(next_url: str) -> str:
    return f"{TWO_FACTOR}?next={next_url.replace('/', '%2F')}"


def test_staff_password_log_in_is_sent_to_the_second_step_for_admin_and_statistics():
    statistician = UserFactory(username="stat", staff_groups=[StaffGroup.STATISTICIAN])
    client = password_log_in(statistician)

    admin = client.get("/admin/")
    statistics = client.get("/statistics/?year=2026")
    export = client.get(reverse("statistics:export"))

    assert (admin.status_code, admin["Location"]) == (302, two_factor_redirect("/admin/"))
    assert (statistics.status_code, statistics["Location"]) == (
        302,
        f"{TWO_FACTOR}?next=%2Fstatistics%2F%3Fyear%3D2026",
    )
    assert (export.status_code, export["Location"]) == (302, two_factor_redirect("/statistics/export/"))


def test_staff_session_api_without_second_factor_is_refused_with_json(reviewer):
    client = password_log_in(reviewer)

    response = client.get("/api/v1/engagements/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_required"


def test_unverified_staff_post_is_not_carried_out(bureau_admin, organization):
    client = password_log_in(bureau_admin)

    response = client.post(f"/admin/marketplace/organization/{organization.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302 and response["Location"].startswith(TWO_FACTOR)
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_staff_group_member_without_staff_flag_needs_the_second_step():
    statistician = UserFactory(username="groupie")
    statistician.groups.add(Group.objects.get(name=StaffGroup.STATISTICIAN))
    assert statistician.is_staff is False
    client = password_log_in(statistician)

    assert client.get("/statistics/")["Location"] == two_factor_redirect("/statistics/")


def test_joining_a_staff_group_while_logged_in_brings_the_step_at_once(org_member):
    client = password_log_in(org_member)
    assert client.get(reverse("search")).status_code == 200  # not staff (and remembered as such)

    Group.objects.get(name=StaffGroup.STATISTICIAN).user_set.add(org_member)

    assert client.get("/statistics/")["Location"] == two_factor_redirect("/statistics/")


def test_first_log_in_shows_the_enrolment_with_qr_code_and_key(reviewer):
    client = password_log_in(reviewer)

    assert client.get(f"{TWO_FACTOR}?next=/admin/")["Location"] == f"{SETUP}?next=%2Fadmin%2F"
    page = client.get(f"{SETUP}?next=/admin/").content.decode()

    device = TOTPDevice.objects.get(user=reviewer)
    key = b32encode(device.bin_key).decode().rstrip("=")
    assert device.confirmed is False
    assert re.search(r'<code[^>]*id="two-factor-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "") == key
    assert 'src="data:image/svg+xml' in page
    # A reload shows the same key, not a new one the app has not scanned.
    reloaded = client.get(SETUP).content.decode()
    assert re.search(r'id="two-factor-key">([A-Z2-7 ]+)<', reloaded).group(1).replace(" ", "") == key
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_enrolment_with_a_wrong_code_confirms_nothing(reviewer):
    client = password_log_in(reviewer)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=reviewer)

    response = client.post(SETUP, {"code": wrong_code_for(device), "next": "/admin/"})

    assert response.status_code == 200
    assert gettext(WRONG) in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False and device.throttling_failure_count == 1
    assert not StaticDevice.objects.filter(user=reviewer).exists()
    assert client.get("/admin/")["Location"] == two_factor_redirect("/admin/")


def test_enrolment_with_the_right_code_verifies_shows_recovery_codes_once_and_opens_the_admin(reviewer):
    client = password_log_in(reviewer)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=reviewer)

    response = client.post(SETUP, {"code": totp_code(device), "next": "/admin/"})

    assert response.status_code == 200
    shown = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert sorted(shown) == sorted(StaticToken.objects.filter(device__user=reviewer).values_list("token", flat=True))
    assert len(shown) == 10
    assert 'href="/admin/"' in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/admin/").status_code == 200
    # Enrolled: the setup page is not offered again, the codes are not shown again.
    assert client.get(SETUP)["Location"] == reverse("workspace:home")


def test_a_second_log_in_asks_for_the_code(reviewer):
    device = enrolled(reviewer)
    client = password_log_in(reviewer)

    assert client.get("/admin/")["Location"] == two_factor_redirect("/admin/")
    page = client.get(f"{TWO_FACTOR}?next=/admin/")
    assert page.status_code == 200 and 'id="two-factor-form"' in page.content.decode()
    assert 'id="two-factor-key"' not in page.content.decode()

    response = client.post(TWO_FACTOR, {"code": totp_code(device), "next": "/admin/"})

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


def test_an_enrolled_account_cannot_enrol_another_authenticator_with_the_password_only(reviewer):
    enrolled(reviewer)
    client = password_log_in(reviewer)

    response = client.get(SETUP)

    assert response.status_code == 302 and response["Location"].startswith(TWO_FACTOR)
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


def test_a_used_code_cannot_be_replayed(reviewer):
    device = enrolled(reviewer)
    code = totp_code(device)
    first = password_log_in(reviewer)
    assert first.post(TWO_FACTOR, {"code": code})["Location"] == reverse("workspace:home")

    second = password_log_in(reviewer)
    replay = second.post(TWO_FACTOR, {"code": code, "next": "/admin/"})

    assert replay.status_code == 200 and gettext(WRONG) in replay.content.decode()
    assert second.get("/admin/")["Location"] == two_factor_redirect("/admin/")


def test_wrong_codes_are_throttled(settings, reviewer):
    assert settings.OTP_TOTP_THROTTLE_FACTOR >= 1 and settings.OTP_STATIC_THROTTLE_FACTOR >= 1
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # the first wait lasts a minute: no race with a slow machine
    device = enrolled(reviewer)
    client = password_log_in(reviewer)

    wrong = client.post(TWO_FACTOR, {"code": wrong_code_for(device)})
    right_too_soon = client.post(TWO_FACTOR, {"code": totp_code(device)})

    assert gettext(WRONG) in wrong.content.decode()
    assert right_too_soon.status_code == 200
    throttled = gettext("Too many wrong codes. Please try again after %(time)s.").split("%(time)s")[0]
    assert throttled in right_too_soon.content.decode()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1 and device.last_t == -1
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_works_once(reviewer):
    enrolled(reviewer)
    codes = services.recovery_codes_replace(user=reviewer)
    first = password_log_in(reviewer)

    response = first.post(TWO_FACTOR, {"code": codes[3].upper(), "next": "/admin/"})

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert first.get("/admin/").status_code == 200
    assert StaticToken.objects.filter(device__user=reviewer).count() == 9
    second = password_log_in(reviewer)
    again = second.post(TWO_FACTOR, {"code": codes[3]})
    assert again.status_code == 200 and gettext(WRONG) in again.content.decode()


def test_a_non_staff_user_never_sees_the_step(org_member):
    client = Client()

    response = client.post(LOGIN, {"username": "orgmember", "password": PASSWORD}, follow=True)

    assert all(TWO_FACTOR not in url for url, _status in response.redirect_chain)
    assert response.status_code == 200
    assert client.get(TWO_FACTOR)["Location"] == reverse("workspace:home")
    assert client.get(reverse("search")).status_code == 200
    assert not TOTPDevice.objects.filter(user=org_member).exists()


def test_the_admin_log_in_page_is_no_way_around(reviewer):
    client = Client()

    shown = client.get("/admin/login/?next=/admin/")
    posted = client.post("/admin/login/", {"username": "reviewer", "password": PASSWORD, "next": "/admin/"})

    assert shown["Location"] == f"{LOGIN}?next=%2Fadmin%2F"
    assert posted.status_code == 302 and posted["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    # Logged in with the password only, the admin's log-in page sends to the second step …
    client = password_log_in(reviewer)
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith(f"{TWO_FACTOR}?next=%2Fadmin%2Flogin%2F")
    # … and once verified, on to the console.
    assert client.post(TWO_FACTOR, {"code": totp_code(enrolled(reviewer))}).status_code == 302
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/admin/"


def test_the_admin_console_itself_requires_the_second_factor(settings, reviewer):
    settings.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if name != "marketplace.otp.StaffSecondFactorMiddleware"
    ]
    client = password_log_in(reviewer)

    response = client.get("/admin/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_resetting_a_device_ends_the_verified_sessions(login, reviewer):
    client = login(reviewer)
    assert client.get("/admin/").status_code == 200

    TOTPDevice.objects.filter(user=reviewer).delete()

    assert client.get("/admin/")["Location"] == two_factor_redirect("/admin/")
    assert client.get(TWO_FACTOR)["Location"] == f"{SETUP}?next=%2Fworkspace%2F"


def test_a_bureau_administrator_resets_a_staff_members_device_in_the_admin(login, bureau_admin, reviewer):
    device = enrolled(reviewer)
    client = login(bureau_admin)

    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    deleted = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})

    assert listing.status_code == 200 and "reviewer" in listing.content.decode()
    assert change.status_code == 200 and device.key not in change.content.decode()
    assert deleted.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert login(reviewer).get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 403


def test_without_the_setting_staff_log_in_with_the_password_only(settings, reviewer):
    settings.STAFF_OTP_REQUIRED = False
    client = password_log_in(reviewer)

    assert client.get("/admin/").status_code == 200


def test_demo_staff_log_in_with_the_published_demo_key():
    from django_otp.oath import TOTP

    from marketplace.demo import DEMO_PASSWORD, DEMO_TOTP_KEY_BASE32, seed_parties

    seed_parties()
    device = TOTPDevice.objects.get(user__username="reviewer", confirmed=True)
    client = Client()
    client.post(LOGIN, {"username": "reviewer", "password": DEMO_PASSWORD})

    # What `oathtool --totp -b <key>` prints: the code from the base32 key alone.
    code = f"{TOTP(b32decode(DEMO_TOTP_KEY_BASE32)).token():06d}"
    response = client.post(TWO_FACTOR, {"code": code, "next": "/admin/"})

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200
    assert device.key == b32decode(DEMO_TOTP_KEY_BASE32).hex()
    assert not TOTPDevice.objects.filter(user__username="qdu_admin").exists()
