import pytest
from django.core.exceptions import ValidationError

from marketplace.enums import JoinRequestStatus, MembershipRole
from marketplace.models import JoinRequest, Membership, Organization, Region, User
from marketplace.services.accounts import account_register, user_update_profile
from tests.factories.marketplace import UserFactory, make_uscc

pytestmark = pytest.mark.django_db


def _user_fields(**overrides):
    return {
        "username": "zhangsan",
        "name": "张三",
        "email": "zs@example.cn",
        "password": "Strong-Password-2026",
        **overrides,
    }


def test_register_with_a_new_organization():
    user = account_register(
        **_user_fields(),
        organization_fields={
            "name": "青岛海洋科技有限公司",
            "kind": "enterprise",
            "uscc": make_uscc(7),
            "region": Region.objects.get(code="370202"),
        },
    )

    membership = Membership.objects.get(user=user)
    assert (membership.organization.name, membership.role) == ("青岛海洋科技有限公司", MembershipRole.ADMIN)
    assert user.check_password("Strong-Password-2026")


def test_register_is_all_or_nothing_when_the_organization_is_invalid():
    with pytest.raises(ValidationError) as caught:
        account_register(
            **_user_fields(),
            organization_fields={
                "name": "坏公司",
                "kind": "enterprise",
                "uscc": "91350100M000100Y44",
                "region": Region.objects.get(code="370202"),
            },
        )

    assert "organization_uscc" in caught.value.message_dict
    assert not User.objects.filter(username="zhangsan").exists()
    assert not Organization.objects.filter(name="坏公司").exists()


def test_register_asking_to_join(organization, org_admin):
    user = account_register(**_user_fields(), join_organization=organization, join_message="请批准")

    join_request = JoinRequest.objects.get(user=user)
    assert (join_request.organization, join_request.status, join_request.message) == (
        organization,
        JoinRequestStatus.PENDING,
        "请批准",
    )
    assert not Membership.objects.filter(user=user).exists()


def test_register_refuses_a_weak_password(organization):
    with pytest.raises(ValidationError) as caught:
        account_register(**_user_fields(password="12345678"), join_organization=organization)

    assert any("密码" in message for message in caught.value.message_dict["password"])
    assert not User.objects.exists()


def test_register_refuses_an_e_mail_in_use_whatever_its_case(organization):
    UserFactory(email="ZS@example.cn")

    with pytest.raises(ValidationError) as caught:
        account_register(**_user_fields(), join_organization=organization)

    assert caught.value.message_dict == {"email": ["该电子邮箱已注册过账号。"]}


def test_profile_update_keeps_e_mails_unique():
    UserFactory(email="taken@example.cn")
    user = UserFactory()

    with pytest.raises(ValidationError):
        user_update_profile(user=user, email="Taken@example.cn")
    user_update_profile(user=user, name="李四", email_frequency="daily")

    user.refresh_from_db()
    assert (user.name, user.email_frequency) == ("李四", "daily")
