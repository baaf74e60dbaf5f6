"""Demo data of the featured-achievements publication (好成果): three past issues composed from
the demo library's candidates, and confirmed subscribers, so `manage.py send_digests` has work
to do on a fresh install. Idempotent: once an issue exists the step writes nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from achievements.enums import SubscriptionStatus
from achievements.models import Achievement, FeaturedIssue, Subscription
from achievements.services_featured import issue_candidates, issue_create, issue_publish, issue_set_items
from marketplace.models import IndustryField, User

# (days before today the period ends, its length in days, editor's note)
ISSUES = [
    (63, 28, "本期聚焦海洋经济：海洋生物酶制剂、海洋装备与海水利用的最新成果。"),
    (35, 28, "本期关注新能源与储能，兼顾先进制造领域的中试成熟成果。"),
    (7, 28, "年末特辑：评价得分高、企业咨询踊跃的成果集中推介。"),
]
# (e-mail, fields of interest, frequency); the first two are demo users' own addresses.
SUBSCRIBERS = [
    ("vland_admin@demo.market.local", ["marine-biology", "biotechnology"], "weekly"),
    ("agency_member@demo.market.local", [], "weekly"),
    ("investor.zhou@demo.market.local", ["new-energy", "clean-energy"], "monthly"),
    ("factory.liu@demo.market.local", ["high-end-equipment"], "weekly"),
    ("marine.tech@demo.market.local", ["marine"], "monthly"),
]


@transaction.atomic
def seed_featured(stdout=None) -> list[str]:
    if FeaturedIssue.objects.exists():
        return ["  featured: already seeded"]
    editor = User.objects.get(username="reviewer")
    today = timezone.localdate()
    published = 0
    for ends_ago, length, note in ISSUES:
        end = today - timedelta(days=ends_ago)
        start = end - timedelta(days=length - 1)
        issue = issue_create(user=editor, period_start=start, period_end=end, editor_note=note, propose=0)
        candidates = issue_candidates(period_start=start, period_end=end, limit=6)
        if not candidates:
            # A quiet period: feature the best-viewed public achievements instead.
            chosen = list(Achievement.objects.public().order_by("-view_count", "pk")[:6])
        else:
            chosen = [candidate.achievement for candidate in candidates]
        issue_set_items(
            issue=issue,
            user=editor,
            items=[(a.pk, "推荐理由：" + (a.application_scenarios or a.summary)[:60]) for a in chosen],
        )
        issue_publish(issue=issue, user=editor)
        # Published when its period ended, as the bureau would have.
        FeaturedIssue.objects.filter(pk=issue.pk).update(
            published_at=timezone.make_aware(datetime.combine(end + timedelta(days=1), time(9)))
        )
        published += 1
    fields = {field.code: field for field in IndustryField.objects.all()}
    for email, codes, frequency in SUBSCRIBERS:
        subscription, _created = Subscription.objects.get_or_create(
            email=email,
            defaults={
                "frequency": frequency,
                "status": SubscriptionStatus.ACTIVE,
                "confirmed_at": timezone.now(),
                "user": User.objects.filter(email=email).first(),
            },
        )
        subscription.industry_fields.set([fields[code] for code in codes if code in fields])
    return [
        f"  featured: {published} issues published, {len(SUBSCRIBERS)} confirmed subscribers "
        "(run `manage.py send_digests` to send them the digest)"
    ]
