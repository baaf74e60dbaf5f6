from datetime import timedelta
from io import BytesIO

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from demands.enums import ResponseStatus, Status
from demands.models import Demand, DemandResponse
from demands.services import response_create, response_decline, response_shortlist
from marketplace.models import IndustryField
from tests.factories.demands import DemandFactory, DemandResponseFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

BOARD = reverse("demands:list")
SECRET_PROBLEM = "焊缝缺陷检出率不足 90%"


@pytest.fixture
def enterprise():
    return OrganizationFactory(
        name="隐名重工股份有限公司", short_name="隐名重工", kind="enterprise", region_id="370212"
    )


@pytest.fixture
def boss(enterprise):
    return MembershipFactory(organization=enterprise, role="admin", user__username="boss").user


def _identity(enterprise):
    return [enterprise.name, enterprise.short_name, enterprise.uscc, "崂山区"]


def test_board_shows_published_demands_only(client, enterprise):
    DemandFactory(organization=enterprise, title="公开的需求")
    DemandFactory(organization=enterprise, title="洽谈中的需求", negotiating=True)
    DemandFactory(organization=enterprise, title="草稿需求", draft=True)
    DemandFactory(organization=enterprise, title="过期需求", expired=True)

    content = client.get(BOARD).content.decode()

    assert "公开的需求" in content and "洽谈中的需求" in content
    assert "草稿需求" not in content and "过期需求" not in content


def test_anonymous_demand_hides_the_enterprise_on_every_page(
    client, login, enterprise, boss, organization, org_member, reviewer
):
    demand = DemandFactory(organization=enterprise, anonymous=True, title="深海焊缝检测", problem=SECRET_PROBLEM)
    response = response_create(demand=demand, user=org_member, approach="相控阵超声")
    broker = UserFactory()
    demand.assigned_brokers.add(broker)

    outsider_pages = [
        client.get(BOARD),
        client.get(demand.get_absolute_url()),
        client.get(BOARD, {"q": "深海"}),
        login(org_member).get(demand.get_absolute_url()),
        login(org_member).get(response.get_absolute_url()),
        login(org_member).get(reverse("demands:responses")),
    ]
    for page in outsider_pages:
        content = page.content.decode()
        assert page.status_code == 200
        assert "深海焊缝检测" in content
        for identity in _identity(enterprise):
            assert identity not in content, identity
        assert "匿名企业" in content
    for insider in (login(boss), login(reviewer), login(broker)):
        assert enterprise.name in insider.get(demand.get_absolute_url()).content.decode()


def test_confidential_demand_hides_its_details_from_outsiders(
    client, login, enterprise, organization, org_member, foreign_user
):
    demand = DemandFactory(organization=enterprise, confidential=True, invited=[organization], problem=SECRET_PROBLEM)

    for viewer in (client, login(foreign_user)):
        content = viewer.get(demand.get_absolute_url()).content.decode()
        assert demand.summary in content and SECRET_PROBLEM not in content and "50–200 万元" not in content
        assert "该需求为保密需求" in content
    invited = login(org_member).get(demand.get_absolute_url()).content.decode()
    assert SECRET_PROBLEM in invited and "50–200 万元" in invited


def test_search_never_matches_hidden_text(client, enterprise):
    DemandFactory(organization=enterprise, anonymous=True, title="匿名的需求")
    DemandFactory(organization=enterprise, confidential=True, title="保密的需求", problem=SECRET_PROBLEM)

    by_name = client.get(BOARD, {"q": "隐名重工"}).content.decode()
    by_secret = client.get(BOARD, {"q": "焊缝缺陷"}).content.decode()
    by_organization = client.get(BOARD, {"organization": enterprise.pk}).content.decode()

    assert "匿名的需求" not in by_name and "保密的需求" not in by_secret
    assert "匿名的需求" not in by_organization and "保密的需求" in by_organization


