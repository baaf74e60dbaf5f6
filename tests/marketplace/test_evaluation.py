"""The expert pool and evaluation rounds: draw rules, reproducibility, scoring, aggregation,
blindness and permissions."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from achievements.services import achievement_attach
from marketplace.enums import AssignmentStatus, RoundStatus
from marketplace.models import Assignment, EvaluationRound, ExpertProfile, Notification, OutgoingMail
from marketplace.services.evaluation import (
    aggregate,
    assignment_decline,
    assignment_replace,
    assignment_submit,
    eligible_experts,
    evaluation_reminders_send,
    monthly_round_propose,
    round_close,
    round_create,
    round_draw,
    scores_record,
)
from tests.factories.achievements import AchievementFactory
from tests.factories.marketplace import ExpertProfileFactory, MembershipFactory, OrganizationFactory
from tests.files import upload

pytestmark = pytest.mark.django_db


def _round(subjects, *, user=None, count=3, blind=True, deadline_days=7):
    return round_create(
        user=user,
        title="2026年11月成果评价",
        subjects=subjects,
        deadline=timezone.now() + timedelta(days=deadline_days),
        expert_count=count,
        is_blind=blind,
    )


@pytest.fixture
def owner():
    return OrganizationFactory(name="青岛能源研究所", short_name="能源所", kind="institute")


@pytest.fixture
def achievement(owner):
    return AchievementFactory(
        organization=owner, title="能源所研发的固态电池电解质", contact_name="赵研究员", fields=["new-energy-batteries"]
    )


def test_draw_excludes_the_owner_members_and_declared_conflicts(achievement, owner, reviewer):
    employed = ExpertProfileFactory(organization=owner)
    member = ExpertProfileFactory()
    MembershipFactory(user=member.user, organization=owner)
    conflicted = ExpertProfileFactory()
    conflicted.conflicts.add(owner)
    wrong_field = ExpertProfileFactory(fields=["robotics"])
    unavailable = ExpertProfileFactory(is_available=False)
    parent_field = ExpertProfileFactory(fields=["new-energy"])  # the parent of the subject's field fits
    fine = ExpertProfileFactory.create_batch(2)

    evaluation = _round([achievement], count=3)

    assert {e.pk for e in eligible_experts(evaluation)} == {parent_field.pk, *(f.pk for f in fine)}
    drawn = round_draw(evaluation=evaluation, user=reviewer, seed=42)
    assert {a.expert_id for a in drawn} == {parent_field.pk, *(f.pk for f in fine)}
    assert not {employed.pk, member.pk, conflicted.pk, wrong_field.pk, unavailable.pk} & {a.expert_id for a in drawn}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(min_value=0, max_value=2**62),
    pool=st.lists(st.sampled_from(["ok", "employed", "member", "conflict"]), min_size=4, max_size=12),
)
def test_draw_never_picks_a_conflicted_expert_whatever_the_seed(reviewer, seed, pool):
    # Examples share one test transaction: retire the previous examples' experts.
    ExpertProfile.objects.update(is_active=False)
    owner = OrganizationFactory(kind="institute")
    subject = AchievementFactory(organization=owner)
    forbidden = set()
    for kind in pool:
        expert = ExpertProfileFactory(organization=owner if kind == "employed" else None)
        if kind == "member":
            MembershipFactory(user=expert.user, organization=owner)
        if kind == "conflict":
            expert.conflicts.add(owner)
        if kind != "ok":
            forbidden.add(expert.pk)
    count = min(2, pool.count("ok")) or 1
    evaluation = _round([subject], count=count)

    if pool.count("ok") < count:
        with pytest.raises(ValidationError):
            round_draw(evaluation=evaluation, user=reviewer, seed=seed)
        assert not Assignment.objects.filter(round=evaluation).exists()
    else:
        drawn = round_draw(evaluation=evaluation, user=reviewer, seed=seed)
        assert not {a.expert_id for a in drawn} & forbidden


def test_draw_is_reproducible_from_the_recorded_seed(achievement, reviewer):
    ExpertProfileFactory.create_batch(8)
    first = _round([achievement])
    second = _round([AchievementFactory(organization=achievement.organization)])

    picked = [a.expert_id for a in round_draw(evaluation=first, user=reviewer)]
    first.refresh_from_db()
    replayed = [a.expert_id for a in round_draw(evaluation=second, user=reviewer, seed=first.seed)]

    assert first.seed is not None and picked == replayed


def test_too_few_experts_is_a_clear_error_and_nothing_is_drawn(achievement, reviewer):
    ExpertProfileFactory.create_batch(2)
    evaluation = _round([achievement], count=3)

    with pytest.raises(ValidationError) as caught:
        round_draw(evaluation=evaluation, user=reviewer)

    assert caught.value.messages == ["符合条件的专家只有 2 位，少于所需的 3 位；请扩大领域范围或先充实专家库。"]
    evaluation.refresh_from_db()
    assert evaluation.status == RoundStatus.DRAFT and evaluation.seed is None
    assert not Assignment.objects.exists()


def test_only_reviewers_draw(achievement, org_admin, registrar):
    ExpertProfileFactory.create_batch(3)
    evaluation = _round([achievement])
    for user in (org_admin, registrar):
        with pytest.raises(PermissionDenied):
            round_draw(evaluation=evaluation, user=user)


def test_drawn_experts_are_notified(achievement, reviewer, django_capture_on_commit_callbacks):
    experts = ExpertProfileFactory.create_batch(3)

    with django_capture_on_commit_callbacks(execute=True):
        round_draw(evaluation=_round([achievement]), user=reviewer)

    assert Notification.objects.filter(kind="evaluation.assigned").count() == 3
    assert len(mail.outbox) == 3 and {m.to[0] for m in mail.outbox} == {e.user.email for e in experts}


def test_declined_expert_is_replaced_with_the_same_rules(achievement, owner, reviewer):
    ExpertProfileFactory.create_batch(3)
    ExpertProfileFactory(organization=owner)
    evaluation = _round([achievement], count=2)
    drawn = round_draw(evaluation=evaluation, user=reviewer, seed=7)
    declined = assignment_decline(assignment=drawn[0], user=drawn[0].expert.user, reason="出差")

    replacement = assignment_replace(assignment=declined, user=reviewer)

    assert replacement.expert.organization_id != owner.pk
    assert replacement.expert_id not in {a.expert_id for a in drawn}
    assert (replacement.draw_index, replacement.replaces_id) == (1, declined.pk)
    with pytest.raises(ValidationError):
        assignment_replace(assignment=declined, user=reviewer)


def _drawn_round(achievements, reviewer, count=2):
    ExpertProfileFactory.create_batch(count)
    evaluation = _round(achievements, count=count)
    assignments = round_draw(evaluation=evaluation, user=reviewer, seed=1)
    return evaluation, assignments


def _score_all(assignment, values):
    criteria = list(assignment.round.criteria.all())
    for subject in assignment.round.subjects.all():
        scores_record(
            assignment=assignment,
            user=assignment.expert.user,
            subject=subject,
            values={c.pk: v for c, v in zip(criteria, values, strict=True)},
        )
    assignment_submit(assignment=assignment, user=assignment.expert.user)


def test_aggregation_matches_hand_computed_values(achievement, reviewer):
    evaluation, (first, second) = _drawn_round([achievement], reviewer)
    # Default weights: novelty .25, maturity .20, market .25, IP .15, team .15.
    _score_all(first, [8, 6, 7, 9, 5])  # 2.00 + 1.20 + 1.75 + 1.35 + 0.75 = 7.05
    _score_all(second, [6, 6, 5, 7, 9])  # 1.50 + 1.20 + 1.25 + 1.05 + 1.35 = 6.35

    score, spread, count = aggregate(evaluation)[evaluation.subjects.get().pk]

    assert (score, count) == (Decimal("6.70"), 2)
    assert spread == Decimal("0.49")  # sample standard deviation of 7.05 and 6.35 = 0.4950 → 0.49


def test_close_publishes_the_result_on_the_achievement(client, achievement, reviewer):
    evaluation, (first, second) = _drawn_round([achievement], reviewer)
    _score_all(first, [10, 10, 10, 10, 10])
    _score_all(second, [8, 8, 8, 8, 8])

    round_close(evaluation=evaluation, user=reviewer)

    subject = evaluation.subjects.get()
    assert (subject.result_score, subject.result_spread, subject.result_count) == (Decimal("9.00"), Decimal("1.41"), 2)
    page = client.get(achievement.get_absolute_url()).content.decode()
    assert "专家评价" in page and "9.00" in page and "1.41" in page


def test_scores_outside_the_scale_late_or_foreign_are_refused(achievement, reviewer):
    evaluation, (first, second) = _drawn_round([achievement], reviewer)
    subject = evaluation.subjects.get()
    criteria = list(evaluation.criteria.all())

    with pytest.raises(ValidationError) as caught:
        scores_record(assignment=first, user=first.expert.user, subject=subject, values={c.pk: 11 for c in criteria})
    assert "0 到 10 的整数" in str(caught.value.message_dict)
    with pytest.raises(ValidationError):
        scores_record(assignment=first, user=first.expert.user, subject=subject, values={criteria[0].pk: 5})
    with pytest.raises(PermissionDenied):
        scores_record(assignment=first, user=second.expert.user, subject=subject, values={c.pk: 5 for c in criteria})
    EvaluationRound.objects.filter(pk=evaluation.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    first.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        scores_record(assignment=first, user=first.expert.user, subject=subject, values={c.pk: 5 for c in criteria})
    assert caught.value.messages == ["评分截止时间已过。"]
    assert not first.scores.exists()


def test_submit_needs_every_subject_scored(owner, reviewer):
    evaluation, (first, _second) = _drawn_round(
        [AchievementFactory(organization=owner), AchievementFactory(organization=owner)], reviewer
    )
    criteria = list(evaluation.criteria.all())
    scores_record(
        assignment=first,
        user=first.expert.user,
        subject=evaluation.subjects.first(),
        values={c.pk: 5 for c in criteria},
    )

    with pytest.raises(ValidationError):
        assignment_submit(assignment=first, user=first.expert.user)
    assert Assignment.objects.get(pk=first.pk).status == AssignmentStatus.ACTIVE


def test_monthly_round_is_proposed_once(achievement):
    assert monthly_round_propose(period="2026-10", subjects=[achievement]).status == RoundStatus.DRAFT
    assert monthly_round_propose(period="2026-10", subjects=[achievement]) is None
    assert monthly_round_propose(period="2026-09", subjects=[]) is None


def test_monthly_task_takes_last_months_achievements(owner):
    from achievements.tasks import propose_monthly_evaluation

    published = AchievementFactory(organization=owner)
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=15)
    type(published).objects.filter(pk=published.pk).update(
        published_at=timezone.make_aware(timezone.datetime.combine(last_month, timezone.datetime.min.time()))
    )

    evaluation = EvaluationRound.objects.get(pk=propose_monthly_evaluation())

    assert [s.object_id for s in evaluation.subjects.all()] == [published.pk]


def test_reminders_once_per_assignment(achievement, reviewer):
    evaluation, _assignments = _drawn_round([achievement], reviewer)
    EvaluationRound.objects.filter(pk=evaluation.pk).update(deadline=timezone.now() + timedelta(days=2))

    assert evaluation_reminders_send() == 2
    evaluation_reminders_send()

    assert OutgoingMail.objects.filter(purpose="evaluation-reminder").count() == 2


# Pages: blindness and permissions -----------------------------------------------------------


def _identity_strings(achievement):
    return ["青岛能源研究所", "能源所", "赵研究员", "王老师", "CN105123456B"]


@pytest.fixture
def blind_setup(achievement, owner, reviewer):
    from achievements.models import Completer, IPRight

    Completer.objects.create(achievement=achievement, rank=1, name="王老师", affiliation="青岛能源研究所")
    IPRight.objects.create(achievement=achievement, kind="invention_patent", title="一种电解质", number="CN105123456B")
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "王老师", "/Title": "青岛能源研究所内部资料"})
    buffer = io.BytesIO()
    writer.write(buffer)
    member = MembershipFactory(organization=owner).user
    achievement_attach(
        achievement=achievement, user=member, uploaded=upload("青岛能源研究所-技术说明.pdf", buffer.getvalue())
    )
    evaluation, assignments = _drawn_round([achievement], reviewer)
    # Staff wrote the owner's name into the title by mistake.
    EvaluationRound.objects.filter(pk=evaluation.pk).update(title="能源所成果专场评价")
    return evaluation, assignments


def test_a_blind_round_shows_no_owner_identity_anywhere(login, blind_setup, achievement):
    evaluation, (assignment, _other) = blind_setup
    client = login(assignment.expert.user)
    subject = evaluation.subjects.get()
    pages = [
        client.get(reverse("evaluation:list")),
        client.get(reverse("evaluation:assignment", args=[assignment.pk])),
        client.get(reverse("evaluation:subject", args=[assignment.pk, subject.pk])),
    ]
    download = client.get(reverse("evaluation:subject-file", args=[assignment.pk, subject.pk, 1]))

    for response in pages:
        content = response.content.decode()
        assert response.status_code == 200
        for identity in _identity_strings(achievement):
            assert identity not in content, identity
    assert "固态电池电解质" in pages[2].content.decode()  # the substance is there
    assert "■■■" in pages[2].content.decode()
    disposition = download["Content-Disposition"]
    assert "%E8%83%BD%E6%BA%90%E6%89%80" not in disposition and "能源所" not in disposition
    body = download.content
    assert body[:5] == b"%PDF-"
    for identity in ("王老师", "青岛能源研究所"):
        assert identity.encode("utf-16-be") not in body and identity.encode() not in body


def test_an_open_round_shows_the_owner(login, achievement, reviewer):
    ExpertProfileFactory.create_batch(1)
    evaluation = _round([achievement], count=1, blind=False)
    (assignment,) = round_draw(evaluation=evaluation, user=reviewer)

    content = (
        login(assignment.expert.user)
        .get(reverse("evaluation:subject", args=[assignment.pk, evaluation.subjects.get().pk]))
        .content.decode()
    )

    assert "青岛能源研究所" in content


def test_scoring_through_the_page(login, achievement, reviewer):
    evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)
    subject = evaluation.subjects.get()
    client = login(assignment.expert.user)
    data = {f"criterion_{c.pk}": 7 for c in evaluation.criteria.all()} | {"comment": "技术新颖"}

    bad = client.post(
        reverse("evaluation:subject", args=[assignment.pk, subject.pk]),
        {**data, f"criterion_{evaluation.criteria.first().pk}": 12},
    )
    assert "小于或等于10" in bad.content.decode() or "10" in bad.content.decode()
    assert not assignment.scores.exists()

    client.post(reverse("evaluation:subject", args=[assignment.pk, subject.pk]), data)
    response = client.post(reverse("evaluation:submit", args=[assignment.pk]), follow=True)

    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert "评分已提交" in response.content.decode()


def test_experts_see_only_their_own_assignments(login, achievement, reviewer, org_admin):
    evaluation, (first, second) = _drawn_round([achievement], reviewer)
    subject = evaluation.subjects.get()
    client = login(first.expert.user)

    assert client.get(reverse("evaluation:assignment", args=[second.pk])).status_code == 404
    assert client.get(reverse("evaluation:subject", args=[second.pk, subject.pk])).status_code == 404
    assert client.post(reverse("evaluation:submit", args=[second.pk])).status_code == 404
    assert client.get(reverse("evaluation:subject-file", args=[first.pk, subject.pk, 9])).status_code == 404
    assert login(org_admin).get(reverse("evaluation:list")).status_code == 403


def test_expert_declines_from_the_page(login, achievement, reviewer):
    _evaluation, (assignment, _other) = _drawn_round([achievement], reviewer)

    login(assignment.expert.user).post(reverse("evaluation:decline", args=[assignment.pk]), {"reason": "回避"})

    assignment.refresh_from_db()
    assert (assignment.status, assignment.declined_reason) == (AssignmentStatus.DECLINED, "回避")


def test_expert_keeps_their_own_profile(login, owner):
    expert = ExpertProfileFactory()
    client = login(expert.user)
    assert "专家信息" in client.get(reverse("evaluation:profile")).content.decode()

    from marketplace.models import IndustryField

    client.post(
        reverse("evaluation:profile"),
        {
            "title": "研究员",
            "introduction": "储能材料",
            "industry_fields": [IndustryField.objects.get(code="hydrogen").pk],
            "conflicts": [owner.pk],
        },
    )

    expert.refresh_from_db()
    assert expert.title == "研究员" and not expert.is_available
    assert list(expert.conflicts.all()) == [owner]


def test_admin_draws_and_closes_rounds_and_creates_them_from_achievements(login, reviewer, achievement):
    ExpertProfileFactory.create_batch(3)
    client = login(reviewer)

    response = client.post(
        reverse("admin:achievements_achievement_changelist"),
        {"action": "evaluate", "_selected_action": [achievement.pk]},
    )
    evaluation = EvaluationRound.objects.get()
    assert response.url == reverse("admin:marketplace_evaluationround_change", args=[evaluation.pk])
    assert evaluation.subjects.get().object_id == achievement.pk

    changelist = reverse("admin:marketplace_evaluationround_changelist")
    client.post(changelist, {"action": "draw", "_selected_action": [evaluation.pk]})
    evaluation.refresh_from_db()
    assert evaluation.status == RoundStatus.SCORING and evaluation.assignments.count() == 3

    page = client.get(reverse("admin:marketplace_evaluationround_change", args=[evaluation.pk])).content.decode()
    assert "成果 A" in page or "A" in page
    client.post(changelist, {"action": "close", "_selected_action": [evaluation.pk]})
    evaluation.refresh_from_db()
    assert evaluation.status == RoundStatus.CLOSED
