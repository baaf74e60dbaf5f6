import pytest
from playwright.sync_api import expect

from marketplace.models import Favourite, SavedSearch
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import OrganizationFactory, UserFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_narrow_by_facets_favourite_and_save(page):
    university = OrganizationFactory(name="青岛海洋大学", kind="university", region_id="370202")
    AchievementFactory(
        title="鋰離子電池隔膜陶瓷塗覆技術", summary="提升锂离子电池隔膜的耐热性。", organization=university, trl=6
    )
    AchievementFactory(title="固态电池电解质", summary="硫化物电解质。", organization=university, trl=4)
    DemandFactory(title="动力电池回收拆解", summary="寻求退役电池自动拆解方案。")
    AchievementFactory(title="果蔬保鲜膜", summary="无关。", organization=university)
    UserFactory(username="searcher", name="林经理")

    # A visitor searches from the home page; traditional and simplified characters match alike.
    page.goto("/")
    page.get_by_label("搜索词").fill("电池")
    page.get_by_role("button", name="检索").click()
    expect(page.get_by_role("status")).to_have_text("“电池”共找到 3 条结果")
    expect(page.locator(".search-hit mark").filter(has_text="電池")).to_have_count(1)
    screenshot(page, "search-results")

    # Facets narrow the results; a selected facet clears itself.
    page.locator(".facet").filter(has_text="类型").get_by_role("link", name="技术需求").click()
    expect(page.get_by_role("status")).to_have_text("“电池”共找到 1 条结果")
    expect(page.locator(".search-hit h2")).to_have_text("动力电池回收拆解")
    page.locator(".facet").filter(has_text="类型").get_by_role("link", name="技术需求").click()
    expect(page.get_by_role("status")).to_have_text("“电池”共找到 3 条结果")
    page.get_by_role("link", name="TRL 6").click()
    expect(page.locator(".search-hit h2")).to_have_text("鋰離子電池隔膜陶瓷塗覆技術")

    # Punctuation alone gets an explanation, not an error.
    page.get_by_label("搜索词").fill("！！！")
    page.get_by_role("button", name="检索").click()
    expect(page.get_by_text("搜索词里没有可检索的词语")).to_be_visible()

    # A logged-in user marks a result (htmx, no reload) and saves the search.
    _log_in(page, "searcher")
    page.goto("/search/?q=电池")
    hit = page.locator(".search-hit").filter(has_text="固态电池电解质")
    hit.get_by_role("button", name="收藏").click()
    expect(hit.get_by_role("button", name="已收藏")).to_have_attribute("aria-pressed", "true")
    assert Favourite.objects.count() == 1
    page.get_by_text("保存此搜索").click()
    page.get_by_label("名称").fill("电池新成果")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("搜索已保存")).to_be_visible()
    assert SavedSearch.objects.get().query == "电池"

    page.goto("/workspace/favourites/")
    expect(page.locator(".list-group-item a").first).to_have_text("固态电池电解质")
    screenshot(page, "search-favourites")
