import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.enums import FilePurpose
from marketplace.models import IndustryField
from marketplace.services.files import private_file_store
from tests.factories.marketplace import OrganizationFactory, UserFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db


def test_home_page_shows_counts_and_recent_organizations(client, organization):
    OrganizationFactory(name="未认证企业", unverified=True)

    content = client.get(reverse("home")).content.decode()

    assert "让科技成果对接产业需求" in content
    assert "青岛测试大学" in content and "未认证企业" not in content
    assert 'lang="zh-hans"' in content


def test_pages_carry_a_csp_header_and_no_third_party_assets(client):
    response = client.get(reverse("home"))

    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    content = response.content.decode()
    assert "http://" not in content.replace("http://testserver", "") and "https://" not in content


def test_directory_lists_verified_organizations_with_filters(client):
    biotech = IndustryField.objects.get(code="biotechnology")
    university = OrganizationFactory(name="青岛某大学", kind="university")
    enterprise = OrganizationFactory(name="常州某企业", kind="enterprise", region_id="320412")
    enterprise.industry_fields.add(biotech)
    OrganizationFactory(name="待审核企业", pending=True)

    everything = client.get(reverse("organizations:list")).content.decode()
    assert "青岛某大学" in everything and "常州某企业" in everything and "待审核企业" not in everything
    assert "共 2 家机构" in everything

    by_kind = client.get(reverse("organizations:list"), {"kind": "university"}).content.decode()
    assert "青岛某大学" in by_kind and "常州某企业" not in by_kind

    by_region = client.get(reverse("organizations:list"), {"region": "320000"}).content.decode()
    assert "常州某企业" in by_region and "青岛某大学" not in by_region

    by_parent_field = client.get(reverse("organizations:list"), {"field": "biomedicine"}).content.decode()
    assert "常州某企业" in by_parent_field and "青岛某大学" not in by_parent_field

    by_name = client.get(reverse("organizations:list"), {"q": "常州"}).content.decode()
    assert "常州某企业" in by_name and "青岛某大学" not in by_name
    assert university.pk


def test_directory_ignores_malformed_filters(client, organization):
    response = client.get(reverse("organizations:list"), {"kind": "<script>", "region": "abc", "page": "999"})

    assert response.status_code == 200
    assert "青岛测试大学" in response.content.decode()


def test_directory_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    OrganizationFactory()
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("organizations:list"))
    OrganizationFactory.create_batch(2)
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("organizations:list"))


def test_organization_detail_public_when_verified(client, organization):
    content = client.get(reverse("organizations:detail", args=[organization.pk])).content.decode()

    assert "青岛测试大学" in content and "科技局已认证" in content and organization.uscc in content


def test_unverified_organization_is_404_to_outsiders_but_visible_to_members(
    client, login, organization, org_member, foreign_user, reviewer
):
    organization.verification_status = "pending"
    organization.save()
    url = reverse("organizations:detail", args=[organization.pk])

    assert client.get(url).status_code == 404
    assert login(foreign_user).get(url).status_code == 404
    assert login(org_member).get(url).status_code == 200
    assert login(reviewer).get(url).status_code == 200


def test_region_options_for_cascading_selects(client):
    content = client.get(reverse("region-options"), {"parent": "370200"}).content.decode()

    assert '<option value="370212">崂山区</option>' in content
    assert client.get(reverse("region-options"), {"parent": "x"}).content.decode().count("<option") == 1


def test_private_file_is_served_only_to_those_allowed(
    client, login, organization, org_admin, org_member, foreign_user, reviewer
):
    stored = private_file_store(
        uploaded=pdf_upload("执照.pdf"),
        uploaded_by=org_admin,
        organization=organization,
        parent=organization,
        purpose=FilePurpose.VERIFICATION_EVIDENCE,
    )
    url = reverse("private-file", args=[stored.pk])

    owner_response = login(org_member).get(url)
    assert owner_response.status_code == 200
    assert owner_response["Content-Type"] == "application/pdf"
    assert owner_response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in owner_response["Content-Disposition"]
    assert b"".join(owner_response.streaming_content).startswith(b"%PDF-")

    assert login(reviewer).get(url).status_code == 200
    assert login(foreign_user).get(url).status_code == 404
    assert client.get(url).status_code == 404
    assert login(UserFactory()).get(url).status_code == 404


def test_public_file_is_served_to_everyone(client, organization, org_admin):
    stored = private_file_store(uploaded=pdf_upload(), uploaded_by=org_admin, organization=organization)
    stored.is_public = True
    stored.save()

    response = client.get(reverse("private-file", args=[stored.pk]))

    assert response.status_code == 200


def test_healthz_reports_each_service(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["cache"] == "ok"
    assert body["broker"] in ("ok", "eager")


def test_not_found_page_is_chinese(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_favicon_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response.url.endswith("/img/favicon.svg")
