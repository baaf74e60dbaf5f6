"""Playwright driving Debian's chromium against the live test server."""

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"


@pytest.fixture(scope="session")
def _browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is required in CI (.ci/run installs it)")
        pytest.skip("Debian chromium is not installed (apt install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server):
    context = _browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(f"{page.url}: {message.text}") if message.type == "error" else None
    )
    page.on(
        "response",
        lambda response: errors.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    yield page
    context.close()
    assert errors == [], f"errors in the browser console: {errors}"


def staff_authenticator(username: str):
    """The confirmed authenticator of a staff user, created on first use (staff log in with a
    second factor, marketplace/otp.py); None for other users."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from marketplace.models import User
    from marketplace.otp import requires_second_factor

    user = User.objects.get(username=username)
    if not requires_second_factor(user):
        return None
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="browser", confirmed=True)


def pass_second_factor(page, device) -> None:
    """The second step of a staff log-in: the code the user's authenticator app shows now."""
    from playwright.sync_api import expect

    from tests.conftest import totp_code

    expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
    page.locator("#id_code").fill(totp_code(device))
    page.locator("#two-factor-form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/two-factor/"))


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


__all__ = ["pass_second_factor", "screenshot", "shutil", "staff_authenticator"]
