"""Partner systems: an application with chosen scopes, and an API client holding its token."""

import base64

import pytest
from rest_framework.test import APIClient

from marketplace.services.partners import partner_application_create, partner_organization

ALL_SCOPES = "achievements:read achievements:write demands:read demands:write contracts:read contracts:write webhooks"


def token_for(credentials, scope: str | None = None) -> dict:
    """POST /o/token/ with HTTP Basic client authentication, as a partner would."""
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    response = APIClient().post("/o/token/", data, format=None, HTTP_AUTHORIZATION=f"Basic {basic}")
    return response


@pytest.fixture
def make_partner(db):
    """make_partner(scopes, name=...) → Credentials (partner_application, client_id, client_secret)."""

    def _make(scopes: str = ALL_SCOPES, name: str = "山东科技大市场", uscc: str = ""):
        return partner_application_create(
            organization=partner_organization(name=name, uscc=uscc), name=f"{name}同步", scopes=scopes
        )

    return _make


@pytest.fixture
def partner_api(db):
    """partner_api(credentials, scope=None) → an APIClient sending that application's bearer token."""

    def _client(credentials, scope: str | None = None) -> APIClient:
        response = token_for(credentials, scope)
        assert response.status_code == 200, response.content
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
        return client

    return _client


@pytest.fixture
def partner(make_partner):
    return make_partner()


@pytest.fixture
def api(partner, partner_api):
    """The default partner's client with every scope."""
    return partner_api(partner)
