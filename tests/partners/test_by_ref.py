"""Partner writes by reference: upserts of achievements, demands and registered contracts on
behalf of market members identified by credit code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from achievements.enums import Status as AchievementStatus
from achievements.models import Achievement
from demands.enums import Status as DemandStatus
from demands.models import Demand
from marketplace.models import ContractRegistration, Tombstone, TransitionLog
from tests.factories.marketplace import OrganizationFactory, make_uscc

pytestmark = pytest.mark.django_db

ACHIEVEMENT = "/api/v1/achievements/by-ref/{}/"
DEMAND = "/api/v1/demands/by-ref/{}/"
CONTRACT = "/api/v1/contracts/by-ref/{}/"


@pytest.fixture
def university(db):
    return OrganizationFactory(name="山东海洋大学", kind="university", uscc=make_uscc(9001, prefix="12"))


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name="烟台海工装备有限公司", kind="enterprise", uscc=make_uscc(9002))


def achievement_body(university, **overrides):
    body = {
        "organization_uscc": university.uscc,
        "title": "深远海养殖平台抗风浪结构设计技术",
        "summary": "面向深远海养殖的半潜式平台结构设计方法，可抵御十二级台风。",
        "category": "industrial",
        "trl": 6,
        "industry_fields": ["advanced-polymers"],
        "transfer_modes": ["license_non_exclusive"],
        "asking_price": "1200000.00",
        "keywords": ["深远海", "养殖平台"],
    }
    body.update(overrides)
    return body


def demand_body(enterprise, **overrides):
    body = {
        "organization_uscc": enterprise.uscc,
        "title": "海工平台防腐涂层寿命提升",
        "summary": "寻求可在高盐雾环境下使用十年以上的防腐涂层技术。",
        "problem": "现有涂层在海上平台三年即出现大面积剥落。",
        "demand_type": "joint_development",
        "industry_fields": ["advanced-polymers"],
        "budget_negotiable": True,
        "deadline": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }
    body.update(overrides)
    return body


def test_put_creates_then_updates_one_record(api, partner, university, reviewer):
    response = api.put(ACHIEVEMENT.format("SD-2026-001"), achievement_body(university), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["external_ref"] == "SD-2026-001"
    assert body["title"] == "深远海养殖平台抗风浪结构设计技术"
    assert body["status"] == "submitted"  # the bureau reviews partner records by default
    assert body["organization"]["name"] == "山东海洋大学"
    achievement = Achievement.objects.get()
    assert achievement.partner == partner.partner_application.organization
    assert achievement.source == "partner"

    again = api.put(
        ACHIEVEMENT.format("SD-2026-001"), achievement_body(university, title="深远海养殖平台结构设计"), format="json"
    )
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Achievement.objects.get().title == "深远海养殖平台结构设计"
    assert api.get(ACHIEVEMENT.format("SD-2026-001")).json()["title"] == "深远海养殖平台结构设计"


def test_a_partner_that_publishes_directly_lists_at_once_and_withdraws(api, partner, university):
    partner.partner_application.publishes_directly = True
    partner.partner_application.save()
    response = api.put(ACHIEVEMENT.format("A-1"), achievement_body(university), format="json")
    assert response.json()["status"] == "published"
    achievement = Achievement.objects.get()
    assert achievement.published_at is not None
    steps = list(
        TransitionLog.objects.filter(object_id=achievement.pk, field="status")
        .order_by("id")
        .values_list("from_status", "to_status")
    )
    assert steps == [("", "draft"), ("draft", "submitted"), ("submitted", "published")]
    assert api.get("/api/v1/achievements/").json()["results"][0]["id"] == achievement.pk

    withdrawn = api.put(ACHIEVEMENT.format("A-1"), achievement_body(university, status="withdrawn"), format="json")
    assert withdrawn.json()["status"] == "withdrawn"
    assert Achievement.objects.get().status == AchievementStatus.WITHDRAWN


def test_same_reference_of_two_partners_is_two_records(api, make_partner, partner_api, university):
    other = partner_api(make_partner(name="上海技术交易所"))
    api.put(ACHIEVEMENT.format("REF-1"), achievement_body(university), format="json")
    response = other.put(ACHIEVEMENT.format("REF-1"), achievement_body(university, title="另一条成果"), format="json")
    assert response.status_code == 201
    assert sorted(Achievement.objects.values_list("title", flat=True)) == [
        "另一条成果",
        "深远海养殖平台抗风浪结构设计技术",
    ]
    # Neither partner reaches the other's record, by reference or by deleting it.
    assert other.get(ACHIEVEMENT.format("REF-2")).status_code == 404
    assert other.delete(ACHIEVEMENT.format("REF-1")).status_code == 204
    assert Achievement.objects.filter(title="深远海养殖平台抗风浪结构设计技术").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"organization_uscc": make_uscc(7777)}, "organization_uscc"),
        ({"trl": 12}, "trl"),
        ({"title": ""}, "title"),
        ({"industry_fields": ["no-such-field"]}, "industry_fields"),
        ({"status": "archived"}, "status"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(api, university, overrides, field):
    response = api.put(ACHIEVEMENT.format("BAD"), achievement_body(university, **overrides), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert not Achievement.objects.exists()


def test_unknown_credit_code_message_is_chinese(api, university, settings):
    response = api.put(
        ACHIEVEMENT.format("X"),
        achievement_body(university, organization_uscc=make_uscc(7777)),
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "信用代码" in response.json()["error"]["fields"]["organization_uscc"][0]


def test_unverified_member_is_refused(api):
    pending = OrganizationFactory(kind="university", pending=True)
    response = api.put(ACHIEVEMENT.format("P"), achievement_body(pending), format="json")
    assert response.status_code == 400
    assert "organization_uscc" in response.json()["error"]["fields"]


def test_owner_of_a_record_cannot_change(api, university, enterprise):
    api.put(ACHIEVEMENT.format("R"), achievement_body(university), format="json")
    response = api.put(ACHIEVEMENT.format("R"), achievement_body(enterprise), format="json")
    assert response.status_code == 400
    assert Achievement.objects.get().organization == university


def test_malformed_json_is_400_in_the_error_format(api):
    response = api.put(ACHIEVEMENT.format("J"), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_delete_of_a_record_never_listed_leaves_a_tombstone(api, university, partner):
    api.put(ACHIEVEMENT.format("D"), achievement_body(university, status="withdrawn"), format="json")
    achievement = Achievement.objects.get()
    assert achievement.status == "draft"
    assert api.delete(ACHIEVEMENT.format("D")).status_code == 204
    assert not Achievement.objects.exists()
    tombstone = Tombstone.objects.get()
    assert (tombstone.collection, tombstone.object_id, tombstone.external_ref) == ("achievements", achievement.pk, "D")
    assert tombstone.partner == partner.partner_application.organization
    assert api.delete(ACHIEVEMENT.format("D")).status_code == 404


def test_delete_of_a_published_record_withdraws_it(api, partner, university):
    partner.partner_application.publishes_directly = True
    partner.partner_application.save()
    api.put(ACHIEVEMENT.format("W"), achievement_body(university), format="json")
    assert api.delete(ACHIEVEMENT.format("W")).status_code == 204
    assert Achievement.objects.get().status == AchievementStatus.WITHDRAWN
    assert not Tombstone.objects.exists()


def test_demand_upsert_and_close(api, partner, enterprise):
    partner.partner_application.publishes_directly = True
    partner.partner_application.save()
    response = api.put(DEMAND.format("DM-1"), demand_body(enterprise), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["title"] == "海工平台防腐涂层寿命提升"
    demand = Demand.objects.get()
    assert demand.region == enterprise.region  # defaults to the enterprise's region
    closed = api.put(DEMAND.format("DM-1"), demand_body(enterprise, status="withdrawn"), format="json")
    assert closed.json()["status"] == "closed"
    assert Demand.objects.get().status == DemandStatus.CLOSED


def test_people_cannot_write_by_reference(client, login, org_admin, university):
    login(org_admin)
    response = client.put(ACHIEVEMENT.format("H"), achievement_body(university), content_type="application/json")
    assert response.status_code == 403
    assert not Achievement.objects.exists()


def contract_body(university, enterprise, **overrides):
    today = timezone.localdate()
    body = {
        "organization_uscc": university.uscc,
        "title": "抗风浪养殖平台技术许可合同",
        "contract_number": "SD-HT-0042",
        "category": "license",
        "subtype": "patent_license",
        "industry_field": "advanced-polymers",
        "signed_on": (today - timedelta(days=20)).isoformat(),
        "total_amount": "900000.00",
        "technology_amount": "850000.00",
        "registration_number": "2026370000000042",
        "parties": [
            {"role": "seller", "name": university.name, "uscc": university.uscc, "region": "370202",
             "legal_entity_kind": "public_institution"},
            {"role": "buyer", "name": enterprise.name, "uscc": enterprise.uscc, "region": "370202",
             "legal_entity_kind": "enterprise"},
        ],
    }  # fmt: skip
    body.update(overrides)
    return body


def test_registered_contract_upsert_links_parties(api, university, enterprise):
    response = api.put(CONTRACT.format("HT-1"), contract_body(university, enterprise), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "registered"
    assert body["registration_number"] == "2026370000000042"
    assert body["technology_amount"] == "850000.00"
    registration = ContractRegistration.objects.get()
    assert {party.organization for party in registration.parties.all()} == {university, enterprise}
    assert registration.registered_at is not None
    listed = api.get("/api/v1/contracts/").json()["results"]
    assert [row["id"] for row in listed] == [registration.pk]

    corrected = api.put(
        CONTRACT.format("HT-1"), contract_body(university, enterprise, technology_amount="800000.00"), format="json"
    )
    assert corrected.status_code == 200
    assert ContractRegistration.objects.get().technology_amount == 800000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"technology_amount": "990000.00"}, "technology_amount"),
        ({"subtype": "consulting"}, "subtype"),
        ({"signed_on": (timezone.localdate() + timedelta(days=3)).isoformat()}, "signed_on"),
        ({"parties": []}, "parties"),
    ],
)
def test_contract_bad_input(api, university, enterprise, overrides, field):
    response = api.put(CONTRACT.format("HT-X"), contract_body(university, enterprise, **overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not ContractRegistration.objects.exists()


def test_registration_number_of_another_contract_is_refused(api, university, enterprise):
    api.put(CONTRACT.format("HT-1"), contract_body(university, enterprise), format="json")
    response = api.put(CONTRACT.format("HT-2"), contract_body(university, enterprise), format="json")
    assert response.status_code == 400
    assert "registration_number" in response.json()["error"]["fields"]
