from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from achievements.enums import DeclineReason, InquiryStatus, ProblemStatus, Status
from achievements.models import Achievement, IPRight
from achievements.services import (
    LIFECYCLE,
    achievement_approve_internally,
    achievement_attach,
    achievement_confirm,
    achievement_create,
    achievement_delete,
    achievement_mark_transferred,
    achievement_publish,
    achievement_reject,
    achievement_return_internally,
    achievement_set_tracked,
    achievement_submit,
    achievement_update,
    achievement_withdraw,
    freshness_reminders_send,
    inquiry_create,
    inquiry_decline,
    inquiry_reply,
    inquiry_start_deal,
    ledger_entry_record,
    problem_create,
    problem_update,
    stale_achievements_archive,
)
from marketplace.models import IndustryField, Notification, OutgoingMail
from marketplace.selectors import transitions_for
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db


def _fields(**overrides):
    return {
        "title": "海水淡化反渗透膜的制备",
        "summary": "一种耐氯反渗透膜。",
        "category": "industrial",
        "trl": 6,
        "asking_price": 2_000_000,
        **overrides,
    }


def test_create_sanitises_rich_text_and_keeps_children_in_order(organization, org_member):
    achievement = achievement_create(
        user=org_member,
        organization=organization,
        description='<p onclick="x()">好<script>alert(1)</script><a href="http://evil">链接</a></p>',
        keywords="海水淡化，反渗透、 膜,海水淡化",
        transfer_modes=["assignment", "license_exclusive", "assignment"],
        completers=[{"name": "张三", "affiliation": "青岛大学"}, {"name": "李四"}],
        ip_rights=[{"kind": "invention_patent", "title": "一种膜", "number": "CN 105123456 B"}],
        industry_fields=IndustryField.objects.filter(code="water-treatment"),
        **_fields(),
    )

    assert achievement.status == Status.DRAFT
    assert achievement.description == "<p>好链接</p>"
    assert achievement.keywords == ["海水淡化", "反渗透", "膜"]
    assert sorted(achievement.transfer_modes.values_list("mode", flat=True)) == ["assignment", "license_exclusive"]
    assert list(achievement.completers.values_list("rank", "name")) == [(1, "张三"), (2, "李四")]
    assert IPRight.objects.get().number == "CN105123456B"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"trl": 12}, "trl"),
        ({"trl": 0}, "trl"),
        ({"asking_price": -1}, "asking_price"),
        ({"asking_price": None}, "asking_price"),
    ],
)
def test_create_refuses_bad_values_and_saves_nothing(organization, org_member, overrides, field):
    with pytest.raises(ValidationError) as caught:
        achievement_create(user=org_member, organization=organization, **_fields(**overrides))

    assert field in caught.value.message_dict
    assert not Achievement.objects.exists()


def test_create_refuses_an_invalid_patent_number_and_saves_nothing(organization, org_member):
    with pytest.raises(ValidationError) as caught:
        achievement_create(
            user=org_member,
            organization=organization,
            ip_rights=[{"kind": "invention_patent", "title": "x", "number": "201510123456.9"}],
            **_fields(),
        )

    assert "校验位" in caught.value.message_dict["ip_rights[0]"][0]
    assert not Achievement.objects.exists()


def test_create_for_a_foreign_organization_is_refused(foreign_organization, org_member):
    with pytest.raises(PermissionDenied):
        achievement_create(user=org_member, organization=foreign_organization, **_fields())


def test_submit_publish_and_the_log(draft, org_member, reviewer, org_admin):
    achievement_submit(achievement=draft, user=org_member)
    assert draft.status == Status.SUBMITTED and draft.submitted_at is not None
    assert Notification.objects.filter(user=reviewer, kind="achievement.submitted").exists()

    achievement_publish(achievement=draft, reviewer=reviewer)

    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.confirmed_at is not None
    assert [log.to_status for log in transitions_for(draft)] == ["published", "submitted"]
    assert Notification.objects.filter(user=org_admin, kind="achievement.published").exists()


def test_submit_needs_a_verified_organization(org_member, organization):
    organization.verification_status = "pending"
    organization.save()
    draft = AchievementFactory(organization=organization, draft=True)

    with pytest.raises(ValidationError) as caught:
        achievement_submit(achievement=draft, user=org_member)

    assert caught.value.messages == ["只有已认证机构才能提交成果申请发布。"]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_internal_approval_when_the_institution_requires_it(draft, organization, org_member, org_admin, reviewer):
    organization.requires_internal_approval = True
    organization.save()

    achievement_submit(achievement=draft, user=org_member)
    assert draft.status == Status.INTERNAL_REVIEW
    assert not Notification.objects.filter(user=reviewer).exists()
    with pytest.raises(PermissionDenied):
        achievement_approve_internally(achievement=draft, user=org_member)

    achievement_return_internally(achievement=draft, user=org_admin, reason="补充专利信息")
    assert (draft.status, draft.review_note) == (Status.DRAFT, "补充专利信息")

    achievement_submit(achievement=draft, user=org_member)
    achievement_approve_internally(achievement=draft, user=org_admin)
    assert draft.status == Status.SUBMITTED
    assert Notification.objects.filter(user=reviewer, kind="achievement.submitted").exists()


