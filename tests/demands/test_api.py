import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from demands import services
from demands.enums import ResponseStatus, Status
from demands.models import Demand, DemandResponse
from marketplace.enums import MembershipRole
from marketplace.models import Message
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory, DemandResponseFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/demands/"
NOT_FOUND = {"error": {"code": "not_found", "message": "未找到。", "fields": {}}}
NOT_AUTHENTICATED = {"code": "not_authenticated", "message": "身份认证信息未提供。", "fields": {}}
PERMISSION_DENIED = {"code": "permission_denied", "message": "您没有执行该操作的权限。", "fields": {}}

ENTERPRISE_NAME = "青岛深蓝海洋生物科技有限公司"
OWNER_NAME = "韩海蓝"
SECRET_PROBLEM = "深海鱼皮胶原蛋白提取收率不足百分之三十"


def detail_url(demand, verb=""):
    return f"{LIST}{demand.pk}/{verb + '/' if verb else ''}"


def responses_url(demand, response=None, verb=""):
    url = f"{LIST}{demand.pk}/responses/"
    if response is not None:
        url += f"{response.pk}/"
    return url + (verb + "/" if verb else "")


def titles(response):
    assert response.status_code == 200, response.json()
    return sorted(row["title"] for row in response.json()["results"])


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def error(response):
    return response.status_code, response.json()["error"]


def field_errors(response):
    assert response.status_code == 400, response.json()
    return response.json()["error"]["fields"]


def in_days(days):
    return (timezone.localdate() + timezone.timedelta(days=days)).isoformat()


# Actors ------------------------------------------------------------------------------------


@pytest.fixture
def enterprise(db):
    return OrganizationFactory(name=ENTERPRISE_NAME, kind="enterprise", region_id="370202")


@pytest.fixture
def owner(enterprise):
    """An administrator of the enterprise."""
    return MembershipFactory(
        organization=enterprise, role=MembershipRole.ADMIN, user__username="owner", user__name=OWNER_NAME
    ).user


@pytest.fixture
def owner_member(enterprise):
    return MembershipFactory(organization=enterprise, role=MembershipRole.MEMBER, user__username="ownermember").user


@pytest.fixture
def invited_organization(db):
    return OrganizationFactory(name="受邀海洋研究院", kind="institute")


@pytest.fixture
def invited_user(invited_organization):
    return MembershipFactory(organization=invited_organization, user__username="invited").user


@pytest.fixture
def broker(db):
    return UserFactory(username="broker")


@pytest.fixture
def actors(client, login, owner, foreign_user, invited_user, broker, reviewer):
    return {
        "visitor": client,
        "owner": login(owner),
        "other": login(foreign_user),
        "invited": login(invited_user),
        "broker": login(broker),
        "staff": login(reviewer),
    }


def make_demand(enterprise, invited_organization, broker, **kwargs):
    fields = {
        "organization": enterprise,
        "title": "海洋胶原蛋白提取工艺",
        "problem": SECRET_PROBLEM,
        "keywords": ["鱼皮胶原", "酶解工艺"],
        "invited": [invited_organization],
        "brokers": [broker],
    }
    return DemandFactory(**{**fields, **kwargs})


VISIBILITIES = ["public", "anonymous", "confidential"]
ACTORS = ["visitor", "owner", "other", "invited", "broker", "staff"]
# Who does not learn the enterprise of an anonymous demand, and the details of a confidential one.
ENTERPRISE_HIDDEN_FROM = {"visitor", "other", "invited"}
DETAILS_HIDDEN_FROM = {"visitor", "other"}


DETAILS = [SECRET_PROBLEM, "形成可量产的改性工艺", "1000 次容量保持率", "500000", "鱼皮胶原", "刘经理"]


def expected_hiding(visibility, actor):
    return (
        visibility == "anonymous" and actor in ENTERPRISE_HIDDEN_FROM,
        visibility == "confidential" and actor in DETAILS_HIDDEN_FROM,
    )


def identifying_strings(enterprise):
    return [
        ENTERPRISE_NAME,
        enterprise.uscc,
        "市南区",
        "370202",
        "刘经理",
        "13812345678",
        "liu@example.com",
        OWNER_NAME,
    ]


def assert_never_contains(response, strings):
    raw = response.content.decode()
    readable = json.dumps(response.json(), ensure_ascii=False)
    assert [text for text in strings if text in raw or text in readable] == []


# Visibility: list and detail -------------------------------------------------------------


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("actor", ACTORS)
def test_demand_detail_hides_what_the_actor_may_not_see(
    actor, visibility, actors, enterprise, invited_organization, broker
):
    demand = make_demand(enterprise, invited_organization, broker, visibility=visibility)
    enterprise_hidden, details_hidden = expected_hiding(visibility, actor)

    response = actors[actor].get(detail_url(demand))

    body = response.json()
    assert response.status_code == 200
    assert (body["enterprise_hidden"], body["details_hidden"]) == (enterprise_hidden, details_hidden)
    assert body["organization"] == (None if enterprise_hidden else {"id": enterprise.pk, "name": ENTERPRISE_NAME})
    assert body["problem"] == (None if details_hidden else SECRET_PROBLEM)
    city = {"code": "370200", "name": "山东省青岛市"}
    district = {"code": "370202", "name": "山东省青岛市市南区"}
    assert body["region"] == (city if enterprise_hidden or details_hidden else district)
    if enterprise_hidden:
        assert_never_contains(response, identifying_strings(enterprise))
    if details_hidden:
        assert_never_contains(response, DETAILS)


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("actor", ACTORS)
def test_demands_list_hides_what_the_actor_may_not_see(
    actor, visibility, actors, enterprise, invited_organization, broker
):
    make_demand(enterprise, invited_organization, broker, visibility=visibility)
    enterprise_hidden, details_hidden = expected_hiding(visibility, actor)

    response = actors[actor].get(LIST)

    [row] = response.json()["results"]
    assert (row["enterprise_hidden"], row["details_hidden"]) == (enterprise_hidden, details_hidden)
    assert (row["organization"] is None, row["problem"] is None) == (enterprise_hidden, details_hidden)
    if enterprise_hidden:
        assert_never_contains(response, identifying_strings(enterprise))
    if details_hidden:
        assert_never_contains(response, DETAILS)


def test_demand_detail_shows_every_field_to_the_enterprise(login, owner, enterprise, invited_organization, broker):
    demand = make_demand(
        enterprise, invited_organization, broker, modes=["license", "transfer"], external_ref="ENT-7", view_count=3
    )
    Demand.objects.filter(pk=demand.pk).update(review_note="请补充指标", close_note="")

    body = login(owner).get(detail_url(demand)).json()

    assert body == {
        "id": demand.pk,
        "title": "海洋胶原蛋白提取工艺",
        "summary": "寻求提升高镍三元正极材料循环寿命的技术方案。",
        "industry_fields": ["new-energy-batteries"],
        "demand_type": "problem_solving",
        "deadline": demand.deadline.isoformat(),
        "status": "published",
        "published_at": body["published_at"],
        "region": {"code": "370202", "name": "山东省青岛市市南区"},
        "visibility": "public",
        "enterprise_hidden": False,
        "details_hidden": False,
        "organization": {"id": enterprise.pk, "name": ENTERPRISE_NAME},
        "problem": SECRET_PROBLEM,
        "desired_outcome": "形成可量产的改性工艺。",
        "technical_indicators": "45℃ 循环 1000 次容量保持率 ≥ 90%。",
        "keywords": ["鱼皮胶原", "酶解工艺"],
        "min_trl": 4,
        "budget_min": "500000.00",
        "budget_max": "2000000.00",
        "budget_negotiable": False,
        "cooperation_modes": ["transfer", "license"],
        "contact": {"name": "刘经理", "phone": "13812345678", "email": "liu@example.com"},
        "attachments": [],
        "external_ref": "ENT-7",
        "source": "enterprise",
        "needs_enterprise_confirmation": False,
        "review_note": "请补充指标",
        "close_note": "",
        "invited_organizations": [{"id": invited_organization.pk, "name": "受邀海洋研究院"}],
        "confirmed_at": body["confirmed_at"],
        "is_stale": False,
        "view_count": 3,
        "updated_at": body["updated_at"],
    }
    assert body["published_at"] is not None and body["confirmed_at"] is not None


