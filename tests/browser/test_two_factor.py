import re
from base64 import b32decode, b32encode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from marketplace.enums import StaffGroup
from tests.browser.conftest import screenshot
from tests.conftest import totp_code
from tests.factories.marketplace import PASSWORD, UserFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _password_step(page, username):
    page.goto("/admin/")
    page.get_by_label("用户名").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.card").get_by_role("button", name="登录").click()


def test_staff_enrol_an_authenticator_then_log_in_with_its_code(page):
    UserFactory(username="reviewer", name="钱审核", staff_groups=[StaffGroup.REVIEWER])

    # The admin console sends to the site's log-in; after the password, the enrolment.
    _password_step(page, "reviewer")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/setup/\?next=%2Fadmin%2F$"))
    qr = page.locator("#two-factor-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.naturalWidth") > 0  # the SVG QR code rendered under the CSP
    key = page.locator("#two-factor-key").inner_text().replace(" ", "")
    device = TOTPDevice.objects.get(user__username="reviewer")
    assert key == b32encode(device.bin_key).decode().rstrip("=")
    screenshot(page, "two-factor-setup")

    # The app's code (computed from the key as the page shows it) confirms it.
    code = f"{TOTP(b32decode(key + '=' * (-len(key) % 8))).token():06d}"
    page.locator("#id_code").fill(code)
    page.locator("#two-factor-form button[type=submit]").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.locator("a.btn-primary[href='/admin/']").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#site-name")).to_be_visible()

    # Next log-in: the code only, no enrolment.
    page.context.clear_cookies()
    _password_step(page, "reviewer")
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/\?next=%2Fadmin%2F$"))
    page.locator("#id_code").fill(totp_code(device))
    page.locator("#two-factor-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
