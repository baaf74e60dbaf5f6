import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.models import IndustryField, Organization
from tests.factories.marketplace import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_organizations_list_shows_verified_only(client, organization):
    OrganizationFactory(name="待审核的公司", pending=True)

    body = client.get("/api/v1/organizations/").json()

    assert [row["name"] for row in body["results"]] == ["青岛测试大学"]
    row = body["results"][0]
    assert row["uscc"] == organization.uscc
    assert (row["region"], row["region_name"], row["kind"]) == ("370202", "山东省青岛市市南区", "university")
    assert set(body) == {"next", "previous", "results"}


def test_organization_detail_of_an_unverified_organization_is_404_in_the_error_format(client):
    pending = OrganizationFactory(pending=True)

    response = client.get(f"/api/v1/organizations/{pending.pk}/")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "未找到。", "fields": {}}}


def test_organizations_filters(client):
    field = IndustryField.objects.get(code="hydrogen")
    hydrogen = OrganizationFactory(name="氢能公司", region_id="370321")
    hydrogen.industry_fields.add(field)
    OrganizationFactory(name="江门高校", kind="university", region_id="440703")

    def names(**params):
        return [row["name"] for row in client.get("/api/v1/organizations/", params).json()["results"]]

    assert names(region="370300") == ["氢能公司"]
    assert names(industry_field="new-energy") == ["氢能公司"]
    assert names(kind="university") == ["江门高校"]
    assert names(q="江门") == ["江门高校"]


def test_organizations_updated_since_returns_recent_changes_only(client):
    old = OrganizationFactory(name="旧机构")
    Organization.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timezone.timedelta(days=10))
    OrganizationFactory(name="新机构")
    since = (timezone.now() - timezone.timedelta(days=1)).isoformat()

    body = client.get("/api/v1/organizations/", {"updated_since": since}).json()

    assert [row["name"] for row in body["results"]] == ["新机构"]


def test_bad_filters_get_400_with_chinese_field_errors(client):
    region = client.get("/api/v1/organizations/", {"region": "37"})
    assert region.status_code == 400
    assert region.json()["error"]["fields"] == {"region": ["行政区划代码应为 6 位数字（GB/T 2260）。"]}

    since = client.get("/api/v1/organizations/", {"updated_since": "yesterday"})
    assert since.status_code == 400
    assert since.json()["error"]["code"] == "invalid" and "updated_since" in since.json()["error"]["fields"]


def test_organizations_cursor_pagination_is_stable(client):
    OrganizationFactory.create_batch(5)

    first = client.get("/api/v1/organizations/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    first_ids = [row["id"] for row in first["results"]]
    second_ids = [row["id"] for row in second["results"]]
    assert len(first_ids) == 2 and len(second_ids) == 2 and not set(first_ids) & set(second_ids)


def test_organizations_list_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    OrganizationFactory().industry_fields.add(IndustryField.objects.first())
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/organizations/")
    for organization in OrganizationFactory.create_batch(2):
        organization.industry_fields.add(*IndustryField.objects.all()[:3])
    with django_assert_num_queries(len(one.captured_queries)):
        client.get("/api/v1/organizations/")


def test_regions_walk_the_tree(client):
    body = client.get("/api/v1/regions/", {"parent": "370200", "page_size": 50}).json()

    names = {row["name"] for row in body["results"]}
    assert {"市南区", "崂山区", "黄岛区"} <= names and len(names) == 10
    detail = client.get("/api/v1/regions/440703/").json()
    assert detail == {**detail, "full_name": "广东省江门市蓬江区", "level": 3, "parent": "440700"}


def test_industry_fields_list_and_filter(client):
    body = client.get("/api/v1/industry-fields/", {"parent": "new-energy", "page_size": 50}).json()

    assert {row["name"] for row in body["results"]} == {"新能源电池", "氢能", "光伏", "风电", "新能源汽车"}
    assert all(row["parent"] == "new-energy" for row in body["results"])
    one = body["results"][0]
    assert client.get(f"/api/v1/industry-fields/{one['id']}/").json()["code"] == one["code"]


def test_api_writes_are_refused_without_login(client):
    response = client.post("/api/v1/organizations/", {"name": "x"}, content_type="application/json")

    assert response.status_code in (403, 405)
    assert "error" in response.json()


def test_openapi_schema_documents_every_endpoint_and_the_error_format(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    assert {
        "/api/v1/organizations/",
        "/api/v1/organizations/{id}/",
        "/api/v1/regions/",
        "/api/v1/industry-fields/",
    } <= set(schema["paths"])
    detail = schema["paths"]["/api/v1/organizations/{id}/"]["get"]["responses"]
    assert detail["404"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Error"
    listing = schema["paths"]["/api/v1/organizations/"]["get"]
    assert "400" in listing["responses"]
    assert {"updated_since", "cursor", "region", "industry_field"} <= {p["name"] for p in listing["parameters"]}


def test_an_invalid_cursor_is_a_400_in_the_error_format(client):
    # DRF answers a cursor it cannot decode with 404; the schema documents 400 for it.
    response = client.get("/api/v1/organizations/", {"cursor": "not-a-cursor"})

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": "部分字段填写有误。", "fields": {"cursor": ["无效游标"]}}
    }


def test_openapi_schema_documents_what_the_fuzzing_found(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    # A top-level industry field has no parent: null.
    assert schema["components"]["schemas"]["IndustryField"]["properties"]["parent"]["nullable"] is True
    assert client.get("/api/v1/industry-fields/", {"top_level": "true"}).json()["results"][0]["parent"] is None
    # Ids in paths are positive (nested routes match digits only).
    messages = paths["/api/v1/inquiries/{inquiry_pk}/messages/"]["get"]
    inquiry_pk = next(p for p in messages["parameters"] if p["name"] == "inquiry_pk")
    assert inquiry_pk["schema"] == {"type": "integer", "minimum": 1}
    # A nested list's parent may be missing (404); a DELETE the lifecycle refuses is a 400.
    assert "404" in paths["/api/v1/demands/{demand_pk}/responses/"]["get"]["responses"]
    assert "404" not in paths["/api/v1/demands/"]["get"]["responses"]
    assert "400" in paths["/api/v1/achievements/{id}/"]["delete"]["responses"]
    # Throttled views say so.
    assert "429" in paths["/api/v1/match/achievements/"]["get"]["responses"]


def test_swagger_ui_is_self_hosted(client):
    response = client.get("/api/docs/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in content
    assert "cdn" not in content.lower()
