"""Open challenges (揭榜挂帅): the window, bids, blind expert review, award, public notice with
objections, contract and milestone tranches. Every step is a logged transition."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from demands import rules as demand_rules
from demands.enums import BidStatus, ChallengeStatus, MilestoneStatus, ObjectionStatus
from demands.models import Bid, Challenge, Demand, Milestone, Objection
from marketplace import rules as market_rules
from marketplace.enums import DealKind, DealOrigin, DealStage
from marketplace.models import Organization, User
from marketplace.services.deals import DEAL_LIFECYCLE, deal_start
from marketplace.services.evaluation import round_create
from marketplace.services.files import private_file_store
from marketplace.services.notifications import notify
from marketplace.services.organizations import bureau_reviewers, organization_admins
from marketplace.services.transitions import Workflow, update_with_history
from marketplace.services.webhooks import webhook_emit

LIFECYCLE = Workflow(
    choices=ChallengeStatus,
    transitions={
        # The issuer submits its draft to the bureau; bureau reviewers also publish a draft they
        # completed themselves (a funded pool's challenge, one recorded for an issuer).
        ChallengeStatus.DRAFT: {ChallengeStatus.SUBMITTED, ChallengeStatus.PUBLISHED},
        # Published, or returned to the issuer for changes.
        ChallengeStatus.SUBMITTED: {ChallengeStatus.PUBLISHED, ChallengeStatus.DRAFT},
        ChallengeStatus.PUBLISHED: {ChallengeStatus.BIDDING, ChallengeStatus.FAILED},
        ChallengeStatus.BIDDING: {ChallengeStatus.REVIEWING, ChallengeStatus.FAILED},
        ChallengeStatus.REVIEWING: {ChallengeStatus.SHORTLISTED, ChallengeStatus.FAILED},
        ChallengeStatus.SHORTLISTED: {ChallengeStatus.AWARDED, ChallengeStatus.FAILED},
        ChallengeStatus.AWARDED: {ChallengeStatus.NOTICE},
        # An upheld objection sends the award back to the shortlist.
        ChallengeStatus.NOTICE: {ChallengeStatus.CONTRACTED, ChallengeStatus.SHORTLISTED, ChallengeStatus.FAILED},
        ChallengeStatus.CONTRACTED: {ChallengeStatus.IN_PROGRESS, ChallengeStatus.FAILED},
        ChallengeStatus.IN_PROGRESS: {ChallengeStatus.ACCEPTED, ChallengeStatus.FAILED},
        ChallengeStatus.ACCEPTED: set(),
        ChallengeStatus.FAILED: set(),
    },
    # A failure, and a challenge returned to its issuer, say why.
    reason_required=frozenset({ChallengeStatus.FAILED, ChallengeStatus.DRAFT}),
)

EDITABLE_FIELDS = frozenset(
    {"title", "description", "bounty", "opens_at", "closes_at", "eligibility", "deliverables", "review_criteria",
     "award_count", "notice_days"}
)  # fmt: skip
# Statuses before the public notice: an objection would come too early.
BEFORE_NOTICE = frozenset(
    {
        ChallengeStatus.DRAFT,
        ChallengeStatus.SUBMITTED,
        ChallengeStatus.PUBLISHED,
        ChallengeStatus.BIDDING,
        ChallengeStatus.REVIEWING,
        ChallengeStatus.SHORTLISTED,
        ChallengeStatus.AWARDED,
    }
)
CLEAN_EXCLUDE = ["organization", "created_by", "demand", "pool", "evaluation"]


def _require(user, permission: str, obj) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def _locked(challenge: Challenge) -> Challenge:
    """The challenge re-read under a row lock (SELECT … FOR UPDATE), for the rest of the transaction."""
    return Challenge.objects.select_for_update().get(pk=challenge.pk)


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def check_tranches(bounty: Decimal, milestones: Sequence[dict]) -> None:
    """The milestones' tranches (dicts with "tranche") must not add up to more than the bounty."""
    total = sum((Decimal(m["tranche"]) for m in milestones), Decimal(0))
    if total > bounty:
        raise ValidationError(
            {
                "milestones": [
                    _("The tranches add up to %(total)s yuan, more than the bounty.") % {"total": _yuan(total)}
                ]
            }
        )


