import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.enums import FilePurpose, JoinRequestStatus, MembershipRole, VerificationStatus
from marketplace.models import JoinRequest, Membership, Notification, Organization, PrivateFile, Region
from marketplace.services.organizations import (
    join_request_approve,
    join_request_cancel,
    join_request_create,
    join_request_reject,
    membership_change_role,
    membership_remove,
    organization_approve,
    organization_create,
    organization_reject,
    organization_request_verification,
    organization_update,
)
from tests.factories.marketplace import MembershipFactory, UserFactory, make_uscc
from tests.files import forged_pdf_upload, pdf_upload

pytestmark = pytest.mark.django_db


def test_organization_create_makes_the_creator_its_administrator():
    user = UserFactory()

    organization = organization_create(
        created_by=user,
        name="青岛新材料有限公司",
        kind="enterprise",
        uscc=make_uscc(42).lower(),
        region=Region.objects.get(code="370212"),
    )

    assert organization.uscc == make_uscc(42)
    assert organization.verification_status == VerificationStatus.UNVERIFIED
    assert Membership.objects.get(organization=organization).role == MembershipRole.ADMIN
    assert user.has_perm("marketplace.change_organization", organization)


def test_organization_create_refuses_a_duplicate_credit_code(organization):
    with pytest.raises(ValidationError) as caught:
        organization_create(
            created_by=None, name="另一家公司", kind="enterprise", uscc=organization.uscc, region=organization.region
        )

    assert "uscc" in caught.value.message_dict
    assert not Organization.objects.filter(name="另一家公司").exists()


def test_request_verification_stores_evidence_and_notifies_reviewers(organization, org_admin, reviewer):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()

    organization_request_verification(organization=organization, user=org_admin, evidence=[pdf_upload("执照.pdf")])

    organization.refresh_from_db()
    assert organization.verification_status == VerificationStatus.PENDING
    evidence = PrivateFile.objects.get(organization=organization)
    assert (evidence.original_name, evidence.kind, evidence.purpose) == (
        "执照.pdf",
        "pdf",
        FilePurpose.VERIFICATION_EVIDENCE,
    )
    assert evidence.file.name.endswith(f"{evidence.pk}.pdf")
    assert Notification.objects.get(user=reviewer).title == "青岛测试大学 申请机构认证"


def test_request_verification_with_a_forged_file_changes_nothing(organization, org_admin):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()

    with pytest.raises(ValidationError):
        organization_request_verification(
            organization=organization, user=org_admin, evidence=[pdf_upload(), forged_pdf_upload()]
        )

    organization.refresh_from_db()
    assert organization.verification_status == VerificationStatus.UNVERIFIED
    assert not PrivateFile.objects.exists()


def test_request_verification_needs_evidence(organization, org_admin):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()

    with pytest.raises(ValidationError) as caught:
        organization_request_verification(organization=organization, user=org_admin, evidence=[])

    assert caught.value.message_dict == {"evidence": ["请上传营业执照或事业单位法人证书。"]}


def test_request_verification_is_for_organization_admins_only(organization, org_member):
    organization.verification_status = VerificationStatus.UNVERIFIED
    organization.save()

    with pytest.raises(PermissionDenied):
        organization_request_verification(organization=organization, user=org_member, evidence=[pdf_upload()])


def test_approve_verifies_and_notifies_the_organization_admins(organization, org_admin, reviewer):
    organization.verification_status = VerificationStatus.PENDING
    organization.save()

    organization_approve(organization=organization, reviewer=reviewer)

    organization.refresh_from_db()
    assert organization.is_verified and organization.verified_at is not None
    assert Notification.objects.get(user=org_admin).title == "青岛测试大学 已通过认证"


def test_reject_keeps_the_reason_for_the_organization(organization, org_admin, reviewer):
    organization.verification_status = VerificationStatus.PENDING
    organization.save()

    organization_reject(organization=organization, reviewer=reviewer, reason="执照与名称不符")

    organization.refresh_from_db()
    assert organization.verification_status == VerificationStatus.REJECTED
    assert organization.verification_note == "执照与名称不符"
    assert Notification.objects.get(user=org_admin).body == "执照与名称不符"