def test_board_export_masks_like_the_page(client, enterprise):
    DemandFactory(organization=enterprise, anonymous=True, title="匿名的需求")
    DemandFactory(organization=enterprise, confidential=True, title="保密的需求", problem=SECRET_PROBLEM)
    DemandFactory(organization=OrganizationFactory(name="公开企业"), title="公开的需求")

    response = client.get(reverse("demands:export"))

    rows = {row[0]: row for row in load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True)}
    assert rows["名称"][:2] == ("名称", "企业")
    assert rows["公开的需求"][1] == "公开企业"
    anonymous = repr(rows["匿名的需求"])
    assert rows["匿名的需求"][1] == "匿名企业"
    for identity in _identity(enterprise):
        assert identity not in anonymous
    confidential = rows["保密的需求"]
    assert confidential[6] == "—" and SECRET_PROBLEM not in repr(confidential)


def test_emails_about_an_anonymous_demand_never_name_the_enterprise(
    login, enterprise, boss, organization, org_member, django_capture_on_commit_callbacks
):
    demand = DemandFactory(organization=enterprise, anonymous=True, title="匿名需求")
    with django_capture_on_commit_callbacks(execute=True):
        response = response_create(demand=demand, user=org_member, approach="方案")
        response_shortlist(response=response, user=boss)
        login(boss).post(response.get_absolute_url(), {"body": "请补充样品数据"})
        response_decline(response=response, user=boss, reason="not_convincing", note="数据不足")

    to_responder = [message for message in mail.outbox if message.to == [org_member.email]]
    assert len(to_responder) == 3
    for message in to_responder:
        for identity in _identity(enterprise)[:3]:
            assert identity not in message.subject + message.body


def test_board_filters(client):
    battery = OrganizationFactory(kind="enterprise", region_id="370212")
    textile = OrganizationFactory(kind="enterprise", region_id="320412")
    DemandFactory(
        organization=battery,
        title="电池需求",
        fields=["new-energy-batteries"],
        demand_type="joint_development",
        min_trl=6,
        budget_min=1_000_000,
        budget_max=3_000_000,
        modes=["equity"],
    )
    DemandFactory(
        organization=textile,
        title="纺织需求",
        fields=["functional-textiles"],
        min_trl=2,
        budget_min=100_000,
        budget_max=200_000,
    )

    def titles(**params):
        return [view.demand.title for view in client.get(BOARD, params).context["items"]]

    assert titles(field="new-energy") == ["电池需求"]
    assert titles(demand_type="joint_development") == ["电池需求"]
    assert titles(mode="equity") == ["电池需求"]
    assert titles(budget_min=250) == ["电池需求"]
    assert titles(budget_max=50) == ["纺织需求"]
    assert titles(max_trl=3) == ["纺织需求"]
    assert titles(region="320000") == ["纺织需求"]
    assert titles(sort="budget_high") == ["电池需求", "纺织需求"]
    assert titles(q="纺织") == ["纺织需求"]
    assert titles(budget_min="abc", sort="nope") == ["纺织需求", "电池需求"]


def test_board_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    DemandFactory()
    with CaptureQueriesContext(connection) as one:
        client.get(BOARD)
    DemandFactory(anonymous=True, brokers=[UserFactory()])
    DemandFactory(confidential=True, invited=[OrganizationFactory()], fields=["hydrogen", "robotics"])
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(BOARD)


def test_drafts_are_404_to_outsiders(client, login, enterprise, boss, foreign_user):
    draft = DemandFactory(organization=enterprise, draft=True)

    assert client.get(draft.get_absolute_url()).status_code == 404
    assert login(foreign_user).get(draft.get_absolute_url()).status_code == 404
    assert login(boss).get(draft.get_absolute_url()).status_code == 200
    for name in ("workspace-detail", "edit"):
        assert login(foreign_user).get(reverse(f"demands:{name}", args=[draft.pk])).status_code == 404
    for name in ("submit", "confirm", "solve", "close", "reopen", "delete", "attach", "confirm-recorded"):
        assert login(foreign_user).post(reverse(f"demands:{name}", args=[draft.pk])).status_code == 404, name


def _form_data(**overrides):
    data = {
        "title": "高盐废水零排放",
        "summary": "寻求低能耗蒸发结晶方案。",
        "demand_type": "problem_solving",
        "industry_fields": [IndustryField.objects.get(code="water-treatment").pk],
        "keywords": "零排放",
        "problem": "吨水能耗过高。",
        "budget_min_wan": "10",
        "budget_max_wan": "50",
        "deadline": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "cooperation_modes": ["commissioned_development"],
        "visibility": "public",
    }
    data.update(overrides)
    return data