def test_reject_keeps_the_reason_and_the_owner_can_resubmit(draft, org_member, reviewer):
    achievement_submit(achievement=draft, user=org_member)
    achievement_reject(achievement=draft, reviewer=reviewer, reason="成熟度描述不清")

    assert (draft.status, draft.review_note) == (Status.REJECTED, "成熟度描述不清")
    achievement_submit(achievement=draft, user=org_member)
    assert draft.status == Status.SUBMITTED


def test_only_reviewers_publish(draft, org_member, org_admin, registrar):
    achievement_submit(achievement=draft, user=org_member)
    for user in (org_admin, registrar):
        with pytest.raises(PermissionDenied):
            achievement_publish(achievement=draft, reviewer=user)


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.DRAFT, Status.PUBLISHED),
        (Status.DRAFT, Status.TRANSFERRED),
        (Status.SUBMITTED, Status.TRANSFERRED),
        (Status.TRANSFERRED, Status.PUBLISHED),
        (Status.TRANSFERRED, Status.WITHDRAWN),
        (Status.WITHDRAWN, Status.PUBLISHED),
        (Status.ARCHIVED, Status.PUBLISHED),
        (Status.REJECTED, Status.PUBLISHED),
        (Status.INTERNAL_REVIEW, Status.PUBLISHED),
    ],
)
def test_forbidden_transitions_are_refused_and_logged_nowhere(organization, reviewer, start, target):
    achievement = AchievementFactory(organization=organization, status=start)

    with pytest.raises(ValidationError) as caught:
        LIFECYCLE.apply(achievement, target, actor=reviewer, reason="x")

    assert "状态不能从" in caught.value.message_dict["status"][0]
    achievement.refresh_from_db()
    assert achievement.status == start
    assert not transitions_for(achievement).exists()


def test_every_status_is_reachable_by_some_transition():
    reachable = {target for targets in LIFECYCLE.transitions.values() for target in targets}
    assert reachable == set(Status.values)


def test_material_edit_of_a_published_achievement_goes_back_to_review(organization, org_member, reviewer):
    achievement = AchievementFactory(organization=organization)
    stored = achievement_attach(achievement=achievement, user=org_member, uploaded=pdf_upload())
    assert stored.is_public

    achievement_update(achievement=achievement, user=org_member, asking_price=3_000_000)

    achievement.refresh_from_db()
    stored.refresh_from_db()
    assert achievement.status == Status.SUBMITTED
    assert not stored.is_public
    assert "asking_price" in transitions_for(achievement).first().reason
    assert Notification.objects.filter(user=reviewer, kind="achievement.submitted").exists()


def test_contact_edit_of_a_published_achievement_stays_published(organization, org_member):
    achievement = AchievementFactory(organization=organization)

    achievement_update(achievement=achievement, user=org_member, contact_phone="13800000000", keywords=["膜"])

    achievement.refresh_from_db()
    assert achievement.status == Status.PUBLISHED and achievement.contact_phone == "13800000000"


def test_foreign_users_cannot_update(organization, foreign_user):
    achievement = AchievementFactory(organization=organization)

    with pytest.raises(PermissionDenied):
        achievement_update(achievement=achievement, user=foreign_user, title="x")


def test_withdraw_hides_files_and_transfer_is_final(organization, org_member):
    achievement = AchievementFactory(organization=organization)
    stored = achievement_attach(achievement=achievement, user=org_member, uploaded=pdf_upload())

    achievement_withdraw(achievement=achievement, user=org_member, reason="已与企业签约")
    stored.refresh_from_db()
    assert achievement.status == Status.WITHDRAWN and not stored.is_public

    other = AchievementFactory(organization=organization)
    achievement_mark_transferred(achievement=other, user=org_member)
    with pytest.raises(ValidationError):
        achievement_withdraw(achievement=other, user=org_member)


def test_delete_only_drafts(draft, org_member, organization):
    published = AchievementFactory(organization=organization)
    with pytest.raises((ValidationError, PermissionDenied)):
        achievement_delete(achievement=published, user=org_member)

    achievement_delete(achievement=draft, user=org_member)
    assert not Achievement.objects.filter(pk=draft.pk).exists()