def test_demand_detail_of_a_confidential_demand_gives_outsiders_the_public_part_only(
    login, foreign_user, enterprise, invited_organization, broker
):
    demand = make_demand(enterprise, invited_organization, broker, confidential=True)

    body = login(foreign_user).get(detail_url(demand)).json()

    assert body == {
        **body,
        "title": "海洋胶原蛋白提取工艺",
        "summary": "寻求提升高镍三元正极材料循环寿命的技术方案。",
        "industry_fields": ["new-energy-batteries"],
        "demand_type": "problem_solving",
        "status": "published",
        "region": {"code": "370200", "name": "山东省青岛市"},
        "visibility": "confidential",
        "enterprise_hidden": False,
        "details_hidden": True,
        "problem": None,
        "desired_outcome": None,
        "technical_indicators": None,
        "keywords": None,
        "min_trl": None,
        "budget_min": None,
        "budget_max": None,
        "budget_negotiable": None,
        "cooperation_modes": None,
        "contact": None,
        "attachments": None,
        "external_ref": None,
        "review_note": None,
        "close_note": None,
        "invited_organizations": None,
    }


def test_demand_contact_is_for_logged_in_callers_only(client, login, foreign_user, enterprise):
    demand = DemandFactory(organization=enterprise)

    assert client.get(detail_url(demand)).json()["contact"] is None
    assert login(foreign_user).get(detail_url(demand)).json()["contact"] == {
        "name": "刘经理",
        "phone": "13812345678",
        "email": "liu@example.com",
    }


def test_demand_contact_is_masked_for_people_outside_a_verified_organization(login, enterprise):
    demand = DemandFactory(organization=enterprise)
    unverified = MembershipFactory(organization=OrganizationFactory(unverified=True)).user

    assert login(unverified).get(detail_url(demand)).json()["contact"] == {
        "name": "刘**",
        "phone": "138****5678",
        "email": "l***@example.com",
    }


def test_demand_attachments_are_listed_for_those_who_see_details_and_enterprise(
    client, login, owner, invited_user, enterprise, invited_organization, broker
):
    public = DemandFactory(organization=enterprise)
    anonymous = make_demand(enterprise, invited_organization, broker, anonymous=True)
    confidential = make_demand(enterprise, invited_organization, broker, confidential=True)
    stored = {
        demand.pk: services.demand_attach(
            demand=demand, user=owner, uploaded=pdf_upload(f"{ENTERPRISE_NAME}需求书.pdf")
        )
        for demand in (public, anonymous, confidential)
    }

    public_files = client.get(detail_url(public)).json()["attachments"]

    assert public_files == [
        {
            "id": str(stored[public.pk].pk),
            "name": f"{ENTERPRISE_NAME}需求书.pdf",
            "kind": "pdf",
            "size": stored[public.pk].size,
            "url": f"http://testserver/files/{stored[public.pk].pk}/",
        }
    ]
    assert client.get(public_files[0]["url"]).status_code == 200
    assert client.get(detail_url(confidential)).json()["attachments"] is None
    assert login(invited_user).get(detail_url(confidential)).json()["attachments"][0]["id"] == str(
        stored[confidential.pk].pk
    )
    assert login(invited_user).get(detail_url(anonymous)).json()["attachments"] is None
    assert len(login(owner).get(detail_url(anonymous)).json()["attachments"]) == 1


def test_demands_list_shows_the_board_and_the_callers_own_statuses(
    client, login, owner_member, foreign_user, reviewer, broker, enterprise
):
    DemandFactory(title="征集中", organization=enterprise)
    DemandFactory(title="洽谈中", negotiating=True)
    DemandFactory(title="已解决", solved=True)
    DemandFactory(title="他人已关闭", closed=True)
    DemandFactory(title="他人已过期", expired=True)
    DemandFactory(title="他人待审", submitted=True)
    DemandFactory(title="本企业草稿", organization=enterprise, draft=True)
    DemandFactory(title="本企业已驳回", organization=enterprise, rejected=True)
    DemandFactory(title="指派草稿", draft=True, brokers=[broker])
    board = ["已解决", "征集中", "洽谈中"]

    assert titles(client.get(LIST)) == board
    assert titles(login(foreign_user).get(LIST)) == board
    assert titles(login(owner_member).get(LIST)) == sorted([*board, "本企业草稿", "本企业已驳回"])
    assert titles(login(broker).get(LIST)) == sorted([*board, "指派草稿"])
    assert titles(login(reviewer).get(LIST)) == sorted(
        [*board, "他人已关闭", "他人已过期", "他人待审", "本企业草稿", "本企业已驳回", "指派草稿"]
    )


def test_demand_detail_of_a_draft_is_404_to_outsiders(client, login, foreign_user, invited_user, enterprise):
    draft = DemandFactory(organization=enterprise, draft=True, invited=[])

    assert client.get(detail_url(draft)).json() == NOT_FOUND
    assert login(foreign_user).get(detail_url(draft)).json() == NOT_FOUND
    assert login(invited_user).get(detail_url(draft)).json() == NOT_FOUND


def test_demand_review_note_is_shown_to_the_enterprise_and_staff_only(
    login, owner_member, foreign_user, reviewer, broker, enterprise
):
    demand = DemandFactory(organization=enterprise, rejected=True, brokers=[broker])

    def note(client):
        return client.get(detail_url(demand)).json()["review_note"]

    assert (note(login(owner_member)), note(login(reviewer))) == ("请补充技术指标。", "请补充技术指标。")
    assert note(login(broker)) is None


# Filters and ordering --------------------------------------------------------------------


def test_demands_filter_by_text_in_title_summary_and_keywords(client):
    DemandFactory(title="海水淡化膜", summary="耐污染反渗透膜", keywords=["RO"])
    DemandFactory(title="锂电池隔膜")

    assert titles(client.get(LIST, {"q": "淡化"})) == ["海水淡化膜"]
    assert titles(client.get(LIST, {"q": "反渗透"})) == ["海水淡化膜"]
    assert titles(client.get(LIST, {"q": "RO"})) == ["海水淡化膜"]
    assert titles(client.get(LIST, {"q": "隔膜 锂电池"})) == ["锂电池隔膜"]