def test_post_a_demand_in_the_workspace(login, enterprise, boss):
    client = login(boss)
    assert "发布需求" in client.get(reverse("demands:create")).content.decode()

    response = client.post(reverse("demands:create"), _form_data(), follow=True)

    demand = Demand.objects.get()
    assert response.redirect_chain[-1][0] == reverse("demands:workspace-detail", args=[demand.pk])
    assert (demand.budget_min, demand.budget_max, demand.region) == (100_000, 500_000, enterprise.region)


def test_post_with_bad_input_shows_chinese_errors(login, boss):
    response = login(boss).post(
        reverse("demands:create"),
        _form_data(deadline="2020-01-01", budget_min_wan="60", budget_max_wan="50"),
    )

    content = response.content.decode()
    assert "截止日期早于今天。" in content and "预算下限高于上限。" in content
    assert not Demand.objects.exists()


def test_live_validation_returns_only_the_field(login, boss):
    response = login(boss).post(
        reverse("demands:create"),
        {**_form_data(budget_min_wan="60"), "_validate": "budget_max_wan"},
        HTTP_HX_REQUEST="true",
    )

    content = response.content.decode()
    assert 'id="group-budget_max_wan"' in content and "预算下限高于上限。" in content
    assert "<html" not in content and not Demand.objects.exists()


def test_workspace_lifecycle_pages(login, enterprise, boss, reviewer):
    demand = DemandFactory(organization=enterprise, draft=True)
    client = login(boss)

    client.post(reverse("demands:edit", args=[demand.pk]), _form_data(title="改后的需求"))
    client.post(reverse("demands:submit", args=[demand.pk]))
    demand.refresh_from_db()
    assert (demand.title, demand.status) == ("改后的需求", Status.SUBMITTED)

    published = DemandFactory(organization=enterprise)
    client.post(reverse("demands:confirm", args=[published.pk]))
    client.post(reverse("demands:solve", args=[published.pk]), {"note": "已解决"})
    published.refresh_from_db()
    assert published.status == Status.SOLVED

    other = DemandFactory(organization=enterprise, negotiating=True)
    client.post(reverse("demands:reopen", args=[other.pk]))
    client.post(reverse("demands:close", args=[other.pk]), {"note": "取消项目"})
    other.refresh_from_db()
    assert (other.status, other.close_note) == (Status.CLOSED, "取消项目")

    draft = DemandFactory(organization=enterprise, draft=True)
    client.post(reverse("demands:delete", args=[draft.pk]))
    assert not Demand.objects.filter(pk=draft.pk).exists()

    listing = client.get(reverse("demands:workspace-list")).content.decode()
    assert "改后的需求" in listing and "已解决" in listing


def test_attach_files_to_a_demand(login, enterprise, boss):
    from tests.files import forged_pdf_upload, pdf_upload

    demand = DemandFactory(organization=enterprise)
    client = login(boss)

    client.post(reverse("demands:attach", args=[demand.pk]), {"files": [pdf_upload("工况说明.pdf")]})
    bad = client.post(reverse("demands:attach", args=[demand.pk]), {"files": [forged_pdf_upload()]}, follow=True)

    assert "按文件内容判断" in bad.content.decode()
    assert "工况说明.pdf" in client.get(demand.get_absolute_url()).content.decode()


def test_staff_record_a_demand_that_the_enterprise_confirms(login, enterprise, boss, reviewer):
    client = login(reviewer)
    assert "代企业录入需求" in client.get(reverse("demands:record")).content.decode()

    missing = client.post(reverse("demands:record"), _form_data())
    assert "请选择需求所属企业。" in missing.content.decode()
    client.post(reverse("demands:record"), {**_form_data(), "enterprise": enterprise.pk})

    demand = Demand.objects.get()
    assert demand.needs_enterprise_confirmation and demand.recorded_by == reviewer
    page = login(boss).get(reverse("demands:workspace-detail", args=[demand.pk])).content.decode()
    assert "代录" in page
    login(boss).post(reverse("demands:confirm-recorded", args=[demand.pk]))
    demand.refresh_from_db()
    assert demand.status == Status.SUBMITTED
    assert login(boss).get(reverse("demands:record")).status_code == 403


