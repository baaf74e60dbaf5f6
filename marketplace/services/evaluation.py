"""Expert pool and evaluation rounds: the draw, scoring, aggregation and blind presentation.

A round evaluates any kind of subject whose app registered a SubjectAdapter (achievements
now, challenge bids later), so one machinery serves every app.
"""

from __future__ import annotations

import random
import secrets
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.enums import AssignmentStatus, RoundStatus
from marketplace.models import (
    Assignment,
    Criterion,
    EvaluationRound,
    EvaluationSubject,
    ExpertProfile,
    IndustryField,
    Membership,
    Score,
    ScoreComment,
    User,
)
from marketplace.models.evaluation import SCORE_MAX, SCORE_MIN
from marketplace.services.notifications import notify
from marketplace.services.transitions import Workflow

ROUND_LIFECYCLE = Workflow(
    choices=RoundStatus,
    transitions={
        RoundStatus.DRAFT: {RoundStatus.SCORING, RoundStatus.CANCELLED},
        RoundStatus.SCORING: {RoundStatus.CLOSED, RoundStatus.CANCELLED},
        RoundStatus.CLOSED: set(),
        RoundStatus.CANCELLED: set(),
    },
)

BLIND_MARK = "■■■"


def default_criteria() -> list[tuple[str, Decimal]]:
    """The default criteria and weights (they sum to 1)."""
    return [
        (_("Novelty"), Decimal("0.25")),
        (_("Maturity"), Decimal("0.20")),
        (_("Market potential"), Decimal("0.25")),
        (_("IP strength"), Decimal("0.15")),
        (_("Team"), Decimal("0.15")),
    ]