def test_demands_filter_by_text_matches_the_enterprise_name_only_where_it_is_shown(client, enterprise):
    DemandFactory(organization=enterprise, title="胶原蛋白")
    DemandFactory(organization=enterprise, title="海藻多糖", anonymous=True)

    assert titles(client.get(LIST, {"q": "深蓝海洋"})) == ["胶原蛋白"]


def test_demands_filter_by_industry_field_includes_sub_fields(client):
    DemandFactory(title="氢能", fields=["hydrogen"])
    DemandFactory(title="电池", fields=["new-energy-batteries"])
    DemandFactory(title="海洋", fields=["marine-biology"])

    assert titles(client.get(LIST, {"industry_field": "new-energy"})) == ["氢能", "电池"]
    assert titles(client.get(LIST, {"industry_field": "marine-biology"})) == ["海洋"]


def test_demands_filter_by_demand_type_and_cooperation_mode(client):
    DemandFactory(title="咨询", demand_type="consulting", modes=["consulting"])
    DemandFactory(title="联合开发", demand_type="joint_development", modes=["cooperative_development", "equity"])

    assert titles(client.get(LIST, {"demand_type": "consulting"})) == ["咨询"]
    assert titles(client.get(LIST, {"cooperation_mode": "equity"})) == ["联合开发"]


def test_demands_filter_by_budget_in_yuan(client):
    DemandFactory(title="十万以内", budget_min=50_000, budget_max=100_000)
    DemandFactory(title="百万级", budget_min=1_000_000, budget_max=3_000_000)
    DemandFactory(title="面议", budget_min=None, budget_max=None, budget_negotiable=True)

    assert titles(client.get(LIST, {"budget_min": "500000"})) == ["百万级"]
    assert titles(client.get(LIST, {"budget_max": "100000.00"})) == ["十万以内"]
    assert titles(client.get(LIST, {"budget_min": "80000", "budget_max": "1000000"})) == ["十万以内", "百万级"]


def test_demands_filter_by_the_readiness_an_offer_has(client):
    DemandFactory(title="要求TRL3", min_trl=3)
    DemandFactory(title="要求TRL7", min_trl=7)
    DemandFactory(title="不限", min_trl=None)

    assert titles(client.get(LIST, {"max_trl": 5})) == ["不限", "要求TRL3"]
    assert titles(client.get(LIST, {"max_trl": 9})) == ["不限", "要求TRL3", "要求TRL7"]


def test_demands_filter_by_region_includes_divisions_inside_it(client):
    DemandFactory(title="市南", region_id="370202")
    DemandFactory(title="江门", region_id="440703")

    assert titles(client.get(LIST, {"region": "370200"})) == ["市南"]
    assert titles(client.get(LIST, {"region": "440000"})) == ["江门"]
    assert titles(client.get(LIST, {"region": "440703"})) == ["江门"]


def test_demands_filter_by_district_skips_demands_shown_at_city_level(
    client, login, owner, invited_user, enterprise, invited_organization, broker
):
    make_demand(enterprise, invited_organization, broker, title="公开")
    make_demand(enterprise, invited_organization, broker, title="匿名", anonymous=True)
    make_demand(enterprise, invited_organization, broker, title="保密", confidential=True)

    assert titles(client.get(LIST, {"region": "370202"})) == ["公开"]
    assert titles(client.get(LIST, {"region": "370200"})) == ["保密", "公开", "匿名"]
    assert titles(login(invited_user).get(LIST, {"region": "370202"})) == ["保密", "公开"]
    assert titles(login(owner).get(LIST, {"region": "370202"})) == ["保密", "公开", "匿名"]
    assert titles(login(broker).get(LIST, {"region": "370202"})) == ["保密", "公开", "匿名"]


def test_demands_filters_on_details_skip_confidential_demands_the_caller_may_not_read(
    client, login, invited_user, enterprise, invited_organization, broker
):
    make_demand(enterprise, invited_organization, broker, title="保密", confidential=True, min_trl=3)
    DemandFactory(title="公开", min_trl=3)

    for params in ({"budget_min": "1000000"}, {"budget_max": "600000"}, {"max_trl": 4}, {"cooperation_mode": "commissioned_development"}):  # fmt: skip
        assert titles(client.get(LIST, params)) == ["公开"]
        assert titles(login(invited_user).get(LIST, params)) == ["保密", "公开"]
    assert titles(client.get(LIST)) == ["保密", "公开"]


def test_demands_filter_by_organization_never_reveals_its_anonymous_demands(
    client, login, owner, enterprise, invited_organization, broker
):
    make_demand(enterprise, invited_organization, broker, title="公开")
    make_demand(enterprise, invited_organization, broker, title="匿名", anonymous=True)
    DemandFactory(title="别家")

    assert titles(client.get(LIST, {"organization": enterprise.pk})) == ["公开"]
    assert titles(login(owner).get(LIST, {"organization": enterprise.pk})) == ["公开"]


def test_demands_filter_by_status_for_the_enterprise_and_outsiders(client, login, owner_member, enterprise):
    DemandFactory(title="草稿", organization=enterprise, draft=True)
    DemandFactory(title="已发布", organization=enterprise)

    assert titles(login(owner_member).get(LIST, {"status": "draft"})) == ["草稿"]
    assert titles(client.get(LIST, {"status": "draft"})) == []
    assert titles(client.get(LIST, {"status": "published"})) == ["已发布"]


def test_demands_updated_since_returns_recent_changes_only(client):
    old = DemandFactory(title="旧需求")
    Demand.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timezone.timedelta(days=10))
    DemandFactory(title="新需求")
    since = (timezone.now() - timezone.timedelta(days=1)).isoformat()

    assert titles(client.get(LIST, {"updated_since": since})) == ["新需求"]


def test_demands_bad_filters_get_400_with_field_errors(client):
    assert error(client.get(LIST, {"region": "37"})) == (
        400,
        {
            "code": "invalid",
            "message": "部分字段填写有误。",
            "fields": {"region": ["行政区划代码应为 6 位数字（GB/T 2260）。"]},
        },
    )
    bad = {
        "max_trl": "10",
        "demand_type": "x",
        "cooperation_mode": "x",
        "budget_min": "-1",
        "status": "x",
        "organization": "abc",
        "ordering": "cheapest",
        "updated_since": "yesterday",
    }
    for name, value in bad.items():
        assert list(field_errors(client.get(LIST, {name: value}))) == [name]


def test_demands_ordering_sorts_the_whole_list(client):
    soon = DemandFactory(title="将截止", deadline=in_days(5), budget_min=None, budget_max=300_000, view_count=50)
    late = DemandFactory(title="晚截止", deadline=in_days(200), budget_max=5_000_000, view_count=5)
    DemandFactory(title="面议", deadline=in_days(60), budget_min=None, budget_max=None, budget_negotiable=True)
    Demand.objects.filter(pk=soon.pk).update(published_at=timezone.now() - timezone.timedelta(days=3))
    Demand.objects.filter(pk=late.pk).update(published_at=timezone.now() - timezone.timedelta(days=2))

    def order(ordering):
        return [row["title"] for row in client.get(LIST, {"ordering": ordering}).json()["results"]]

    assert order("newest") == ["面议", "晚截止", "将截止"]
    assert order("deadline") == ["将截止", "面议", "晚截止"]
    assert order("budget_high") == ["晚截止", "将截止", "面议"]
    assert order("popular") == ["将截止", "晚截止", "面议"]