def test_only_bureau_reviewers_decide_verification(organization, org_admin, registrar):
    organization.verification_status = VerificationStatus.PENDING
    organization.save()

    for user in (org_admin, registrar):
        with pytest.raises(PermissionDenied):
            organization_approve(organization=organization, reviewer=user)


def test_verified_identity_is_locked_for_the_organization(organization, org_admin):
    with pytest.raises(ValidationError) as caught:
        organization_update(organization=organization, user=org_admin, name="改名后的大学", address="新地址")

    assert caught.value.message_dict == {"name": ["已认证机构如需修改此项，请联系科技局。"]}
    organization.refresh_from_db()
    assert (organization.name, organization.address) == ("青岛测试大学", "")


def test_organization_update_changes_free_fields(organization, org_admin):
    organization_update(organization=organization, user=org_admin, address="青岛市市南区宁夏路308号")

    organization.refresh_from_db()
    assert organization.address == "青岛市市南区宁夏路308号"


def test_members_cannot_update_the_organization(organization, org_member):
    with pytest.raises(PermissionDenied):
        organization_update(organization=organization, user=org_member, address="x")


def test_join_request_flow_approve(organization, org_admin):
    applicant = UserFactory(name="张三")

    join_request = join_request_create(user=applicant, organization=organization, message="我是新来的老师")
    assert Notification.objects.get(user=org_admin).title == "张三 申请加入 青岛测试大学"

    membership = join_request_approve(join_request=join_request, user=org_admin)

    assert membership.role == MembershipRole.MEMBER
    assert JoinRequest.objects.get().status == JoinRequestStatus.APPROVED
    assert Notification.objects.filter(user=applicant, kind="organization.join_approved").exists()


def test_join_request_cannot_be_decided_twice(organization, org_admin):
    join_request = join_request_create(user=UserFactory(), organization=organization)
    join_request_reject(join_request=join_request, user=org_admin, reason="不认识")

    with pytest.raises(ValidationError) as caught:
        join_request_approve(join_request=join_request, user=org_admin)

    assert caught.value.messages == ["该申请已处理。"]
    assert Membership.objects.filter(user=join_request.user).count() == 0


def test_join_request_duplicate_pending_is_refused(organization):
    applicant = UserFactory()
    join_request_create(user=applicant, organization=organization)

    with pytest.raises(ValidationError) as caught:
        join_request_create(user=applicant, organization=organization)

    assert caught.value.message_dict == {"organization": ["您已申请加入该机构，请等待处理。"]}


def test_join_request_decided_by_a_foreign_admin_is_refused(organization, foreign_user):
    join_request = join_request_create(user=UserFactory(), organization=organization)

    with pytest.raises(PermissionDenied):
        join_request_approve(join_request=join_request, user=foreign_user)


def test_join_request_cancel_by_its_author(organization):
    applicant = UserFactory()
    join_request = join_request_create(user=applicant, organization=organization)

    join_request_cancel(join_request=join_request, user=applicant)

    assert JoinRequest.objects.get().status == JoinRequestStatus.CANCELLED


def test_the_last_administrator_cannot_step_down_or_leave(organization, org_admin):
    membership = Membership.objects.get(user=org_admin)

    with pytest.raises(ValidationError):
        membership_change_role(membership=membership, role=MembershipRole.MEMBER, user=org_admin)
    with pytest.raises(ValidationError):
        membership_remove(membership=membership, user=org_admin)

    assert Membership.objects.get(user=org_admin).role == MembershipRole.ADMIN


def test_admin_promotes_and_removes_members(organization, org_admin, org_member):
    membership = Membership.objects.get(user=org_member)

    membership_change_role(membership=membership, role=MembershipRole.ADMIN, user=org_admin)
    assert Membership.objects.get(user=org_member).role == MembershipRole.ADMIN

    membership_remove(membership=membership, user=org_admin)
    assert not Membership.objects.filter(user=org_member).exists()


def test_members_leave_but_do_not_remove_others(organization, org_admin, org_member):
    other = MembershipFactory(organization=organization)

    with pytest.raises(PermissionDenied):
        membership_remove(membership=other, user=org_member)
    membership_remove(membership=Membership.objects.get(user=org_member), user=org_member)

    assert not Membership.objects.filter(user=org_member).exists()
