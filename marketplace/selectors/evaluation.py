"""Reads of the evaluation machinery: rounds as staff and as experts may see them, joined for
lists (a constant number of queries; subjects come with what their adapters read)."""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db.models import Prefetch, QuerySet

from marketplace import rules as market_rules
from marketplace.enums import AssignmentStatus, RoundStatus
from marketplace.models import Assignment, Criterion, EvaluationRound, EvaluationSubject
from marketplace.services import evaluation as services


def _subject_objects() -> GenericPrefetch | str:
    """The subjects' objects (achievements…), with what their adapters read, per kind."""
    querysets = []
    for label in services.ADAPTERS:
        model = apps.get_model(label)
        querysets.append(model._base_manager.prefetch_related(*services.ADAPTERS[label].prefetch))
    return GenericPrefetch("subject", querysets) if querysets else "subject"


def _own_assignments(user) -> QuerySet[Assignment]:
    """The user's places in rounds that still count: drawn, not declined, and still in the pool."""
    return Assignment.objects.filter(expert__user_id=user.pk, expert__is_active=True).exclude(
        status=AssignmentStatus.DECLINED
    )


def rounds_visible_to(user) -> QuerySet[EvaluationRound]:
    """Every round for bureau staff; for an expert the rounds of their live assignments;
    nothing for anyone else. Not joined: for look-ups before a write."""
    if market_rules.is_bureau_staff(user):
        return EvaluationRound.objects.all()
    return EvaluationRound.objects.filter(pk__in=_own_assignments(user).values("round_id")).exclude(
        status=RoundStatus.DRAFT
    )


def rounds_for_staff() -> QuerySet[EvaluationRound]:
    """Every round, joined for the staff representation (a constant number of queries)."""
    return EvaluationRound.objects.prefetch_related(
        Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id")),
        Prefetch("subjects", queryset=EvaluationSubject.objects.select_related("owner", "content_type")),
        Prefetch("assignments", queryset=Assignment.objects.select_related("expert__user").order_by("id")),
    )


def rounds_for_expert(user) -> QuerySet[EvaluationRound]:
    """The expert's rounds, joined for the expert representation: the subjects' objects come
    with what the blind title needs, and only the expert's own assignment (`own_assignments`)."""
    return rounds_visible_to(user).prefetch_related(
        Prefetch("criteria", queryset=Criterion.objects.order_by("position", "id")),
        Prefetch(
            "subjects", queryset=EvaluationSubject.objects.select_related("owner").prefetch_related(_subject_objects())
        ),
        Prefetch(
            "assignments", queryset=_own_assignments(user).select_related("expert__user"), to_attr="own_assignments"
        ),
    )