# Subjects ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presentation:
    """What an expert sees of a subject. Blind presentations carry no owner identity."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    files: list = field(default_factory=list)


@dataclass(frozen=True)
class SubjectAdapter:
    """How the evaluation machinery reads one kind of subject.

    owner(obj) → the owning Organization; fields(obj) → its IndustryFields; present(obj,
    blind=…) → a Presentation (blind: without identifying details such as people, contacts
    and registration numbers); identity(obj) → the names that identify the owner
    (organization, people), which a blind round also removes from every text; interested(obj)
    → other organizations with a stake in the verdict (a challenge's issuer, for its bids),
    whose people are kept out of the draw like the owner's.
    """

    owner: Callable
    fields: Callable
    present: Callable
    identity: Callable
    interested: Callable = lambda obj: ()
    # What present() and identity() read, to prefetch for many subjects at once.
    prefetch: tuple[str, ...] = ()


ADAPTERS: dict[str, SubjectAdapter] = {}


def register_subject(model, adapter: SubjectAdapter) -> None:
    ADAPTERS[model._meta.label_lower] = adapter


def adapter_for(obj) -> SubjectAdapter:
    try:
        return ADAPTERS[obj._meta.label_lower]
    except KeyError as exc:
        raise ValueError(f"{obj._meta.label} cannot be evaluated: no SubjectAdapter registered") from exc


def redact(text: str, terms: Iterable[str]) -> str:
    """Replace every identity term (longest first) in the text."""
    for term in sorted({t.strip() for t in terms if t and len(t.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(term, BLIND_MARK)
    return text


def subject_file_name(subject: EvaluationSubject, number: int, stored, *, blind: bool) -> str:
    """The name an expert downloads a subject's attachment under: neutral in a blind round."""
    if not blind:
        return stored.original_name
    return _("%(label)s attachment %(number)s.%(ext)s") % {"label": subject.label, "number": number, "ext": stored.kind}


def present_subject(subject: EvaluationSubject, *, blind: bool) -> Presentation:
    """The subject as its expert sees it; in a blind round, owner identity is removed from the
    title, facts and sections, and files are listed without their names."""
    obj = subject.subject
    adapter = adapter_for(obj)
    presentation = adapter.present(obj, blind=blind)
    if not blind:
        return presentation
    terms = adapter.identity(obj)
    return Presentation(
        title=f"{subject.label} · {redact(presentation.title, terms)}",
        facts=[(label, redact(value, terms)) for label, value in presentation.facts],
        sections=[(heading, redact(text, terms)) for heading, text in presentation.sections],
        files=presentation.files,
    )


def round_title_for_experts(evaluation: EvaluationRound) -> str:
    """The round's title as experts see it: in a blind round, any owner name staff may have
    written into the title is removed too."""
    if not evaluation.is_blind:
        return evaluation.title
    terms = []
    for subject in evaluation.subjects.all():
        terms.extend(adapter_for(subject.subject).identity(subject.subject))
    return redact(evaluation.title, terms)


# The pool ----------------------------------------------------------------------------------


def _related_field_ids(field_ids: set[int]) -> set[int]:
    """The fields themselves, their parents and their children: a fit in either direction."""
    rows = IndustryField.objects.filter(Q(pk__in=field_ids) | Q(parent_id__in=field_ids)).values_list("pk", "parent_id")
    related = set(field_ids)
    for pk, parent_id in rows:
        related.add(pk)
        if parent_id:
            related.add(parent_id)
    return related


def eligible_experts(evaluation: EvaluationRound, *, exclude: Iterable[int] = ()) -> list[ExpertProfile]:
    """Experts who may evaluate every subject of the round, ordered by id (so a seeded draw
    is reproducible): active and available; a field that fits a subject's fields; not
    employed by, nor a member of, nor in declared conflict with any subject's owner or any
    other organization interested in the verdict."""
    subjects = list(evaluation.subjects.all())
    owners = {subject.owner_id for subject in subjects}
    field_ids: set[int] = set()
    for subject in subjects:
        adapter = adapter_for(subject.subject)
        field_ids.update(f.pk for f in adapter.fields(subject.subject))
        owners.update(organization.pk for organization in adapter.interested(subject.subject))
    members_of_owners = Membership.objects.filter(organization_id__in=owners).values("user_id")
    queryset = (
        ExpertProfile.objects.filter(is_active=True, is_available=True, user__is_active=True)
        .filter(industry_fields__in=_related_field_ids(field_ids))
        .exclude(organization_id__in=owners)
        .exclude(user_id__in=members_of_owners)
        .exclude(conflicts__in=owners)
        .exclude(pk__in=list(exclude))
        .distinct()
        .order_by("pk")
    )
    return list(queryset.select_related("user"))


# Rounds ------------------------------------------------------------------------------------


def _require(user, permission: str, obj) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


@transaction.atomic
def round_create(
    *,
    user: User | None,
    title: str,
    subjects: Sequence,
    deadline: datetime,
    expert_count: int = 3,
    is_blind: bool = True,
    criteria: Sequence[tuple[str, Decimal]] | None = None,
    period: str = "",
) -> EvaluationRound:
    """A draft round over the given subjects with weighted criteria (defaults if none)."""
    if user is not None:
        _require(user, "marketplace.add_evaluationround", None)
    if not subjects:
        raise ValidationError({"subjects": _("Choose at least one subject to evaluate.")})
    evaluation = EvaluationRound(
        title=title, deadline=deadline, expert_count=expert_count, is_blind=is_blind, created_by=user, period=period
    )
    evaluation.full_clean()
    evaluation.save()
    criteria_rows = list(criteria or default_criteria())
    if not criteria_rows or any(weight <= 0 for _name, weight in criteria_rows):
        raise ValidationError({"criteria": _("Every criterion needs a positive weight.")})
    Criterion.objects.bulk_create(
        [
            Criterion(round=evaluation, name=name, weight=weight, position=i)
            for i, (name, weight) in enumerate(criteria_rows)
        ]
    )
    round_add_subjects(evaluation=evaluation, subjects=subjects)
    return evaluation


def _label(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return _("Subject %(letter)s") % {"letter": letters}


@transaction.atomic
def round_add_subjects(*, evaluation: EvaluationRound, subjects: Sequence) -> list[EvaluationSubject]:
    if evaluation.status != RoundStatus.DRAFT:
        raise ValidationError(_("Subjects can only be changed before the draw."))
    start = evaluation.subjects.count()
    rows = []
    for offset, obj in enumerate(subjects):
        adapter = adapter_for(obj)
        rows.append(
            EvaluationSubject(
                round=evaluation,
                content_type=ContentType.objects.get_for_model(type(obj)),
                object_id=obj.pk,
                owner=adapter.owner(obj),
                label=_label(start + offset),
                position=start + offset,
            )
        )
    return EvaluationSubject.objects.bulk_create(rows, ignore_conflicts=False)


@transaction.atomic
def round_draw(*, evaluation: EvaluationRound, user: User, seed: int | None = None) -> list[Assignment]:
    """Draw the round's experts at random among the eligible ones and start scoring.

    The seed is recorded, so the same pool and seed give the same experts. Too few eligible
    experts: a ValidationError and nothing drawn. The drawn experts are notified.
    """
    _require(user, "marketplace.manage_evaluationround", evaluation)
    # Lock the row, then read the current state into the caller's instance.
    EvaluationRound.objects.select_for_update().filter(pk=evaluation.pk).first()
    evaluation.refresh_from_db()
    if evaluation.status != RoundStatus.DRAFT:
        raise ValidationError(_("The experts of this round have already been drawn."))
    if evaluation.deadline <= timezone.now():
        raise ValidationError({"deadline": _("The deadline must be in the future.")})
    candidates = eligible_experts(evaluation)
    if len(candidates) < evaluation.expert_count:
        raise ValidationError(
            _("Only %(available)s eligible experts for %(needed)s places; widen the fields or recruit experts first.")
            % {"available": len(candidates), "needed": evaluation.expert_count}
        )
    seed = seed if seed is not None else secrets.randbits(62)
    # Seeded on purpose: the draw must be reproducible from the recorded seed (the seed itself is
    # drawn from the secrets module).
    chosen = random.Random(seed).sample(candidates, evaluation.expert_count)  # noqa: S311 -- reproducible by design
    assignments = Assignment.objects.bulk_create([Assignment(round=evaluation, expert=expert) for expert in chosen])
    evaluation.seed = seed
    evaluation.drawn_at = timezone.now()
    ROUND_LIFECYCLE.apply(evaluation, RoundStatus.SCORING, actor=user, update_fields=["seed", "drawn_at"])
    _notify_experts(evaluation, [a.expert.user for a in assignments])
    return assignments


def _notify_experts(evaluation: EvaluationRound, users: list[User]) -> None:
    notify(
        users=users,
        kind="evaluation.assigned",
        title=_("You are invited to evaluate: %(title)s") % {"title": round_title_for_experts(evaluation)},
        body=_("Please score before %(deadline)s.")
        % {"deadline": timezone.localtime(evaluation.deadline).strftime("%Y-%m-%d %H:%M")},
        url=reverse("evaluation:list"),
    )


@transaction.atomic
def assignment_decline(*, assignment: Assignment, user: User, reason: str = "") -> Assignment:
    """The expert declines (e.g. unavailable, conflict discovered); staff then replace them."""
    _require(user, "marketplace.decline_assignment", assignment)
    if assignment.status != AssignmentStatus.ACTIVE or assignment.round.status != RoundStatus.SCORING:
        raise ValidationError(_("This assignment can no longer be declined."))
    assignment.status = AssignmentStatus.DECLINED
    assignment.declined_reason = reason.strip()[:300]
    assignment.save(update_fields=["status", "declined_reason"])
    from marketplace.services.organizations import bureau_reviewers

    notify(
        users=bureau_reviewers(),
        kind="evaluation.declined",
        title=_("An expert declined %(title)s") % {"title": assignment.round.title},
        body=assignment.declined_reason,
        url=reverse("admin:marketplace_evaluationround_change", args=[assignment.round_id]),
    )
    return assignment


@transaction.atomic
def assignment_replace(*, assignment: Assignment, user: User) -> Assignment:
    """Draw a replacement for a declined expert with the same rules, reproducibly: the
    replacement's randomness derives from the round's seed and the draw number."""
    _require(user, "marketplace.manage_evaluationround", assignment.round)
    evaluation = EvaluationRound.objects.select_for_update().get(pk=assignment.round_id)
    Assignment.objects.select_for_update().filter(pk=assignment.pk).first()
    assignment.refresh_from_db()
    if assignment.status != AssignmentStatus.DECLINED:
        raise ValidationError(_("Only a declined expert is replaced."))
    if hasattr(assignment, "replaced_by"):
        raise ValidationError(_("This expert has already been replaced."))
    if evaluation.status != RoundStatus.SCORING:
        raise ValidationError(_("Experts are replaced only while the round is scoring."))
    taken = evaluation.assignments.values_list("expert_id", flat=True)
    candidates = eligible_experts(evaluation, exclude=taken)
    if not candidates:
        raise ValidationError(_("No other eligible expert is left in the pool."))
    draw_index = (evaluation.assignments.order_by("-draw_index").values_list("draw_index", flat=True).first() or 0) + 1
    expert = random.Random(f"{evaluation.seed}:{draw_index}").choice(candidates)  # noqa: S311 -- reproducible by design
    replacement = Assignment.objects.create(round=evaluation, expert=expert, draw_index=draw_index, replaces=assignment)
    _notify_experts(evaluation, [expert.user])
    return replacement


def _check_open(assignment: Assignment) -> None:
    if assignment.status == AssignmentStatus.DECLINED:
        raise ValidationError(_("You declined this assignment."))
    if assignment.round.status != RoundStatus.SCORING:
        raise ValidationError(_("This round is not open for scoring."))
    if timezone.now() > assignment.round.deadline:
        raise ValidationError(_("The scoring deadline has passed."))


@transaction.atomic
def scores_record(
    *, assignment: Assignment, user: User, subject: EvaluationSubject, values: dict[int, int], comment: str = ""
) -> list[Score]:
    """Record (or correct) the expert's scores of one subject: one whole number per criterion
    within the scale. Refused after the deadline, outside the round, or for someone else."""
    _require(user, "marketplace.score_assignment", assignment)
    _check_open(assignment)
    if subject.round_id != assignment.round_id:
        raise PermissionDenied
    criteria = {c.pk: c for c in assignment.round.criteria.all()}
    errors = {}
    if set(values) != set(criteria):
        errors["scores"] = [_("Score every criterion.")]
    for criterion_id, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or not SCORE_MIN <= value <= SCORE_MAX:
            errors[f"criterion_{criterion_id}"] = [
                _("A score is a whole number from %(low)s to %(high)s.") % {"low": SCORE_MIN, "high": SCORE_MAX}
            ]
    if errors:
        raise ValidationError(errors)
    Score.objects.filter(assignment=assignment, subject=subject).delete()
    rows = Score.objects.bulk_create(
        [Score(assignment=assignment, subject=subject, criterion_id=pk, value=value) for pk, value in values.items()]
    )
    ScoreComment.objects.update_or_create(
        assignment=assignment, subject=subject, defaults={"comment": comment.strip()[:3000]}
    )
    return rows


@transaction.atomic
def assignment_submit(*, assignment: Assignment, user: User) -> Assignment:
    """Hand in the scores once every subject is scored (they can be corrected until the deadline)."""
    _require(user, "marketplace.score_assignment", assignment)
    _check_open(assignment)
    expected = assignment.round.subjects.count() * assignment.round.criteria.count()
    if assignment.scores.count() != expected:
        raise ValidationError(_("Score every subject before submitting."))
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_at = timezone.now()
    assignment.save(update_fields=["status", "submitted_at"])
    return assignment


def _quantize(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def weighted_score(values: dict[int, int], weights: dict[int, Decimal]) -> Decimal:
    """Σ weight × score / Σ weight over the criteria."""
    total = sum(weights.values())
    return sum(Decimal(values[pk]) * weight for pk, weight in weights.items()) / total


def aggregate(evaluation: EvaluationRound) -> dict[int, tuple[Decimal | None, Decimal | None, int]]:
    """Per subject: the mean of the experts' weighted scores, its sample standard deviation
    and the number of experts who scored, counting submitted assignments only."""
    weights = {c.pk: c.weight for c in evaluation.criteria.all()}
    per_subject: dict[int, dict[int, dict[int, int]]] = {}
    for score in Score.objects.filter(assignment__round=evaluation, assignment__status=AssignmentStatus.SUBMITTED):
        per_subject.setdefault(score.subject_id, {}).setdefault(score.assignment_id, {})[score.criterion_id] = (
            score.value
        )
    results = {}
    for subject in evaluation.subjects.all():
        sheets = [values for values in per_subject.get(subject.pk, {}).values() if set(values) == set(weights)]
        if not sheets:
            results[subject.pk] = (None, None, 0)
            continue
        scored = [weighted_score(values, weights) for values in sheets]
        spread = statistics.stdev(scored) if len(scored) > 1 else Decimal(0)
        results[subject.pk] = (_quantize(statistics.fmean(scored)), _quantize(spread), len(scored))
    return results


@transaction.atomic
def round_close(*, evaluation: EvaluationRound, user: User) -> EvaluationRound:
    """Close the round and publish each subject's result (weighted mean, spread, count)."""
    _require(user, "marketplace.manage_evaluationround", evaluation)
    results = aggregate(evaluation)
    subjects = list(evaluation.subjects.all())
    for subject in subjects:
        subject.result_score, subject.result_spread, subject.result_count = results[subject.pk]
    EvaluationSubject.objects.bulk_update(subjects, ["result_score", "result_spread", "result_count"])
    evaluation.closed_at = timezone.now()
    ROUND_LIFECYCLE.apply(evaluation, RoundStatus.CLOSED, actor=user, update_fields=["closed_at"])
    return evaluation


@transaction.atomic
def round_cancel(*, evaluation: EvaluationRound, user: User, reason: str = "") -> EvaluationRound:
    _require(user, "marketplace.manage_evaluationround", evaluation)
    ROUND_LIFECYCLE.apply(evaluation, RoundStatus.CANCELLED, actor=user, reason=reason)
    return evaluation


def evaluation_reminders_send(*, now: datetime | None = None, days_before: int = 3) -> int:
    """Remind experts who have not submitted when the deadline is near (once per assignment)."""
    from marketplace.services.mail import mail_queue

    now = now or timezone.now()
    due = Assignment.objects.filter(
        status=AssignmentStatus.ACTIVE,
        round__status=RoundStatus.SCORING,
        round__deadline__gt=now,
        round__deadline__lte=now + timedelta(days=days_before),
    ).select_related("round", "expert__user")
    count = 0
    for assignment in due:
        user = assignment.expert.user
        if not user.email:
            continue
        mail_queue(
            to=user.email,
            user=user,
            purpose="evaluation-reminder",
            period=str(assignment.pk),
            template="mail/evaluation_reminder",
            context={
                "user": user,
                "assignment": assignment,
                "evaluation": assignment.round,
                "round_title": round_title_for_experts(assignment.round),
            },
        )
        count += 1
    return count


def monthly_round_propose(*, period: str, subjects: Sequence) -> EvaluationRound | None:
    """Propose the round of a month (Celery beat, on the 1st): a draft over the subjects the
    app chose (what was published that month and not evaluated yet); staff adjust it and
    draw. At most one per period; nothing when there is nothing to evaluate."""
    if not subjects or EvaluationRound.objects.filter(period=period).exists():
        return None
    return round_create(
        user=None,
        title=_("Monthly evaluation %(period)s") % {"period": period},
        subjects=subjects,
        deadline=timezone.now() + timedelta(days=21),
        period=period,
    )
