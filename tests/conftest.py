"""Shared fixtures: the actors of design.md, logged-in clients, fast settings."""

from __future__ import annotations

import pytest

from marketplace.enums import MembershipRole, StaffGroup
from tests.factories.marketplace import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media" / "private"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    """Tasks run in-process during tests, whatever REDIS_URL says; worker tests opt out."""
    from marketplace.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="青岛测试大学", kind="university")


@pytest.fixture
def org_admin(organization):
    return MembershipFactory(organization=organization, role=MembershipRole.ADMIN, user__username="orgadmin").user


@pytest.fixture
def org_member(organization):
    return MembershipFactory(organization=organization, role=MembershipRole.MEMBER, user__username="orgmember").user


@pytest.fixture
def foreign_organization(db):
    return OrganizationFactory(name="外部企业有限公司")


@pytest.fixture
def foreign_user(foreign_organization):
    return MembershipFactory(
        organization=foreign_organization, role=MembershipRole.ADMIN, user__username="foreigner"
    ).user


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", staff_groups=[StaffGroup.REVIEWER])


@pytest.fixture
def bureau_admin(db):
    return UserFactory(username="bureauadmin", staff_groups=[StaffGroup.ADMINISTRATOR])


@pytest.fixture
def registrar(db):
    return UserFactory(username="registrar", staff_groups=[StaffGroup.REGISTRAR])


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def verify_second_factor(client, user) -> None:
    """Mark the client's session as having passed the staff second factor (marketplace/otp.py),
    with a confirmed authenticator for the user; nothing for non-staff users."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from marketplace.otp import requires_second_factor

    if not requires_second_factor(user):
        return
    # A new device each time: one query per log-in, always, for the tests that count queries.
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _force_login_includes_second_factor(monkeypatch):
    """`force_login` stands for a whole log-in, so for staff it includes the second factor; the
    steps themselves are tested in tests/security/test_two_factor.py with real log-ins."""
    from django.test import Client

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        verify_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


def totp_code(device) -> str:
    """The code the device's authenticator app shows now; the next one when the current one was
    already used (each code works once), waiting for the clock when even that one is spent."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    while True:
        totp.time = time.time()
        ahead = max(0, device.last_t + 1 - totp.t())
        if ahead <= device.tolerance:
            break
        time.sleep(device.step - (totp.time - device.t0) % device.step + 0.05)
    totp.time += ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def login(client):
    """login(user) → a test client logged in as that user (a fresh client per call)."""
    from django.test import Client

    def _login(user):
        return _client_for(Client, user)

    return _login


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request):
    """Transactional tests (browser, concurrency) flush every table when they end, the
    reference data of the migrations included; put it back before each of them."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps as django_apps

    from marketplace.reference_data import ensure_staff_groups, load_industry_fields, load_regions

    if not django_apps.get_model("marketplace", "Region").objects.exists():
        load_regions(django_apps.get_model("marketplace", "Region"))
        load_industry_fields(django_apps.get_model("marketplace", "IndustryField"))
        ensure_staff_groups(django_apps.get_model("auth", "Group"))