def test_demands_ordering_pages_by_number_and_is_capped(client):
    for days in (10, 20, 30):
        DemandFactory(title=f"{days}天", deadline=in_days(days))

    first = client.get(LIST, {"ordering": "deadline", "page_size": 2}).json()
    second = client.get(first["next"]).json()
    beyond = client.get(LIST, {"ordering": "deadline", "page": 51})

    assert [row["title"] for row in first["results"] + second["results"]] == ["10天", "20天", "30天"]
    assert (second["next"], first["previous"]) == (None, None)
    assert list(field_errors(beyond)) == ["page"]


def test_demands_default_pages_are_cursor_pages_by_last_change(client):
    rows = DemandFactory.create_batch(3)
    for offset, demand in enumerate(rows):
        Demand.objects.filter(pk=demand.pk).update(updated_at=timezone.now() - timezone.timedelta(hours=offset))

    first = client.get(LIST, {"page_size": 2}).json()
    second = client.get(first["next"]).json()

    assert "cursor=" in first["next"]
    assert [row["id"] for row in first["results"] + second["results"]] == [demand.pk for demand in rows]


# Create ----------------------------------------------------------------------------------


def valid_body(**overrides):
    body = {
        "title": "海参加工副产物综合利用",
        "summary": "寻求海参内脏中活性物质的提取技术。",
        "problem": "目前副产物直接废弃，造成浪费和环保压力。",
        "demand_type": "technology_acquisition",
        "industry_fields": ["marine-biology"],
        "keywords": ["海参", "活性肽"],
        "min_trl": 5,
        "budget_min": "300000.00",
        "budget_max": "800000",
        "deadline": in_days(30),
        "cooperation_modes": ["transfer", "license"],
        "contact": {"name": "王主任", "phone": "13900001111", "email": "wang@example.com"},
    }
    return {**body, **overrides}


def test_demand_create_by_a_member_makes_a_draft_of_their_enterprise(login, owner_member, enterprise, foreign_user):
    body = valid_body(
        external_ref="ENT-2025-1",
        # Server-owned: ignored.
        status="published",
        source="broker",
        recorded_by=foreign_user.pk,
        published_at="2020-01-01T00:00:00Z",
        view_count=999,
        review_note="已审核",
        enterprise_confirmed_at="2020-01-01T00:00:00Z",
    )

    response = post(login(owner_member), LIST, body)

    assert response.status_code == 201, response.json()
    created = response.json()
    demand = Demand.objects.get(pk=created["id"])
    assert (demand.status, demand.source, demand.recorded_by, demand.published_at) == (
        "draft",
        "enterprise",
        None,
        None,
    )
    assert (demand.view_count, demand.review_note, demand.organization, demand.created_by) == (
        0,
        "",
        enterprise,
        owner_member,
    )
    assert created == {
        **created,
        "status": "draft",
        "source": "enterprise",
        "organization": {"id": enterprise.pk, "name": ENTERPRISE_NAME},
        "region": {"code": "370202", "name": "山东省青岛市市南区"},
        "budget_min": "300000.00",
        "budget_max": "800000.00",
        "budget_negotiable": False,
        "cooperation_modes": ["transfer", "license"],
        "industry_fields": ["marine-biology"],
        "keywords": ["海参", "活性肽"],
        "contact": {"name": "王主任", "phone": "13900001111", "email": "wang@example.com"},
        "external_ref": "ENT-2025-1",
        "published_at": None,
        "view_count": 0,
        "review_note": "",
    }


def test_demand_create_with_a_region_visibility_and_invitations(login, owner_member, invited_organization):
    body = valid_body(region="440703", visibility="confidential", invited_organizations=[invited_organization.pk])

    created = post(login(owner_member), LIST, body).json()

    assert (created["region"], created["visibility"], created["invited_organizations"]) == (
        {"code": "440703", "name": "广东省江门市蓬江区"},
        "confidential",
        [{"id": invited_organization.pk, "name": "受邀海洋研究院"}],
    )


def test_demand_create_for_another_organization_is_refused(login, owner_member, foreign_organization):
    response = post(login(owner_member), LIST, valid_body(organization=foreign_organization.pk))

    assert field_errors(response) == {"organization": ["请选择您所在的机构。"]}
    assert Demand.objects.count() == 0


def test_demand_create_chooses_among_the_callers_organizations(login, owner_member):
    second = OrganizationFactory(name="第二企业")
    MembershipFactory(user=owner_member, organization=second)
    client = login(owner_member)

    ambiguous = post(client, LIST, valid_body())
    chosen = post(client, LIST, valid_body(organization=second.pk))

    assert list(field_errors(ambiguous)) == ["organization"]
    assert chosen.json()["organization"] == {"id": second.pk, "name": "第二企业"}


def test_demand_create_needs_a_membership(client, login):
    assert error(post(client, LIST, valid_body())) == (403, NOT_AUTHENTICATED)
    assert error(post(login(UserFactory()), LIST, valid_body()))[1]["code"] == "permission_denied"
    assert Demand.objects.count() == 0


def test_demand_create_with_a_deadline_in_the_past_is_refused(login, owner_member):
    response = post(login(owner_member), LIST, valid_body(deadline=in_days(-1)))

    assert error(response) == (
        400,
        {"code": "invalid", "message": "部分字段填写有误。", "fields": {"deadline": ["截止日期早于今天。"]}},
    )
    assert Demand.objects.count() == 0


def test_demand_create_with_the_lower_budget_above_the_upper_is_refused(login, owner_member):
    response = post(login(owner_member), LIST, valid_body(budget_min="900000", budget_max="100000"))

    assert field_errors(response) == {"budget_min": ["预算下限高于上限。"]}
    assert Demand.objects.count() == 0


def test_demand_create_without_a_budget_or_negotiable_is_refused(login, owner_member):
    client = login(owner_member)

    missing = post(client, LIST, valid_body(budget_min=None, budget_max=None))
    negotiable = post(client, LIST, valid_body(budget_min=None, budget_max=None, budget_negotiable=True))

    assert field_errors(missing) == {"budget_max": ["请填写预算范围，或勾选预算面议。"]}
    assert negotiable.status_code == 201
    assert (negotiable.json()["budget_min"], negotiable.json()["budget_negotiable"]) == (None, True)


def test_demand_create_with_malformed_fields_is_refused(login, owner_member):
    response = post(
        login(owner_member),
        LIST,
        valid_body(
            title="",
            demand_type="x",
            min_trl=10,
            budget_min="-5",
            cooperation_modes=["barter"],
            industry_fields=["no-such-field"],
            region="999999",
            contact={"phone": "123"},
        ),
    )

    assert sorted(field_errors(response)) == [
        "budget_min",
        "contact",
        "cooperation_modes",
        "demand_type",
        "industry_fields",
        "min_trl",
        "region",
        "title",
    ]
    assert Demand.objects.count() == 0


# Update and delete -----------------------------------------------------------------------


