import pytest
from playwright.sync_api import expect

from marketplace.enums import MembershipRole
from marketplace.models import Match, MatchFeedback
from marketplace.services import matching as services
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in
from tests.factories.achievements import AchievementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_matches_appear_while_typing_and_take_feedback(page):
    enterprise = OrganizationFactory(name="青岛海洋装备制造有限公司", kind="enterprise")
    MembershipFactory(organization=enterprise, user__username="boss", user__name="周总", role=MembershipRole.ADMIN)
    university = OrganizationFactory(name="青岛海洋大学", kind="university")
    AchievementFactory(
        title="厚壁钛合金焊缝超声相控阵检测技术",
        summary="超声相控阵检测厚壁钛合金焊缝缺陷，检出率 98%。",
        organization=university,
        trl=6,
        fields=["marine-equipment"],
    )
    AchievementFactory(title="海水淡化反渗透膜抗污染改性", summary="反渗透膜表面改性。", organization=university)
    AchievementFactory(title="深远海养殖网箱监测系统", summary="网箱水质与鱼群监测。", organization=university)

    # While the enterprise types its demand, the achievement that fits shows up with its reasons.
    _log_in(page, "boss")
    page.goto("/workspace/demands/new/")
    preview = page.locator("#match-preview-panel")
    expect(preview).to_contain_text("填写标题和问题描述")
    page.get_by_label("标题").fill("深海耐压舱体焊缝无损检测")
    page.get_by_label("技术问题").fill("现有超声检测对厚壁钛合金焊缝的缺陷检出率不足。")
    expect(preview.get_by_role("link", name="厚壁钛合金焊缝超声相控阵检测技术")).to_be_visible()
    preview.get_by_text("匹配理由").first.click()
    expect(preview).to_contain_text("关键词相关度")
    screenshot(page, "matching-live-preview")

    # Once published, the demand's matches are stored; the enterprise marks one useful.
    demand = DemandFactory(
        organization=enterprise,
        title="深海耐压舱体焊缝无损检测",
        summary="寻求厚壁钛合金焊缝超声检测技术。",
        problem="厚壁钛合金焊缝缺陷检出率不足。",
        keywords=["超声检测", "钛合金焊缝"],
        fields=["marine-equipment"],
    )
    services.recompute("demand", demand.pk)
    page.goto(f"/workspace/demands/{demand.pk}/")
    page.get_by_role("link", name="查看全部匹配及理由").click()
    card = page.locator("article", has_text="厚壁钛合金焊缝超声相控阵检测技术")
    expect(card).to_contain_text("同属产业领域：海洋装备")
    card.get_by_role("button", name="有用").click()
    expect(card.get_by_role("button", name="有用")).to_have_attribute("aria-pressed", "true")
    expect(card).to_contain_text("谢谢，已记录。")
    screenshot(page, "matching-demand-matches")
    match = Match.objects.get(demand=demand, achievement__title="厚壁钛合金焊缝超声相控阵检测技术")
    assert MatchFeedback.objects.get(match=match).verdict == "useful"
