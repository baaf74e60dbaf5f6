import pytest
from django.urls import reverse

from marketplace.enums import JoinRequestStatus, MembershipRole, VerificationStatus
from marketplace.models import JoinRequest, Membership, Notification, Organization, PrivateFile
from marketplace.selectors import ACTIVE_ORGANIZATION_SESSION_KEY
from marketplace.services.notifications import notify
from marketplace.services.organizations import join_request_create
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory, make_uscc
from tests.files import forged_pdf_upload, pdf_upload

pytestmark = pytest.mark.django_db


def test_workspace_requires_login(client):
    assert client.get(reverse("workspace:home")).url.startswith(reverse("login"))


def test_workspace_home_shows_the_organization_and_its_status(login, org_admin, organization):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()

    content = login(org_admin).get(reverse("workspace:home")).content.decode()

    assert "青岛测试大学" in content and "机构管理员" in content
    assert "贵机构尚未认证" in content and reverse("workspace:verification") in content


def test_workspace_without_an_organization_offers_join_or_create(login):
    user = UserFactory()
    join_request_create(user=user, organization=OrganizationFactory(name="某研究院"))

    content = login(user).get(reverse("workspace:home")).content.decode()

    assert "您还没有加入任何机构" in content and "某研究院" in content


def test_switch_organization_between_memberships(login, org_admin):
    second = MembershipFactory(
        user=org_admin, organization=OrganizationFactory(name="第二机构"), role=MembershipRole.MEMBER
    )
    client = login(org_admin)

    client.post(reverse("workspace:switch"), {"organization": second.organization_id})

    assert client.session[ACTIVE_ORGANIZATION_SESSION_KEY] == second.organization_id
    assert "第二机构" in client.get(reverse("workspace:home")).content.decode()


def test_switch_to_a_foreign_organization_is_404(login, org_admin, foreign_organization):
    response = login(org_admin).post(reverse("workspace:switch"), {"organization": foreign_organization.pk})

    assert response.status_code == 404


def test_organization_edit_by_its_admin(login, org_admin, organization):
    client = login(org_admin)
    page = client.get(reverse("workspace:organization")).content.decode()
    assert "已认证机构如需修改此项，请联系科技局" in page

    response = client.post(
        reverse("workspace:organization"),
        {
            "short_name": "测大",
            "region_1": "370000",
            "region_2": "370200",
            "region_3": "370203",
            "address": "青岛市市北区",
            "website": "www.qdtest.edu.cn",
            "contact_phone": "0532-85950000",
            "description": "一所大学",
            "industry_fields": [],
        },
        follow=True,
    )

    assert "机构信息已保存" in response.content.decode()
    organization.refresh_from_db()
    assert (organization.short_name, organization.region_id, organization.website) == (
        "测大",
        "370203",
        "https://www.qdtest.edu.cn",
    )
    assert organization.name == "青岛测试大学"  # disabled field kept


def test_organization_edit_is_forbidden_to_members(login, org_member):
    assert login(org_member).get(reverse("workspace:organization")).status_code == 403


def test_verification_request_with_evidence(login, org_admin, organization, reviewer):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()
    client = login(org_admin)

    response = client.post(reverse("workspace:verification"), {"evidence": [pdf_upload("执照.pdf")]}, follow=True)

    content = response.content.decode()
    assert "已提交" in content and "执照.pdf" in content and "待审核" in content
    organization.refresh_from_db()
    assert organization.verification_status == VerificationStatus.PENDING


def test_verification_request_with_a_forged_file_shows_a_chinese_error(login, org_admin, organization):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()

    response = login(org_admin).post(reverse("workspace:verification"), {"evidence": [forged_pdf_upload()]})

    assert "按文件内容判断" in response.content.decode()
    assert not PrivateFile.objects.exists()
    organization.refresh_from_db()
    assert organization.verification_status == VerificationStatus.UNVERIFIED


def test_verification_request_by_a_member_is_forbidden(login, org_member, organization):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()

    response = login(org_member).post(reverse("workspace:verification"), {"evidence": [pdf_upload()]})

    assert response.status_code == 403


def test_members_page_lists_members_and_join_requests(login, org_admin, org_member, organization):
    join_request_create(user=UserFactory(name="申请人甲"), organization=organization, message="请同意")

    content = login(org_admin).get(reverse("workspace:members")).content.decode()

    assert org_member.name in content and "申请人甲" in content and "请同意" in content


def test_admin_approves_and_rejects_join_requests(login, org_admin, organization):
    first = join_request_create(user=UserFactory(name="甲"), organization=organization)
    second = join_request_create(user=UserFactory(name="乙"), organization=organization)
    client = login(org_admin)

    assert (
        "甲 已加入"
        in client.post(reverse("workspace:join-request-approve", args=[first.pk]), follow=True).content.decode()
    )
    client.post(reverse("workspace:join-request-reject", args=[second.pk]), {"reason": "非本单位人员"})

    assert Membership.objects.filter(user=first.user, organization=organization).exists()
    second.refresh_from_db()
    assert (second.status, second.decision_reason) == (JoinRequestStatus.REJECTED, "非本单位人员")


def test_foreign_admin_cannot_decide_join_requests(login, foreign_user, organization):
    join_request = join_request_create(user=UserFactory(), organization=organization)
    client = login(foreign_user)

    assert client.post(reverse("workspace:join-request-approve", args=[join_request.pk])).status_code == 404
    assert client.post(reverse("workspace:join-request-reject", args=[join_request.pk])).status_code == 404
    assert JoinRequest.objects.get().status == JoinRequestStatus.PENDING


