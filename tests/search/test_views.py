"""The search page, saved-search and favourite pages."""

import pytest
from django.urls import reverse

from marketplace.models import Favourite, SavedSearch
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import UserFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("search")


def hit_titles(response) -> list[str]:
    import re

    return [
        re.sub(r"<[^>]+>", "", title)
        for title in re.findall(r'<h2 class="h6[^"]*"><a href="[^"]+">(.*?)</a>', response.content.decode())
    ]


def test_search_page_ranks_highlights_and_counts(client):
    AchievementFactory(title="锂离子电池隔膜", summary="陶瓷涂覆隔膜。")
    DemandFactory(title="电池热管理需求", summary="寻求电池包液冷方案。")
    AchievementFactory(title="果蔬保鲜", summary="无关。")

    response = client.get(SEARCH, {"q": "电池"})

    body = response.content.decode()
    assert response.status_code == 200
    assert set(hit_titles(response)) == {"锂离子电池隔膜", "电池热管理需求"}
    assert "<mark>电池</mark>" in body
    assert "“电池”共找到 2 条结果" in body
    assert "科技成果" in body and "技术需求" in body  # kind badges and the kind facet
    assert "登录后保存此搜索" in body


def test_facet_links_narrow_and_clear(client):
    AchievementFactory(title="电池成果")
    DemandFactory(title="电池需求")

    page = client.get(SEARCH, {"q": "电池"}).content.decode()
    assert 'href="?q=%E7%94%B5%E6%B1%A0&amp;kind=demand"' in page

    narrowed = client.get(SEARCH, {"q": "电池", "kind": "demand"})
    assert hit_titles(narrowed) == ["电池需求"]
    assert 'aria-current="true"' in narrowed.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "！！！"}, "搜索词里没有可检索的词语"),
        ({"q": "电池" * 500}, "只按搜索词的前 100 个字符"),
        ({"q": "电池", "region": "37"}, "行政区划代码应为 6 位数字"),
        ({"q": "电池", "trl_min": "7", "trl_max": "3"}, "最高等级不能低于最低等级。"),
        ({"q": "电池", "kind": "spaceship"}, "选择一个有效的选项"),
    ],
)
def test_bad_input_gets_a_chinese_message_not_an_error(client, params, message):
    AchievementFactory(title="电池")

    response = client.get(SEARCH, params)

    assert response.status_code == 200
    assert message in response.content.decode()


def test_search_page_queries_do_not_grow_with_results(client, django_assert_num_queries):
    AchievementFactory(title="电池一", fields=["hydrogen"])
    client.get(SEARCH, {"q": "电池"})  # the synonym map is read once, then cached

    # the sample (count and facets), the page, its fields and their names, region names, the field facet,
    # the region facet's names
    with django_assert_num_queries(9):  # sample, page, organizations, fields, regions, facets…
        assert len(hit_titles(client.get(SEARCH, {"q": "电池"}))) == 1
    for n in range(8):
        AchievementFactory(title=f"电池{n}", fields=["hydrogen", "new-energy-batteries"])
        DemandFactory(title=f"电池需求{n}")
    with django_assert_num_queries(9):  # sample, page, organizations, fields, regions, facets…
        assert len(hit_titles(client.get(SEARCH, {"q": "电池"}))) == 17


def test_saving_a_search_needs_a_login_and_is_listed_and_deleted_by_its_owner(client, login):
    owner, stranger = UserFactory(username="owner"), UserFactory(username="stranger")

    anonymous = client.post(reverse("search-save"), {"q": "电池", "name": "电池"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]

    response = login(owner).post(reverse("search-save"), {"q": "电池", "kind": "achievement", "name": "我的电池"})
    saved = SavedSearch.objects.get(user=owner)
    assert (saved.name, saved.query, saved.filters) == ("我的电池", "电池", {"kind": "achievement"})
    assert response["Location"] == "/search/?q=%E7%94%B5%E6%B1%A0&kind=achievement"

    listing = login(owner).get(reverse("workspace:saved-searches")).content.decode()
    assert "我的电池" in listing and "/search/?q=%E7%94%B5%E6%B1%A0&amp;kind=achievement" in listing
    assert "我的电池" not in login(stranger).get(reverse("workspace:saved-searches")).content.decode()

    delete = reverse("workspace:saved-search-delete", args=[saved.pk])
    assert login(stranger).post(delete).status_code == 404
    assert login(owner).post(delete).status_code == 302
    assert not SavedSearch.objects.exists()


def test_saving_an_empty_search_explains_why(login):
    user = UserFactory()

    response = login(user).post(reverse("search-save"), {"q": "", "name": "空"}, follow=True)

    assert "请填写搜索词或至少选择一个筛选条件后再保存。" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_favourite_toggle_with_htmx_and_the_favourites_page(client, login):
    user = UserFactory()
    achievement = AchievementFactory(title="可降解地膜")
    toggle = reverse("favourite-toggle", args=["achievement", achievement.pk])

    assert client.post(toggle).status_code == 302  # to the login page
    first = login(user).post(toggle, HTTP_HX_REQUEST="true")
    assert first.status_code == 200 and 'aria-pressed="true"' in first.content.decode()
    assert Favourite.objects.filter(user=user, object_id=achievement.pk).exists()

    detail = login(user).get(achievement.get_absolute_url()).content.decode()
    assert "已收藏" in detail

    page = login(user).get(reverse("workspace:favourites")).content.decode()
    assert "可降解地膜" in page and achievement.get_absolute_url() in page

    achievement.status = "withdrawn"
    achievement.save()
    from marketplace import search

    search.update(achievement)
    page = login(user).get(reverse("workspace:favourites")).content.decode()
    assert "可降解地膜" in page and "已下架" in page

    second = login(user).post(toggle, {"next": "/workspace/favourites/"})
    assert second["Location"] == "/workspace/favourites/"
    assert not Favourite.objects.exists()


def test_favourites_are_only_for_public_listings_and_private_to_each_user(login):
    user, other = UserFactory(), UserFactory()
    draft = AchievementFactory(title="草稿", draft=True)
    published = AchievementFactory(title="公开成果")

    assert login(user).post(reverse("favourite-toggle", args=["achievement", draft.pk])).status_code == 404
    assert login(user).post(reverse("favourite-toggle", args=["nothing", published.pk])).status_code == 404
    login(user).post(reverse("favourite-toggle", args=["achievement", published.pk]))
    assert "公开成果" not in login(other).get(reverse("workspace:favourites")).content.decode()


def test_the_library_and_the_board_search_through_the_index(client):
    AchievementFactory(title="锂离子电池隔膜")
    AchievementFactory(title="果蔬保鲜")
    DemandFactory(title="动力电池回收")

    library = client.get(reverse("achievements:list"), {"q": "电池"}).content.decode()
    assert "锂离子电池隔膜" in library and "果蔬保鲜" not in library
    board = client.get(reverse("demands:list"), {"q": "电池"}).content.decode()
    assert "动力电池回收" in board
