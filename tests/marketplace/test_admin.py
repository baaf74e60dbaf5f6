import pytest
from django.urls import reverse

from marketplace.enums import MailStatus, StaffGroup, VerificationStatus
from marketplace.models import OutgoingMail, TransitionLog
from marketplace.services.files import private_file_store
from tests.factories.marketplace import OrganizationFactory, UserFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:marketplace_organization_changelist")


def test_admin_console_is_chinese_and_for_staff_only(client, login, reviewer, org_admin):
    assert client.get(reverse("admin:index")).status_code == 302
    assert login(org_admin).get(reverse("admin:index")).status_code == 302

    content = login(reviewer).get(reverse("admin:index")).content.decode()
    assert "科技局工作台" in content and "机构" in content


def test_reviewer_sees_the_queue_with_evidence(login, reviewer, org_admin, organization):
    organization.verification_status = VerificationStatus.PENDING
    organization.save()
    evidence = private_file_store(
        uploaded=pdf_upload("执照扫描.pdf"), uploaded_by=org_admin, organization=organization, parent=organization
    )
    client = login(reviewer)

    listing = client.get(CHANGELIST, {"verification_status__exact": "pending"}).content.decode()
    assert "青岛测试大学" in listing

    change = client.get(reverse("admin:marketplace_organization_change", args=[organization.pk])).content.decode()
    assert "执照扫描.pdf" in change and evidence.get_absolute_url() in change


def test_reviewer_approves_in_bulk(login, reviewer):
    pending = OrganizationFactory.create_batch(2, pending=True)

    response = login(reviewer).post(
        CHANGELIST, {"action": "approve", "_selected_action": [o.pk for o in pending]}, follow=True
    )

    assert "已认证 2 家机构" in response.content.decode()
    assert all(
        o.verification_status == VerificationStatus.VERIFIED
        for o in type(pending[0]).objects.filter(pk__in=[o.pk for o in pending])
    )
    assert TransitionLog.objects.filter(to_status="verified", actor=reviewer).count() == 2


def test_reviewer_rejects_with_a_reason_on_an_intermediate_page(login, reviewer):
    pending = OrganizationFactory(pending=True)
    client = login(reviewer)

    form = client.post(CHANGELIST, {"action": "reject", "_selected_action": [pending.pk]})
    assert "驳回认证" in form.content.decode() and pending.name in form.content.decode()

    empty = client.post(CHANGELIST, {"action": "reject", "_selected_action": [pending.pk], "apply": "1", "reason": ""})
    assert "该字段是必填项。" in empty.content.decode()

    done = client.post(
        CHANGELIST,
        {"action": "reject", "_selected_action": [pending.pk], "apply": "1", "reason": "执照已过期"},
        follow=True,
    )
    assert "已驳回 1 家机构" in done.content.decode()
    pending.refresh_from_db()
    assert (pending.verification_status, pending.verification_note) == (VerificationStatus.REJECTED, "执照已过期")


def test_approving_an_organization_not_pending_reports_nothing_done(login, reviewer, organization):
    response = login(reviewer).post(
        CHANGELIST, {"action": "approve", "_selected_action": [organization.pk]}, follow=True
    )

    assert "已认证" not in [str(m) for m in response.context["messages"]]


def test_registrar_cannot_review_organizations(login, registrar):
    pending = OrganizationFactory(pending=True)
    client = login(registrar)

    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert 'value="approve"' not in listing.content.decode()
    client.post(CHANGELIST, {"action": "approve", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.verification_status == VerificationStatus.PENDING


def test_bureau_admin_manages_taxonomy_and_regions_and_reviewer_only_reads(login, bureau_admin, reviewer):
    admin_client, reviewer_client = login(bureau_admin), login(reviewer)

    assert admin_client.get(reverse("admin:marketplace_industryfield_add")).status_code == 200
    assert reviewer_client.get(reverse("admin:marketplace_industryfield_add")).status_code == 403
    assert "崂山区" in admin_client.get(reverse("admin:marketplace_region_changelist"), {"q": "崂山"}).content.decode()
    assert reviewer_client.get(reverse("admin:marketplace_region_change", args=["370212"])).status_code == 200


def test_bureau_admin_requeues_failed_mail(login, bureau_admin):
    failed = OutgoingMail.objects.create(
        to="a@example.cn", purpose="t", period="1", subject="s", body_text="b", status=MailStatus.FAILED, attempts=5
    )

    response = login(bureau_admin).post(
        reverse("admin:marketplace_outgoingmail_changelist"),
        {"action": "retry", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert "已将 1 封邮件重新加入发送队列" in response.content.decode()
    failed.refresh_from_db()
    assert failed.status in (MailStatus.QUEUED, MailStatus.SENT)


def test_staff_group_labels_are_chinese(login, bureau_admin):
    content = login(bureau_admin).get(reverse("admin:auth_group_changelist")).content.decode()

    assert "科技局审核员" in content and "bureau_reviewer" in content


def test_user_admin_for_bureau_administrators(login, bureau_admin, reviewer):
    target = UserFactory(name="待管理用户", staff_groups=[StaffGroup.STATISTICIAN])

    assert "待管理用户" in login(bureau_admin).get(reverse("admin:marketplace_user_changelist")).content.decode()
    assert login(reviewer).get(reverse("admin:marketplace_user_change", args=[target.pk])).status_code == 403