def _allotted(challenge: Challenge) -> Decimal:
    return challenge.milestones.aggregate(total=Sum("tranche"))["total"] or Decimal(0)


def _build(
    *,
    organization: Organization,
    created_by: User | None,
    milestones: Sequence[dict],
    industry_fields,
    demand: Demand | None,
    pool,
    fields: dict,
) -> Challenge:
    """Store a draft challenge with its milestones. No permission check: callers decide."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    challenge = Challenge(organization=organization, created_by=created_by, demand=demand, pool=pool, **fields)
    challenge.full_clean(exclude=CLEAN_EXCLUDE)
    check_tranches(challenge.bounty, milestones)
    challenge.save()
    challenge.industry_fields.set(industry_fields or (demand.industry_fields.all() if demand else []))
    Milestone.objects.bulk_create(
        [Milestone(challenge=challenge, position=i, **milestone) for i, milestone in enumerate(milestones)]
    )
    return challenge


@transaction.atomic
def challenge_create(
    *,
    user: User,
    organization: Organization,
    milestones: Sequence[dict] = (),
    industry_fields=(),
    demand: Demand | None = None,
    pool=None,
    **fields,
) -> Challenge:
    """A draft challenge of `organization` (its members, or bureau reviewers) with its
    milestones; the tranches may not add up to more than the bounty."""
    if not (market_rules.is_org_member(user, organization) or market_rules.is_bureau_reviewer(user)):
        raise PermissionDenied
    if demand is not None and demand.organization_id != organization.pk:
        raise ValidationError({"demand": _("A challenge is issued on one of the issuer's own demands.")})
    return _build(
        organization=organization,
        created_by=user,
        milestones=milestones,
        industry_fields=industry_fields,
        demand=demand,
        pool=pool,
        fields=fields,
    )


def challenge_create_for_pool(*, pool) -> Challenge:
    """The draft challenge a funded pool proceeds as, its bounty the pledged total; the bureau
    completes it (window, milestones) and publishes it. A system action: no permission check,
    no author (the pledge that funded the pool was checked; its author may not be the
    initiator's member, and the pool's creator may have left)."""
    now = timezone.now()
    return _build(
        organization=pool.organization,
        created_by=None,
        milestones=(),
        industry_fields=pool.industry_fields.all(),
        demand=None,
        pool=pool,
        fields={
            "title": pool.title,
            "description": pool.description,
            "bounty": pool.pledged_total,
            "opens_at": now + timedelta(days=7),
            "closes_at": now + timedelta(days=37),
            "eligibility": _("Set by the bureau before publication."),
            "deliverables": _("Set by the bureau before publication."),
        },
    )


def _check_unpublished(challenge: Challenge) -> None:
    if challenge.status not in ChallengeStatus.unpublished():
        raise ValidationError(
            _("Only a challenge not yet published is changed here; this one is “%(status)s”.")
            % {"status": challenge.get_status_display()}
        )


@transaction.atomic
def challenge_update(*, challenge: Challenge, user: User, industry_fields=None, **fields) -> Challenge:
    """Change a challenge before publication: the issuer's members their draft, bureau reviewers
    a draft or a submitted one. The milestones' tranches must still fit in the bounty. Returns
    the challenge as saved (the row is locked while it changes)."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    locked = _locked(challenge)
    _require(user, "demands.change_challenge", locked)
    _check_unpublished(locked)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=CLEAN_EXCLUDE)
    allotted = _allotted(locked)
    if allotted > locked.bounty:
        raise ValidationError(
            {"bounty": [_("The tranches add up to %(total)s yuan, more than the bounty.") % {"total": _yuan(allotted)}]}
        )
    locked.save()
    if industry_fields is not None:
        locked.industry_fields.set(industry_fields)
    return locked


@transaction.atomic
def milestone_add(*, challenge: Challenge, user: User, title: str, due_date, tranche: Decimal) -> Milestone:
    """Add a milestone; its tranche must fit in what remains of the bounty."""
    _require(user, "demands.change_challenge", challenge)
    challenge = _locked(challenge)
    remaining = challenge.bounty - _allotted(challenge)
    if Decimal(tranche) > remaining:
        raise ValidationError(
            {
                "tranche": [
                    _("Only %(remaining)s yuan of the bounty remain for tranches.") % {"remaining": _yuan(remaining)}
                ]
            }
        )
    last = challenge.milestones.aggregate(last=Max("position"))["last"]
    milestone = Milestone(
        challenge=challenge, title=title, due_date=due_date, tranche=tranche, position=0 if last is None else last + 1
    )
    milestone.full_clean(exclude=["challenge"])
    milestone.save()
    return milestone


