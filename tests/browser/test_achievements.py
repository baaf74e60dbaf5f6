import re

import pytest
from playwright.sync_api import expect

from achievements.enums import Status
from achievements.models import Achievement, Inquiry
from marketplace.enums import MembershipRole, StaffGroup
from tests.browser.conftest import pass_second_factor, screenshot, staff_authenticator
from tests.factories.marketplace import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, username):
    authenticator = staff_authenticator(username)
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.card").get_by_role("button", name="登录").click()
    if authenticator is not None:
        pass_second_factor(page, authenticator)
    expect(page.locator("#user-menu")).to_be_visible()


def _log_out(page):
    page.goto("/")
    page.locator("#user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_role("link", name="注册", exact=True)).to_be_visible()


def test_submit_review_publish_inquire_and_answer(page):
    university = OrganizationFactory(name="青岛海洋大学", kind="university")
    MembershipFactory(organization=university, user__username="teacher", user__name="王老师", role=MembershipRole.ADMIN)
    enterprise = OrganizationFactory(name="青岛海水淡化装备有限公司", kind="enterprise")
    MembershipFactory(organization=enterprise, user__username="buyer", user__name="李经理", role=MembershipRole.ADMIN)
    UserFactory(username="reviewer", name="钱审核", staff_groups=[StaffGroup.REVIEWER])

    # A university member writes and submits an achievement.
    _log_in(page, "teacher")
    page.goto("/workspace/achievements/")
    page.get_by_role("link", name="新建成果").click()
    page.get_by_label("成果名称").fill("一种耐氯反渗透复合膜及其制备方法")
    page.get_by_label("成果简介").fill("通过界面聚合引入耐氯单体，使反渗透膜在含氯环境中寿命提高三倍。")
    page.get_by_label("产业科技创新成果").check()
    page.get_by_label("技术成熟度").select_option("6")
    page.get_by_label("水处理").check()
    page.get_by_label("关键词").fill("反渗透，海水淡化")
    page.get_by_label("转让").check()
    page.get_by_label("意向价格（万元）").fill("150")
    page.get_by_label("联系人").fill("王老师")
    page.get_by_label("电话", exact=False).last.fill("13912345678")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交审核。")).to_be_visible()
    achievement = Achievement.objects.get()
    assert achievement.status == Status.SUBMITTED
    _log_out(page)

    # A bureau reviewer approves it in the admin console.
    _log_in(page, "reviewer")
    page.goto("/admin/achievements/achievement/?status__exact=submitted")
    page.locator(f"input[name=_selected_action][value='{achievement.pk}']").check()
    page.locator("select[name=action]").select_option("publish")
    page.get_by_role("button", name="执行").click()
    expect(page.get_by_text("已发布 1 项成果")).to_be_visible()
    screenshot(page, "admin-achievement-published")
    _log_out(page)

    # It shows in the public library.
    page.goto("/achievements/")
    page.get_by_label("检索", exact=True).fill("反渗透")
    page.get_by_role("button", name="检索").click()
    page.get_by_role("link", name="一种耐氯反渗透复合膜及其制备方法").click()
    expect(page.get_by_text("139****5678")).to_be_visible()
    screenshot(page, "achievement-detail-public")

    # Another organization sends an inquiry…
    _log_in(page, "buyer")
    page.goto(f"/achievements/{achievement.pk}/")
    page.get_by_label("您的问题").fill("请问是否支持独占许可？能否提供样品测试？")
    page.get_by_role("button", name="发送询价").click()
    expect(page.get_by_text("询价已发送")).to_be_visible()
    _log_out(page)

    # …and the university answers it.
    _log_in(page, "teacher")
    page.goto("/workspace/inquiries/")
    page.get_by_role("link", name=re.compile("一种耐氯反渗透复合膜")).click()
    page.get_by_label("留言").fill("支持独占许可，可提供 10 平方米样品。")
    page.get_by_role("button", name="发送", exact=True).click()
    expect(page.get_by_text("留言已发送")).to_be_visible()
    _log_out(page)

    _log_in(page, "buyer")
    page.goto("/workspace/inquiries/?box=sent")
    page.get_by_role("link", name=re.compile("一种耐氯反渗透复合膜")).click()
    expect(page.get_by_text("支持独占许可，可提供 10 平方米样品。")).to_be_visible()
    expect(page.get_by_text("已回复")).to_be_visible()
    screenshot(page, "inquiry-answered")
    assert Inquiry.objects.get().status == "answered"