def test_demand_patch_by_a_member_changes_the_draft_and_ignores_server_fields(
    login, owner_member, enterprise, foreign_organization
):
    draft = DemandFactory(organization=enterprise, draft=True)

    response = patch(
        login(owner_member),
        detail_url(draft),
        {
            "title": "新标题",
            "cooperation_modes": ["equity"],
            "budget_max": "2500000",
            "status": "published",
            "organization": foreign_organization.pk,
            "source": "partner",
            "view_count": 7,
        },
    )

    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert (draft.title, draft.status, draft.organization, draft.source, draft.view_count) == (
        "新标题",
        "draft",
        enterprise,
        "enterprise",
        0,
    )
    assert response.json() == {**response.json(), "cooperation_modes": ["equity"], "budget_max": "2500000.00"}


def test_demand_put_replaces_the_edited_fields(login, owner_member, enterprise):
    draft = DemandFactory(organization=enterprise, draft=True)

    response = login(owner_member).put(
        detail_url(draft), valid_body(title="整体替换", budget_negotiable=True), content_type="application/json"
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        **response.json(),
        "title": "整体替换",
        "demand_type": "technology_acquisition",
        "budget_negotiable": True,
        "industry_fields": ["marine-biology"],
    }


def test_demand_patch_with_bad_budget_or_deadline_saves_nothing(login, owner_member, enterprise):
    demand = DemandFactory(organization=enterprise, draft=True)
    before = (demand.title, demand.budget_min, demand.deadline)
    client = login(owner_member)

    budget = patch(client, detail_url(demand), {"title": "不该保存", "budget_min": "9000000"})
    deadline = patch(client, detail_url(demand), {"title": "不该保存", "deadline": in_days(-3)})

    assert field_errors(budget) == {"budget_min": ["预算下限高于上限。"]}
    assert field_errors(deadline) == {"deadline": ["截止日期早于今天。"]}
    demand.refresh_from_db()
    assert (demand.title, demand.budget_min, demand.deadline) == before


def test_demand_material_change_of_a_published_one_goes_back_to_review(login, owner_member, enterprise):
    demand = DemandFactory(organization=enterprise)

    response = patch(login(owner_member), detail_url(demand), {"problem": "问题描述更新"})

    assert response.json()["status"] == "submitted"


def test_demand_update_by_another_organization_is_404(login, foreign_user, enterprise):
    published = DemandFactory(organization=enterprise, title="原标题")

    assert patch(login(foreign_user), detail_url(published), {"title": "x"}).json() == NOT_FOUND
    published.refresh_from_db()
    assert published.title == "原标题"


def test_demand_update_under_review_is_403(login, owner_member, enterprise):
    submitted = DemandFactory(organization=enterprise, submitted=True)

    assert error(patch(login(owner_member), detail_url(submitted), {"title": "x"})) == (403, PERMISSION_DENIED)


def test_demand_delete_of_a_draft_by_a_member(login, owner_member, enterprise):
    draft = DemandFactory(organization=enterprise, draft=True)

    response = login(owner_member).delete(detail_url(draft))

    assert response.status_code == 204
    assert not Demand.objects.filter(pk=draft.pk).exists()


def test_demand_delete_of_a_published_one_is_refused(login, owner_member, enterprise):
    published = DemandFactory(organization=enterprise)

    assert error(login(owner_member).delete(detail_url(published))) == (
        400,
        {
            "code": "invalid",
            "message": "只能删除草稿，其他需求请关闭。",
            "fields": {"non_field_errors": ["只能删除草稿，其他需求请关闭。"]},
        },
    )


def test_demand_delete_by_others_is_404(login, foreign_user, reviewer, enterprise):
    draft = DemandFactory(organization=enterprise, draft=True)

    assert login(foreign_user).delete(detail_url(draft)).json() == NOT_FOUND
    assert login(reviewer).delete(detail_url(draft)).json() == NOT_FOUND
    assert Demand.objects.filter(pk=draft.pk).exists()


# Transitions -------------------------------------------------------------------------------


def transition_error(current, target):
    return (
        400,
        {
            "code": "invalid",
            "message": "部分字段填写有误。",
            "fields": {"status": [f"状态不能从“{current}”变更为“{target}”。"]},
        },
    )


def test_demand_submit_by_a_member_goes_to_review(login, owner_member, enterprise):
    draft = DemandFactory(organization=enterprise, draft=True)

    response = post(login(owner_member), detail_url(draft, "submit"))

    assert response.status_code == 200
    assert response.json()["status"] == "submitted"


def test_demand_submit_is_refused_when_published_unverified_or_without_fields(login, owner_member, enterprise):
    client = login(owner_member)
    published = DemandFactory(organization=enterprise)
    no_fields = DemandFactory(organization=enterprise, draft=True)
    no_fields.industry_fields.clear()

    assert error(post(client, detail_url(published, "submit")))[1]["message"] == (
        "只有草稿、已驳回或已过期的需求才能提交；该需求当前为“征集中”。"
    )
    assert field_errors(post(client, detail_url(no_fields, "submit"))) == {
        "industry_fields": ["提交前请至少选择一个产业领域。"]
    }
    enterprise.verification_status = "unverified"
    enterprise.save()
    draft = DemandFactory(organization=enterprise, draft=True)
    assert error(post(client, detail_url(draft, "submit")))[1]["message"] == "只有已认证机构才能提交需求申请发布。"


def test_demand_submit_by_others_is_404_or_403(login, foreign_user, reviewer, enterprise):
    draft = DemandFactory(organization=enterprise, draft=True)

    assert post(login(foreign_user), detail_url(draft, "submit")).json() == NOT_FOUND
    assert error(post(login(reviewer), detail_url(draft, "submit"))) == (403, PERMISSION_DENIED)


def test_demand_confirm_recorded_by_an_enterprise_admin_submits_it(login, owner, owner_member, enterprise):
    recorded = DemandFactory(organization=enterprise, recorded=True)
    own = DemandFactory(organization=enterprise, draft=True)

    by_member = post(login(owner_member), detail_url(recorded, "confirm-recorded"))
    submit_first = post(login(owner_member), detail_url(recorded, "submit"))
    confirmed = post(login(owner), detail_url(recorded, "confirm-recorded"))
    not_recorded = post(login(owner), detail_url(own, "confirm-recorded"))

    assert error(by_member) == (403, PERMISSION_DENIED)
    assert error(submit_first)[1]["message"] == "代录的需求需要先由企业确认。"
    assert (confirmed.json()["status"], confirmed.json()["needs_enterprise_confirmation"]) == ("submitted", False)
    assert error(not_recorded)[1]["message"] == "该需求无需您确认。"


def test_demand_publish_by_a_reviewer(login, reviewer, enterprise):
    submitted = DemandFactory(organization=enterprise, submitted=True)

    response = post(login(reviewer), detail_url(submitted, "publish"))

    assert response.json()["status"] == "published"
    assert response.json()["published_at"] is not None


def test_demand_publish_of_a_draft_is_refused(login, reviewer, enterprise):
    draft = DemandFactory(organization=enterprise, draft=True)

    assert error(post(login(reviewer), detail_url(draft, "publish"))) == transition_error("草稿", "征集中")


