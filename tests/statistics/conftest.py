"""Hand-built registered contracts for the statistics console: eight registered in 2026 with
parties in different cities, legal forms and agencies, one registered in 2025, and two that are
not registered and must never count. The expected figures are worked out in test_figures.py."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from marketplace.enums import LegalEntityKind, OrganizationKind, PartyRole, RegistrationStatus, StaffGroup
from marketplace.models import ContractParty, ContractRegistration, IndustryField, Organization, Region
from marketplace.services.partners import partner_application_create, partner_organization
from tests.factories.marketplace import OrganizationFactory, UserFactory, make_uscc

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENTERPRISE, PUBLIC, GOVERNMENT, SOCIAL = (
    LegalEntityKind.ENTERPRISE,
    LegalEntityKind.PUBLIC_INSTITUTION,
    LegalEntityKind.GOVERNMENT,
    LegalEntityKind.SOCIAL_ORGANIZATION,
)
SUBTYPE = {
    "development": "commissioned_development",
    "transfer": "patent_right",
    "license": "patent_license",
    "consulting": "consulting",
    "service": "general_service",
}


def at(year, month, day, hour=12, minute=0) -> datetime:
    """A moment in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


_counter = {"n": 0}


def party(registration, role, region, kind, organization=None):
    _counter["n"] += 1
    return ContractParty.objects.create(
        registration=registration,
        role=role,
        organization=organization,
        name=organization.name if organization else f"当事人{_counter['n']}",
        uscc=make_uscc(900000 + _counter["n"], region),
        region=Region.objects.get(code=region),
        legal_entity_kind=kind,
    )


def contract(
    *,
    registered_at,
    category,
    field,
    total,
    technology,
    seller,
    buyers,
    intermediaries=(),
    applicant,
    status=RegistrationStatus.REGISTERED,
):
    """A contract registration with its parties: seller and buyers as (region, legal form,
    organization or None), intermediaries as organizations (region 370202, enterprise)."""
    registration = ContractRegistration.objects.create(
        organization=applicant,
        title=f"{category}合同",
        category=category,
        subtype=SUBTYPE[category],
        industry_field=IndustryField.objects.get(code=field) if field else None,
        total_amount=Decimal(total),
        technology_amount=Decimal(technology),
        status=status,
        registered_at=registered_at,
    )
    party(registration, PartyRole.SELLER, *seller)
    for buyer in buyers:
        party(registration, PartyRole.BUYER, *buyer)
    for organization in intermediaries:
        party(registration, PartyRole.INTERMEDIARY, "370202", ENTERPRISE, organization)
    return registration


@dataclass
class Market:
    university: Organization
    enterprise: Organization
    agency_a: Organization
    agency_b: Organization
    service_agency: Organization
    contracts: list


@pytest.fixture
def orgs(db):
    return {
        "university": OrganizationFactory(name="青岛海洋大学", kind=OrganizationKind.UNIVERSITY),
        "enterprise": OrganizationFactory(name="青岛海工装备有限公司", kind=OrganizationKind.ENTERPRISE),
        "agency_a": OrganizationFactory(name="甲技术转移中心", kind=OrganizationKind.TRANSFER_AGENCY),
        "agency_b": OrganizationFactory(name="乙技术转移中心", kind=OrganizationKind.TRANSFER_AGENCY),
        "service_agency": OrganizationFactory(name="丙科技服务公司", kind=OrganizationKind.SERVICE_AGENCY),
    }


