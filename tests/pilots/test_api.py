"""/api/v1/pilot-bases/ (the directory) and /api/v1/service-requests/ (for their parties)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from marketplace.enums import MembershipRole
from marketplace.models import Region
from marketplace.services.partners import partner_application_create, partner_organization
from pilots import services
from pilots.enums import BaseKind, BaseLevel, FilingStatus, RequestStatus
from pilots.models import ServiceRequest
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory
from tests.factories.pilots import (
    BookingFactory,
    EquipmentFactory,
    PilotBaseFactory,
    PilotServiceFactory,
    ServiceRequestFactory,
)

pytestmark = pytest.mark.django_db

BASES = "/api/v1/pilot-bases/"
REQUESTS = "/api/v1/service-requests/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def zh(msgid: str, **params) -> str:
    with translation.override("zh-hans"):
        message = translation.gettext(msgid)
    return message % params if params else message


def partner_client(scopes: str, name: str = "山东科技大市场") -> APIClient:
    credentials = partner_application_create(
        organization=partner_organization(name=name), name=f"{name}同步", scopes=scopes
    )
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    token = APIClient().post(
        "/o/token/", {"grant_type": "client_credentials"}, format=None, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert token.status_code == 200, token.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    return client


def later(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def slot(days: int, hours: int = 8) -> tuple[str, str]:
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return start.isoformat(), (start + timedelta(hours=hours)).isoformat()


@pytest.fixture
def private_equipment(base):
    return EquipmentFactory(base=base, name="内部检测仪", is_shared=False)


@pytest.fixture
def poc_centre(db):
    dalian = Region.objects.filter(code__startswith="2102").exclude(code="210200").order_by("code").first()
    return PilotBaseFactory(
        name="海洋装备概念验证中心",
        kind=BaseKind.POC_CENTRE,
        level=BaseLevel.PROVINCIAL,
        region=dalian,
        processes="水下机器人样机验证、耐压舱测试",
        introduction="面向海洋装备成果的概念验证平台。",
        trl_min=2,
        trl_max=4,
        fields=["marine-equipment"],
    )


def body(response) -> dict:
    return response.json()


# The directory -------------------------------------------------------------------------------


def test_directory_lists_filed_bases_with_equipment_and_services(base, reactor, scale_up, private_equipment):
    PilotBaseFactory(status=FilingStatus.DRAFT, approved_at=None, filing_number="")
    PilotBaseFactory(status=FilingStatus.REVOKED)

    rows = api().get(BASES).json()["results"]

    assert [row["id"] for row in rows] == [base.pk]
    row = rows[0]
    assert row["name"] == "长兴岛精细化工中试基地"
    assert row["kind"] == "pilot_base" and row["level"] == "municipal" and row["status"] == "approved"
    assert row["filing_number"] == base.filing_number and row["filing_number"].startswith("ZS-2026-")
    assert row["operator"] == {"id": base.operator_id, "name": "大连长兴岛中试服务有限公司"}
    assert row["region"]["code"] == "370202"
    assert row["industry_fields"] == ["fine-chemicals"]
    assert (row["trl_min"], row["trl_max"]) == (4, 6)
    assert row["processes"].startswith("精细化工连续流合成")
    # Outsiders see the shared equipment only; money as decimal strings.
    assert row["equipment"] == [
        {
            "id": reactor.pk,
            "name": "连续流反应器",
            "model_number": "CFR-200",
            "parameters": "通量 200 L/h，耐压 10 MPa",
            "is_shared": True,
            "fee": "800.00",
            "fee_unit": "hour",
        }
    ]
    assert row["services"] == [
        {
            "id": scale_up.pk,
            "name": "中试放大服务",
            "description": "从克级到百公斤级的工艺放大与优化",
            "price": "50000.00",
            "price_unit": "batch",
        }
    ]


def test_contact_details_are_for_logged_in_callers(base, requester):
    anonymous = api().get(f"{BASES}{base.pk}/").json()
    member = api(requester).get(f"{BASES}{base.pk}/").json()

    assert anonymous["contact_name"] == "李工"
    assert anonymous["contact_phone"] is None and anonymous["contact_email"] is None
    assert member["contact_phone"] == "0532-88886666" and member["contact_email"] == "pilot@example.cn"


def test_contact_details_are_masked_for_people_outside_a_verified_organization(base):
    unverified = MembershipFactory(organization=OrganizationFactory(unverified=True)).user

    body = api(unverified).get(f"{BASES}{base.pk}/").json()

    assert body["contact_phone"] == "053****6666" and body["contact_email"] == "p***@example.cn"


def test_operator_members_see_their_unfiled_base_and_all_equipment(operator, operator_admin, stranger, reviewer):
    draft = PilotBaseFactory(operator=operator, status=FilingStatus.DRAFT, approved_at=None, filing_number="")
    EquipmentFactory(base=draft, name="内部检测仪", is_shared=False)
    detail = f"{BASES}{draft.pk}/"

    own = api(operator_admin).get(detail)
    missing = api(stranger).get(detail)

    assert own.status_code == 200 and own.json()["status"] == "draft"
    assert [e["name"] for e in own.json()["equipment"]] == ["内部检测仪"]
    assert [row["id"] for row in api(operator_admin).get(BASES).json()["results"]] == [draft.pk]
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert api().get(detail).status_code == 404
    assert api(reviewer).get(detail).status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "poc_centre"}, {"海洋装备概念验证中心"}),
        ({"level": "municipal"}, {"长兴岛精细化工中试基地"}),
        ({"field": "marine"}, {"海洋装备概念验证中心"}),  # a parent field includes its sub-fields
        ({"field": "fine-chemicals"}, {"长兴岛精细化工中试基地"}),
        ({"trl": "6"}, {"长兴岛精细化工中试基地"}),
        ({"trl": "4"}, {"长兴岛精细化工中试基地", "海洋装备概念验证中心"}),
        ({"region": "370200"}, {"长兴岛精细化工中试基地"}),
        ({"q": "耐压舱"}, {"海洋装备概念验证中心"}),
        ({"q": "连续流反应器"}, {"长兴岛精细化工中试基地"}),  # equipment is searched too
        ({}, {"长兴岛精细化工中试基地", "海洋装备概念验证中心"}),
    ],
)
def test_directory_filters(base, reactor, poc_centre, query, expected):
    from marketplace import search

    search.update(base)  # the reactor was added after the base was indexed

    names = {row["name"] for row in api().get(BASES, query).json()["results"]}

    assert names == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"trl": "12"}, "trl"),
        ({"field": "no-such-field"}, "field"),
        ({"region": "37"}, "region"),
        ({"kind": "x"}, "kind"),
    ],
)
def test_bad_filters_are_400_with_field_errors(base, query, field):
    response = api().get(BASES, query)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_revoked_base_comes_back_to_a_sync_as_a_tombstone(base, operator_admin, reviewer):
    start = timezone.now() - timedelta(seconds=1)
    kept = PilotBaseFactory()
    services.base_revoke(base=base, reviewer=reviewer, reason="年度复评不合格")

    rows = api().get(BASES, {"updated_since": start.isoformat()}).json()["results"]
    own = api(operator_admin).get(BASES, {"updated_since": start.isoformat()}).json()["results"]

    by_id = {row["id"]: row for row in rows}
    assert "deleted" not in by_id[kept.pk]
    assert {key: by_id[base.pk][key] for key in ("id", "deleted")} == {"id": base.pk, "deleted": True}
    # Its operator still sees it, revoked.
    assert {row["id"]: row.get("status") for row in own} == {base.pk: "revoked", kept.pk: "approved"}
    assert api().get(BASES, {"updated_since": timezone.now().isoformat()}).json()["results"] == []


def test_directory_query_count_does_not_grow_with_rows(operator, requester, django_assert_num_queries):
    def add():
        added = PilotBaseFactory(operator=operator, fields=["fine-chemicals", "marine-equipment"])
        EquipmentFactory(base=added)
        EquipmentFactory(base=added, is_shared=False)
        PilotServiceFactory(base=added)

    add()
    with CaptureQueriesContext(connection) as one:
        assert len(api(requester).get(BASES).json()["results"]) == 1
    add()
    add()

    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api(requester).get(BASES).json()["results"]) == 3


# Partner tokens ------------------------------------------------------------------------------


def test_partners_read_bases_with_the_pilots_scope_only(base):
    allowed = partner_client("pilots:read").get(BASES)
    refused = partner_client("achievements:read demands:read", name="缺少权限的平台").get(BASES)
    write = partner_client("pilots:read", name="可写平台").post(BASES, {"name": "x"}, format="json")

    assert allowed.status_code == 200
    assert [row["id"] for row in allowed.json()["results"]] == [base.pk]
    assert allowed.json()["results"][0]["contact_phone"] is None  # not a person
    assert refused.status_code == 403 and "pilots:read" in refused.json()["error"]["message"]
    assert write.status_code == 403


def test_service_requests_are_closed_to_partner_tokens(base):
    response = partner_client("pilots:read achievements:read demands:read").get(REQUESTS)

    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


# Service requests ----------------------------------------------------------------------------


def submit_payload(base, service=None, **overrides) -> dict:
    payload = {
        "base": base.pk,
        "title": "锂电池电解液添加剂中试放大",
        "process": "将实验室克级合成工艺放大到 50 公斤级，验证收率与纯度。",
        "quantity": "3 批次",
        "start_on": later(14),
        "end_on": later(44),
    }
    if service is not None:
        payload["service"] = service.pk
    return {**payload, **overrides}


def test_request_quote_accept_book_start_complete(base, reactor, scale_up, requester, operator_admin, enterprise):
    achievement = AchievementFactory(organization=enterprise)
    created = api(requester).post(REQUESTS, submit_payload(base, scale_up, achievement=achievement.pk), format="json")
    assert created.status_code == 201, created.content
    row = created.json()
    assert row["status"] == "submitted" and row["organization"] == {"id": enterprise.pk, "name": enterprise.name}
    assert row["base"] == {"id": base.pk, "name": base.name} and row["service"]["id"] == scale_up.pk
    assert row["achievement"] == achievement.pk and row["quoted_amount"] is None and row["bookings"] == []
    detail = f"{REQUESTS}{row['id']}/"
    operator = api(operator_admin)

    quoted = operator.post(f"{detail}quote/", {"quoted_amount": "48000.50", "quote_note": "含检测费"}, format="json")
    assert quoted.status_code == 200, quoted.content
    assert quoted.json()["status"] == "quoted" and quoted.json()["quoted_amount"] == "48000.50"
    assert quoted.json()["quote_note"] == "含检测费"

    accepted = api(requester).post(f"{detail}accept/", {}, format="json")
    assert accepted.json()["status"] == "accepted" and accepted.json()["quoted_amount"] == "48000.50"

    starts_at, ends_at = slot(20)
    booked = operator.post(
        f"{detail}book/", {"equipment": reactor.pk, "starts_at": starts_at, "ends_at": ends_at}, format="json"
    )
    assert booked.status_code == 200, booked.content
    assert booked.json()["status"] == "scheduled"
    [booking] = booked.json()["bookings"]
    assert booking["equipment"] == {"id": reactor.pk, "name": "连续流反应器"}

    assert operator.post(f"{detail}start/").json()["status"] == "in_progress"
    report = "收率 92%，纯度 99.5%，三批次工艺稳定，可进入量产设计。"
    completed = operator.post(f"{detail}complete/", {"outcome_report": report}, format="json")
    assert completed.status_code == 200
    assert completed.json()["status"] == "completed" and completed.json()["outcome_report"] == report
    assert completed.json()["completed_at"] is not None
    # Both parties read it.
    assert api(requester).get(detail).json()["status"] == "completed"
    assert [r["id"] for r in api(operator_admin).get(REQUESTS).json()["results"]] == [row["id"]]


def test_the_operator_accepts_at_the_list_price_and_the_requester_may_not_quote(
    base, scale_up, requester, operator_admin
):
    request = services.request_submit(
        user=requester,
        organization=requester.memberships.get().organization,
        base=base,
        service=scale_up,
        title="中试放大",
        process="放大工艺",
        quantity="1 批次",
        start_on=timezone.localdate() + timedelta(days=7),
        end_on=timezone.localdate() + timedelta(days=30),
    )
    detail = f"{REQUESTS}{request.pk}/"

    refused = api(requester).post(f"{detail}quote/", {"quoted_amount": "1.00"}, format="json")
    accepted = api(operator_admin).post(f"{detail}accept/", {}, format="json")
    withdrawn = api(operator_admin).post(f"{detail}withdraw/", {"reason": "不做了"}, format="json")
    booked = api(requester).post(f"{detail}book/", {"equipment": 1}, format="json")
    no_reason = api(requester).post(f"{detail}withdraw/", {}, format="json")
    by_requester = api(requester).post(f"{detail}withdraw/", {"reason": "预算调整"}, format="json")

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert accepted.json()["status"] == "accepted" and accepted.json()["quoted_amount"] == "50000.00"
    assert withdrawn.status_code == 403
    assert booked.status_code == 403 and booked.json()["error"]["code"] == "permission_denied"
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    assert by_requester.json()["status"] == "withdrawn" and by_requester.json()["status_note"] == "预算调整"


def test_the_operator_declines_with_a_reason_and_staff_only_read(base, requester, operator_admin, reviewer):
    request = ServiceRequestFactory(base=base, organization=requester.memberships.get().organization)

    assert [row["id"] for row in api(reviewer).get(REQUESTS).json()["results"]] == [request.pk]
    assert api(reviewer).post(f"{REQUESTS}{request.pk}/decline/", {"reason": "x"}, format="json").status_code == 403
    declined = api(operator_admin).post(f"{REQUESTS}{request.pk}/decline/", {"reason": "排期已满"}, format="json")

    assert declined.json()["status"] == "declined" and declined.json()["status_note"] == "排期已满"


def test_a_period_ending_before_it_starts_is_a_400_in_chinese(base, requester):
    response = api(requester).post(REQUESTS, submit_payload(base, start_on=later(20), end_on=later(10)), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"end_on": [zh("The period cannot end before it starts.")]}
    assert not ServiceRequest.objects.exists()


def test_a_request_to_an_unfiled_base_is_a_400(base, requester, reviewer):
    services.base_revoke(base=base, reviewer=reviewer, reason="复评不合格")
    draft = PilotBaseFactory(status=FilingStatus.DRAFT, approved_at=None, filing_number="")

    revoked = api(requester).post(REQUESTS, submit_payload(base), format="json")
    never_filed = api(requester).post(REQUESTS, submit_payload(draft), format="json")

    assert revoked.status_code == 400
    assert revoked.json()["error"]["fields"] == {
        "base": [zh("This base is not filed with the bureau: it takes no requests.")]
    }
    assert never_filed.status_code == 400 and list(never_filed.json()["error"]["fields"]) == ["base"]
    assert not ServiceRequest.objects.exists()


def test_requests_name_one_of_the_callers_organizations(base, requester, enterprise, stranger):
    MembershipFactory(user=requester, role=MembershipRole.MEMBER)

    undecided = api(requester).post(REQUESTS, submit_payload(base), format="json")
    foreign = api(requester).post(
        REQUESTS, submit_payload(base, organization=stranger.memberships.get().organization_id), format="json"
    )
    chosen = api(requester).post(REQUESTS, submit_payload(base, organization=enterprise.pk), format="json")

    assert undecided.status_code == 400 and "organization" in undecided.json()["error"]["fields"]
    assert foreign.json()["error"]["fields"] == {"organization": [zh("Choose one of your own organizations.")]}
    assert chosen.status_code == 201 and chosen.json()["organization"]["id"] == enterprise.pk


def test_server_owned_fields_are_ignored_on_create(base, requester):
    response = api(requester).post(
        REQUESTS, submit_payload(base, status="completed", quoted_amount="1.00", outcome_report="x"), format="json"
    )

    assert response.status_code == 201
    assert response.json()["status"] == "submitted" and response.json()["quoted_amount"] is None


def test_an_overlapping_booking_is_a_400_in_chinese(base, reactor, requester, operator_admin):
    request = ServiceRequestFactory(
        base=base, organization=requester.memberships.get().organization, status=RequestStatus.ACCEPTED
    )
    held = BookingFactory(equipment=reactor)
    starts_at = (held.starts_at + timedelta(hours=2)).isoformat()
    ends_at = (held.ends_at + timedelta(hours=2)).isoformat()

    response = api(operator_admin).post(
        f"{REQUESTS}{request.pk}/book/",
        {"equipment": reactor.pk, "starts_at": starts_at, "ends_at": ends_at},
        format="json",
    )

    assert response.status_code == 400
    [message] = response.json()["error"]["fields"]["starts_at"]
    local = timezone.localtime
    assert message == zh(
        "%(equipment)s is booked from %(start)s to %(end)s: choose another time.",
        equipment=str(reactor),
        start=f"{local(held.starts_at):%Y-%m-%d %H:%M}",
        end=f"{local(held.ends_at):%Y-%m-%d %H:%M}",
    )
    assert request.bookings.count() == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.ACCEPTED


@pytest.mark.parametrize(
    ("method", "suffix", "data"),
    [
        ("get", "", None),
        ("post", "quote/", {"quoted_amount": "1.00"}),
        ("post", "accept/", {}),
        ("post", "decline/", {"reason": "x"}),
        ("post", "withdraw/", {"reason": "x"}),
        (
            "post",
            "book/",
            {"equipment": 1, "starts_at": "2030-01-01T08:00:00+08:00", "ends_at": "2030-01-01T09:00:00+08:00"},
        ),
        ("post", "start/", {}),
        ("post", "complete/", {"outcome_report": "完成" * 20}),
    ],
)
def test_a_stranger_gets_404_on_every_service_request_endpoint(base, requester, stranger, method, suffix, data):
    request = ServiceRequestFactory(base=base, organization=requester.memberships.get().organization)

    response = getattr(api(stranger), method)(f"{REQUESTS}{request.pk}/{suffix}", data, format="json")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api(stranger).get(REQUESTS).json()["results"] == []
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED


def test_service_request_list_query_count_does_not_grow_with_rows(
    base, reactor, requester, operator_admin, django_assert_num_queries
):
    organization = requester.memberships.get().organization

    def add():
        request = ServiceRequestFactory(base=base, organization=organization, service=PilotServiceFactory(base=base))
        BookingFactory(equipment=EquipmentFactory(base=base), request=request)
        BookingFactory(equipment=EquipmentFactory(base=base), request=request)

    add()
    with CaptureQueriesContext(connection) as one:
        assert len(api(operator_admin).get(REQUESTS).json()["results"]) == 1
    add()
    add()

    with django_assert_num_queries(len(one.captured_queries)):
        assert len(api(operator_admin).get(REQUESTS).json()["results"]) == 3


def test_the_schema_documents_the_pilot_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    assert {
        "/api/v1/pilot-bases/",
        "/api/v1/pilot-bases/{id}/",
        "/api/v1/service-requests/",
        "/api/v1/service-requests/{id}/",
        *(f"/api/v1/service-requests/{{id}}/{verb}/" for verb in
          ("quote", "accept", "decline", "withdraw", "book", "start", "complete")),
    } <= set(paths)  # fmt: skip
    create = paths["/api/v1/service-requests/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"] == (
        "#/components/schemas/ServiceRequestCreateRequest"
    )
    assert {"201", "400", "403"} <= set(create["responses"])
    assert {"kind", "level", "field", "region", "trl", "q", "updated_since"} <= {
        p["name"] for p in paths["/api/v1/pilot-bases/"]["get"]["parameters"]
    }
    assert "status" not in schema["components"]["schemas"]["ServiceRequestCreateRequest"]["properties"]
