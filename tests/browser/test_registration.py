import re

import pytest
from playwright.sync_api import expect

from marketplace.models import Membership, Organization
from tests.browser.conftest import screenshot
from tests.factories.marketplace import make_uscc

WORKSPACE = re.compile(r"/workspace/$")
pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_enterprise_registers_logs_in_and_lands_on_the_chinese_workspace(page):
    page.goto("/")
    page.get_by_role("link", name="机构注册").click()

    page.get_by_label("用户名").fill("haiyang")
    page.get_by_label("姓名").fill("林海洋")
    page.get_by_label("电子邮箱").fill("lin@haiyang.cn")
    page.locator("#id_password1").fill("Haiyang-Keji-2026")
    page.locator("#id_password2").fill("Haiyang-Keji-2026")
    page.get_by_label("注册新机构").check()
    page.get_by_label("机构名称", exact=True).fill("青岛海洋装备科技有限公司")
    page.get_by_label("机构类型").select_option("enterprise")
    page.get_by_label("统一社会信用代码", exact=True).fill(make_uscc(321, region_code="370211"))
    page.get_by_label("省份").select_option(label="山东省")
    page.locator("select[name=organization_region_2] option[value='370200']").wait_for(state="attached")
    page.get_by_label("城市").select_option(label="青岛市")
    page.locator("select[name=organization_region_3] option[value='370211']").wait_for(state="attached")
    page.get_by_label("区县").select_option(label="黄岛区")
    page.get_by_text("产业领域（选填）").click()
    page.get_by_label("海洋装备").check()
    page.locator("#id_privacy_consent").check()
    page.get_by_role("button", name="注册账号").click()

    expect(page).to_have_url(WORKSPACE)
    assert page.get_by_role("heading", name="青岛海洋装备科技有限公司").is_visible()
    assert page.get_by_text("欢迎！机构已注册").is_visible()
    assert page.get_by_text("贵机构尚未认证").is_visible()
    screenshot(page, "workspace-after-registration")

    organization = Organization.objects.get(name="青岛海洋装备科技有限公司")
    assert organization.region_id == "370211"
    assert list(organization.industry_fields.values_list("code", flat=True)) == ["marine-equipment"]
    assert Membership.objects.get(organization=organization).user.username == "haiyang"

    # Log out and back in with the new account.
    page.locator("#user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("用户名").fill("haiyang")
    page.get_by_label("密码").fill("Haiyang-Keji-2026")
    page.locator("form.card").get_by_role("button", name="登录").click()
    # The log-in link returns to the page it was clicked on; the workspace is in the user menu.
    expect(page.locator("#user-menu")).to_contain_text("林海洋")
    page.locator("#user-menu").click()
    page.get_by_role("link", name="工作台", exact=True).click()
    expect(page).to_have_url(WORKSPACE)
    expect(page.get_by_role("heading", name="青岛海洋装备科技有限公司")).to_be_visible()
    expect(page.get_by_role("navigation", name="工作台").get_by_role("link", name="概览")).to_be_visible()


def test_registration_errors_are_shown_in_chinese_next_to_the_fields(page):
    page.goto("/accounts/register/")
    page.get_by_label("用户名").fill("baduser")
    page.get_by_label("姓名").fill("错误")
    page.get_by_label("电子邮箱").fill("bad@example.cn")
    page.locator("#id_password1").fill("12345678")
    page.locator("#id_password2").fill("12345678")
    page.get_by_label("统一社会信用代码", exact=True).fill("91350100M000100Y44")
    page.get_by_role("button", name="注册账号").click()

    assert page.get_by_text("统一社会信用代码校验位不正确").is_visible()
    assert page.get_by_text("请填写机构的完整注册名称。").is_visible()
    assert page.locator("#id_organization_uscc").get_attribute("aria-invalid") == "true"
    screenshot(page, "registration-errors")