def test_demand_publish_needs_a_reviewer(login, owner, registrar, foreign_user, enterprise):
    submitted = DemandFactory(organization=enterprise, submitted=True)

    assert error(post(login(owner), detail_url(submitted, "publish"))) == (403, PERMISSION_DENIED)
    assert error(post(login(registrar), detail_url(submitted, "publish"))) == (403, PERMISSION_DENIED)
    assert post(login(foreign_user), detail_url(submitted, "publish")).json() == NOT_FOUND
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_demand_reject_by_a_reviewer_needs_a_reason_the_enterprise_sees(
    login, reviewer, owner_member, foreign_user, enterprise
):
    submitted = DemandFactory(organization=enterprise, submitted=True)
    client = login(reviewer)

    missing = post(client, detail_url(submitted, "reject"), {"reason": "  "})
    rejected = post(client, detail_url(submitted, "reject"), {"reason": "预算描述不清"})
    by_owner = post(login(owner_member), detail_url(submitted, "reject"), {"reason": "x"})

    assert list(field_errors(missing)) == ["reason"]
    assert rejected.json()["status"] == "rejected"
    assert login(owner_member).get(detail_url(submitted)).json()["review_note"] == "预算描述不清"
    assert error(by_owner) == (403, PERMISSION_DENIED)
    assert login(foreign_user).get(detail_url(submitted)).json() == NOT_FOUND


def test_demand_reject_of_a_published_one_is_refused(login, reviewer, enterprise):
    published = DemandFactory(organization=enterprise)

    assert error(post(login(reviewer), detail_url(published, "reject"), {"reason": "x"})) == transition_error(
        "征集中", "已驳回"
    )


def test_demand_solve_and_close_by_a_member_with_a_note(login, owner_member, enterprise):
    client = login(owner_member)
    published = DemandFactory(organization=enterprise)
    submitted = DemandFactory(organization=enterprise, submitted=True)

    solved = post(client, detail_url(published, "solve"), {"note": "已与某高校签约"})
    closed = post(client, detail_url(submitted, "close"))

    assert (solved.json()["status"], solved.json()["close_note"]) == ("solved", "已与某高校签约")
    assert closed.json()["status"] == "closed"


def test_demand_solve_and_close_are_refused_in_the_wrong_status_or_to_others(
    login, owner_member, foreign_user, reviewer, enterprise
):
    draft = DemandFactory(organization=enterprise, draft=True)
    published = DemandFactory(organization=enterprise)

    assert error(post(login(owner_member), detail_url(draft, "solve"))) == transition_error("草稿", "已解决")
    assert error(post(login(owner_member), detail_url(draft, "close"))) == transition_error("草稿", "已关闭")
    assert error(post(login(foreign_user), detail_url(published, "close"))) == (403, PERMISSION_DENIED)
    assert error(post(login(reviewer), detail_url(published, "solve"))) == (403, PERMISSION_DENIED)


def test_demand_reopen_after_negotiating(login, owner_member, foreign_user, enterprise):
    negotiating = DemandFactory(organization=enterprise, negotiating=True)
    published = DemandFactory(organization=enterprise)

    assert error(post(login(foreign_user), detail_url(negotiating, "reopen"))) == (403, PERMISSION_DENIED)
    assert post(login(owner_member), detail_url(negotiating, "reopen")).json()["status"] == "published"
    assert error(post(login(owner_member), detail_url(published, "reopen"))) == transition_error("征集中", "征集中")


def test_demand_confirm_restarts_the_freshness_clock(login, owner_member, foreign_user, enterprise):
    published = DemandFactory(organization=enterprise)
    Demand.objects.filter(pk=published.pk).update(confirmed_at=timezone.now() - timezone.timedelta(days=400))
    draft = DemandFactory(organization=enterprise, draft=True)
    client = login(owner_member)

    stale = client.get(detail_url(published)).json()["is_stale"]
    confirmed = post(client, detail_url(published, "confirm"))

    published.refresh_from_db()
    assert (stale, confirmed.json()["is_stale"]) == (True, False)
    assert published.confirmed_at > timezone.now() - timezone.timedelta(minutes=1)
    assert error(post(client, detail_url(draft, "confirm")))[1]["message"] == "只有征集中的需求需要确认。"
    assert error(post(login(foreign_user), detail_url(published, "confirm"))) == (403, PERMISSION_DENIED)


def test_demand_transitions_need_a_login(client, enterprise):
    published = DemandFactory(organization=enterprise)

    assert error(post(client, detail_url(published, "close"))) == (403, NOT_AUTHENTICATED)


# Responses -------------------------------------------------------------------------------


@pytest.fixture
def published(enterprise, invited_organization, broker):
    return make_demand(enterprise, invited_organization, broker)


def proposal(**overrides):
    return {"approach": "酶解结合膜分离提取胶原蛋白肽。", "team": "食品学院 3 人", "price_idea": "600000", **overrides}


def test_response_create_by_a_verified_organization(login, org_member, organization, published):
    own = AchievementFactory(organization=organization, title="胶原蛋白肽制备")
    response = post(login(org_member), responses_url(published), proposal(achievements=[own.pk]))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        **body,
        "demand": {
            "id": published.pk,
            "title": "海洋胶原蛋白提取工艺",
            "organization": {"id": published.organization_id, "name": ENTERPRISE_NAME},
            "enterprise_hidden": False,
        },
        "organization": {"id": organization.pk, "name": "青岛测试大学"},
        "created_by": {"id": org_member.pk, "name": org_member.name},
        "status": "submitted",
        "approach": "酶解结合膜分离提取胶原蛋白肽。",
        "team": "食品学院 3 人",
        "price_idea": "600000.00",
        "achievements": [{"id": own.pk, "title": "胶原蛋白肽制备"}],
        "decline_reason": None,
        "decline_note": "",
        "message_count": 0,
        "attachments": [],
    }


def test_response_create_a_second_live_one_is_refused(login, org_member, published):
    client = login(org_member)
    post(client, responses_url(published), proposal())

    second = post(client, responses_url(published), proposal(approach="另一个方案"))

    assert error(second) == (
        400,
        {
            "code": "invalid",
            "message": "贵机构对该需求已有一份有效的响应。",
            "fields": {"non_field_errors": ["贵机构对该需求已有一份有效的响应。"]},
        },
    )
    assert DemandResponse.objects.count() == 1


def test_response_create_after_withdrawing_is_allowed(login, org_member, organization, published):
    DemandResponseFactory(demand=published, organization=organization, withdrawn=True)

    assert post(login(org_member), responses_url(published), proposal()).status_code == 201


def test_response_create_to_an_unpublished_demand_is_404(login, org_member, enterprise):
    for demand in (
        DemandFactory(organization=enterprise, draft=True),
        DemandFactory(organization=enterprise, submitted=True),
        DemandFactory(organization=enterprise, closed=True),
    ):
        assert post(login(org_member), responses_url(demand), proposal()).json() == NOT_FOUND
    assert DemandResponse.objects.count() == 0


def test_response_create_to_a_solved_demand_is_refused(login, org_member, enterprise):
    solved = DemandFactory(organization=enterprise, solved=True)

    response = post(login(org_member), responses_url(solved), proposal())

    assert error(response)[:1] == (400,)
    assert error(response)[1]["message"] == "该需求当前不接受响应。"
    assert DemandResponse.objects.count() == 0


def test_response_create_to_a_confidential_demand_needs_an_invitation(
    login, foreign_user, invited_user, enterprise, invited_organization, broker
):
    confidential = make_demand(enterprise, invited_organization, broker, confidential=True)

    outsider = post(login(foreign_user), responses_url(confidential), proposal())
    invited = post(login(invited_user), responses_url(confidential), proposal())

    assert (outsider.status_code, outsider.json()["error"]["code"]) == (400, "invalid")
    assert invited.status_code == 201
    assert list(DemandResponse.objects.values_list("organization_id", flat=True)) == [invited_organization.pk]