def test_requester_withdraws_a_join_request(login, organization):
    user = UserFactory()
    join_request = join_request_create(user=user, organization=organization)

    login(user).post(reverse("workspace:join-request-cancel", args=[join_request.pk]))

    join_request.refresh_from_db()
    assert join_request.status == JoinRequestStatus.CANCELLED


def test_someone_else_cannot_withdraw_a_join_request(login, organization, foreign_user):
    join_request = join_request_create(user=UserFactory(), organization=organization)

    assert login(foreign_user).post(reverse("workspace:join-request-cancel", args=[join_request.pk])).status_code == 404


def test_admin_changes_roles_and_removes_members(login, org_admin, org_member):
    membership = Membership.objects.get(user=org_member)
    client = login(org_admin)

    client.post(reverse("workspace:member-role", args=[membership.pk]), {"role": "admin"})
    assert Membership.objects.get(pk=membership.pk).role == MembershipRole.ADMIN

    client.post(reverse("workspace:member-remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_last_admin_stepping_down_gets_a_chinese_message(login, org_admin):
    membership = Membership.objects.get(user=org_admin)

    response = login(org_admin).post(
        reverse("workspace:member-role", args=[membership.pk]), {"role": "member"}, follow=True
    )

    assert "机构至少需要一名管理员" in response.content.decode()


def test_member_cannot_change_roles_or_remove_others(login, org_admin, org_member):
    admin_membership = Membership.objects.get(user=org_admin)
    client = login(org_member)

    assert (
        client.post(reverse("workspace:member-role", args=[admin_membership.pk]), {"role": "member"}).status_code == 404
    )
    assert client.post(reverse("workspace:member-remove", args=[admin_membership.pk])).status_code == 404
    assert Membership.objects.get(pk=admin_membership.pk).role == MembershipRole.ADMIN


def test_member_leaves_the_organization(login, org_member, org_admin, organization):
    response = login(org_member).post(
        reverse("workspace:member-remove", args=[Membership.objects.get(user=org_member).pk]), follow=True
    )

    assert "您已退出 青岛测试大学" in response.content.decode()
    assert not Membership.objects.filter(user=org_member).exists()


def test_foreign_memberships_are_404(login, org_admin, foreign_user):
    foreign_membership = Membership.objects.get(user=foreign_user)

    assert login(org_admin).post(reverse("workspace:member-remove", args=[foreign_membership.pk])).status_code == 404


def test_join_another_organization(login, org_admin, foreign_organization):
    response = login(org_admin).post(
        reverse("workspace:join"), {"query": foreign_organization.name, "message": "合作"}, follow=True
    )

    assert "您的申请已发送给该机构管理员" in response.content.decode()
    assert JoinRequest.objects.get(user=org_admin).organization == foreign_organization


def test_join_form_page_and_unknown_organization(login, org_admin):
    client = login(org_admin)
    assert "加入机构" in client.get(reverse("workspace:join")).content.decode()

    response = client.post(reverse("workspace:join"), {"query": "不存在"})

    assert "没有找到该名称或统一社会信用代码的已注册机构" in response.content.decode()


def test_register_another_organization(login, org_admin):
    client = login(org_admin)
    assert "注册新机构" in client.get(reverse("workspace:organization-new")).content.decode()

    response = client.post(
        reverse("workspace:organization-new"),
        {
            "name": "青岛第二公司",
            "kind": "enterprise",
            "uscc": make_uscc(555),
            "region_1": "370000",
            "region_2": "370200",
            "region_3": "370211",
        },
        follow=True,
    )

    assert "青岛第二公司 已注册" in response.content.decode()
    organization = Organization.objects.get(name="青岛第二公司")
    assert Membership.objects.get(user=org_admin, organization=organization).role == MembershipRole.ADMIN
    assert organization.verification_status == VerificationStatus.UNVERIFIED


def test_notifications_list_and_mark_read(login, org_admin):
    notification = notify(users=[org_admin], kind="x", title="您有新的询价", url="/organizations/")[0]
    client = login(org_admin)

    assert "您有新的询价" in client.get(reverse("workspace:notifications")).content.decode()
    fragment = client.post(reverse("workspace:notification-read", args=[notification.pk]), HTTP_HX_REQUEST="true")
    assert "已读" in fragment.content.decode() and "<html" not in fragment.content.decode()

    notification.refresh_from_db()
    assert notification.read_at is not None


def test_notification_read_without_htmx_follows_its_link(login, org_admin):
    notification = notify(users=[org_admin], kind="x", title="t", url="/organizations/")[0]

    response = login(org_admin).post(reverse("workspace:notification-read", args=[notification.pk]))

    assert response.url == "/organizations/"


def test_notification_of_another_user_is_404(login, org_admin, org_member):
    notification = notify(users=[org_member], kind="x", title="t")[0]

    assert login(org_admin).post(reverse("workspace:notification-read", args=[notification.pk])).status_code == 404


def test_mark_all_notifications_read(login, org_admin):
    notify(users=[org_admin], kind="x", title="一")
    notify(users=[org_admin], kind="x", title="二")

    response = login(org_admin).post(reverse("workspace:notifications-read-all"), follow=True)

    assert "已将 2 条通知标记为已读" in response.content.decode()
    assert not Notification.objects.filter(user=org_admin, read_at__isnull=True).exists()