def test_freshness_reminder_once_per_cycle_then_archive(
    organization, org_admin, django_capture_on_commit_callbacks, settings
):
    achievement = AchievementFactory(organization=organization)
    now = timezone.now()
    Achievement.objects.filter(pk=achievement.pk).update(
        confirmed_at=now - timedelta(days=settings.FRESHNESS_DAYS - 10)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert freshness_reminders_send(now=now) == 1
        freshness_reminders_send(now=now)

    assert OutgoingMail.objects.filter(purpose="achievement-freshness").count() == 1
    assert "请确认" in mail.outbox[0].subject
    achievement.refresh_from_db()
    assert not achievement.is_stale

    Achievement.objects.filter(pk=achievement.pk).update(confirmed_at=now - timedelta(days=settings.FRESHNESS_DAYS + 1))
    achievement.refresh_from_db()
    assert achievement.is_stale
    assert stale_achievements_archive(now=now) == 0

    Achievement.objects.filter(pk=achievement.pk).update(
        confirmed_at=now - timedelta(days=settings.FRESHNESS_DAYS + settings.FRESHNESS_GRACE_DAYS + 1)
    )
    assert stale_achievements_archive(now=now) == 1
    achievement.refresh_from_db()
    assert achievement.status == Status.ARCHIVED
    assert transitions_for(achievement).first().actor is None


def test_confirm_resets_the_clock(organization, org_member, settings):
    achievement = AchievementFactory(organization=organization)
    Achievement.objects.filter(pk=achievement.pk).update(
        confirmed_at=timezone.now() - timedelta(days=settings.FRESHNESS_DAYS + 5)
    )
    achievement.refresh_from_db()

    achievement_confirm(achievement=achievement, user=org_member)

    assert not achievement.is_stale


def test_inquiry_conversation(organization, org_admin, buyer):
    achievement = AchievementFactory(organization=organization, created_by=org_admin)

    inquiry = inquiry_create(achievement=achievement, user=buyer, subject="", body="请问可以独占许可吗？")
    assert inquiry.subject == achievement.title
    assert Notification.objects.filter(user=org_admin, kind="inquiry.created").exists()

    inquiry_reply(inquiry=inquiry, user=org_admin, body="可以，价格面议。")
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED
    assert Notification.objects.filter(user=buyer, kind="inquiry.message").exists()

    inquiry_start_deal(inquiry=inquiry, user=buyer)
    assert inquiry.status == InquiryStatus.DEAL_STARTED
    with pytest.raises(ValidationError):
        inquiry_reply(inquiry=inquiry, user=buyer, body="还在吗")


def test_inquiry_decline_with_a_structured_reason(organization, buyer):
    inquiry = inquiry_create(
        achievement=AchievementFactory(organization=organization), user=buyer, subject="s", body="b"
    )

    with pytest.raises(ValidationError):
        inquiry_decline(inquiry=inquiry, user=buyer, reason="bored")
    inquiry_decline(inquiry=inquiry, user=buyer, reason=DeclineReason.PRICE, note="超出预算")

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.decline_reason, inquiry.decline_note) == (
        InquiryStatus.DECLINED,
        "price",
        "超出预算",
    )


def test_inquiry_rules(organization, org_member, buyer):
    draft = AchievementFactory(organization=organization, draft=True)
    published = AchievementFactory(organization=organization)
    unverified = MembershipFactory(organization=OrganizationFactory(unverified=True)).user

    for user, achievement in ((buyer, draft), (org_member, published), (unverified, published)):
        with pytest.raises((PermissionDenied, ValidationError)):
            inquiry_create(achievement=achievement, user=user, subject="s", body="b")
    inquiry = inquiry_create(achievement=published, user=buyer, subject="s", body="b")
    with pytest.raises(PermissionDenied):
        inquiry_decline(inquiry=inquiry, user=org_member, reason="price")
    outsider = MembershipFactory(organization=OrganizationFactory()).user
    with pytest.raises(PermissionDenied):
        inquiry_reply(inquiry=inquiry, user=outsider, body="x")


def test_ledger_and_problems_for_tracked_achievements(organization, org_member):
    achievement = AchievementFactory(organization=organization)
    with pytest.raises(ValidationError):
        ledger_entry_record(achievement=achievement, user=org_member, month=date(2026, 10, 1), progress="x")
    achievement_set_tracked(achievement=achievement, user=org_member, tracked=True)

    ledger_entry_record(achievement=achievement, user=org_member, month=date(2026, 10, 15), progress="完成中试")
    entry = ledger_entry_record(
        achievement=achievement, user=org_member, month=date(2026, 10, 1), progress="完成中试放大"
    )
    assert achievement.ledger_entries.count() == 1 and entry.progress == "完成中试放大"

    problem = problem_create(achievement=achievement, user=org_member, obstacle="缺少中试场地", department="科研处")
    with pytest.raises(ValidationError):
        problem_update(problem=problem, user=org_member, status=ProblemStatus.RESOLVED)
    problem_update(problem=problem, user=org_member, status=ProblemStatus.RESOLVED, resolution="对接中试基地")
    assert problem.resolved_at is not None


def test_a_published_achievement_is_not_submitted_again(organization, org_member):
    achievement = AchievementFactory(organization=organization)

    with pytest.raises(ValidationError) as caught:
        achievement_submit(achievement=achievement, user=org_member)

    assert "只有草稿、已驳回、已撤回或已归档的成果才能提交" in caught.value.messages[0]
    achievement.refresh_from_db()
    assert achievement.status == Status.PUBLISHED
