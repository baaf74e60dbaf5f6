import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from demands.enums import ResponseStatus, Status
from demands.models import Demand, DemandResponse
from marketplace.enums import MembershipRole, StaffGroup
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in, _log_out
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_post_publish_respond_and_decline_with_a_reason(page):
    enterprise = OrganizationFactory(name="青岛海洋装备制造有限公司", kind="enterprise")
    MembershipFactory(organization=enterprise, user__username="boss", user__name="周总", role=MembershipRole.ADMIN)
    university = OrganizationFactory(name="青岛海洋大学", kind="university")
    MembershipFactory(organization=university, user__username="prof", user__name="吴教授", role=MembershipRole.ADMIN)
    UserFactory(username="reviewer", name="钱审核", staff_groups=[StaffGroup.REVIEWER])

    # The enterprise posts a demand through the guided form; a wrong budget is caught inline.
    _log_in(page, "boss")
    page.goto("/workspace/demands/")
    page.get_by_role("link", name="发布需求").click()
    page.get_by_label("标题").fill("深海耐压舱体焊缝无损检测技术")
    page.get_by_label("公开摘要").fill("寻求适用于深海耐压舱体厚壁焊缝的无损检测方案。")
    page.get_by_label("解决技术难题").check()
    page.get_by_role("checkbox", name="海洋装备").check()
    page.get_by_label("技术问题").fill("现有超声检测对 80mm 以上厚壁钛合金焊缝的缺陷检出率不足 90%。")
    page.get_by_label("预算从（万元）").fill("200")
    page.get_by_label("预算到（万元）").fill("100")
    page.get_by_label("预算到（万元）").blur()
    expect(page.get_by_text("预算下限高于上限。")).to_be_visible()
    page.get_by_label("预算从（万元）").fill("50")
    page.get_by_label("截止日期").fill((timezone.localdate() + timedelta(days=60)).isoformat())
    page.get_by_label("委托开发").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("已提交审核。")).to_be_visible()
    demand = Demand.objects.get()
    assert demand.status == Status.SUBMITTED
    _log_out(page)

    # Staff publish it in the admin console.
    _log_in(page, "reviewer")
    page.goto("/admin/demands/demand/?status__exact=submitted")
    page.locator(f"input[name=_selected_action][value='{demand.pk}']").check()
    page.locator("select[name=action]").select_option("publish")
    page.get_by_role("button", name="执行").click()
    expect(page.get_by_text("已发布 1 项需求")).to_be_visible()
    _log_out(page)

    # It appears on the board; the university responds.
    page.goto("/demands/")
    page.get_by_role("link", name="深海耐压舱体焊缝无损检测技术").click()
    expect(page.get_by_text("50–100 万元")).to_be_visible()
    _log_in(page, "prof")
    page.goto(f"/demands/{demand.pk}/")
    page.get_by_role("link", name="提交解决方案").click()
    page.get_by_label("解决方案").fill("采用相控阵超声与数字射线成像相结合的方法，缺陷检出率可达 98%。")
    page.get_by_label("参考报价（万元）").fill("80")
    page.get_by_role("button", name="提交响应").click()
    expect(page.get_by_text("响应已发送给企业")).to_be_visible()
    _log_out(page)

    # The enterprise declines it with a reason…
    _log_in(page, "boss")
    page.goto(f"/workspace/demands/{demand.pk}/")
    page.get_by_role("link", name=re.compile("青岛海洋大学")).click()
    page.get_by_text("谢绝", exact=True).first.click()
    page.get_by_label("价格过高").check()
    page.get_by_label("给响应方的说明").fill("报价超出本期预算")
    page.locator("form[action$='/decline/'] button").click()
    expect(page.get_by_text("已谢绝，响应方将看到您选择的原因。")).to_be_visible()
    _log_out(page)

    # …which the university sees.
    _log_in(page, "prof")
    page.goto("/workspace/responses/")
    page.get_by_role("link", name=re.compile("深海耐压舱体")).click()
    expect(page.get_by_text("价格过高")).to_be_visible()
    expect(page.get_by_text("报价超出本期预算")).to_be_visible()
    screenshot(page, "demand-response-declined")
    assert DemandResponse.objects.get().status == ResponseStatus.DECLINED
