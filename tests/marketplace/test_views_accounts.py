import re

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.enums import MembershipRole
from marketplace.models import JoinRequest, Membership, Organization, OutgoingMail, User
from tests.factories.marketplace import UserFactory, make_uscc

pytestmark = pytest.mark.django_db

REGISTER = reverse("register")


def _registration(**overrides):
    data = {
        "username": "qiye",
        "name": "刘企业",
        "email": "liu@qiye.cn",
        "phone": "13800138000",
        "password1": "Haiyang-Keji-2026",
        "password2": "Haiyang-Keji-2026",
        "mode": "create",
        "organization_name": "青岛海洋科技有限公司",
        "organization_kind": "enterprise",
        "organization_uscc": make_uscc(900),
        "organization_region_1": "370000",
        "organization_region_2": "370200",
        "organization_region_3": "370212",
        "privacy_consent": "on",
    }
    data.update(overrides)
    return data


def test_register_page_is_chinese(client):
    response = client.get(REGISTER)

    content = response.content.decode()
    assert "注册新机构" in content and "统一社会信用代码" in content
    assert 'name="organization_region_1"' in content  # province select of the region widget


def test_register_creates_user_and_organization_and_logs_in(client):
    response = client.post(REGISTER, _registration(), follow=True)

    assert response.redirect_chain[-1][0] == reverse("workspace:home")
    content = response.content.decode()
    assert "欢迎！机构已注册" in content and "青岛海洋科技有限公司" in content
    user = User.objects.get(username="qiye")
    organization = Organization.objects.get(name="青岛海洋科技有限公司")
    assert organization.region_id == "370212"
    assert Membership.objects.get(user=user).role == MembershipRole.ADMIN


def test_register_with_a_bad_check_digit_shows_a_chinese_field_error(client):
    response = client.post(REGISTER, _registration(organization_uscc="91350100M000100Y44"))

    assert response.status_code == 200
    assert "统一社会信用代码校验位不正确" in response.content.decode()
    assert not User.objects.exists()


def test_register_with_a_duplicate_credit_code(client, organization):
    response = client.post(REGISTER, _registration(organization_uscc=organization.uscc))

    assert "该统一社会信用代码已注册" in response.content.decode()
    assert not User.objects.filter(username="qiye").exists()


def test_register_with_an_unknown_region(client):
    response = client.post(
        REGISTER, _registration(organization_region_3="370299", organization_region_2="", organization_region_1="")
    )

    assert "未知的行政区划" in response.content.decode()
    assert not User.objects.exists()


def test_register_with_a_weak_password(client):
    response = client.post(REGISTER, _registration(password1="12345678", password2="12345678"))

    content = response.content.decode()
    assert "密码" in content and ("太短" in content or "常见" in content or "全部为数字" in content)
    assert not User.objects.exists()


def test_register_asking_to_join_an_existing_organization(client, organization, org_admin):
    response = client.post(
        REGISTER, _registration(mode="join", join_query=organization.uscc.lower(), join_message="新入职"), follow=True
    )

    assert "您的加入申请已发送" in response.content.decode()
    assert JoinRequest.objects.get(user__username="qiye").organization == organization


def test_register_join_with_an_unknown_organization(client):
    response = client.post(REGISTER, _registration(mode="join", join_query="不存在的机构"))

    assert "没有找到该名称或统一社会信用代码的已注册机构" in response.content.decode()


def test_register_redirects_a_logged_in_user(login, org_admin):
    assert login(org_admin).get(REGISTER).url == reverse("workspace:home")


def test_login_and_logout(client, org_admin, password):
    response = client.post(reverse("login"), {"username": "orgadmin", "password": password}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("workspace:home")
    assert "青岛测试大学" in response.content.decode()

    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "登录" in response.content.decode()


def test_login_with_a_wrong_password_does_not_say_whether_the_user_exists(client, org_admin):
    known = client.post(reverse("login"), {"username": "orgadmin", "password": "wrong-password-x"}).content.decode()
    unknown = client.post(reverse("login"), {"username": "nobody", "password": "wrong-password-x"}).content.decode()

    assert "用户名或密码错误。" in known and "用户名或密码错误。" in unknown


def test_login_locks_out_username_and_address_after_repeated_failures(client, org_admin, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "orgadmin", "password": "wrong-password-x"})

    locked = client.post(reverse("login"), {"username": "orgadmin", "password": password})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()

    # Another user behind the same address is not locked out.
    UserFactory(username="colleague")
    response = client.post(reverse("login"), {"username": "colleague", "password": password})
    assert response.status_code == 302


def test_password_reset_sends_a_working_link_through_the_outbox(client, org_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": org_admin.email}, follow=True)
    assert "请查收邮件" in response.content.decode()
    assert OutgoingMail.objects.get().purpose == "password-reset"
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert "设置新密码" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Brand-New-Pass-2026", "new_password2": "Brand-New-Pass-2026"},
        follow=True,
    )
    assert "新密码已设置" in done.content.decode()
    org_admin.refresh_from_db()
    assert org_admin.check_password("Brand-New-Pass-2026")
    assert client.get(reverse("password_reset_complete")).status_code == 200


def test_password_reset_for_an_unknown_address_looks_the_same(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.cn"}, follow=True)

    assert "请查收邮件" in response.content.decode()
    assert not OutgoingMail.objects.exists()
    assert client.get(reverse("password_reset_done")).status_code == 200


def test_password_change(login, org_admin, password):
    client = login(org_admin)
    assert "修改密码" in client.get(reverse("password_change")).content.decode()

    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "Another-Pass-2026", "new_password2": "Another-Pass-2026"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "新密码已设置" in response.content.decode()


def test_profile_update(login, org_admin):
    client = login(org_admin)
    page = client.get(reverse("profile")).content.decode()
    assert "我的账号" in page and "青岛测试大学" in page

    response = client.post(
        reverse("profile"),
        {"name": "新名字", "email": "new@example.cn", "phone": "", "email_frequency": "daily"},
        follow=True,
    )

    assert "个人信息已保存" in response.content.decode()
    org_admin.refresh_from_db()
    assert (org_admin.name, org_admin.email, org_admin.email_frequency) == ("新名字", "new@example.cn", "daily")


def test_profile_refuses_a_bad_phone(login, org_admin):
    response = login(org_admin).post(
        reverse("profile"), {"name": "x", "email": org_admin.email, "phone": "12345", "email_frequency": "daily"}
    )

    assert "请填写 11 位手机号码或带区号的固定电话" in response.content.decode()


def test_profile_requires_login(client):
    assert client.get(reverse("profile")).url.startswith(reverse("login"))