def test_respond_page_and_response_conversation(login, enterprise, boss, organization, org_member, foreign_user):
    demand = DemandFactory(organization=enterprise)
    client = login(org_member)

    client.post(reverse("demands:respond", args=[demand.pk]), {"approach": "我们的方案", "price_idea_wan": "80"})
    response = DemandResponse.objects.get()
    assert response.price_idea == 800_000

    again = client.get(reverse("demands:respond", args=[demand.pk]), follow=True)
    assert "我方响应" in client.get(demand.get_absolute_url()).content.decode() or again.status_code == 200
    owner = login(boss)
    owner.post(response.get_absolute_url(), {"body": "能否提供中试数据？"})
    owner.post(reverse("demands:response-shortlist", args=[response.pk]))
    assert "能否提供中试数据？" in client.get(response.get_absolute_url()).content.decode()
    assert login(foreign_user).get(response.get_absolute_url()).status_code == 404
    assert login(foreign_user).post(reverse("demands:response-shortlist", args=[response.pk])).status_code == 404

    owner.post(
        reverse("demands:response-decline", args=[response.pk]), {"reason": "approach_unsuitable", "note": "路线不符"}
    )
    response.refresh_from_db()
    assert response.status == ResponseStatus.DECLINED
    assert "方案不适合" in client.get(response.get_absolute_url()).content.decode()


def test_start_deal_and_withdraw_pages(login, enterprise, boss, organization, org_member):
    demand = DemandFactory(organization=enterprise)
    first = DemandResponseFactory(demand=demand, organization=organization)
    second = DemandResponseFactory(demand=demand)

    login(boss).post(reverse("demands:response-start-deal", args=[second.pk]))
    login(org_member).post(reverse("demands:response-withdraw", args=[first.pk]))

    first.refresh_from_db()
    second.refresh_from_db()
    demand.refresh_from_db()
    assert (first.status, second.status, demand.status) == (
        ResponseStatus.WITHDRAWN,
        ResponseStatus.DEAL_STARTED,
        Status.NEGOTIATING,
    )


def test_admin_review_queue_publishes_and_rejects(login, reviewer, enterprise):
    first, second = DemandFactory.create_batch(2, organization=enterprise, submitted=True)
    changelist = reverse("admin:demands_demand_changelist")
    client = login(reviewer)

    client.post(changelist, {"action": "publish", "_selected_action": [first.pk]})
    client.post(changelist, {"action": "reject", "_selected_action": [second.pk], "apply": "1", "reason": "信息不全"})

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.review_note) == (Status.PUBLISHED, Status.REJECTED, "信息不全")


def test_attachments_of_an_anonymous_demand_have_neutral_names_and_no_metadata(client, login, enterprise, boss):
    import io

    from pypdf import PdfWriter

    from demands.services import demand_attach
    from tests.files import upload

    writer = PdfWriter()
    writer.add_blank_page(width=100, height=100)
    writer.add_metadata({"/Author": "隐名重工股份有限公司"})
    buffer = io.BytesIO()
    writer.write(buffer)
    demand = DemandFactory(organization=enterprise, anonymous=True)
    demand_attach(demand=demand, user=boss, uploaded=upload("隐名重工-工况.pdf", buffer.getvalue()))

    page = client.get(demand.get_absolute_url()).content.decode()
    download = client.get(reverse("demands:file", args=[demand.pk, 1]))

    assert "隐名重工-工况.pdf" not in page and "附件 1" in page
    assert download.status_code == 200 and "%E9%9A%90%E5%90%8D" not in download["Content-Disposition"]
    assert "隐名重工股份有限公司".encode("utf-16-be") not in download.content and download.content[:5] == b"%PDF-"
    assert login(boss).get(reverse("demands:file", args=[demand.pk, 1])).status_code == 302
    assert client.get(reverse("demands:file", args=[demand.pk, 2])).status_code == 404


def test_a_member_of_several_organizations_responds_for_the_one_chosen_in_the_workspace(
    login, enterprise, organization, org_member
):
    demand = DemandFactory(organization=enterprise)
    institute = OrganizationFactory(name="海洋研究所", kind="institute")
    MembershipFactory(organization=institute, user=org_member)
    client = login(org_member)

    client.post(reverse("workspace:switch"), {"organization": institute.pk})
    client.post(reverse("demands:respond", args=[demand.pk]), {"approach": "我们的方案"})

    assert DemandResponse.objects.get().organization == institute
