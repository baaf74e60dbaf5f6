"""Matches in the workspace and the API: who sees them, what they show, feedback, preview, throttles."""

import pytest
from rest_framework.test import APIClient

from marketplace.api.matching import MatchAnonThrottle
from marketplace.enums import MembershipRole
from marketplace.models import Match, MatchFeedback
from marketplace.services import matching as services
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory
from tests.matching.conftest import FILLER, cathode_demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    university = OrganizationFactory(name="样本理工大学", kind="university")
    for title, summary in FILLER:
        AchievementFactory(title=title, summary=summary, organization=university, fields=["water-treatment"])
    institute = OrganizationFactory(name="正极材料研究院", kind="institute")
    institute_admin = MembershipFactory(organization=institute, role=MembershipRole.ADMIN).user
    enterprise = OrganizationFactory(name="青岛锂能科技有限公司", kind="enterprise")
    enterprise_admin = MembershipFactory(organization=enterprise, role=MembershipRole.ADMIN).user
    achievements = [
        AchievementFactory(
            title=f"高镍三元正极材料包覆改性方法{n}",
            summary="高镍三元正极材料包覆改性，提升循环寿命。",
            organization=institute,
            trl=6,
        )
        for n in range(4)
    ]
    demand = cathode_demand(organization=enterprise)
    anonymous = cathode_demand(organization=enterprise, anonymous=True, title="高镍正极包覆改性（匿名）")
    for d in (demand, anonymous):
        services.recompute("demand", d.pk)
    return {
        "demand": demand,
        "anonymous": anonymous,
        "achievement": achievements[0],
        "enterprise_admin": enterprise_admin,
        "institute_admin": institute_admin,
    }


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_demand_page_shows_each_match_with_its_reasons_in_chinese(world, login):
    demand = world["demand"]
    response = login(world["enterprise_admin"]).get(f"/workspace/demands/{demand.pk}/matches/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "高镍三元正极材料包覆改性方法0" in html
    for label in ("关键词相关度", "产业领域", "技术成熟度", "价格与预算", "信息时效"):
        assert label in html
    assert "同属产业领域：新能源电池" in html
    assert "成果处于 TRL 6，需求要求 TRL 5 及以上" in html


def test_match_pages_are_404_for_other_organizations_and_visitors(world, login, foreign_user, client):
    demand, achievement = world["demand"], world["achievement"]
    for path in (f"/workspace/demands/{demand.pk}/matches/", f"/workspace/achievements/{achievement.pk}/matches/"):
        assert login(foreign_user).get(path).status_code == 404
        assert client.get(path).status_code == 302  # to the log-in page
    assert login(world["institute_admin"]).get(f"/workspace/demands/{demand.pk}/matches/").status_code == 404
    assert login(world["enterprise_admin"]).get(f"/workspace/achievements/{achievement.pk}/matches/").status_code == 404


def test_the_achievement_page_never_names_an_anonymous_enterprise(world, login):
    response = login(world["institute_admin"]).get(f"/workspace/achievements/{world['achievement'].pk}/matches/")

    html = response.content.decode()
    assert "高镍正极包覆改性（匿名）" in html
    assert "青岛锂能科技有限公司" in html  # the public demand names it …
    assert html.count("青岛锂能科技有限公司") == 1  # … the anonymous one does not
    assert "匿名企业" in html


def test_the_lists_read_a_fixed_number_of_queries_whatever_their_length(world, login, django_assert_max_num_queries):
    demand = world["demand"]
    client = login(world["enterprise_admin"])
    client.get(f"/workspace/demands/{demand.pk}/matches/")  # warm the session and caches
    assert Match.objects.for_demand(demand.pk).count() >= 4
    with django_assert_max_num_queries(16):
        client.get(f"/workspace/demands/{demand.pk}/matches/")


def test_feedback_from_the_page_is_stored_and_shown(world, login):
    demand = world["demand"]
    match = Match.objects.for_demand(demand.pk).first()
    client = login(world["enterprise_admin"])

    response = client.post(f"/matches/{match.pk}/feedback/", {"verdict": "contacted"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    assert MatchFeedback.objects.get(match=match).verdict == "contacted"
    assert "1 次已联系" in client.get(f"/workspace/demands/{demand.pk}/matches/").content.decode()


def test_feedback_from_outsiders_is_404_and_stores_nothing(world, login, foreign_user, reviewer):
    match = Match.objects.for_demand(world["demand"].pk).first()
    for user in (foreign_user, reviewer):
        assert login(user).post(f"/matches/{match.pk}/feedback/", {"verdict": "useful"}).status_code == 404
    response = login(world["enterprise_admin"]).post(f"/matches/{match.pk}/feedback/", {"verdict": "great"})
    assert response.status_code == 400
    assert not MatchFeedback.objects.exists()


def test_the_live_preview_ranks_achievements_for_a_half_typed_demand(world, login):
    client = login(world["enterprise_admin"])

    short = client.post("/matching/preview/", {"title": "高镍"})
    typed = client.post(
        "/matching/preview/",
        {"title": "高镍三元正极材料包覆", "problem": "循环寿命不足", "min_trl": "5", "industry_fields": "abc"},
    )

    assert "填写标题和问题描述" in short.content.decode()
    html = typed.content.decode()
    assert typed.status_code == 200
    assert "高镍三元正极材料包覆改性方法" in html
    assert "技术成熟度" in html  # min_trl was read; the bad industry field was ignored


def test_the_api_lists_a_demands_matches_with_reasons_adding_up(world):
    demand = world["demand"]
    response = api(world["enterprise_admin"]).get(f"/api/v1/demands/{demand.pk}/matches/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] >= 4
    first = body["results"][0]
    assert first["achievement"]["title"].startswith("高镍三元正极材料包覆改性方法")
    assert sum(reason["points"] for reason in first["reasons"]) == pytest.approx(first["score"])
    assert {reason["label"] for reason in first["reasons"]} >= {"关键词相关度", "技术成熟度"}


def test_the_api_hides_an_anonymous_enterprise_in_an_achievements_matches(world):
    achievement = world["achievement"]
    response = api(world["institute_admin"]).get(f"/api/v1/achievements/{achievement.pk}/matches/")

    demands = {row["demand"]["title"]: row["demand"] for row in response.json()["results"]}
    assert demands["高镍正极包覆改性（匿名）"]["organization"] is None
    assert demands[world["demand"].title]["organization"]["name"] == "青岛锂能科技有限公司"
    assert "青岛锂能" not in str(demands["高镍正极包覆改性（匿名）"])


def test_the_api_match_lists_are_404_for_other_organizations(world, foreign_user):
    demand, achievement = world["demand"], world["achievement"]
    for path in (f"/api/v1/demands/{demand.pk}/matches/", f"/api/v1/achievements/{achievement.pk}/matches/"):
        assert api(foreign_user).get(path).status_code == 404
        assert api().get(path).status_code in (401, 403)
    assert api(world["institute_admin"]).get(f"/api/v1/demands/{demand.pk}/matches/").status_code == 404


def test_api_feedback(world, foreign_user):
    demand = world["demand"]
    match = Match.objects.for_demand(demand.pk).first()
    path = f"/api/v1/demands/{demand.pk}/matches/{match.pk}/feedback/"

    assert api(foreign_user).post(path, {"verdict": "useful"}, format="json").status_code == 404
    bad = api(world["enterprise_admin"]).post(path, {"verdict": "great"}, format="json")
    good = api(world["enterprise_admin"]).post(path, {"verdict": "useful"}, format="json")

    assert bad.status_code == 400 and "verdict" in bad.json()["error"]["fields"]
    assert good.status_code == 200 and good.json() == {"match": match.pk, "verdict": "useful", "side": "demand"}
    listed = api(world["enterprise_admin"]).get(f"/api/v1/demands/{demand.pk}/matches/").json()["results"]
    assert next(row for row in listed if row["id"] == match.pk)["my_feedback"] == "useful"


def test_api_feedback_on_a_match_id_that_is_no_number_is_404(world):
    # Found by the schemathesis fuzzing: a match id like "abc" was a 500.
    path = f"/api/v1/demands/{world['demand'].pk}/matches/abc/feedback/"

    response = api(world["enterprise_admin"]).post(path, {"verdict": "useful"}, format="json")

    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_the_schema_documents_the_match_lists_as_the_objects_they_answer(world, client):
    # The lists answer {count, results} (and notices for free text), not bare arrays.
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    expected = {
        "/api/v1/demands/{demand_pk}/matches/": {"count", "results"},
        "/api/v1/achievements/{achievement_pk}/matches/": {"count", "results"},
        "/api/v1/match/achievements/": {"count", "notices", "results"},
    }
    for path, keys in expected.items():
        reference = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        component = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
        assert component["type"] == "object" and set(component["properties"]) == keys, path
    body = api().get("/api/v1/match/achievements/", {"q": "正极材料"}).json()
    assert set(body) == expected["/api/v1/match/achievements/"]


def test_free_text_matching_in_the_api(world):
    response = api().get("/api/v1/match/achievements/", {"q": "寻找高镍正极材料包覆技术", "min_trl": 5, "limit": 3})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["results"][0]["achievement"]["title"].startswith("高镍三元正极材料包覆改性方法")
    assert body["results"][0]["reasons"][0]["label"] == "关键词相关度"


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "q"), ({"q": ""}, "q"), ({"q": "x" * 2001}, "q"), ({"q": "电池", "min_trl": 12}, "min_trl"),
     ({"q": "电池", "field": "nope"}, "field"), ({"q": "电池", "region": "12"}, "region")],
)  # fmt: skip
def test_bad_free_text_requests_get_field_errors_in_chinese(world, params, field):
    response = api().get("/api/v1/match/achievements/", params)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_absurd_free_text_gets_an_honest_empty_list(world):
    body = api().get("/api/v1/match/achievements/", {"q": "！！！？？？"}).json()
    assert body["count"] == 0 and body["notices"]


def test_anonymous_free_text_matching_is_throttled(world, monkeypatch):
    monkeypatch.setattr(MatchAnonThrottle, "THROTTLE_RATES", {"match_anon": "2/minute"})
    client = api()
    statuses = [client.get("/api/v1/match/achievements/", {"q": "正极材料"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_staff_see_the_triage_queue_and_others_do_not(world, login, reviewer, foreign_user):
    lonely = DemandFactory(title="深海热液硫化物原位探测", summary="深海热液区硫化物原位探测。", problem="深海。")
    services.recompute("demand", lonely.pk)

    page = login(reviewer).get("/workspace/triage/")

    assert page.status_code == 200
    assert "深海热液硫化物原位探测" in page.content.decode()
    assert world["demand"].title not in page.content.decode()
    assert login(foreign_user).get("/workspace/triage/").status_code == 404


def test_api_feedback_from_the_achievement_side(world, foreign_user):
    achievement = world["achievement"]
    match = Match.objects.for_achievement(achievement.pk).first()
    path = f"/api/v1/achievements/{achievement.pk}/matches/{match.pk}/feedback/"

    assert api(foreign_user).post(path, {"verdict": "contacted"}, format="json").status_code == 404
    assert api(world["enterprise_admin"]).post(path, {"verdict": "contacted"}, format="json").status_code == 404
    response = api(world["institute_admin"]).post(path, {"verdict": "contacted"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"match": match.pk, "verdict": "contacted", "side": "achievement"}
    assert MatchFeedback.objects.get(match=match).user == world["institute_admin"]
