import itertools
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from achievements.demo import SEED, SHOWCASE, _plan
from achievements.enums import InquiryStatus, Source, Status
from achievements.models import Achievement, Inquiry, LedgerEntry, Problem
from achievements.services import LIFECYCLE
from marketplace.demo import seed_parties
from marketplace.models import Membership, Message, TransitionLog, User

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Achievement, TransitionLog, Inquiry, Message, LedgerEntry, Problem, User, Membership)
    }


def test_seed_demo_twice_creates_nothing_more(capsys):
    call_command("seed_demo")
    first = counts()

    call_command("seed_demo")

    assert counts() == first
    assert first["Achievement"] == 1000 + len(SHOWCASE)
    out = capsys.readouterr().out.splitlines()
    assert "  achievements: 1000 demo achievements already loaded" in out
    assert f"  achievements: {len(SHOWCASE)} written for demo demands (0 new)" in out


def test_seed_demo_leaves_achievements_in_every_status_with_a_consistent_history():
    call_command("seed_demo")

    logs = defaultdict(list)
    for log in TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(Achievement)).order_by(
        "created_at", "id"
    ):
        logs[log.object_id].append(log)
    now = timezone.now()
    broken = []
    for achievement in Achievement.objects.all():
        steps = logs[achievement.pk]
        chain = [Status.DRAFT, *(log.to_status for log in steps)]
        if (
            [log.from_status for log in steps] != chain[:-1]
            or not all(LIFECYCLE.can(a, b) for a, b in itertools.pairwise(chain))
            or chain[-1] != achievement.status
            or any(log.created_at < achievement.created_at or log.created_at > now for log in steps)
        ):
            broken.append(achievement.external_ref)

    assert set(Achievement.objects.values_list("status", flat=True)) == set(Status.values)
    assert broken == []
    assert Achievement.objects.filter(status=Status.PUBLISHED).count() > 800
    # The CSL papers, and the showcase written for demo demands (matching's strong matches).
    assert set(Achievement.objects.values_list("source", flat=True)) == {Source.CSL, Source.IMPORT}
    assert Achievement.objects.filter(source=Source.IMPORT).count() == len(SHOWCASE)
    assert Achievement.objects.values("organization").distinct().count() == 6
    assert Achievement.objects.filter(status=Status.REJECTED, review_note="").count() == 0
    assert set(Achievement.objects.values_list("trl", flat=True)) <= set(range(2, 10))
    assert Achievement.objects.filter(price_negotiable=False, asking_price__isnull=True).count() == 0
    # Some listings are stale, none so stale that the archiving job would take them at once.
    overdue = now - timedelta(days=settings.FRESHNESS_DAYS + settings.FRESHNESS_GRACE_DAYS)
    assert Achievement.objects.stale().exists()
    assert Achievement.objects.stale().filter(confirmed_at__lt=overdue).count() == 0


def test_seed_demo_tracks_a_few_and_has_inquiries_in_every_state():
    call_command("seed_demo")

    tracked = Achievement.objects.filter(is_tracked=True)
    declined = Inquiry.objects.filter(status=InquiryStatus.DECLINED)

    assert tracked.count() == 6
    assert LedgerEntry.objects.filter(achievement__in=tracked).count() == 18
    assert Problem.objects.filter(achievement__in=tracked).exists()
    assert set(Inquiry.objects.values_list("status", flat=True)) == set(InquiryStatus.values)
    assert set(Inquiry.objects.values_list("organization__short_name", flat=True)) == {
        "蔚蓝生物",
        "东岳未来氢能",
        "遨博智能",
    }
    assert declined.filter(decline_note="").count() == 0
    assert len(set(declined.values_list("decline_reason", flat=True))) == declined.count()
    assert (
        Message.objects.filter(
            thread_type=ContentType.objects.get_for_model(Inquiry),
            thread_id__in=Inquiry.objects.filter(status=InquiryStatus.OPEN).values("pk"),
        ).count()
        == 2
    )


def test_demo_plan_is_reproducible():
    seed_parties()  # the organizations the plan spreads the records over

    first = [(entry["owner"], entry["state"], entry["row"].values) for entry in _plan(random.Random(SEED))]
    second = [(entry["owner"], entry["state"], entry["row"].values) for entry in _plan(random.Random(SEED))]

    assert first == second


def test_seed_demo_publishes_featured_issues_and_gives_send_digests_work():
    from django.core import mail

    from achievements.enums import FeaturedIssueStatus, SubscriptionStatus
    from achievements.models import FeaturedIssue, Subscription

    call_command("seed_demo")

    issues = list(FeaturedIssue.objects.order_by("number"))
    assert [issue.number for issue in issues] == [1, 2, 3]
    assert all(issue.status == FeaturedIssueStatus.PUBLISHED and issue.items.exists() for issue in issues)
    assert [i.published_at for i in issues] == sorted(i.published_at for i in issues)
    assert Subscription.objects.filter(status=SubscriptionStatus.ACTIVE).count() == 5

    mail.outbox.clear()
    call_command("send_digests")
    assert len(mail.outbox) == 5
    assert all(issues[-1].title in message.subject for message in mail.outbox)
    call_command("send_digests")
    assert len(mail.outbox) == 5