def test_response_create_by_the_enterprise_or_an_unverified_organization_is_refused(login, owner_member, published):
    unverified = MembershipFactory(organization=OrganizationFactory(unverified=True)).user

    for user in (owner_member, unverified):
        response = post(login(user), responses_url(published), proposal())
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid")
    assert DemandResponse.objects.count() == 0


def test_response_create_with_bad_input_is_refused(login, org_member, foreign_organization, published):
    other_achievement = AchievementFactory()

    response = post(
        login(org_member),
        responses_url(published),
        {
            "approach": "",
            "price_idea": "-1",
            "achievements": [other_achievement.pk],
            "organization": foreign_organization.pk,
        },
    )

    assert sorted(field_errors(response)) == ["achievements", "approach", "organization", "price_idea"]
    assert DemandResponse.objects.count() == 0


def test_responses_are_visible_to_their_parties_only(
    client, login, owner_member, org_member, organization, foreign_user, broker, reviewer, published
):
    ours = DemandResponseFactory(demand=published, organization=organization)
    theirs = DemandResponseFactory(demand=published)

    def listed(c):
        return sorted(row["id"] for row in c.get(responses_url(published)).json()["results"])

    assert listed(login(owner_member)) == sorted([ours.pk, theirs.pk])
    assert listed(login(reviewer)) == sorted([ours.pk, theirs.pk])
    assert listed(login(org_member)) == [ours.pk]
    assert listed(login(foreign_user)) == []
    assert listed(login(broker)) == []
    assert login(org_member).get(responses_url(published, ours)).json()["id"] == ours.pk
    assert login(org_member).get(responses_url(published, theirs)).json() == NOT_FOUND
    assert login(foreign_user).get(responses_url(published, ours)).json() == NOT_FOUND
    assert error(client.get(responses_url(published))) == (403, NOT_AUTHENTICATED)


def test_responses_of_a_demand_the_caller_cannot_see_are_404(login, foreign_user, enterprise):
    draft = DemandFactory(organization=enterprise, draft=True)

    assert login(foreign_user).get(responses_url(draft)).json() == NOT_FOUND


def test_responses_stay_readable_by_the_responder_after_the_demand_closes(login, org_member, organization, published):
    ours = DemandResponseFactory(demand=published, organization=organization, declined=True)
    Demand.objects.filter(pk=published.pk).update(status=Status.CLOSED)

    body = login(org_member).get(responses_url(published, ours)).json()

    assert (body["id"], body["status"]) == (ours.pk, "declined")


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("actor", ACTORS)
def test_responses_by_actor_and_visibility(actor, visibility, actors, enterprise, invited_organization, broker):
    demand = make_demand(enterprise, invited_organization, broker, visibility=visibility)
    response = DemandResponseFactory(demand=demand, organization=invited_organization)
    enterprise_hidden, _details_hidden = expected_hiding(visibility, actor)

    listing = actors[actor].get(responses_url(demand))
    detail = actors[actor].get(responses_url(demand, response))

    if actor == "visitor":
        assert (listing.status_code, detail.status_code) == (403, 403)
        return
    reads = actor in {"owner", "staff", "invited"}
    assert [row["id"] for row in listing.json()["results"]] == ([response.pk] if reads else [])
    assert detail.status_code == (200 if reads else 404)
    if reads:
        assert detail.json()["demand"]["enterprise_hidden"] == enterprise_hidden
    if enterprise_hidden:
        assert_never_contains(listing, identifying_strings(enterprise))
        assert_never_contains(detail, identifying_strings(enterprise))


def test_response_decline_by_the_enterprise_with_a_reason_the_responder_sees(
    login, owner_member, org_member, organization, published
):
    ours = DemandResponseFactory(demand=published, organization=organization)
    url = responses_url(published, ours, "decline")

    by_responder = post(login(org_member), url, {"reason": "too_expensive"})
    no_reason = post(login(owner_member), url, {"note": "太贵"})
    declined = post(login(owner_member), url, {"reason": "too_early", "note": "希望中试后再谈"})

    assert error(by_responder) == (403, PERMISSION_DENIED)
    assert list(field_errors(no_reason)) == ["reason"]
    assert login(org_member).get(responses_url(published, ours)).json() == {
        **declined.json(),
        "status": "declined",
        "decline_reason": "too_early",
        "decline_note": "希望中试后再谈",
    }


def test_response_shortlist_and_start_deal_by_the_enterprise(login, owner_member, org_member, organization, published):
    ours = DemandResponseFactory(demand=published, organization=organization)
    client = login(owner_member)

    by_responder = post(login(org_member), responses_url(published, ours, "shortlist"))
    shortlisted = post(client, responses_url(published, ours, "shortlist"))
    twice = post(client, responses_url(published, ours, "shortlist"))
    started = post(client, responses_url(published, ours, "start-deal"))

    assert error(by_responder) == (403, PERMISSION_DENIED)
    assert shortlisted.json()["status"] == "shortlisted"
    assert error(twice) == transition_error("已入围", "已入围")
    assert started.json()["status"] == "deal_started"
    published.refresh_from_db()
    assert published.status == Status.NEGOTIATING


def test_response_withdraw_by_the_responder_only(login, owner_member, org_member, organization, published):
    ours = DemandResponseFactory(demand=published, organization=organization)
    url = responses_url(published, ours, "withdraw")

    by_enterprise = post(login(owner_member), url)
    withdrawn = post(login(org_member), url)
    again = post(login(org_member), url)

    assert error(by_enterprise) == (403, PERMISSION_DENIED)
    assert withdrawn.json()["status"] == "withdrawn"
    assert error(again) == (403, PERMISSION_DENIED)


def test_response_actions_by_a_third_party_are_404(login, foreign_user, published):
    theirs = DemandResponseFactory(demand=published)

    for verb in ("shortlist", "start-deal", "withdraw"):
        assert post(login(foreign_user), responses_url(published, theirs, verb)).json() == NOT_FOUND
    assert post(login(foreign_user), responses_url(published, theirs, "decline"), {"reason": "other"}).json() == (
        NOT_FOUND
    )
    theirs.refresh_from_db()
    assert theirs.status == ResponseStatus.SUBMITTED


def test_responses_filter_by_status(login, owner_member, published):
    DemandResponseFactory(demand=published, declined=True)
    live = DemandResponseFactory(demand=published)

    rows = login(owner_member).get(responses_url(published), {"status": "submitted"}).json()["results"]

    assert [row["id"] for row in rows] == [live.pk]


# Messages ----------------------------------------------------------------------------------


def messages_url(demand, response):
    return f"{responses_url(demand, response)}messages/"


def test_response_messages_are_read_and_posted_by_the_parties(login, owner, org_member, organization, published):
    ours = DemandResponseFactory(demand=published, organization=organization)
    url = messages_url(published, ours)

    question = post(login(owner), url, {"body": "能否先做小试？"})
    answer = post(login(org_member), url, {"body": "可以，两周内完成。"})
    conversation = login(org_member).get(url).json()["results"]

    assert question.status_code == 201
    assert question.json() == {
        **question.json(),
        "from_enterprise": True,
        "author": {"id": owner.pk, "name": OWNER_NAME},
        "organization": {"id": published.organization_id, "name": ENTERPRISE_NAME},
        "body": "能否先做小试？",
    }
    assert answer.json()["organization"] == {"id": organization.pk, "name": "青岛测试大学"}
    assert [(row["from_enterprise"], row["body"]) for row in conversation] == [
        (True, "能否先做小试？"),
        (False, "可以，两周内完成。"),
    ]
    assert login(owner).get(responses_url(published, ours)).json()["message_count"] == 2


