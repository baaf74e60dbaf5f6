"""/api/v1/search/, /api/v1/favourites/ and /api/v1/saved-searches/."""

import pytest
from rest_framework.test import APIClient

from marketplace.models import Favourite, SavedSearch
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/"
FAVOURITES = "/api/v1/favourites/"
SAVED = "/api/v1/saved-searches/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_search_returns_ranked_highlighted_hits_with_facets():
    owner = OrganizationFactory(name="青岛测试大学", kind="university", region_id="370202")
    achievement = AchievementFactory(title="锂离子电池隔膜", organization=owner, trl=6, fields=["new-energy-batteries"])
    DemandFactory(title="电池热管理", summary="液冷方案。")

    body = api().get(SEARCH, {"q": "电池", "kind": "achievement"}).json()

    assert body["count"] == 1 and body["count_capped"] is False and body["pages"] == 1
    hit = body["results"][0]
    assert hit["kind"] == "achievement" and hit["id"] == achievement.pk
    assert hit["title_highlighted"] == "锂离子<mark>电池</mark>隔膜"
    assert hit["url"] == f"http://testserver{achievement.get_absolute_url()}"
    assert hit["organization"] == {"id": owner.pk, "name": "青岛测试大学"}
    assert hit["trl"] == 6 and hit["region"] == "370202"
    kinds = next(facet for facet in body["facets"] if facet["name"] == "kind")
    assert kinds["values"] == [{"value": "achievement", "label": "科技成果", "count": 1, "selected": True}]


def test_the_schema_documents_the_search_results_as_one_object(client):
    # The search answers one SearchResults object, not an array of them.
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    response = schema["paths"][SEARCH]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert response == {"$ref": "#/components/schemas/SearchResults"}


def test_search_pages_link_to_each_other():
    for n in range(25):
        AchievementFactory(title=f"电池{n}")

    first = api().get(SEARCH, {"q": "电池"}).json()
    assert first["count"] == 25 and first["pages"] == 2 and first["previous"] is None
    second = api().get(first["next"]).json()
    assert len(second["results"]) == 5 and second["next"] is None
    assert {hit["id"] for hit in first["results"]}.isdisjoint({hit["id"] for hit in second["results"]})


def test_anonymous_demands_do_not_name_their_enterprise():
    enterprise = OrganizationFactory(name="深蓝海洋科技有限公司")
    DemandFactory(organization=enterprise, title="海藻提取", anonymous=True)

    body = api().get(SEARCH, {"q": "海藻"}).json()
    assert body["results"][0]["organization"] is None
    assert "深蓝" not in str(body)
    assert api().get(SEARCH, {"q": "深蓝海洋", "kind": "demand"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"region": "abc"}, "region", "行政区划代码应为 6 位数字（GB/T 2260）。"),
        ({"trl_min": "12"}, "trl_min", "选择一个有效的选项。 12 不在可用的选项中。"),
        ({"page": "0"}, "page", "确保该值大于或等于1。"),
    ],
)
def test_bad_parameters_get_chinese_field_errors(params, field, message):
    response = api().get(SEARCH, {"q": "电池", **params})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: [message]}


def test_awkward_queries_answer_with_notices():
    body = api().get(SEARCH, {"q": "！！！"}).json()
    assert body["count"] == 0 and body["notices"] == ["搜索词里没有可检索的词语（只有标点或常用虚词），请换个说法。"]
    long = api().get(SEARCH, {"q": "电池" * 600})
    assert long.status_code == 200 and "只按搜索词的前 100 个字符" in long.json()["notices"][0]


def test_search_query_count_is_flat(django_assert_num_queries):
    AchievementFactory(title="电池")
    api().get(SEARCH, {"q": "电池"})
    with django_assert_num_queries(9):  # sample, page, organizations, fields, regions, facets…
        api().get(SEARCH, {"q": "电池"})
    for n in range(6):
        AchievementFactory(title=f"电池{n}", fields=["hydrogen"])
    with django_assert_num_queries(9):  # sample, page, organizations, fields, regions, facets…
        assert len(api().get(SEARCH, {"q": "电池"}).json()["results"]) == 7


def test_favourites_belong_to_their_user():
    user, other = UserFactory(), UserFactory()
    achievement = AchievementFactory(title="地膜")
    draft = AchievementFactory(title="草稿", draft=True)

    assert api().get(FAVOURITES).status_code in (401, 403)
    created = api(user).post(FAVOURITES, {"kind": "achievement", "object_id": achievement.pk}, format="json")
    assert created.status_code == 201
    assert created.json()["title"] == "地膜" and created.json()["listed"] is True
    assert created.json()["url"].endswith(achievement.get_absolute_url())
    hidden = api(user).post(FAVOURITES, {"kind": "achievement", "object_id": draft.pk}, format="json")
    assert hidden.status_code == 404
    bad = api(user).post(FAVOURITES, {"kind": "rocket", "object_id": 1}, format="json")
    assert bad.status_code == 400 and "kind" in bad.json()["error"]["fields"]

    listing = api(user).get(FAVOURITES).json()["results"]
    assert [(row["listing_kind"], row["object_id"], row["listed"]) for row in listing] == [
        ("achievement", achievement.pk, True)
    ]
    assert api(other).get(FAVOURITES).json()["results"] == []
    favourite = Favourite.objects.get()
    assert api(other).delete(f"{FAVOURITES}{favourite.pk}/").status_code == 404
    assert api(user).delete(f"{FAVOURITES}{favourite.pk}/").status_code == 204


def test_favourites_list_query_count_is_flat(django_assert_num_queries):
    user = UserFactory()
    for n in range(2):
        Favourite.objects.create(
            user=user, content_type_id=_achievement_type(), object_id=AchievementFactory().pk, title=str(n)
        )
    with django_assert_num_queries(2):  # the page of favourites, then their documents
        api(user).get(FAVOURITES)
    for n in range(5):
        Favourite.objects.create(
            user=user, content_type_id=_achievement_type(), object_id=AchievementFactory().pk, title=str(n)
        )
    with django_assert_num_queries(2):
        assert len(api(user).get(FAVOURITES).json()["results"]) == 7


def _achievement_type() -> int:
    from django.contrib.contenttypes.models import ContentType

    from achievements.models import Achievement

    return ContentType.objects.get_for_model(Achievement).pk


def test_saved_searches_are_created_validated_and_private():
    user, other = UserFactory(), UserFactory()

    created = api(user).post(
        SAVED, {"name": "电池", "query": "电池", "filters": {"kind": "demand", "region": "370200"}}, format="json"
    )
    assert created.status_code == 201
    assert created.json()["filters"] == {"kind": "demand", "region": "370200"}
    saved = SavedSearch.objects.get()
    assert saved.user == user

    bad = api(user).post(SAVED, {"name": "x", "query": "电池", "filters": {"region": "37"}}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["fields"] == {
        "region": ["行政区划代码应为 6 位数字（GB/T 2260）。"]
    }
    unknown = api(user).post(SAVED, {"name": "x", "query": "电池", "filters": {"colour": "red"}}, format="json")
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"] == {"filters": ["未知的筛选条件：colour。"]}
    empty = api(user).post(SAVED, {"name": "x", "query": ""}, format="json")
    assert empty.status_code == 400

    assert api(other).get(f"{SAVED}{saved.pk}/").status_code == 404
    assert api(other).delete(f"{SAVED}{saved.pk}/").status_code == 404
    assert [row["id"] for row in api(user).get(SAVED).json()["results"]] == [saved.pk]
    assert api(user).delete(f"{SAVED}{saved.pk}/").status_code == 204
