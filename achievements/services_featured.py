"""Featured achievements (好成果): candidates proposed for a period, issues composed and
published by bureau staff."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from achievements import rules as achievement_rules
from achievements.enums import FeaturedIssueStatus
from achievements.models import Achievement, FeaturedIssue, FeaturedItem
from marketplace.models import EvaluationSubject, User
from marketplace.models.evaluation import SCORE_MAX

# How much each signal weighs in a candidate's score (they add up to 1).
CANDIDATE_WEIGHTS = {"evaluation": 0.4, "inquiries": 0.25, "matches": 0.2, "views": 0.15}
# Counts at which a signal is full: five inquiries or five matches in demands' lists.
SATURATION = {"inquiries": 5, "matches": 5}


@dataclass
class Candidate:
    """A proposed achievement and the signals behind its score (each 0–1)."""

    achievement: Achievement
    signals: dict[str, float] = field(default_factory=dict)
    evaluation_score: float | None = None
    inquiries: int = 0
    matches: int = 0

    @property
    def score(self) -> float:
        return round(sum(CANDIDATE_WEIGHTS[name] * value for name, value in self.signals.items()), 4)


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end, time.max), zone),
    )


def issue_candidates(*, period_start: date, period_end: date, limit: int = 30) -> list[Candidate]:
    """Public achievements published in the period, best first: their evaluation score (the best
    closed round), the inquiries they drew, how many demands' match lists hold them, and their
    views against the period's most viewed. One query for the achievements and their counts."""
    first, last = _day_bounds(period_start, period_end)
    evaluation = (
        EvaluationSubject.objects.filter(
            content_type=ContentType.objects.get_for_model(Achievement),
            object_id=OuterRef("pk"),
            result_score__isnull=False,
        )
        .values("object_id")
        .annotate(best=Max("result_score"))
        .values("best")
    )
    achievements = list(
        Achievement.objects.filter(
            status__in=achievement_rules.PUBLIC_STATUSES, published_at__gte=first, published_at__lte=last
        )
        .select_related("organization")
        .annotate(
            inquiry_count=Count("inquiries", distinct=True),
            match_count=Count("matches", filter=Q(matches__demand_rank__isnull=False), distinct=True),
            evaluation_score=Subquery(evaluation[:1]),
        )
    )
    most_viewed = max((a.view_count for a in achievements), default=0) or 1
    candidates = []
    for achievement in achievements:
        evaluation_score = float(achievement.evaluation_score) if achievement.evaluation_score is not None else None
        candidates.append(
            Candidate(
                achievement=achievement,
                evaluation_score=evaluation_score,
                inquiries=achievement.inquiry_count,
                matches=achievement.match_count,
                signals={
                    "evaluation": (evaluation_score or 0) / SCORE_MAX,
                    "inquiries": min(1.0, achievement.inquiry_count / SATURATION["inquiries"]),
                    "matches": min(1.0, achievement.match_count / SATURATION["matches"]),
                    "views": achievement.view_count / most_viewed,
                },
            )
        )
    candidates.sort(key=lambda c: (-c.score, -(c.achievement.published_at.timestamp()), c.achievement.pk))
    return candidates[:limit]


def _require(user, permission: str, obj=None) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


@transaction.atomic
def issue_create(
    *, user: User, period_start: date, period_end: date, title: str = "", editor_note: str = "", propose: int = 10
) -> FeaturedIssue:
    """Open the next numbered issue for a period, with the `propose` best candidates as its
    first items (staff then choose, order and annotate)."""
    _require(user, "achievements.add_featuredissue")
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period must end on or after its first day.")})
    number = (FeaturedIssue.objects.select_for_update().aggregate(last=Max("number"))["last"] or 0) + 1
    issue = FeaturedIssue(
        number=number,
        title=(title or _("Featured achievements, issue %(number)s") % {"number": number}).strip(),
        period_start=period_start,
        period_end=period_end,
        editor_note=editor_note.strip(),
        created_by=user,
    )
    issue.full_clean()
    issue.save()
    candidates = issue_candidates(period_start=period_start, period_end=period_end, limit=propose)
    FeaturedItem.objects.bulk_create(
        [FeaturedItem(issue=issue, achievement=c.achievement, position=i) for i, c in enumerate(candidates, 1)]
    )
    return issue


@transaction.atomic
def issue_set_items(*, issue: FeaturedIssue, user: User, items: Sequence[tuple[int, str]]) -> FeaturedIssue:
    """Replace the issue's items with `items` — (achievement id, editor's note) in the order
    shown. Only public achievements; only while the issue is being composed."""
    _require(user, "achievements.change_featuredissue", issue)
    if issue.status != FeaturedIssueStatus.DRAFT:
        raise ValidationError(_("A published issue is not changed."))
    ids = [pk for pk, _note in items]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("An achievement appears twice in the issue."))
    public = set(
        Achievement.objects.filter(pk__in=ids, status__in=achievement_rules.PUBLIC_STATUSES).values_list(
            "pk", flat=True
        )
    )
    if missing := [pk for pk in ids if pk not in public]:
        raise ValidationError(
            _("Only published achievements can be featured (not: %(ids)s).") % {"ids": ", ".join(map(str, missing))}
        )
    issue.items.all().delete()
    FeaturedItem.objects.bulk_create(
        [
            FeaturedItem(issue=issue, achievement_id=pk, position=position, note=(note or "").strip())
            for position, (pk, note) in enumerate(items, 1)
        ]
    )
    return issue


@transaction.atomic
def issue_publish(*, issue: FeaturedIssue, user: User) -> FeaturedIssue:
    """Publish the issue: its archive page, feeds, print page and PDF become public, and the
    next digests carry it. Needs at least one item."""
    _require(user, "achievements.publish_featuredissue", issue)
    issue = FeaturedIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != FeaturedIssueStatus.DRAFT:
        raise ValidationError(_("This issue is already published."))
    if not issue.items.exists():
        raise ValidationError(_("Choose at least one achievement before publishing."))
    issue.status = FeaturedIssueStatus.PUBLISHED
    issue.published_at = timezone.now()
    issue.save(update_fields=["status", "published_at", "updated_at"])
    return issue
