"""Open challenges and pooled procurement: lifecycle, blind review, beat jobs, and the award
and pledge races on PostgreSQL with real threads."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from demands.enums import BidStatus, ChallengeStatus, MilestoneStatus, PledgeStatus, PoolStatus
from demands.models import Bid, Challenge, Objection, Pledge, PooledProcurement
from demands.services.challenges import (
    LIFECYCLE,
    bid_submit,
    bid_update,
    bid_withdraw,
    challenge_award,
    challenge_close_bidding,
    challenge_contract,
    challenge_create,
    challenge_publish,
    challenge_return,
    challenge_shortlist,
    challenge_submit,
    challenge_update,
    challenges_advance,
    milestone_add,
    milestone_remove,
    milestone_report,
    milestone_review,
    objection_lodge,
    objection_resolve,
    released_total,
)
from demands.services.pools import pledge_create, pledged_sum, pool_create, pools_lapse
from demands.tasks import advance_challenges
from marketplace.enums import RoundStatus
from marketplace.models import EvaluationRound, IndustryField, Membership, Notification
from marketplace.rules import forget_membership_roles
from marketplace.selectors import transitions_for
from marketplace.services.evaluation import eligible_experts, present_subject, round_draw
from tests.concurrency import postgresql_only, run_together
from tests.factories.challenges import BidFactory, ChallengeFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import ExpertProfileFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db


def zh(msgid, **params):
    """A message of the services as the market shows it (its translation once it lands)."""
    with translation.override("zh-hans"):
        message = translation.gettext(msgid)
    return message % params if params else message


@pytest.fixture
def issuer():
    return OrganizationFactory(name="揭榜发榜企业有限公司", kind="enterprise")


@pytest.fixture
def issuer_admin(issuer):
    return MembershipFactory(organization=issuer, role="admin").user


def _challenge(issuer, user, **overrides):
    now = timezone.now()
    fields = {
        "title": "氢燃料电池膜电极国产化",
        "description": "攻克膜电极批量制备一致性难题。",
        "bounty": Decimal("5000000"),
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
        "eligibility": "国内高校、科研院所或企业。",
        "deliverables": "中试线一条及检测报告。",
        **overrides,
    }
    return challenge_create(
        user=user,
        organization=issuer,
        demand=DemandFactory(organization=issuer, fields=["hydrogen"]),
        milestones=[
            {"title": "小试", "due_date": timezone.localdate() + timedelta(days=90), "tranche": Decimal("2000000")},
            {"title": "中试", "due_date": timezone.localdate() + timedelta(days=180), "tranche": Decimal("3000000")},
        ],
        **fields,
    )


def _bidder(name=None):
    organization = OrganizationFactory(kind="university", **({"name": name} if name else {}))
    return MembershipFactory(organization=organization, role="admin").user


def _bid(challenge, user, **overrides):
    return bid_submit(
        challenge=challenge,
        user=user,
        proposal=overrides.get("proposal", "采用超声喷涂工艺。"),
        team="教授 3 名",
        plan="12 个月完成中试。",
        budget=Decimal("4500000"),
    )


def test_tranches_cannot_exceed_the_bounty(issuer, issuer_admin):
    with pytest.raises(ValidationError) as caught:
        challenge_create(
            user=issuer_admin,
            organization=issuer,
            milestones=[{"title": "全部", "due_date": timezone.localdate(), "tranche": Decimal("6000000")}],
            title="t", description="d", bounty=Decimal("5000000"), opens_at=timezone.now(),
            closes_at=timezone.now() + timedelta(days=1), eligibility="e", deliverables="d",
        )  # fmt: skip
    assert "milestones" in caught.value.message_dict
    assert not Challenge.objects.exists()

    challenge = _challenge(issuer, issuer_admin)
    with pytest.raises(ValidationError) as caught:
        milestone_add(
            challenge=challenge, user=issuer_admin, title="验收", due_date=timezone.localdate(), tranche=Decimal("1")
        )
    assert "tranche" in caught.value.message_dict
    assert challenge.milestones.count() == 2


def test_publish_opens_bidding_and_bids_follow_the_window(issuer, issuer_admin, reviewer):
    challenge = _challenge(issuer, issuer_admin)
    with pytest.raises(ValidationError):
        _bid(challenge, _bidder())

    challenge_publish(challenge=challenge, reviewer=reviewer)
    assert challenge.status == ChallengeStatus.BIDDING
    bidder = _bidder()
    bid = _bid(challenge, bidder)
    with pytest.raises(ValidationError):
        _bid(challenge, bidder)
    bid_update(bid=bid, user=bidder, budget=Decimal("4000000"))
    with pytest.raises(PermissionDenied):
        bid_submit(challenge=challenge, user=issuer_admin, proposal="p", team="t", plan="p", budget=Decimal(1))

    Challenge.objects.filter(pk=challenge.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    bid.refresh_from_db()
    with pytest.raises(ValidationError):
        bid_withdraw(bid=bid, user=bidder)
    assert Bid.objects.get().budget == Decimal("4000000")


def test_beat_opens_and_closes_windows_and_starts_a_blind_review(issuer, issuer_admin, reviewer):
    challenge = _challenge(issuer, issuer_admin, opens_at=timezone.now() + timedelta(hours=1))
    challenge_publish(challenge=challenge, reviewer=reviewer)
    assert challenge.status == ChallengeStatus.PUBLISHED

    assert challenges_advance(now=timezone.now() + timedelta(hours=2)) == 1
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.BIDDING
    Challenge.objects.filter(pk=challenge.pk).update(opens_at=timezone.now() - timedelta(hours=1))
    _bid(challenge, _bidder("甲大学"))
    _bid(challenge, _bidder("乙研究院"))

    challenges_advance(now=timezone.now() + timedelta(days=31))
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.REVIEWING
    assert challenge.evaluation.is_blind and challenge.evaluation.subjects.count() == 2


def test_a_challenge_without_bids_fails_when_the_window_closes(issuer, issuer_admin, reviewer):
    challenge = _challenge(issuer, issuer_admin)
    challenge_publish(challenge=challenge, reviewer=reviewer)

    challenges_advance(now=timezone.now() + timedelta(days=31))

    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.FAILED


def test_the_issuers_people_are_never_drawn_to_review_its_bids(issuer, issuer_admin, reviewer):
    challenge = _challenge(issuer, issuer_admin)
    challenge_publish(challenge=challenge, reviewer=reviewer)
    _bid(challenge, _bidder("投标大学"))
    challenge_close_bidding(challenge=challenge, user=reviewer)
    outsiders = ExpertProfileFactory.create_batch(2, fields=["hydrogen"])
    employee = ExpertProfileFactory(fields=["hydrogen"], organization=issuer)
    member = ExpertProfileFactory(fields=["hydrogen"])
    MembershipFactory(organization=issuer, user=member.user)

    eligible = eligible_experts(challenge.evaluation)

    assert eligible == outsiders
    assert employee not in eligible and member not in eligible


def test_blind_review_never_shows_the_bidder(issuer, issuer_admin, reviewer):
    challenge = _challenge(issuer, issuer_admin)
    challenge_publish(challenge=challenge, reviewer=reviewer)
    bidder = _bidder("隐身大学")
    _bid(challenge, bidder, proposal="隐身大学团队提出的超声喷涂工艺")
    challenge_close_bidding(challenge=challenge, user=reviewer)
    ExpertProfileFactory.create_batch(3, fields=["hydrogen"])
    round_draw(evaluation=challenge.evaluation, user=reviewer, seed=3)

    presentation = present_subject(challenge.evaluation.subjects.get(), blind=True)

    text = repr(presentation)
    assert "隐身大学" not in text and bidder.name not in text
    assert "超声喷涂工艺" in text


def _awardable(issuer, issuer_admin, reviewer, count=2, bidder_prefix="投标单位"):
    challenge = _challenge(issuer, issuer_admin)
    challenge_publish(challenge=challenge, reviewer=reviewer)
    bids = [_bid(challenge, _bidder(f"{bidder_prefix}{i}")) for i in range(count)]
    challenge_close_bidding(challenge=challenge, user=reviewer)
    challenge_shortlist(challenge=challenge, user=reviewer, bids=bids)
    return challenge, bids


def test_award_notice_objection_contract_and_milestones(issuer, issuer_admin, reviewer):
    challenge, (winner, loser) = _awardable(issuer, issuer_admin, reviewer)
    with pytest.raises(ValidationError):
        challenge_award(challenge=challenge, user=reviewer, bids=[winner, loser])

    challenge_award(challenge=challenge, user=reviewer, bids=[winner])

    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.NOTICE and challenge.notice_ends_at > timezone.now()
    assert list(Bid.objects.order_by("pk").values_list("status", flat=True)) == [
        BidStatus.AWARDED,
        BidStatus.SHORTLISTED,  # the runner-up, in reserve during the notice
    ]
    objector = UserFactory()
    objection = objection_lodge(challenge=challenge, user=objector, text="中标单位资质存疑")
    with pytest.raises(ValidationError):
        challenge_contract(challenge=challenge, user=reviewer)

    objection_resolve(objection=objection, user=reviewer, upheld=False, resolution="经核查资质有效")
    Challenge.objects.filter(pk=challenge.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
    challenge.refresh_from_db()
    challenge_contract(challenge=challenge, user=reviewer)
    assert challenge.status == ChallengeStatus.IN_PROGRESS
    loser.refresh_from_db()
    assert loser.status == BidStatus.NOT_SELECTED

    winner_user = winner.created_by
    first, second = challenge.milestones.all()
    with pytest.raises(PermissionDenied):
        milestone_report(milestone=first, user=issuer_admin, report="x")
    milestone_report(milestone=first, user=winner_user, report="小试完成")
    milestone_review(milestone=first, user=reviewer, approved=True)
    milestone_report(milestone=second, user=winner_user, report="中试完成")
    milestone_review(milestone=second, user=reviewer, approved=False, note="缺检测报告")
    second.refresh_from_db()
    assert second.status == MilestoneStatus.REJECTED and released_total(challenge) == Decimal("2000000")
    milestone_report(milestone=second, user=winner_user, report="补交检测报告")
    milestone_review(milestone=second, user=reviewer, approved=True)
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.ACCEPTED and released_total(challenge) == Decimal("5000000")


def test_an_upheld_objection_sends_the_award_back(issuer, issuer_admin, reviewer):
    challenge, (winner, runner_up) = _awardable(issuer, issuer_admin, reviewer)
    challenge_award(challenge=challenge, user=reviewer, bids=[winner])
    objection = objection_lodge(challenge=challenge, user=UserFactory(), text="评审有误")

    objection_resolve(objection=objection, user=reviewer, upheld=True, resolution="重新评审")

    challenge.refresh_from_db()
    winner.refresh_from_db()
    assert (challenge.status, winner.status) == (ChallengeStatus.SHORTLISTED, BidStatus.SHORTLISTED)
    # The whole shortlist is open again: the runner-up can be awarded instead.
    challenge_award(challenge=challenge, user=reviewer, bids=[runner_up])
    assert dict(Bid.objects.values_list("pk", "status")) == {
        winner.pk: BidStatus.SHORTLISTED,
        runner_up.pk: BidStatus.AWARDED,
    }


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (ChallengeStatus.DRAFT, ChallengeStatus.BIDDING),
        (ChallengeStatus.BIDDING, ChallengeStatus.AWARDED),
        (ChallengeStatus.ACCEPTED, ChallengeStatus.FAILED),
    ],
)
def test_forbidden_challenge_transitions(issuer, issuer_admin, reviewer, start, target):
    challenge = _challenge(issuer, issuer_admin)
    Challenge.objects.filter(pk=challenge.pk).update(status=start)
    challenge.refresh_from_db()

    with pytest.raises(ValidationError):
        LIFECYCLE.apply(challenge, target, actor=reviewer, reason="x")


def _pool(issuer_admin, issuer, **overrides):
    return pool_create(
        user=issuer_admin,
        organization=issuer,
        title="海洋防腐涂层共性技术集采",
        description="多家企业共同需要长效海洋防腐涂层。",
        threshold=overrides.get("threshold", Decimal("1000000")),
        deadline=overrides.get("deadline", timezone.now() + timedelta(days=30)),
        industry_fields=IndustryField.objects.filter(code="marine-chemicals"),
    )


def _enterprise_member(name):
    return MembershipFactory(organization=OrganizationFactory(name=name, kind="enterprise"), role="admin").user


def test_pledges_fund_the_pool_and_it_becomes_a_challenge(issuer, issuer_admin):
    pool = _pool(issuer_admin, issuer)
    pledge_create(pool=pool, user=_enterprise_member("甲企业"), amount=Decimal("400000"), agreement=pdf_upload())
    assert pool.status == PoolStatus.OPEN and pool.progress == 40

    pledge_create(pool=pool, user=_enterprise_member("乙企业"), amount=Decimal("600000"), agreement=pdf_upload())

    pool.refresh_from_db()
    assert pool.status == PoolStatus.FUNDED and pool.pledged_total == Decimal("1000000")
    assert pool.challenge.bounty == Decimal("1000000") and pool.challenge.status == ChallengeStatus.DRAFT
    with pytest.raises(ValidationError) as caught:
        pledge_create(pool=pool, user=_enterprise_member("丙企业"), amount=Decimal("1"), agreement=pdf_upload())
    assert caught.value.messages == ["该集采项目已不再接受认缴。"]


def test_pledge_rules(issuer, issuer_admin):
    pool = _pool(issuer_admin, issuer)
    member = _enterprise_member("重复企业")
    pledge_create(pool=pool, user=member, amount=Decimal("100"), agreement=pdf_upload())
    with pytest.raises(ValidationError):
        pledge_create(pool=pool, user=member, amount=Decimal("100"), agreement=pdf_upload())
    university_member = _bidder("某大学")
    with pytest.raises(ValidationError):
        pledge_create(pool=pool, user=university_member, amount=Decimal("100"), agreement=pdf_upload())
    from tests.files import forged_pdf_upload

    with pytest.raises(ValidationError):
        pledge_create(
            pool=pool, user=_enterprise_member("伪造企业"), amount=Decimal("100"), agreement=forged_pdf_upload()
        )
    assert Pledge.objects.count() == 1


def test_pools_lapse_at_the_deadline_and_release_pledges(issuer, issuer_admin):
    pool = _pool(issuer_admin, issuer)
    pledge_create(pool=pool, user=_enterprise_member("甲企业"), amount=Decimal("100"), agreement=pdf_upload())

    assert pools_lapse(now=timezone.now() + timedelta(days=31)) == 1

    pool.refresh_from_db()
    assert pool.status == PoolStatus.LAPSED
    assert set(pool.pledges.values_list("status", flat=True)) == {PledgeStatus.RELEASED}
    assert pools_lapse(now=timezone.now() + timedelta(days=31)) == 0


# Races on PostgreSQL


@postgresql_only
@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_awards_never_both_succeed(issuer, issuer_admin, reviewer):
    for attempt in range(5):
        # Organization names are unique: new bidders each attempt.
        challenge, (first, second) = _awardable(issuer, issuer_admin, reviewer, bidder_prefix=f"第{attempt}轮投标单位")

        results = run_together(
            [
                lambda b=first, pk=challenge.pk: challenge_award(
                    challenge=Challenge.objects.get(pk=pk), user=reviewer, bids=[b]
                ),
                lambda b=second, pk=challenge.pk: challenge_award(
                    challenge=Challenge.objects.get(pk=pk), user=reviewer, bids=[b]
                ),
            ]
        )

        assert sum(isinstance(result, Challenge) for result in results) == 1, (attempt, results)
        assert Bid.objects.filter(challenge=challenge, status=BidStatus.AWARDED).count() == 1
        challenge.refresh_from_db()
        assert challenge.status == ChallengeStatus.NOTICE


@postgresql_only
@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_concurrent_pledges_add_up_exactly_and_fund_once(issuer, issuer_admin):
    pool = _pool(issuer_admin, issuer, threshold=Decimal("950"))
    members = [_enterprise_member(f"并发企业{i}") for i in range(10)]

    results = run_together(
        [
            lambda user=user: pledge_create(
                pool=PooledProcurement.objects.get(pk=pool.pk), user=user, amount=Decimal("100"), agreement=pdf_upload()
            )
            for user in members
        ]
    )

    pool.refresh_from_db()
    pledged = [result for result in results if not isinstance(result, Exception)]
    assert pool.pledged_total == pledged_sum(pool) == Decimal(100) * len(pledged)
    assert len(pledged) == 10  # the tenth reaches the threshold; none is refused before funding
    assert pool.status == PoolStatus.FUNDED
    assert Challenge.objects.filter(pool=pool).count() == 1


@postgresql_only
@pytest.mark.heavy
@pytest.mark.django_db(transaction=True)
def test_staff_and_celery_beat_closing_one_window_together_close_it_once(issuer, issuer_admin, reviewer):
    for attempt in range(3):
        challenge = _challenge(issuer, issuer_admin)
        challenge_publish(challenge=challenge, reviewer=reviewer)
        _bid(challenge, _bidder(f"第{attempt}轮关窗投标单位"))
        later = timezone.now() + timedelta(days=31)

        results = run_together(
            [
                lambda pk=challenge.pk: challenge_close_bidding(challenge=Challenge.objects.get(pk=pk), user=reviewer),
                lambda now=later: challenges_advance(now=now),
            ]
        )

        challenge.refresh_from_db()
        # Beat never fails over a window staff closed first: it skips it.
        assert sum(isinstance(result, int) for result in results) == 1, (attempt, results)
        assert challenge.status == ChallengeStatus.REVIEWING, (attempt, results)
        closes = [log for log in transitions_for(challenge) if log.to_status == ChallengeStatus.REVIEWING]
        assert len(closes) == 1, (attempt, results)
        assert EvaluationRound.objects.filter(challenge=challenge).count() == 1


def test_round_of_a_challenge_uses_the_bid_adapter(issuer, issuer_admin, reviewer):
    challenge = _challenge(issuer, issuer_admin)
    challenge_publish(challenge=challenge, reviewer=reviewer)
    _bid(challenge, _bidder())
    challenge_close_bidding(challenge=challenge, user=reviewer)

    assert challenge.evaluation.status == RoundStatus.DRAFT
    assert challenge.evaluation.subjects.get().owner.kind == "university"


# Review findings: system actions, bid states, drafts, submission, permissions ---------------


def _leave(user, organization):
    Membership.objects.filter(user=user, organization=organization).delete()
    forget_membership_roles(user)


@pytest.mark.parametrize("creator", ["left", "deleted"])
def test_the_pledge_reaching_the_threshold_funds_the_pool_whoever_created_it(creator, issuer, issuer_admin):
    pool = _pool(issuer_admin, issuer)
    if creator == "left":
        _leave(issuer_admin, issuer)
    else:
        issuer_admin.delete()

    pledge_create(pool=pool, user=_enterprise_member("投资企业"), amount=Decimal("1000000"), agreement=pdf_upload())

    pool.refresh_from_db()
    assert pool.status == PoolStatus.FUNDED
    challenge = Challenge.objects.get(pool=pool)
    assert (challenge.status, challenge.organization, challenge.bounty, challenge.created_by) == (
        ChallengeStatus.DRAFT,
        issuer,
        Decimal("1000000.00"),
        None,
    )
    assert list(challenge.industry_fields.values_list("code", flat=True)) == ["marine-chemicals"]


@pytest.mark.parametrize("trait", ["withdrawn", "not_selected"])
def test_a_bid_no_longer_submitted_is_neither_changed_nor_withdrawn(trait, login, organization, org_member):
    bid = BidFactory(organization=organization, **{trait: True})
    before = bid.status

    with pytest.raises(ValidationError) as edited:
        bid_update(bid=bid, user=org_member, budget=Decimal("1"))
    with pytest.raises(ValidationError) as withdrawn:
        bid_withdraw(bid=bid, user=org_member)

    status = str(BidStatus(before).label)
    message = "Only a submitted bid is changed or withdrawn; this one is “%(status)s”."
    assert edited.value.messages == withdrawn.value.messages == [zh(message, status=status)]
    assert not org_member.has_perm("demands.change_bid", bid) and not org_member.has_perm("demands.withdraw_bid", bid)
    bid.refresh_from_db()
    assert (bid.status, bid.budget) == (before, Decimal("1800000.00"))


@pytest.mark.parametrize("window", ["open", "closed"])
def test_only_the_bidder_changes_a_bid_even_after_the_window_closed(
    window, issuer, issuer_admin, reviewer, organization
):
    challenge = ChallengeFactory(demand=DemandFactory(organization=issuer), window_closed=window == "closed")
    bid = BidFactory(challenge=challenge, organization=organization)

    for user in (issuer_admin, reviewer):
        with pytest.raises(PermissionDenied):
            bid_update(bid=bid, user=user, budget=Decimal("1"))
        with pytest.raises(PermissionDenied):
            bid_withdraw(bid=bid, user=user)

    bid.refresh_from_db()
    assert (bid.status, bid.budget) == (BidStatus.SUBMITTED, Decimal("1800000.00"))


def test_a_member_of_several_organizations_names_the_one_that_bids(
    issuer, issuer_admin, reviewer, organization, org_member
):
    challenge = ChallengeFactory(demand=DemandFactory(organization=issuer))
    institute = OrganizationFactory(name="海洋研究所", kind="institute")
    MembershipFactory(organization=institute, user=org_member)
    # Neither the issuer nor an unverified organization makes the choice ambiguous.
    MembershipFactory(organization=OrganizationFactory(unverified=True, kind="university"), user=org_member)
    forget_membership_roles(org_member)
    fields = {"proposal": "p", "team": "t", "plan": "p", "budget": Decimal(1)}

    with pytest.raises(ValidationError) as caught:
        bid_submit(challenge=challenge, user=org_member, **fields)
    bid = bid_submit(challenge=challenge, user=org_member, organization=institute, **fields)

    assert caught.value.message_dict == {
        "organization": [zh("You belong to several organizations that may bid: choose the one that bids.")]
    }
    assert bid.organization == institute
    single = MembershipFactory(organization=OrganizationFactory(kind="university")).user
    assert bid_submit(challenge=challenge, user=single, **fields).organization.kind == "university"


def test_a_member_of_several_enterprises_names_the_one_that_pledges(issuer, issuer_admin):
    pool = _pool(issuer_admin, issuer)
    first = OrganizationFactory(name="甲印染", kind="enterprise")
    second = OrganizationFactory(name="乙印染", kind="enterprise")
    user = MembershipFactory(organization=first).user
    MembershipFactory(organization=second, user=user)

    with pytest.raises(ValidationError) as caught:
        pledge_create(pool=pool, user=user, amount=Decimal("100"), agreement=pdf_upload())
    pledge = pledge_create(pool=pool, user=user, amount=Decimal("100"), agreement=pdf_upload(), organization=second)

    assert caught.value.message_dict == {
        "organization": [zh("You belong to several enterprises: choose the one that pledges.")]
    }
    assert (pledge.organization, Pledge.objects.count()) == (second, 1)


def test_challenge_update_changes_a_draft_and_keeps_the_tranches_within_the_bounty(issuer, issuer_admin):
    challenge = _challenge(issuer, issuer_admin)
    closes = timezone.now() + timedelta(days=60)

    updated = challenge_update(
        challenge=challenge,
        user=issuer_admin,
        title="膜电极一致性攻关",
        bounty=Decimal("6000000"),
        closes_at=closes,
        industry_fields=IndustryField.objects.filter(code="robotics"),
    )
    with pytest.raises(ValidationError) as caught:
        challenge_update(challenge=challenge, user=issuer_admin, bounty=Decimal("4999999.99"), title="不应保存")

    assert caught.value.message_dict == {
        "bounty": [zh("The tranches add up to %(total)s yuan, more than the bounty.", total="5,000,000.00")]
    }
    challenge.refresh_from_db()
    assert (challenge.title, challenge.bounty, challenge.closes_at) == (
        "膜电极一致性攻关",
        Decimal("6000000.00"),
        closes,
    )
    assert updated.title == "膜电极一致性攻关"
    assert list(challenge.industry_fields.values_list("code", flat=True)) == ["robotics"]
    with pytest.raises(ValidationError):
        challenge_update(challenge=challenge, user=issuer_admin, opens_at=closes + timedelta(days=1))
    with pytest.raises(ValueError):
        challenge_update(challenge=challenge, user=issuer_admin, status=ChallengeStatus.PUBLISHED)


def test_challenge_update_is_for_drafts_of_the_issuer_and_unpublished_ones_for_reviewers(
    issuer, issuer_admin, reviewer, foreign_user
):
    challenge = _challenge(issuer, issuer_admin)
    with pytest.raises(PermissionDenied):
        challenge_update(challenge=challenge, user=foreign_user, title="外人修改")

    challenge_submit(challenge=challenge, user=issuer_admin)
    with pytest.raises(PermissionDenied):
        challenge_update(challenge=challenge, user=issuer_admin, title="提交后修改")
    challenge_update(challenge=challenge, user=reviewer, title="局方完善")

    challenge_publish(challenge=challenge, reviewer=reviewer)
    with pytest.raises(ValidationError):
        challenge_update(challenge=challenge, user=reviewer, title="发布后修改")
    challenge.refresh_from_db()
    assert challenge.title == "局方完善"


def test_milestone_remove_renumbers_and_only_before_publication(issuer, issuer_admin, reviewer, foreign_user):
    challenge = _challenge(issuer, issuer_admin)
    first, second = challenge.milestones.all()
    with pytest.raises(PermissionDenied):
        milestone_remove(milestone=first, user=foreign_user)

    milestone_remove(milestone=first, user=issuer_admin)
    added = milestone_add(
        challenge=challenge, user=issuer_admin, title="验收", due_date=timezone.localdate(), tranche=Decimal("2000000")
    )

    assert list(challenge.milestones.values_list("title", "position")) == [("中试", 0), ("验收", 1)]
    assert added.position == 1
    challenge_publish(challenge=challenge, reviewer=reviewer)
    with pytest.raises(PermissionDenied):
        milestone_remove(milestone=second, user=issuer_admin)
    with pytest.raises(ValidationError):
        milestone_remove(milestone=second, user=reviewer)
    assert challenge.milestones.count() == 2


def test_challenge_submit_tells_the_reviewers_and_keeps_it_unpublished(issuer, issuer_admin, reviewer, foreign_user):
    challenge = _challenge(issuer, issuer_admin)
    with pytest.raises(PermissionDenied):
        challenge_submit(challenge=challenge, user=foreign_user)

    challenge_submit(challenge=challenge, user=issuer_admin)

    assert challenge.status == ChallengeStatus.SUBMITTED
    notification = Notification.objects.get(user=reviewer)
    assert (notification.kind, notification.title) == (
        "challenge.submitted",
        zh("Challenge to review: %(title)s", title=challenge.title),
    )
    assert notification.url == reverse("admin:demands_challenge_change", args=[challenge.pk])
    assert not foreign_user.has_perm("demands.view_challenge", challenge) and not challenge.is_public
    assert issuer_admin.has_perm("demands.view_challenge", challenge)
    with pytest.raises(ValidationError):
        challenge_submit(challenge=challenge, user=issuer_admin)
    assert [log.to_status for log in transitions_for(challenge)] == [ChallengeStatus.SUBMITTED]


def test_challenge_submit_needs_milestones_an_open_window_and_a_verified_issuer(issuer, issuer_admin):
    without_milestones = _challenge(issuer, issuer_admin)
    without_milestones.milestones.all().delete()
    window_closed = _challenge(issuer, issuer_admin)
    Challenge.objects.filter(pk=window_closed.pk).update(
        opens_at=timezone.now() - timedelta(days=2), closes_at=timezone.now() - timedelta(days=1)
    )
    unverified = OrganizationFactory(unverified=True)
    unverified_member = MembershipFactory(organization=unverified).user
    of_unverified = _challenge(unverified, unverified_member)

    for challenge, user in (
        (without_milestones, issuer_admin),
        (window_closed, issuer_admin),
        (of_unverified, unverified_member),
    ):
        with pytest.raises(ValidationError):
            challenge_submit(challenge=challenge, user=user)

    assert set(Challenge.objects.values_list("status", flat=True)) == {ChallengeStatus.DRAFT}
    assert not Notification.objects.exists()


def test_a_submitted_challenge_is_published_or_returned_with_the_reason(issuer, issuer_admin, reviewer):
    returned = _challenge(issuer, issuer_admin)
    published = _challenge(issuer, issuer_admin)
    for challenge in (returned, published):
        challenge_submit(challenge=challenge, user=issuer_admin)

    with pytest.raises(ValidationError):
        challenge_return(challenge=returned, reviewer=reviewer, reason=" ")
    with pytest.raises(PermissionDenied):
        challenge_return(challenge=returned, reviewer=issuer_admin, reason="自行退回")
    challenge_return(challenge=returned, reviewer=reviewer, reason="请补充验收标准")
    challenge_publish(challenge=published, reviewer=reviewer)

    assert (returned.status, published.status) == (ChallengeStatus.DRAFT, ChallengeStatus.BIDDING)
    notification = Notification.objects.get(user=issuer_admin, kind="challenge.returned")
    assert notification.body == "请补充验收标准"
    challenge_update(challenge=returned, user=issuer_admin, deliverables="中试线一条、检测报告及验收标准。")
    challenge_submit(challenge=returned, user=issuer_admin)


def test_pool_create_is_for_members_of_verified_enterprises_and_reviewers(
    issuer, issuer_admin, reviewer, organization, org_member
):
    unverified = OrganizationFactory(unverified=True, kind="enterprise")
    unverified_member = MembershipFactory(organization=unverified).user

    for user, initiator in ((unverified_member, unverified), (org_member, organization), (issuer_admin, organization)):
        with pytest.raises(PermissionDenied):
            _pool(user, initiator)

    assert _pool(issuer_admin, issuer).organization == issuer
    assert _pool(reviewer, issuer).created_by == reviewer
    assert PooledProcurement.objects.count() == 2


def test_challenge_close_bidding_is_for_reviewers_and_an_open_window(issuer, issuer_admin, reviewer):
    bidding = _challenge(issuer, issuer_admin)
    challenge_publish(challenge=bidding, reviewer=reviewer)
    announced = _challenge(issuer, issuer_admin, opens_at=timezone.now() + timedelta(days=2))
    challenge_publish(challenge=announced, reviewer=reviewer)

    with pytest.raises(PermissionDenied):
        challenge_close_bidding(challenge=bidding, user=issuer_admin)
    with pytest.raises(ValidationError) as caught:
        challenge_close_bidding(challenge=announced, user=reviewer)

    assert list(caught.value.message_dict) == ["status"]
    bidding.refresh_from_db()
    announced.refresh_from_db()
    assert (bidding.status, announced.status) == (ChallengeStatus.BIDDING, ChallengeStatus.PUBLISHED)
    # Celery beat closes due windows as a system action (no bids: it fails).
    Challenge.objects.filter(pk=bidding.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    assert advance_challenges() == 1
    bidding.refresh_from_db()
    assert bidding.status == ChallengeStatus.FAILED
    assert transitions_for(bidding).first().actor is None


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("bidding", "The public notice period has not started."),
        ("shortlisted", "The public notice period has not started."),
        ("notice_over", "The public notice period has ended."),
        ("in_progress", "The public notice period has ended."),
    ],
)
def test_objection_outside_the_notice_period_is_refused_with_the_reason(state, message):
    trait = {"bidding": {}, "shortlisted": {"shortlisted": True}, "notice_over": {"notice": True}}.get(
        state, {"in_progress": True}
    )
    challenge = ChallengeFactory(**trait)
    if state == "notice_over":
        Challenge.objects.filter(pk=challenge.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))
        challenge.refresh_from_db()

    with pytest.raises(ValidationError) as caught:
        objection_lodge(challenge=challenge, user=UserFactory(), text="异议")

    assert caught.value.messages == [zh(message)]
    assert not Objection.objects.exists()


def test_shortlist_refuses_bids_of_another_challenge_or_not_submitted(issuer, issuer_admin, reviewer):
    challenge, bids = _reviewing(issuer, issuer_admin, reviewer, count=2)
    _other, (foreign,) = _reviewing(issuer, issuer_admin, reviewer, count=1)
    withdrawn = BidFactory(challenge=challenge, withdrawn=True)

    for chosen in ([bids[0], foreign], [bids[0], withdrawn]):
        with pytest.raises(ValidationError) as caught:
            challenge_shortlist(challenge=challenge, user=reviewer, bids=chosen)
        assert list(caught.value.message_dict) == ["bids"]
    Challenge.objects.filter(pk=challenge.pk).update(award_count=2)
    with pytest.raises(ValidationError):
        challenge_shortlist(challenge=Challenge.objects.get(pk=challenge.pk), user=reviewer, bids=[bids[0], bids[0]])

    assert set(Challenge.objects.values_list("status", flat=True)) == {ChallengeStatus.REVIEWING}
    assert set(Bid.objects.exclude(pk=withdrawn.pk).values_list("status", flat=True)) == {BidStatus.SUBMITTED}
    challenge_shortlist(challenge=Challenge.objects.get(pk=challenge.pk), user=reviewer, bids=bids)
    assert Challenge.objects.get(pk=challenge.pk).status == ChallengeStatus.SHORTLISTED


def _reviewing(issuer, issuer_admin, reviewer, *, count):
    challenge = _challenge(issuer, issuer_admin)
    challenge_publish(challenge=challenge, reviewer=reviewer)
    bids = [_bid(challenge, _bidder()) for _ in range(count)]
    challenge_close_bidding(challenge=challenge, user=reviewer)
    return challenge, bids
