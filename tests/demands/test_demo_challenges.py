"""The demo of open challenges and pooled procurement: every challenge status reached through
the services, a transition log that tells each story, a pool just short of its threshold, and
a second run that adds nothing."""

import itertools
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from demands.demo import seed_demands
from demands.demo_challenges import CHALLENGES, POOLS, seed_challenges
from demands.enums import BidStatus, ChallengeStatus, MilestoneStatus, ObjectionStatus, PledgeStatus, PoolStatus
from demands.models import Bid, Challenge, Milestone, Objection, Pledge, PooledProcurement
from demands.services.challenges import LIFECYCLE, released_total
from demands.services.pools import pledged_sum
from marketplace.demo import seed_parties
from marketplace.enums import AssignmentStatus, RoundStatus
from marketplace.management.commands.seed_demo import STEPS
from marketplace.models import (
    Assignment,
    EvaluationRound,
    Membership,
    Notification,
    PrivateFile,
    Score,
    TransitionLog,
)
from marketplace.selectors import transitions_for

pytestmark = pytest.mark.django_db

SUMMARY = [
    "  challenges: 14 (draft 1, submitted 1, published 1, bidding 2, reviewing 1, shortlisted 1, awarded 1, "
    "notice 1, contracted 1, in_progress 1, accepted 1, failed 2), 29 bids, 8 blind reviews, 2 objections",
    "  pools: 2 (open 1, funded 1); 高盐有机废水分盐结晶与资源化共性技术: 570 of 600 万元 pledged",
]


@pytest.fixture
def seeded():
    seed_parties()
    seed_demands()
    return seed_challenges()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Challenge,
            Milestone,
            Bid,
            Objection,
            EvaluationRound,
            Assignment,
            Score,
            PooledProcurement,
            Pledge,
            PrivateFile,
            TransitionLog,
            Notification,
        )
    }


def test_seed_challenges_has_every_status(seeded):
    statuses = Counter(Challenge.objects.values_list("status", flat=True))

    assert statuses == {
        **dict.fromkeys(ChallengeStatus.values, 1),
        ChallengeStatus.BIDDING: 2,
        ChallengeStatus.FAILED: 2,
    }
    assert Challenge.objects.count() == len(CHALLENGES) + 1 == 14
    assert seeded[:2] == SUMMARY


def test_seed_challenges_transition_logs_tell_each_story(seeded):
    now = timezone.now()
    broken = []
    for challenge in Challenge.objects.prefetch_related("bids"):
        logs = list(transitions_for(challenge))[::-1]
        chain = [ChallengeStatus.DRAFT, *(log.to_status for log in logs)]
        moments = [challenge.created_at, *(log.created_at for log in logs)]
        published = [log.created_at for log in logs if log.to_status == ChallengeStatus.PUBLISHED]
        closed = [
            log.created_at for log in logs if log.to_status in (ChallengeStatus.REVIEWING, ChallengeStatus.FAILED)
        ]
        if (
            not logs
            or [log.from_status for log in logs] != chain[:-1]
            or not all(LIFECYCLE.can(a, b) for a, b in itertools.pairwise(chain))
            or chain[-1] != challenge.status
            or moments != sorted(moments)
            or moments[-1] > now
            or (published and not timedelta(0) <= published[0] - challenge.published_at < timedelta(seconds=1))
            or any(not challenge.opens_at <= bid.created_at < challenge.closes_at for bid in challenge.bids.all())
            or any(log.to_status in LIFECYCLE.reason_required and not log.reason for log in logs)
        ):
            broken.append(challenge.title)
        if challenge.evaluation_id and closed[0] < challenge.closes_at:
            broken.append(f"{challenge.title}: closed early")

    assert broken == []


def test_seed_challenges_stop_where_their_status_says(seeded):
    def challenge(status, **filters):
        return Challenge.objects.get(status=status, **filters)

    returned = transitions_for(challenge(ChallengeStatus.DRAFT)).first()
    assert (returned.actor.username, returned.reason) == ("reviewer", CHALLENGES[0].timeline.returned[1])
    assert challenge(ChallengeStatus.PUBLISHED).opens_at > timezone.now()
    open_for_bids = challenge(ChallengeStatus.BIDDING, pool=None)
    assert open_for_bids.window_open
    assert Counter(open_for_bids.bids.values_list("status", flat=True)) == {
        BidStatus.SUBMITTED: 2,
        BidStatus.WITHDRAWN: 1,
    }
    shortlisted = challenge(ChallengeStatus.SHORTLISTED)
    assert Counter(shortlisted.bids.values_list("status", flat=True)) == {
        BidStatus.SHORTLISTED: 2,
        BidStatus.SUBMITTED: 1,
    }
    awarded = challenge(ChallengeStatus.AWARDED)
    assert awarded.notice_ends_at is None
    assert Counter(awarded.bids.values_list("status", flat=True)) == {
        BidStatus.AWARDED: 1,
        BidStatus.SHORTLISTED: 1,  # the runner-up, in reserve until the contract
        BidStatus.NOT_SELECTED: 1,
    }
    notice = challenge(ChallengeStatus.NOTICE)
    assert notice.notice_ends_at > timezone.now()
    assert list(notice.objections.values_list("status", flat=True)) == [ObjectionStatus.OPEN]
    contracted = challenge(ChallengeStatus.CONTRACTED)
    assert contracted.notice_ends_at < transitions_for(contracted).first().created_at
    assert list(contracted.objections.values_list("status", flat=True)) == [ObjectionStatus.DISMISSED]
    in_progress = challenge(ChallengeStatus.IN_PROGRESS)
    assert list(in_progress.milestones.values_list("status", flat=True)) == [
        MilestoneStatus.APPROVED,
        MilestoneStatus.SUBMITTED,
        MilestoneStatus.PENDING,
    ]
    assert released_total(in_progress) == Decimal("600000")
    accepted = challenge(ChallengeStatus.ACCEPTED)
    assert released_total(accepted) == accepted.bounty == Decimal("1500000")
    without_bids = challenge(ChallengeStatus.FAILED, bids=None)
    given_up = Challenge.objects.filter(status=ChallengeStatus.FAILED).exclude(bids=None).distinct().get()
    assert [log.actor for log in transitions_for(without_bids)[:2]] == [None, None]  # the beat job opened and closed it
    assert list(given_up.milestones.values_list("status", flat=True)) == [
        MilestoneStatus.APPROVED,
        MilestoneStatus.REJECTED,
        MilestoneStatus.PENDING,
    ]
    assert transitions_for(given_up).first().actor.username == "reviewer"
    assert all(
        released_total(c) <= sum(m.tranche for m in c.milestones.all()) <= c.bounty for c in Challenge.objects.all()
    )