@transaction.atomic
def milestone_remove(*, milestone: Milestone, user: User) -> None:
    """Remove a milestone of a challenge not yet published (who may change the challenge); the
    others are renumbered."""
    challenge = _locked(milestone.challenge)
    _require(user, "demands.change_challenge", challenge)
    _check_unpublished(challenge)
    challenge.milestones.filter(pk=milestone.pk).delete()
    remaining = list(challenge.milestones.order_by("position", "due_date", "id"))
    for position, kept in enumerate(remaining):
        kept.position = position
    Milestone.objects.bulk_update(remaining, ["position"])


@transaction.atomic
def challenge_submit(*, challenge: Challenge, user: User) -> Challenge:
    """The issuer's member submits the draft to the bureau; bureau reviewers are notified. They
    publish it, or return it for changes."""
    _require(user, "demands.submit_challenge", challenge)
    locked = _locked(challenge)
    LIFECYCLE.check(locked.status, ChallengeStatus.SUBMITTED)
    if not locked.organization.is_verified:
        raise ValidationError(_("Only verified organizations submit challenges for publication."))
    if not locked.milestones.exists():
        raise ValidationError(_("Add the milestones and their tranches before submitting."))
    if locked.closes_at <= timezone.now():
        raise ValidationError({"closes_at": _("The bidding window has closed already; move it before submitting.")})
    LIFECYCLE.apply(locked, ChallengeStatus.SUBMITTED, actor=user)
    notify(
        users=bureau_reviewers(),
        kind="challenge.submitted",
        title=_("Challenge to review: %(title)s") % {"title": locked.title},
        url=reverse("admin:demands_challenge_change", args=[locked.pk]),
    )
    challenge.refresh_from_db()
    return challenge


@transaction.atomic
def challenge_return(*, challenge: Challenge, reviewer: User, reason: str) -> Challenge:
    """Bureau reviewers send a submitted challenge back to its issuer as a draft, with the
    reason; the issuer's administrators are notified."""
    _require(reviewer, "demands.manage_challenge", challenge)
    LIFECYCLE.apply(challenge, ChallengeStatus.DRAFT, actor=reviewer, reason=reason)
    notify(
        users=organization_admins(challenge.organization),
        organization=challenge.organization,
        kind="challenge.returned",
        title=_("Your challenge needs changes: %(title)s") % {"title": challenge.title},
        body=reason,
        url=reverse("demands:workspace-challenge", args=[challenge.pk]),
    )
    return challenge


@transaction.atomic
def challenge_publish(*, challenge: Challenge, reviewer: User) -> Challenge:
    """The bureau announces the challenge; bidding opens when its window opens (Celery beat)."""
    _require(reviewer, "demands.manage_challenge", challenge)
    if not challenge.milestones.exists():
        raise ValidationError(_("Add the milestones and their tranches before publishing."))
    challenge.published_at = timezone.now()
    LIFECYCLE.apply(challenge, ChallengeStatus.PUBLISHED, actor=reviewer, update_fields=["published_at"])
    if challenge.opens_at <= timezone.now():
        LIFECYCLE.apply(challenge, ChallengeStatus.BIDDING, actor=reviewer)
    return challenge


