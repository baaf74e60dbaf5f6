"""/api/v1/deals/ and /api/v1/contracts/: visibility, transitions, payments, registration."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.enums import DealStage, PartyRole, RegistrationStatus
from marketplace.models import ContractRegistration, Match
from marketplace.services import deals as services
from tests.factories.achievements import AchievementFactory
from tests.factories.deals import DealFactory, organization_of
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import UserFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/deals/"
CONTRACTS = "/api/v1/contracts/"


def _registration_body(deal, **overrides):
    body = {
        "title": deal.title,
        "contract_number": "API-001",
        "category": "license",
        "subtype": "technical_secret_license",
        "industry_field": deal.achievement.industry_fields.first().code,
        "signed_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "valid_from": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "valid_until": (timezone.localdate() + timedelta(days=700)).isoformat(),
        "total_amount": "800000.00",
        "parties": [
            {
                "role": role,
                "name": organization.name,
                "uscc": organization.uscc,
                "region": organization.region_id,
                "legal_entity_kind": "enterprise",
            }
            for role, organization in (("seller", deal.seller), ("buyer", deal.buyer))
        ],
    }
    body.update(overrides)
    return body


def test_deals_are_listed_for_their_parties_only(login, deal, seller_admin, foreign_user, client):
    DealFactory(title="别家的交易")
    titles = [row["title"] for row in login(seller_admin).get(DEALS).json()["results"]]
    assert titles == ["海水淡化膜技术转让"]
    assert login(foreign_user).get(DEALS).json()["results"] == []
    assert login(foreign_user).get(f"{DEALS}{deal.pk}/").status_code == 404
    assert client.get(DEALS).status_code == 403


def test_deal_list_query_count_does_not_grow(login, seller_admin, django_assert_num_queries):
    api = login(seller_admin)
    DealFactory(seller=organization_of(seller_admin))
    with CaptureQueriesContext(connection) as one:
        api.get(DEALS)
    for _ in range(2):
        deal = DealFactory(seller=organization_of(seller_admin), signed=True)
        deal.brokers.add(UserFactory())
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api.get(DEALS).json()["results"]) == 3


def test_sign_and_pay_through_the_api(login, deal, seller_admin, buyer_admin):
    api = login(buyer_admin)
    bad = api.post(
        f"{DEALS}{deal.pk}/sign/",
        {"signed_on": timezone.localdate().isoformat(), "amount": "0"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "amount" in bad.json()["error"]["fields"]
    signed = api.post(
        f"{DEALS}{deal.pk}/sign/",
        {"signed_on": timezone.localdate().isoformat(), "amount": "650000"},
        content_type="application/json",
    ).json()
    assert (signed["stage"], signed["amount"]) == ("signed", "650000.00")

    payment = api.post(
        f"{DEALS}{deal.pk}/payments/",
        {"amount": "200000", "received_on": timezone.localdate().isoformat(), "note": "一期"},
        content_type="application/json",
    )
    assert payment.status_code == 201
    over = api.post(
        f"{DEALS}{deal.pk}/payments/",
        {"amount": "450001", "received_on": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert over.status_code == 400
    assert "超过" in over.json()["error"]["fields"]["amount"][0]
    assert login(seller_admin).get(f"{DEALS}{deal.pk}/").json()["paid"] == "200000.00"
    assert [row["note"] for row in api.get(f"{DEALS}{deal.pk}/payments/").json()] == ["一期"]


def test_brokers_read_but_cannot_move_a_deal(login, deal):
    broker = UserFactory()
    deal.brokers.add(broker)
    api = login(broker)
    assert api.get(f"{DEALS}{deal.pk}/").json()["seller"]["name"] == deal.seller.name
    assert api.post(f"{DEALS}{deal.pk}/negotiate/").status_code == 403
    assert api.post(f"{DEALS}{deal.pk}/payments/", {}, content_type="application/json").status_code in (400, 403)


def test_terms_patch_and_fail_with_reason(login, deal, seller_admin):
    api = login(seller_admin)
    changed = api.patch(f"{DEALS}{deal.pk}/", {"amount": "910000"}, content_type="application/json").json()
    assert (changed["amount"], changed["title"]) == ("910000.00", "海水淡化膜技术转让")
    refused = api.post(f"{DEALS}{deal.pk}/fail/", {}, content_type="application/json")
    assert refused.status_code == 400
    failed = api.post(f"{DEALS}{deal.pk}/fail/", {"reason": "技术路线变更"}, content_type="application/json").json()
    assert (failed["stage"], failed["failure_reason"]) == ("failed", "技术路线变更")


def test_terms_patch_with_a_body_that_is_no_object_is_400(login, deal, seller_admin):
    # Found by the schemathesis fuzzing: a JSON number, list or string as the body was a 500.
    api = login(seller_admin)
    for body in ("0", "[]", '"x"'):
        response = api.patch(f"{DEALS}{deal.pk}/", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"
    deal.refresh_from_db()
    assert deal.title == "海水淡化膜技术转让"


def test_start_a_deal_from_a_match(login, seller_admin, buyer_admin, foreign_user):
    achievement = AchievementFactory(organization=organization_of(seller_admin))
    demand = DemandFactory(organization=organization_of(buyer_admin))
    match = Match.objects.create(demand=demand, achievement=achievement, score=0.7, computed_at=timezone.now())
    assert login(foreign_user).post(DEALS, {"match": match.pk}, content_type="application/json").status_code == 403
    created = login(seller_admin).post(DEALS, {"match": match.pk}, content_type="application/json")
    assert created.status_code == 201
    assert (created.json()["achievement"], created.json()["demand"], created.json()["origin"]) == (
        achievement.pk,
        demand.pk,
        "match",
    )


def test_registration_through_the_api_ignores_registrar_fields(login, deal, seller_admin, registrar):
    api = login(seller_admin)
    body = _registration_body(deal, technology_amount="1.00", status="registered", registration_number="X")
    assert api.put(f"{DEALS}{deal.pk}/registration/", body, content_type="application/json").status_code == 400
    services.deal_sign(deal=deal, user=seller_admin, signed_on=timezone.localdate() - timedelta(days=2))

    written = api.put(f"{DEALS}{deal.pk}/registration/", body, content_type="application/json")
    assert written.status_code == 200
    data = written.json()
    assert (data["status"], data["technology_amount"], data["registration_number"]) == ("draft", None, None)
    assert [party["role"] for party in data["parties"]] == ["buyer", "seller"]

    missing_pdf = api.post(f"{DEALS}{deal.pk}/registration/submit/")
    assert missing_pdf.status_code == 400
    assert "signed_contract" in missing_pdf.json()["error"]["fields"]
    uploaded = api.post(f"{DEALS}{deal.pk}/registration/contract/", {"file": pdf_upload("许可合同.pdf")})
    assert uploaded.status_code == 200
    assert uploaded.json()["signed_contract"].endswith("/")
    submitted = api.post(f"{DEALS}{deal.pk}/registration/submit/").json()
    assert submitted["status"] == "submitted"


def test_bad_party_credit_code_is_a_field_error(login, deal, seller_admin):
    services.deal_sign(deal=deal, user=seller_admin, signed_on=timezone.localdate())
    body = _registration_body(deal)
    body["parties"][1]["uscc"] = "123"
    response = login(seller_admin).put(f"{DEALS}{deal.pk}/registration/", body, content_type="application/json")
    assert response.status_code == 400
    assert "parties" in response.json()["error"]["fields"]
    assert not ContractRegistration.objects.exists()


def test_contracts_lists_registered_contracts_of_the_caller(
    login, deal, seller_admin, buyer_admin, foreign_user, registrar
):
    services.deal_sign(deal=deal, user=seller_admin, signed_on=timezone.localdate())
    initial = services.registration_initial(deal)
    registration = services.registration_save(
        deal=deal,
        user=seller_admin,
        parties=[
            services.party_initial(deal.seller, PartyRole.SELLER),
            services.party_initial(deal.buyer, PartyRole.BUYER),
        ],
        signed_contract=pdf_upload(),
        contract_number="C-9",
        industry_field=deal.achievement.industry_fields.first(),
        **{name: initial[name] for name in ("title", "category", "subtype", "total_amount", "signed_on")},
    )
    services.registration_submit(registration=registration, user=seller_admin)
    assert login(buyer_admin).get(CONTRACTS).json()["results"] == []  # not registered yet
    services.registration_accept(registration=registration, registrar=registrar)
    services.registration_register(registration=registration, registrar=registrar, technology_amount=Decimal(700000))

    rows = login(buyer_admin).get(CONTRACTS).json()["results"]
    assert [(row["registration_number"], row["technology_amount"]) for row in rows] == [
        (registration.registration_number, "700000.00")
    ]
    assert login(foreign_user).get(CONTRACTS).json()["results"] == []
    assert len(login(registrar).get(CONTRACTS).json()["results"]) == 1
    assert (
        login(buyer_admin).get(f"{DEALS}{deal.pk}/").json()["registration"]["status"] == RegistrationStatus.REGISTERED
    )
    assert login(buyer_admin).get(f"{DEALS}{deal.pk}/").json()["stage"] == DealStage.REGISTERED


def test_perform_and_complete_through_the_api(login, deal, seller_admin, buyer_admin):
    services.deal_sign(deal=deal, user=seller_admin, signed_on=timezone.localdate())
    api = login(buyer_admin)
    assert api.post(f"{DEALS}{deal.pk}/complete/").status_code == 400  # not performing yet
    assert api.post(f"{DEALS}{deal.pk}/perform/").json()["stage"] == "performing"
    assert api.post(f"{DEALS}{deal.pk}/complete/").json()["stage"] == "completed"


def test_contract_detail_is_404_to_other_organizations(login, seller_admin, foreign_user, registrar):
    deal = DealFactory(seller=organization_of(seller_admin), signed=True)
    registration = ContractRegistration.objects.create(
        deal=deal,
        organization=deal.seller,
        title="已登记合同",
        category="transfer",
        subtype="technical_secret",
        total_amount=Decimal(100000),
        technology_amount=Decimal(90000),
        status=RegistrationStatus.REGISTERED,
        registration_number="2026370200009999",
        registered_at=timezone.now(),
    )
    assert login(seller_admin).get(f"{CONTRACTS}{registration.pk}/").json()["title"] == "已登记合同"
    assert login(registrar).get(f"{CONTRACTS}{registration.pk}/").status_code == 200
    assert login(foreign_user).get(f"{CONTRACTS}{registration.pk}/").status_code == 404
