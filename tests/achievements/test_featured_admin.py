"""The bureau composes, curates and publishes featured issues in the admin, and handles the
digest's deliveries there; beat's tasks run the period."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from achievements.enums import DeliveryStatus, FeaturedIssueStatus, SubscriptionStatus
from achievements.models import DigestDelivery, FeaturedIssue, Subscription
from achievements.tasks import run_digest, sweep_digests
from marketplace.enums import StaffGroup
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return UserFactory(username="editor", staff_groups=[StaffGroup.REVIEWER])


def test_compose_curate_and_publish_an_issue_in_the_admin(login, editor):
    today = timezone.localdate()
    first = AchievementFactory(title="深海声学探测技术", published_at=timezone.now() - timedelta(days=2), view_count=50)
    second = AchievementFactory(title="海藻生物可降解材料", published_at=timezone.now() - timedelta(days=3))
    admin = login(editor)

    admin.post(
        reverse("admin:achievements_featuredissue_add"),
        {
            "title": "",
            "period_start": (today - timedelta(days=7)).isoformat(),
            "period_end": today.isoformat(),
            "editor_note": "本期聚焦海洋",
        },
    )
    issue = FeaturedIssue.objects.get()
    assert (issue.number, issue.title) == (1, "好成果 第 1 期")
    assert [item.achievement for item in issue.items.all()] == [first, second]

    change = reverse("admin:achievements_featuredissue_change", args=[issue.pk])
    page = admin.get(change).content.decode()
    assert "本期候选成果" in page and "深海声学探测技术" in page

    items = list(issue.items.all())
    data = {
        "title": issue.title,
        "period_start": issue.period_start.isoformat(),
        "period_end": issue.period_end.isoformat(),
        "editor_note": "本期聚焦海洋",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "2",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-id": items[0].pk,
        "items-0-issue": issue.pk,
        "items-0-position": "2",
        "items-0-achievement": first.pk,
        "items-0-note": "声呐阵列国产化",
        "items-1-id": items[1].pk,
        "items-1-issue": issue.pk,
        "items-1-position": "1",
        "items-1-achievement": second.pk,
        "items-1-note": "",
    }
    assert admin.post(change, data).status_code == 302
    assert [(i.achievement, i.note) for i in issue.items.all()] == [(second, ""), (first, "声呐阵列国产化")]

    admin.post(
        reverse("admin:achievements_featuredissue_changelist"), {"action": "publish", "_selected_action": [issue.pk]}
    )
    issue.refresh_from_db()
    assert issue.status == FeaturedIssueStatus.PUBLISHED
    assert "深海声学探测技术" in admin.get(change).content.decode()


def test_an_unpublished_achievement_cannot_be_added_in_the_admin(login, editor):
    draft = AchievementFactory(draft=True, title="草稿成果")
    issue = FeaturedIssue.objects.create(
        number=1, title="第 1 期", period_start=timezone.localdate(), period_end=timezone.localdate()
    )
    data = {
        "title": issue.title,
        "period_start": issue.period_start.isoformat(),
        "period_end": issue.period_end.isoformat(),
        "editor_note": "",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-issue": issue.pk,
        "items-0-position": "1",
        "items-0-achievement": draft.pk,
        "items-0-note": "",
    }
    response = login(editor).post(reverse("admin:achievements_featuredissue_change", args=[issue.pk]), data)
    assert response.status_code == 200
    assert "只有已发布的成果才能入选" in response.content.decode()
    assert not issue.items.exists()


def test_ordinary_users_cannot_reach_the_issue_admin(login):
    assert login(UserFactory()).get(reverse("admin:achievements_featuredissue_changelist")).status_code == 302


def _active(email):
    return Subscription.objects.create(email=email, frequency="weekly", status=SubscriptionStatus.ACTIVE)


def test_beat_runs_the_period_and_the_sweep_recovers(editor):
    for number in range(3):
        _active(f"r{number}@example.cn")
    result = run_digest("weekly", timezone.localdate().isoformat())
    assert result["queued"] == 3
    assert sorted(m.to[0] for m in mail.outbox) == ["r0@example.cn", "r1@example.cn", "r2@example.cn"]
    assert set(DigestDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert run_digest("weekly", timezone.localdate().isoformat())["queued"] == 0

    # A claim abandoned long ago goes back to the queue and out.
    late = _active("late@example.cn")
    DigestDelivery.objects.create(
        subscription=late,
        period="weekly-2026-W01",
        email=late.email,
        status=DeliveryStatus.CLAIMED,
        claimed_by="dead",
        claimed_at=timezone.now() - timedelta(hours=1),
    )
    assert sweep_digests()["requeued"] == 1
    assert DigestDelivery.objects.get(subscription=late).status == DeliveryStatus.SENT


def test_staff_resend_and_reconcile_from_the_admin(login, editor, django_capture_on_commit_callbacks):
    subscription = _active("x@example.cn")
    failed = DigestDelivery.objects.create(
        subscription=subscription, period="weekly-2026-W40", email=subscription.email, status=DeliveryStatus.FAILED
    )
    ambiguous = DigestDelivery.objects.create(
        subscription=subscription, period="weekly-2026-W41", email=subscription.email, status=DeliveryStatus.AMBIGUOUS
    )
    admin = login(editor)
    changelist = reverse("admin:achievements_digestdelivery_changelist")
    assert "x@example.cn" in admin.get(changelist, {"status__exact": "ambiguous"}).content.decode()
    admin.post(changelist, {"action": "mark_sent", "_selected_action": [ambiguous.pk]})
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(changelist, {"action": "resend", "_selected_action": [failed.pk]})
    ambiguous.refresh_from_db()
    failed.refresh_from_db()
    assert ambiguous.status == DeliveryStatus.SENT
    assert failed.status == DeliveryStatus.SENT  # queued again and sent after the commit
    assert [m.to for m in mail.outbox] == [["x@example.cn"]]