def test_seed_challenges_award_the_best_bid_of_a_blind_review_by_unrelated_experts(seeded):
    reviewed = Challenge.objects.exclude(evaluation=None).select_related("evaluation")
    for challenge in reviewed:
        evaluation = challenge.evaluation
        bidders = set(challenge.bids.values_list("organization_id", flat=True))
        experts = list(evaluation.assignments.select_related("expert"))
        members = set(
            Membership.objects.filter(user__in=[a.expert.user_id for a in experts]).values_list(
                "organization_id", flat=True
            )
        )
        assert evaluation.is_blind and len(experts) == 3
        assert {a.expert.organization_id for a in experts} & bidders == set()
        assert members & bidders == set()
        assert sorted(evaluation.subjects.values_list("object_id", flat=True)) == sorted(
            challenge.bids.exclude(status=BidStatus.WITHDRAWN).values_list("pk", flat=True)
        )
        awarded = challenge.bids.filter(status=BidStatus.AWARDED)
        if awarded:
            best = evaluation.subjects.order_by("-result_score").first()
            assert (evaluation.status, awarded.get().pk) == (RoundStatus.CLOSED, best.object_id)

    reviewing = reviewed.get(status=ChallengeStatus.REVIEWING).evaluation
    assert reviewing.status == RoundStatus.SCORING
    assert Counter(reviewing.assignments.values_list("status", flat=True)) == {
        AssignmentStatus.SUBMITTED: 2,
        AssignmentStatus.ACTIVE: 1,
    }
    scoring = reviewing.assignments.get(status=AssignmentStatus.ACTIVE).expert.user.username
    assert seeded[2] == f"  {scoring:<16} expert with challenge bids to score"


def test_seed_pools_one_just_under_its_threshold_one_funded_as_a_challenge(seeded):
    pool = PooledProcurement.objects.get(title=POOLS[0].title)
    pledges = list(pool.pledges.select_related("agreement", "organization"))

    assert pool.status == PoolStatus.OPEN and pool.deadline > timezone.now()
    assert pool.threshold * Decimal("0.9") <= pledged_sum(pool) == pool.pledged_total < pool.threshold
    assert (pool.pledged_total, pool.threshold, pool.progress) == (Decimal("5700000"), Decimal("6000000"), 95)
    assert sorted(p.organization.short_name for p in pledges) == ["东岳未来氢能", "即发集团", "蔚蓝生物", "鑫锂能源"]
    assert {p.status for p in pledges} == {PledgeStatus.ACTIVE}
    assert all(
        (p.agreement.kind, p.agreement.parent_id, p.agreement.organization_id) == ("pdf", pool.pk, p.organization_id)
        and p.agreement.file.read(5) == b"%PDF-"
        for p in pledges
    )
    funded = PooledProcurement.objects.get(title=POOLS[1].title)
    challenge = funded.challenge
    assert (funded.status, funded.pledged_total) == (PoolStatus.FUNDED, funded.threshold)
    assert (challenge.status, challenge.bounty, challenge.organization) == (
        ChallengeStatus.BIDDING,
        funded.pledged_total,
        funded.organization,
    )
    assert [log.to_status for log in transitions_for(funded)] == [PoolStatus.FUNDED]
    assert funded.funded_at < challenge.published_at
    assert challenge.milestones.count() == 2 and challenge.bids.count() == 2


def test_seed_challenges_twice_creates_nothing_more(seeded):
    first = counts()

    lines = seed_challenges()
    Challenge.objects.filter(title=CHALLENGES[0].title).update(title="发榜企业改过标题的榜单")
    seed_challenges()

    assert counts() == first
    assert lines == seeded


def test_seed_demo_runs_the_challenge_step_after_the_demands_and_before_the_search_index():
    assert STEPS.index("demands.demo_challenges.seed_challenges") == STEPS.index("demands.demo.seed_demands") + 1
    # The index over everything seeded, then the matches over the index.
    assert STEPS[-2:] == ["marketplace.demo.seed_search", "marketplace.demo.seed_matches"]