def eight_contracts(o) -> list:
    """The eight registered contracts of 2026 (see the table in test_figures.py)."""
    u, e, a, b, s = o["university"], o["enterprise"], o["agency_a"], o["agency_b"], o["service_agency"]
    return [
        # 1: the first half hour of 2026 in Shanghai (still 2025 in UTC)
        contract(registered_at=at(2026, 1, 1, 0, 30), category="transfer", field="marine-equipment",
                 total=100000, technology=80000, seller=("370202", PUBLIC, u), buyers=[("370211", ENTERPRISE, e)],
                 intermediaries=[a], applicant=u),
        contract(registered_at=at(2026, 1, 20), category="license", field="marine-biology",
                 total=200000, technology=150000, seller=("370202", PUBLIC, u), buyers=[("370102", ENTERPRISE)],
                 intermediaries=[a], applicant=u),
        # 3: 1 February 07:00 in Shanghai is still January in UTC; a second buyer in Dalian
        contract(registered_at=at(2026, 2, 1, 7), category="development", field="innovative-drugs",
                 total=300000, technology=300000, seller=("370211", ENTERPRISE),
                 buyers=[("370202", ENTERPRISE, e), ("210202", ENTERPRISE)], intermediaries=[b], applicant=e),
        # 4: filed under the top-level field itself
        contract(registered_at=at(2026, 3, 1, 0, 30), category="development", field="biomedicine",
                 total=400000, technology=350000, seller=("370102", PUBLIC), buyers=[("370202", ENTERPRISE, e)],
                 applicant=e),
        # 5: brokered by a service agency, which is not a transfer agency
        contract(registered_at=at(2026, 4, 20), category="consulting", field="hydrogen",
                 total=50000, technology=50000, seller=("370202", ENTERPRISE), buyers=[("210202", ENTERPRISE)],
                 intermediaries=[s], applicant=e),
        # 6: no industry field; agency A named twice
        contract(registered_at=at(2026, 5, 5), category="service", field=None,
                 total=60000, technology=40000, seller=("320402", SOCIAL), buyers=[("370211", PUBLIC)],
                 intermediaries=[a, a], applicant=u),
        contract(registered_at=at(2026, 6, 30), category="transfer", field="new-energy-batteries",
                 total=500000, technology=500000, seller=("370211", PUBLIC, u), buyers=[("110101", ENTERPRISE)],
                 applicant=u),
        # 8: no technology amount recognised
        contract(registered_at=at(2026, 7, 1), category="license", field="marine-equipment",
                 total=90000, technology=0, seller=("370202", ENTERPRISE), buyers=[("370202", GOVERNMENT)],
                 intermediaries=[b], applicant=e),
    ]  # fmt: skip


def others(o) -> list:
    """One registered in 2025, and two that are not registered (never counted)."""
    u, a = o["university"], o["agency_a"]
    return [
        contract(registered_at=at(2025, 12, 31, 23), category="transfer", field="marine-equipment",
                 total=70000, technology=70000, seller=("370202", PUBLIC, u), buyers=[("370202", ENTERPRISE)],
                 intermediaries=[a], applicant=u),
        contract(registered_at=None, category="transfer", field="marine-equipment", total=9000000,
                 technology=9000000, seller=("370202", PUBLIC, u), buyers=[("370202", ENTERPRISE)],
                 intermediaries=[a], applicant=u, status=RegistrationStatus.SUBMITTED),
        contract(registered_at=at(2026, 3, 3), category="development", field="hydrogen", total=8000000,
                 technology=8000000, seller=("370202", PUBLIC, u), buyers=[("370202", ENTERPRISE)],
                 intermediaries=[a], applicant=u, status=RegistrationStatus.RETURNED),
    ]  # fmt: skip


@pytest.fixture
def market(orgs):
    contracts = eight_contracts(orgs)
    others(orgs)
    return Market(**orgs, contracts=contracts)


@pytest.fixture
def statistician(db):
    return UserFactory(username="statistician", staff_groups=[StaffGroup.STATISTICIAN])


@pytest.fixture
def partner_client(db):
    """partner_client(scopes) → an APIClient with a partner token holding those scopes."""

    def _make(scopes: str, name: str = "山东科技大市场"):
        credentials = partner_application_create(
            organization=partner_organization(name=name), name=f"{name}同步", scopes=scopes
        )
        basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
        response = APIClient().post(
            "/o/token/", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}"
        )
        assert response.status_code == 200, response.content
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access_token']}")
        return client

    return _make