def challenges_advance(*, now=None) -> int:
    """Open windows that have started and close those that have ended (Celery beat, a system
    action): a closed window moves the challenge to review with a draft blind evaluation round
    over its bids, or fails it when nobody bid. Safe to run twice, and next to staff closing a
    window by hand: each challenge is re-read under a row lock."""
    now = now or timezone.now()
    moved = 0
    for pk in Challenge.objects.filter(status=ChallengeStatus.PUBLISHED, opens_at__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            challenge = Challenge.objects.select_for_update().filter(pk=pk, status=ChallengeStatus.PUBLISHED).first()
            if challenge is None:
                continue
            LIFECYCLE.apply(challenge, ChallengeStatus.BIDDING, reason=_("The bidding window opened."))
        moved += 1
    for pk in Challenge.objects.filter(status=ChallengeStatus.BIDDING, closes_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            challenge = Challenge.objects.select_for_update().filter(pk=pk, status=ChallengeStatus.BIDDING).first()
            if challenge is None:
                continue
            _close_bidding(challenge, actor=None)
        moved += 1
    return moved


@transaction.atomic
def challenge_close_bidding(*, challenge: Challenge, user: User) -> Challenge:
    """Bureau reviewers close an open window now (Celery beat closes it when it ends): the bids
    go to a draft blind evaluation round and reviewers are notified; without bids the challenge
    fails."""
    _require(user, "demands.manage_challenge", challenge)
    locked = _locked(challenge)
    # Only an open window closes (bidding → reviewing): a challenge not open yet would
    # otherwise fail for want of bids.
    LIFECYCLE.check(locked.status, ChallengeStatus.REVIEWING)
    _close_bidding(locked, actor=user)
    challenge.refresh_from_db()
    return challenge


def _close_bidding(challenge: Challenge, *, actor: User | None) -> None:
    """Close the window of a locked challenge in bidding. No permission check: callers decide."""
    bids = list(challenge.bids.filter(status=BidStatus.SUBMITTED).select_related("organization"))
    if not bids:
        LIFECYCLE.apply(challenge, ChallengeStatus.FAILED, actor=actor, reason=_("No bids were received."))
        return
    challenge.evaluation = round_create(
        user=None,
        title=_("Blind review of the bids for %(title)s") % {"title": challenge.title},
        subjects=bids,
        deadline=timezone.now() + timedelta(days=14),
        expert_count=3,
        is_blind=True,
    )
    LIFECYCLE.apply(
        challenge,
        ChallengeStatus.REVIEWING,
        actor=actor,
        reason=_("The bidding window closed."),
        update_fields=["evaluation"],
    )
    notify(
        users=bureau_reviewers(),
        kind="challenge.review",
        title=_("Bids to review for %(title)s") % {"title": challenge.title},
        url=reverse("admin:marketplace_evaluationround_change", args=[challenge.evaluation_id]),
    )


# Bids --------------------------------------------------------------------------------------


def _bidding_organization(user: User, challenge: Challenge, organization: Organization | None) -> Organization:
    """The organization `user` bids for: `organization` if given, else the only one of theirs
    that may bid (a member of several has to say which)."""
    roles = market_rules.membership_roles(user)
    candidates = (
        Organization.objects.verified()
        .filter(pk__in=roles.keys())
        .exclude(pk=challenge.organization_id)
        .exclude(kind__in=("bureau", "partner_system"))
    )
    if organization is not None:
        candidates = candidates.filter(pk=organization.pk)
    found = list(candidates[:2])
    if not found:
        raise ValidationError(_("Only members of verified organizations can bid."))
    if len(found) > 1:
        raise ValidationError(
            {"organization": [_("You belong to several organizations that may bid: choose the one that bids.")]}
        )
    return found[0]


def _check_window(challenge: Challenge) -> None:
    if not challenge.window_open:
        raise ValidationError(_("The bidding window of this challenge is not open."))


@transaction.atomic
def bid_submit(
    *,
    challenge: Challenge,
    user: User,
    proposal: str,
    team: str,
    plan: str,
    budget: Decimal,
    attachments=(),
    organization=None,
) -> Bid:
    """Bid while the window is open; one live bid per organization."""
    challenge = _locked(challenge)
    _check_window(challenge)
    _require(user, "demands.bid_challenge", challenge)
    organization = _bidding_organization(user, challenge, organization)
    if Bid.objects.filter(challenge=challenge, organization=organization, status__in=BidStatus.live()).exists():
        raise ValidationError(_("Your organization already has a live bid for this challenge."))
    bid = Bid(
        challenge=challenge,
        organization=organization,
        created_by=user,
        proposal=proposal,
        team=team,
        plan=plan,
        budget=budget,
    )
    bid.full_clean(exclude=["challenge", "organization", "created_by"])
    try:
        with transaction.atomic():
            bid.save()
    except IntegrityError as exc:
        raise ValidationError(_("Your organization already has a live bid for this challenge.")) from exc
    for uploaded in attachments:
        private_file_store(uploaded=uploaded, uploaded_by=user, organization=organization, parent=bid)
    return bid


def _changeable_bid(bid: Bid, user: User, permission: str) -> Bid:
    """The bid, locked with its challenge, if `user` may still change it: only the bidder's
    members (PermissionDenied for anyone else, the issuer and staff included), only while the
    window is open and the bid is submitted (ValidationError otherwise)."""
    if not demand_rules.is_bidder(user, bid):
        raise PermissionDenied
    # Locks the challenge row too: closing the window waits for this change, and vice versa.
    locked = Bid.objects.select_for_update().select_related("challenge", "organization").get(pk=bid.pk)
    _check_window(locked.challenge)
    if locked.status != BidStatus.SUBMITTED:
        raise ValidationError(
            _("Only a submitted bid is changed or withdrawn; this one is “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    _require(user, permission, locked)
    return locked


@transaction.atomic
def bid_update(*, bid: Bid, user: User, attachments=(), **fields) -> Bid:
    """Edit a submitted bid until the window closes. Returns the bid as saved."""
    bid = _changeable_bid(bid, user, "demands.change_bid")
    changed = [name for name in ("proposal", "team", "plan", "budget") if name in fields]
    for name in changed:
        setattr(bid, name, fields[name])
    bid.full_clean(exclude=["challenge", "organization", "created_by"])
    bid.save(update_fields=[*changed, "updated_at"])
    for uploaded in attachments:
        private_file_store(uploaded=uploaded, uploaded_by=user, organization=bid.organization, parent=bid)
    return bid


@transaction.atomic
def bid_withdraw(*, bid: Bid, user: User) -> Bid:
    """Withdraw a submitted bid while the window is open; the organization may bid again.
    Returns the bid as saved."""
    bid = _changeable_bid(bid, user, "demands.withdraw_bid")
    bid.status = BidStatus.WITHDRAWN
    bid.save(update_fields=["status", "updated_at"])
    return bid


# Review, award, notice -----------------------------------------------------------------------


@transaction.atomic
def challenge_shortlist(*, challenge: Challenge, user: User, bids: Sequence[Bid]) -> Challenge:
    """Staff shortlist submitted bids of the challenge under review, normally the best of the
    closed blind review; any other bid (another challenge's, withdrawn, already decided) is
    refused, nothing is changed. The challenge row is locked while it changes."""
    _require(user, "demands.manage_challenge", challenge)
    locked = _locked(challenge)
    if locked.status != ChallengeStatus.REVIEWING:
        LIFECYCLE.check(locked.status, ChallengeStatus.SHORTLISTED)
        raise ValidationError(
            _("Only a challenge whose bids are under review is shortlisted; this one is “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    wanted = {bid.pk for bid in bids}
    chosen = set(
        Bid.objects.select_for_update()
        .filter(pk__in=wanted, challenge=locked, status=BidStatus.SUBMITTED)
        .values_list("pk", flat=True)
    )
    refused = sorted(wanted - chosen)
    if refused:
        raise ValidationError(
            {
                "bids": [
                    _("Only submitted bids of this challenge are shortlisted; not these: %(bids)s.")
                    % {"bids": ", ".join(str(pk) for pk in refused)}
                ]
            }
        )
    if len(chosen) < locked.award_count:
        raise ValidationError(
            _("Shortlist at least as many bids as there are winners (%(count)s).") % {"count": locked.award_count}
        )
    update_with_history(
        Bid.objects.filter(pk__in=chosen), user=user, status=BidStatus.SHORTLISTED, updated_at=timezone.now()
    )
    LIFECYCLE.apply(locked, ChallengeStatus.SHORTLISTED, actor=user)
    challenge.refresh_from_db()
    return challenge


def decide_bids(challenge: Challenge, winners: Sequence[Bid], *, user: User | None = None) -> None:
    """The award's verdict on the bids: the winners awarded, the bids left off the shortlist not
    selected. The shortlisted runners-up stay in reserve until the contract (release_runners_up),
    so that an upheld objection sends the award back to the whole shortlist."""
    now = timezone.now()
    update_with_history(
        Bid.objects.filter(pk__in=[bid.pk for bid in winners]), user=user, status=BidStatus.AWARDED, updated_at=now
    )
    update_with_history(
        challenge.bids.filter(status=BidStatus.SUBMITTED), user=user, status=BidStatus.NOT_SELECTED, updated_at=now
    )


def release_runners_up(challenge: Challenge) -> None:
    """With the contract signed, the runners-up kept in reserve are not selected."""
    update_with_history(
        challenge.bids.filter(status=BidStatus.SHORTLISTED), status=BidStatus.NOT_SELECTED, updated_at=timezone.now()
    )


@transaction.atomic
def challenge_award(*, challenge: Challenge, user: User, bids: Sequence[Bid]) -> Challenge:
    """Award the challenge to its configured number of shortlisted bids and open the public
    notice. Safe under concurrency: the challenge row is locked and its status re-read, so of
    two simultaneous awards exactly one succeeds."""
    _require(user, "demands.manage_challenge", challenge)
    locked = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if locked.status != ChallengeStatus.SHORTLISTED:
        raise ValidationError(
            _("Only a challenge with a shortlist is awarded; this one is “%(status)s”.")
            % {"status": locked.get_status_display()}
        )
    winners = list(
        Bid.objects.select_for_update().filter(
            pk__in=[bid.pk for bid in bids], challenge=locked, status=BidStatus.SHORTLISTED
        )
    )
    if len(winners) != locked.award_count:
        raise ValidationError(_("Choose exactly %(count)s shortlisted bids.") % {"count": locked.award_count})
    decide_bids(locked, winners, user=user)
    LIFECYCLE.apply(locked, ChallengeStatus.AWARDED, actor=user)
    locked.notice_ends_at = timezone.now() + timedelta(days=locked.notice_days)
    LIFECYCLE.apply(locked, ChallengeStatus.NOTICE, actor=user, update_fields=["notice_ends_at"])
    challenge.refresh_from_db()
    for bid in winners:
        notify(
            users=organization_admins(bid.organization),
            organization=bid.organization,
            kind="challenge.awarded",
            title=_("Your bid won: %(title)s") % {"title": locked.title},
            body=_("The award is in public notice until %(date)s.")
            % {"date": timezone.localtime(locked.notice_ends_at).strftime("%Y-%m-%d")},
            url=locked.get_absolute_url(),
        )
    webhook_emit("challenge.awarded", challenge)
    return challenge


@transaction.atomic
def objection_lodge(*, challenge: Challenge, user: User, text: str) -> Objection:
    """Anyone logged in objects to an award during its public notice (ValidationError before
    or after it); bureau reviewers are notified."""
    _require(user, "demands.object_challenge", challenge)
    challenge = _locked(challenge)
    if challenge.status in BEFORE_NOTICE:
        raise ValidationError(_("The public notice period has not started."))
    if challenge.status != ChallengeStatus.NOTICE or (
        challenge.notice_ends_at is not None and timezone.now() >= challenge.notice_ends_at
    ):
        raise ValidationError(_("The public notice period has ended."))
    objection = Objection(challenge=challenge, user=user, text=text.strip())
    objection.full_clean(exclude=["challenge", "user"])
    objection.save()
    notify(
        users=bureau_reviewers(),
        kind="challenge.objection",
        title=_("Objection to the award of %(title)s") % {"title": challenge.title},
        body=objection.text[:500],
        url=reverse("admin:demands_objection_change", args=[objection.pk]),
    )
    return objection


@transaction.atomic
def objection_resolve(*, objection: Objection, user: User, upheld: bool, resolution: str) -> Objection:
    """Staff dismiss an objection, or uphold it: the award is then revoked and the challenge
    goes back to its shortlist (the revoked winners and the runners-up kept in reserve)."""
    _require(user, "demands.change_objection", objection)
    if objection.status != ObjectionStatus.OPEN:
        raise ValidationError(_("This objection has been resolved already."))
    if not resolution.strip():
        raise ValidationError({"resolution": _("Explain the decision.")})
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection.resolution = resolution.strip()
    objection.resolved_by = user
    objection.resolved_at = timezone.now()
    objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at", "updated_at"])
    challenge = objection.challenge
    if upheld and challenge.status == ChallengeStatus.NOTICE:
        update_with_history(
            challenge.bids.filter(status=BidStatus.AWARDED),
            user=user,
            reason=resolution,
            status=BidStatus.SHORTLISTED,
            updated_at=timezone.now(),
        )
        LIFECYCLE.apply(challenge, ChallengeStatus.SHORTLISTED, actor=user, reason=resolution)
    return objection


@transaction.atomic
def challenge_contract(*, challenge: Challenge, user: User) -> Challenge:
    """After the notice, with no open objection, the contract is signed; work starts."""
    _require(user, "demands.manage_challenge", challenge)
    # Locked, so an objection lodged meanwhile is either seen here or refused.
    locked = _locked(challenge)
    if locked.status == ChallengeStatus.NOTICE and locked.notice_ends_at and timezone.now() < locked.notice_ends_at:
        raise ValidationError(
            _("The public notice runs until %(date)s.")
            % {"date": timezone.localtime(locked.notice_ends_at).strftime("%Y-%m-%d")}
        )
    if locked.objections.filter(status=ObjectionStatus.OPEN).exists():
        raise ValidationError(_("Resolve the open objections first."))
    LIFECYCLE.apply(locked, ChallengeStatus.CONTRACTED, actor=user)
    release_runners_up(locked)
    _open_award_deals(locked, user)
    LIFECYCLE.apply(locked, ChallengeStatus.IN_PROGRESS, actor=user)
    challenge.refresh_from_db()
    return challenge


def _open_award_deals(challenge: Challenge, user: User) -> None:
    """Each winner's contract is a signed development deal for its share of the bounty, which
    the parties then submit for registration."""
    winners = list(challenge.bids.filter(status=BidStatus.AWARDED).select_related("organization"))
    share = (challenge.bounty / len(winners)).quantize(Decimal("0.01")) if winners else None
    for bid in winners:
        deal = deal_start(
            user=user,
            origin=DealOrigin.CHALLENGE,
            seller=bid.organization,
            buyer=challenge.organization,
            kind=DealKind.DEVELOPMENT,
            demand=challenge.demand,
            amount=share,
            title=challenge.title,
            bid=bid,
        )
        deal.signed_on = timezone.localdate()
        DEAL_LIFECYCLE.apply(deal, DealStage.SIGNED, actor=user, update_fields=["signed_on"])


@transaction.atomic
def milestone_report(*, milestone: Milestone, user: User, report: str) -> Milestone:
    """The winner reports a milestone's results for review."""
    challenge = milestone.challenge
    winners = set(challenge.bids.filter(status=BidStatus.AWARDED).values_list("organization_id", flat=True))
    if not winners & set(market_rules.membership_roles(user)):
        raise PermissionDenied
    if challenge.status != ChallengeStatus.IN_PROGRESS or milestone.status not in (
        MilestoneStatus.PENDING,
        MilestoneStatus.REJECTED,
    ):
        raise ValidationError(_("This milestone is not waiting for a report."))
    milestone.report = report.strip()
    milestone.status = MilestoneStatus.SUBMITTED
    milestone.save(update_fields=["report", "status"])
    return milestone


@transaction.atomic
def milestone_review(*, milestone: Milestone, user: User, approved: bool, note: str = "") -> Milestone:
    """Staff review a milestone report; approval releases its tranche. When the last
    milestone is approved the challenge is accepted."""
    _require(user, "demands.manage_challenge", milestone.challenge)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.status != MilestoneStatus.SUBMITTED:
        raise ValidationError(_("Only a reported milestone is reviewed."))
    now = timezone.now()
    milestone.status = MilestoneStatus.APPROVED if approved else MilestoneStatus.REJECTED
    milestone.review_note = note.strip()
    milestone.reviewed_at = now
    milestone.released_at = now if approved else None
    milestone.save(update_fields=["status", "review_note", "reviewed_at", "released_at"])
    challenge = milestone.challenge
    if approved and not challenge.milestones.exclude(status=MilestoneStatus.APPROVED).exists():
        LIFECYCLE.apply(challenge, ChallengeStatus.ACCEPTED, actor=user, reason=_("Every milestone accepted."))
    return milestone


@transaction.atomic
def challenge_fail(*, challenge: Challenge, user: User, reason: str) -> Challenge:
    _require(user, "demands.manage_challenge", challenge)
    LIFECYCLE.apply(challenge, ChallengeStatus.FAILED, actor=user, reason=reason)
    return challenge


def released_total(challenge: Challenge) -> Decimal:
    return challenge.milestones.filter(status=MilestoneStatus.APPROVED).aggregate(total=Sum("tranche"))[
        "total"
    ] or Decimal(0)