def test_response_messages_of_an_anonymous_demand_never_name_the_enterprise(
    login, owner, invited_user, enterprise, invited_organization, broker
):
    anonymous = make_demand(enterprise, invited_organization, broker, anonymous=True)
    theirs = DemandResponseFactory(demand=anonymous, organization=invited_organization)
    services.response_message(response=theirs, user=owner, body="请介绍团队。")

    responder = login(invited_user)
    conversation = responder.get(messages_url(anonymous, theirs))
    reply = post(responder, messages_url(anonymous, theirs), {"body": "团队 5 人。"})

    assert conversation.json()["results"] == [
        {
            "id": conversation.json()["results"][0]["id"],
            "from_enterprise": True,
            "author": None,
            "organization": None,
            "body": "请介绍团队。",
            "created_at": conversation.json()["results"][0]["created_at"],
        }
    ]
    assert_never_contains(conversation, identifying_strings(enterprise))
    assert_never_contains(reply, identifying_strings(enterprise))
    assert login(owner).get(messages_url(anonymous, theirs)).json()["results"][0]["author"]["name"] == OWNER_NAME


def test_response_messages_of_others_are_404_and_staff_cannot_post(login, foreign_user, reviewer, published):
    theirs = DemandResponseFactory(demand=published)
    url = messages_url(published, theirs)

    assert login(foreign_user).get(url).json() == NOT_FOUND
    assert post(login(foreign_user), url, {"body": "x"}).json() == NOT_FOUND
    assert login(reviewer).get(url).status_code == 200
    assert error(post(login(reviewer), url, {"body": "x"})) == (403, PERMISSION_DENIED)
    assert Message.objects.count() == 0


def test_response_message_to_a_closed_response_is_refused(login, org_member, organization, published):
    ours = DemandResponseFactory(demand=published, organization=organization, declined=True)

    response = post(login(org_member), messages_url(published, ours), {"body": "再问一下"})

    assert error(response)[1]["message"] == "该响应已结束。"


# Query counts ------------------------------------------------------------------------------


def assert_constant_queries(client, url, add_rows, django_assert_num_queries, params=None):
    client.get(url, params or {})  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as one:
        response = client.get(url, params or {})
    assert len(response.json()["results"]) == 1
    add_rows()
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url, params or {})
    assert len(response.json()["results"]) == 3


def full_demand(owner, enterprise, invited_organization, broker, **kwargs):
    demand = DemandFactory(
        organization=enterprise,
        fields=["marine-biology", "hydrogen"],
        modes=["transfer", "equity"],
        invited=[invited_organization],
        brokers=[broker],
        **kwargs,
    )
    services.demand_attach(demand=demand, user=owner, uploaded=pdf_upload())
    return demand


@pytest.mark.parametrize("actor", ["visitor", "owner", "invited", "broker", "staff"])
def test_demands_list_query_count_does_not_grow_with_rows(
    actor, actors, owner, enterprise, invited_organization, broker, django_assert_num_queries
):
    full_demand(owner, enterprise, invited_organization, broker)

    def add_rows():
        full_demand(owner, enterprise, invited_organization, broker, anonymous=True)
        full_demand(owner, enterprise, invited_organization, broker, confidential=True)

    assert_constant_queries(actors[actor], LIST, add_rows, django_assert_num_queries)


def test_demands_list_query_count_with_ordering_and_filters(
    client, owner, enterprise, invited_organization, broker, django_assert_num_queries
):
    full_demand(owner, enterprise, invited_organization, broker)

    def add_rows():
        full_demand(owner, enterprise, invited_organization, broker)
        full_demand(owner, enterprise, invited_organization, broker)

    params = {"ordering": "budget_high", "region": "370200", "budget_min": "1"}
    assert_constant_queries(client, LIST, add_rows, django_assert_num_queries, params=params)


def test_responses_list_query_count_does_not_grow_with_rows(
    login, owner, org_member, published, django_assert_num_queries
):
    def add_response():
        response = DemandResponseFactory(demand=published, created_by=org_member)
        response.achievements.set([AchievementFactory(organization=response.organization)])
        services.response_message(response=response, user=owner, body="问")

    add_response()

    def add_rows():
        add_response()
        add_response()

    assert_constant_queries(login(owner), responses_url(published), add_rows, django_assert_num_queries)


def test_response_messages_list_query_count_does_not_grow_with_rows(
    login, owner, org_member, organization, published, django_assert_num_queries
):
    ours = DemandResponseFactory(demand=published, organization=organization)
    services.response_message(response=ours, user=owner, body="问")

    def add_rows():
        services.response_message(response=ours, user=org_member, body="答")
        services.response_message(response=ours, user=owner, body="再问")

    assert_constant_queries(login(org_member), messages_url(published, ours), add_rows, django_assert_num_queries)


# Schema ------------------------------------------------------------------------------------


def test_openapi_schema_documents_every_demand_endpoint(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if path.startswith("/api/v1/demands/")
    }
    verbs = ["submit", "confirm-recorded", "publish", "reject", "solve", "close", "reopen", "confirm"]
    responses = "/api/v1/demands/{demand_pk}/responses/"
    assert operations == {
        ("get", "/api/v1/demands/"),
        ("post", "/api/v1/demands/"),
        ("get", "/api/v1/demands/{id}/"),
        ("put", "/api/v1/demands/{id}/"),
        ("patch", "/api/v1/demands/{id}/"),
        ("delete", "/api/v1/demands/{id}/"),
        *{("post", f"/api/v1/demands/{{id}}/{verb}/") for verb in verbs},
        ("get", responses),
        ("post", responses),
        ("get", responses + "{id}/"),
        *{("post", f"{responses}{{id}}/{verb}/") for verb in ("shortlist", "decline", "start-deal", "withdraw")},
        ("get", responses + "{response_pk}/messages/"),
        ("post", responses + "{response_pk}/messages/"),
        ("get", "/api/v1/demands/{demand_pk}/matches/"),
        ("post", "/api/v1/demands/{demand_pk}/matches/{id}/feedback/"),
        ("get", "/api/v1/demands/by-ref/{external_ref}/"),
        ("put", "/api/v1/demands/by-ref/{external_ref}/"),
        ("delete", "/api/v1/demands/by-ref/{external_ref}/"),
    }
    listing = schema["paths"]["/api/v1/demands/"]["get"]
    assert {
        "q", "industry_field", "demand_type", "cooperation_mode", "budget_min", "budget_max", "max_trl", "region",
        "organization", "status", "updated_since", "ordering", "cursor", "page",
    } <= {parameter["name"] for parameter in listing["parameters"]}  # fmt: skip
    demand = schema["components"]["schemas"]["Demand"]["properties"]
    assert demand["status"] == {"allOf": [{"$ref": "#/components/schemas/DemandStatusEnum"}], "readOnly": True}
