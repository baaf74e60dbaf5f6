"""Partner credentials: tokens at /o/token/, scopes per application, rotation, revocation,
expiry, the create_partner command and the admin."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from marketplace.models import Organization, PartnerApplication
from marketplace.services.partners import (
    Credentials,
    partner_application_revoke,
    partner_application_rotate,
    partner_application_set_scopes,
)
from tests.partners.conftest import token_for

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_token_carries_the_granted_scopes(make_partner):
    credentials = make_partner("achievements:read demands:read")
    response = token_for(credentials)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == {"achievements:read", "demands:read"}
    assert 0 < body["expires_in"] <= 3600


def test_a_narrower_scope_may_be_asked_a_wider_one_not(make_partner):
    credentials = make_partner("achievements:read demands:read")
    assert token_for(credentials, "demands:read").json()["scope"] == "demands:read"
    refused = token_for(credentials, "contracts:write")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"


def test_wrong_secret_gets_no_token(make_partner):
    credentials = make_partner()
    wrong = Credentials(credentials.partner_application, credentials.client_id, "not-the-secret")
    assert token_for(wrong).status_code == 401


def test_expired_token_is_401_in_the_error_format(partner, partner_api):
    client = partner_api(partner)
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/achievements/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_unknown_token_never_falls_back_to_anonymous_access():
    response = bearer("made-up").get("/api/v1/organizations/")
    assert response.status_code == 401


def test_rotation_invalidates_the_old_secret_and_tokens(partner, partner_api):
    client = partner_api(partner)
    rotated = partner_application_rotate(partner_application=partner.partner_application)
    assert client.get("/api/v1/achievements/").status_code == 401
    assert token_for(partner).status_code == 401  # the old secret
    assert token_for(rotated).status_code == 200
    assert PartnerApplication.objects.get().secret_rotated_at is not None


def test_revocation_stops_tokens_and_new_ones(partner, partner_api):
    client = partner_api(partner)
    partner_application_revoke(partner_application=partner.partner_application)
    assert client.get("/api/v1/achievements/").status_code == 401
    assert token_for(partner).status_code == 401


def test_narrowing_scopes_revokes_tokens_with_the_lost_scope(partner, partner_api):
    wide = partner_api(partner)
    narrow = partner_api(partner, "achievements:read")
    partner_application_set_scopes(partner_application=partner.partner_application, scopes="achievements:read")
    assert wide.get("/api/v1/achievements/").status_code == 401
    assert narrow.get("/api/v1/achievements/").status_code == 200


def test_unknown_scope_is_refused(make_partner):
    with pytest.raises(Exception, match="superpowers"):
        make_partner("achievements:read superpowers")


def test_create_partner_command_prints_working_credentials():
    out = StringIO()
    call_command("create_partner", "省技术产权交易市场", "--scopes", "achievements:read contracts:read", stdout=out)
    text = out.getvalue()
    client_id = re.search(r"client_id=(\S+)", text).group(1)
    secret = re.search(r"client_secret=(\S+)", text).group(1)
    organization = Organization.objects.get(name="省技术产权交易市场")
    assert organization.kind == "partner_system"
    credentials = Credentials(PartnerApplication.objects.get(), client_id, secret)
    assert set(token_for(credentials).json()["scope"].split()) == {"achievements:read", "contracts:read"}

    # Run again: the organization and application are reused, the secret rotated.
    again = StringIO()
    call_command("create_partner", "省技术产权交易市场", "--scopes", "achievements:read", stdout=again)
    assert Organization.objects.filter(name="省技术产权交易市场").count() == 1
    assert PartnerApplication.objects.count() == 1
    assert "Rotated" in again.getvalue()
    assert token_for(credentials).status_code == 401


def test_create_partner_refuses_bad_input():
    with pytest.raises(CommandError, match="superpowers"):
        call_command("create_partner", "某平台", "--scopes", "superpowers", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("create_partner", "某平台", "--uscc", "123", "--scopes", "achievements:read", stdout=StringIO())
    assert not PartnerApplication.objects.exists()


def test_admin_creates_an_application_and_shows_the_secret_once(login, bureau_admin):
    partner = Organization.objects.create(name="上海技术交易所", kind="partner_system", verification_status="verified")
    client = login(bureau_admin)
    response = client.post(
        "/admin/marketplace/partnerapplication/add/",
        {
            "organization": partner.pk,
            "name": "上交所同步",
            "scope_list": ["achievements:read", "demands:read"],
            "throttle_rate": "300/minute",
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    match = re.search(r"client_id: (\S+), client_secret: ([A-Za-z0-9]+)", " ".join(shown))
    assert match, shown
    application = PartnerApplication.objects.get()
    assert application.throttle_rate == "300/minute"
    assert application.scope_set == {"achievements:read", "demands:read"}
    assert token_for(Credentials(application, match.group(1), match.group(2))).status_code == 200
    # The change page never shows the secret again.
    page = client.get(f"/admin/marketplace/partnerapplication/{application.pk}/change/")
    assert match.group(2) not in page.content.decode()


def test_admin_rotates_and_revokes(login, bureau_admin, partner):
    client = login(bureau_admin)
    url = "/admin/marketplace/partnerapplication/"
    pk = partner.partner_application.pk
    response = client.post(url, {"action": "rotate_secret", "_selected_action": [pk]}, follow=True)
    assert "client_secret" in " ".join(str(m) for m in response.context["messages"])
    assert token_for(partner).status_code == 401
    client.post(url, {"action": "revoke", "_selected_action": [pk]}, follow=True)
    assert PartnerApplication.objects.get().revoked_at is not None


def test_admin_bad_limit_is_a_form_error(login, bureau_admin):
    partner = Organization.objects.create(name="某省平台", kind="partner_system", verification_status="verified")
    client = login(bureau_admin)
    response = client.post(
        "/admin/marketplace/partnerapplication/add/",
        {"organization": partner.pk, "scope_list": ["achievements:read"], "throttle_rate": "lots"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["throttle_rate"]
    assert not PartnerApplication.objects.exists()


def test_reviewers_cannot_manage_applications(login, reviewer, partner):
    assert login(reviewer).get("/admin/marketplace/partnerapplication/").status_code == 403


def test_token_revocation_endpoint(partner, partner_api):
    response = token_for(partner)
    token = response.json()["access_token"]
    import base64

    basic = base64.b64encode(f"{partner.client_id}:{partner.client_secret}".encode()).decode()
    revoked = APIClient().post("/o/revoke_token/", {"token": token}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert revoked.status_code == 200
    assert bearer(token).get("/api/v1/achievements/").status_code == 401


def test_demo_partner_gets_a_token_with_the_printed_credentials():
    from marketplace.demo import DEMO_PARTNER_CLIENT_ID, DEMO_PASSWORD, seed_partners

    lines = seed_partners()
    seed_partners()  # again: nothing new
    assert DEMO_PARTNER_CLIENT_ID in lines[0]
    assert PartnerApplication.objects.count() == 1
    credentials = Credentials(PartnerApplication.objects.get(), DEMO_PARTNER_CLIENT_ID, DEMO_PASSWORD)
    assert token_for(credentials).status_code == 200
