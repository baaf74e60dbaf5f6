"""Permission matrix, part 2: the market's listing apps — achievements (library, workspace, inquiries,
featured issues and their subscriptions), demands (board, workspace, responses, open challenges, bids,
pooled procurement) and brokers (directory, filing, agency, claims, engagements, training, teams,
performance).

Every record a row points at belongs to `w.home` (the owner is its admin, the member a plain member)
unless said otherwise; `w.foreign_org` is the other side where a record has two (it asks, responds,
bids), and an outsider everywhere else. The HTML pages here are session-based: partner tokens are
visitors on them, so the partners' columns follow the anonymous one.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from achievements.enums import FeaturedIssueStatus, SubscriptionStatus
from achievements.models import FeaturedIssue, FeaturedItem, Problem, Subscription
from achievements.services import inquiry_create
from achievements.services_digest import confirmation_token, unsubscribe_token
from brokers.enums import FilingStatus, Level
from brokers.models import Course, ServiceTeam
from brokers.services import engagement_claim
from demands.services import demand_attach
from marketplace.enums import RoundStatus
from marketplace.models import Assignment, EvaluationRound
from marketplace.services.evaluation import round_create
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.challenges import BidFactory, ChallengeFactory, PooledProcurementFactory
from tests.factories.demands import DemandFactory, DemandResponseFactory
from tests.files import pdf_upload
from tests.security.matrix import LOGIN, PUBLIC, SIGNED_IN, Row, assert_rows, expect, thing

pytestmark = pytest.mark.django_db


def page(default, *, anon, **actors) -> dict:
    """An HTML page's expectations: partner tokens get what a visitor gets."""
    return expect(default, anon=anon, partners=anon, **actors)


# The shapes that repeat. "org" is the owner and the member of w.home, whose record the row is about.
OWN = page(404, anon=LOGIN, org=200)  # a workspace page of w.home's record; 404 for everyone else
OWN_ACTION = page(404, anon=LOGIN, org=302)  # a workspace action on w.home's record
# A public-view page of a non-public record (no log-in asked, so visitors get the 404 too).
UNPUBLISHED = page(404, anon=404, org=200, staff=200)
# Pages acting for the user's own organization: users without one (broker, expert, staff) are sent to
# the workspace's "join or create an organization" page; the foreign admin works on its own org.
ACTS_FOR_ORG = page(302, anon=LOGIN, org=200, foreign=200)
STAFF_PAGE_403 = page(403, anon=LOGIN, staff=200)  # bureau pages outside the admin: 403 for other users
# A signed-in action every user may attempt; refused ones come back as a message on a redirect.
ANYONE_SIGNED_IN_302 = page(302, anon=LOGIN)


# Records ---------------------------------------------------------------------------------------


@thing
def apps_draft_achievement(w):
    return AchievementFactory(organization=w.home, draft=True, title="矩阵草稿成果：钠离子电池负极")


@thing
def apps_published_achievement(w):
    """Published and tracked (ledger and problem list switched on)."""
    return AchievementFactory(organization=w.home, is_tracked=True, title="矩阵公开成果：固态电解质")


@thing
def apps_evaluated_achievement(w):
    """A submitted achievement in a blind evaluation round the expert actor is drawn for."""
    achievement = AchievementFactory(organization=w.home, submitted=True, title="矩阵评审中成果：硅碳负极")
    evaluation = round_create(
        user=None,
        title="矩阵盲评",
        subjects=[achievement],
        deadline=timezone.now() + timedelta(days=7),
        expert_count=1,
        is_blind=True,
    )
    Assignment.objects.create(round=evaluation, expert=w.expert_profile)
    EvaluationRound.objects.filter(pk=evaluation.pk).update(status=RoundStatus.SCORING)
    return achievement


@thing
def apps_problem(w):
    return Problem.objects.create(
        achievement=w.apps_published_achievement, obstacle="中试资金缺口", department="财务处"
    )


@thing
def apps_inquiry(w):
    """The foreign organization asks about w.home's published achievement."""
    return inquiry_create(
        achievement=w.apps_published_achievement, user=w.actor_foreign, subject="许可方式咨询", body="可否普通许可？"
    )


def _issue(number: int, published: bool):
    issue = FeaturedIssue.objects.create(
        number=number,
        title=f"矩阵好成果第{number}期",
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        status=FeaturedIssueStatus.PUBLISHED if published else FeaturedIssueStatus.DRAFT,
        published_at=timezone.now() if published else None,
    )
    FeaturedItem.objects.create(issue=issue, achievement=AchievementFactory(title=f"矩阵期刊成果{number}"), position=1)
    return issue


@thing
def apps_published_issue(w):
    return _issue(901, published=True)


@thing
def apps_draft_issue(w):
    return _issue(902, published=False)


@thing
def apps_subscription(w):
    """The owner's confirmed digest subscription."""
    return Subscription.objects.create(
        email=w.actor_owner.email,
        user=w.actor_owner,
        status=SubscriptionStatus.ACTIVE,
        frequency="weekly",
        confirmed_at=timezone.now(),
    )


@thing
def apps_pending_subscription(w):
    return Subscription.objects.create(email="matrix-pending@example.cn", frequency="weekly")


@thing
def apps_draft_demand(w):
    return DemandFactory(organization=w.home, draft=True, title="矩阵草稿需求：电解液提纯")


@thing
def apps_published_demand(w):
    return DemandFactory(organization=w.home, title="矩阵公开需求：正极包覆")


@thing
def apps_confidential_demand(w):
    """Published, confidential, the broker actor assigned (and working on it), with one attachment."""
    demand = DemandFactory(organization=w.home, confidential=True, brokers=[w.actor_broker], title="矩阵保密需求")
    demand_attach(demand=demand, user=w.actor_owner, uploaded=pdf_upload("保密技术指标.pdf"))
    return demand


@thing
def apps_anonymous_demand(w):
    """Published, the enterprise hidden from the public, with one attachment."""
    demand = DemandFactory(organization=w.home, anonymous=True, title="矩阵匿名需求")
    demand_attach(demand=demand, user=w.actor_owner, uploaded=pdf_upload("矩阵测试科技有限公司工艺说明.pdf"))
    return demand


@thing
def apps_response(w):
    """The foreign organization's response to w.home's published demand."""
    return DemandResponseFactory(demand=w.apps_published_demand, organization=w.foreign_org)


@thing
def apps_draft_challenge(w):
    return ChallengeFactory(demand=w.apps_published_demand, draft=True, title="矩阵草稿榜单")


@thing
def apps_challenge(w):
    """A challenge of w.home in its bidding window, with a submitted bid of the foreign organization."""
    return ChallengeFactory(demand=w.apps_published_demand, title="矩阵揭榜榜单")


@thing
def apps_bid(w):
    return BidFactory(challenge=w.apps_challenge, organization=w.foreign_org)


@thing
def apps_open_challenge(w):
    """A challenge of w.home in its bidding window that nobody has bid on yet."""
    return ChallengeFactory(demand=w.apps_published_demand, title="矩阵待揭榜榜单")


@thing
def apps_awarded_challenge(w):
    """In progress (past its notice): the foreign organization won and reports milestones."""
    challenge = ChallengeFactory(demand=w.apps_published_demand, in_progress=True, title="矩阵实施榜单")
    BidFactory(challenge=challenge, organization=w.foreign_org, awarded=True)
    return challenge


@thing
def apps_milestone(w):
    return w.apps_awarded_challenge.milestones.order_by("position").first()


@thing
def apps_pool(w):
    return PooledProcurementFactory(organization=w.home, title="矩阵集采研发")


@thing
def apps_engagement(w):
    """The broker actor works on w.home's confidential demand."""
    return engagement_claim(user=w.actor_broker, demand=w.apps_confidential_demand)


@thing
def apps_pending_filing(w):
    """A broker filing still waiting for its agency: not in the public directory."""
    return BrokerProfileFactory(
        user__username="m_filing", agency=w.broker_profile.agency, status=FilingStatus.APPLIED, approved_at=None
    )


@thing
def apps_course(w):
    start = timezone.localdate() + timedelta(days=7)
    return Course.objects.create(
        title="矩阵经纪人培训",
        level=Level.JUNIOR,
        hours=16,
        starts_on=start,
        ends_on=start + timedelta(days=2),
        provider="青岛市技术市场服务中心",
    )


@thing
def apps_team(w):
    """A "1+N" team serving w.home, run by the broker actor's agency, the broker actor in it."""
    team = ServiceTeam.objects.create(name="矩阵 1+N 团队", institution=w.home, office=w.broker_profile.agency)
    team.brokers.set([w.broker_profile])
    return team


def pk_of(name: str):
    return lambda w: {"pk": getattr(w, name).pk}


def _confirm_token(w) -> dict:
    return {"token": confirmation_token(w.apps_pending_subscription)}


def _unsubscribe_token(w) -> dict:
    return {"token": unsubscribe_token(w.apps_subscription)}


DRAFT_A = pk_of("apps_draft_achievement")
PUBLISHED_A = pk_of("apps_published_achievement")
INQUIRY = pk_of("apps_inquiry")

# Achievements ----------------------------------------------------------------------------------

ROWS_ACHIEVEMENTS: list[Row] = [
    # The public library.
    Row("achievements:list", PUBLIC),
    Row("achievements:detail", PUBLIC, kwargs=PUBLISHED_A),
    Row("achievements:detail", UNPUBLISHED, kwargs=DRAFT_A, note="another organization's draft does not exist"),
    Row(
        "achievements:detail",
        UNPUBLISHED,
        kwargs=pk_of("apps_evaluated_achievement"),
        note="the drawn expert reads it through the (blind) evaluation pages only, never the owner's page",
    ),
    # Inquiring: members of other verified organizations; everyone else is sent back to the listing.
    Row(
        "achievements:inquire",
        page(302, anon=LOGIN, foreign=200),
        kwargs=PUBLISHED_A,
        note="302: the owner's own members, users without an organization and staff cannot inquire",
    ),
    Row("achievements:inquire", page(302, anon=LOGIN, foreign=200), "POST", kwargs=PUBLISHED_A),
    Row("achievements:inquire", page(404, anon=LOGIN, org=302, staff=302), "POST", kwargs=DRAFT_A),
    # The organization's workspace.
    Row("achievements:workspace-list", ACTS_FOR_ORG),
    Row("achievements:create", ACTS_FOR_ORG),
    Row("achievements:create", ACTS_FOR_ORG, "POST", note="200: the empty form comes back with its errors"),
    Row("achievements:workspace-detail", OWN, kwargs=DRAFT_A, note="staff review in the admin, not here"),
    Row("achievements:edit", OWN, kwargs=DRAFT_A),
    Row("achievements:edit", OWN, "POST", kwargs=DRAFT_A),
    Row("achievements:submit", OWN_ACTION, "POST", kwargs=DRAFT_A),
    Row(
        "achievements:approve-internally",
        OWN_ACTION,
        "POST",
        kwargs=DRAFT_A,
        note="member: 302 with 'your role does not allow this' (admins approve)",
    ),
    Row("achievements:return", OWN_ACTION, "POST", kwargs=DRAFT_A),
    Row("achievements:withdraw", OWN_ACTION, "POST", kwargs=PUBLISHED_A),
    Row("achievements:mark-transferred", OWN_ACTION, "POST", kwargs=PUBLISHED_A),
    Row("achievements:confirm", OWN_ACTION, "POST", kwargs=PUBLISHED_A),
    Row(
        "achievements:track",
        OWN_ACTION,
        "POST",
        kwargs=PUBLISHED_A,
        note="reviewers may switch tracking in the admin; the workspace page is the organization's",
    ),
    Row("achievements:delete", OWN_ACTION, "POST", kwargs=DRAFT_A),
    Row("achievements:attach", OWN_ACTION, "POST", kwargs=DRAFT_A),
    Row("achievements:ledger-add", OWN_ACTION, "POST", kwargs=PUBLISHED_A),
    Row("achievements:problem-add", OWN_ACTION, "POST", kwargs=PUBLISHED_A),
    Row(
        "achievements:problem-update",
        page(404, anon=LOGIN, org=302, reviewer=302, administrator=302),
        "POST",
        kwargs=pk_of("apps_problem"),
        note="bureau reviewers follow up problems; other staff groups only read them (404 here)",
    ),
    # Inquiries: the asking organization (foreign) and the owner's side; staff read them.
    Row("achievements:inquiries", SIGNED_IN),
    Row("achievements:inquiry", page(404, anon=LOGIN, org=200, foreign=200, staff=200), kwargs=INQUIRY),
    Row(
        "achievements:inquiry",
        page(404, anon=LOGIN, org=200, foreign=200),
        "POST",
        kwargs=INQUIRY,
        note="200: the empty reply comes back with its errors; staff read but do not reply",
    ),
    Row(
        "achievements:inquiry-decline",
        page(404, anon=LOGIN, foreign=302),
        "POST",
        kwargs=INQUIRY,
        data={"reason": "price"},
        note="the asker declines; the owner's side answers instead",
    ),
    Row(
        "achievements:inquiry-start-deal",
        page(404, anon=LOGIN, org=302, foreign=302),
        "POST",
        kwargs=INQUIRY,
        note="302 for both parties (refused until the owner has answered)",
    ),
    # The institution's monthly report.
    Row("achievements:report", ACTS_FOR_ORG),
    Row("achievements:report-xlsx", ACTS_FOR_ORG),
    # Featured issues (好成果): published ones are public, drafts exist for bureau staff only.
    Row("achievements:featured", PUBLIC),
    Row("achievements:featured-rss", PUBLIC),
    Row("achievements:featured-atom", PUBLIC),
    Row("achievements:featured-issue", PUBLIC, kwargs=lambda w: {"number": w.apps_published_issue.number}),
    Row(
        "achievements:featured-issue",
        page(404, anon=404, staff=200),
        kwargs=lambda w: {"number": w.apps_draft_issue.number},
    ),
    Row("achievements:featured-print", PUBLIC, kwargs=lambda w: {"number": w.apps_published_issue.number}),
    Row(
        "achievements:featured-print",
        page(404, anon=404, staff=200),
        kwargs=lambda w: {"number": w.apps_draft_issue.number},
    ),
    Row(
        "achievements:featured-pdf",
        page(404, anon=404, staff=200),
        kwargs=lambda w: {"number": w.apps_draft_issue.number},
    ),
    # The digest's subscription: anyone subscribes; the mails' signed links need no account.
    Row("achievements:subscribe", PUBLIC),
    Row("achievements:subscribe", PUBLIC, "POST", note="200: the empty form comes back with its errors"),
    Row("achievements:subscription-confirm", PUBLIC, kwargs=_confirm_token),
    Row("achievements:subscription-confirm", PUBLIC, "POST", kwargs=_confirm_token),
    Row("achievements:unsubscribe", PUBLIC, kwargs=_unsubscribe_token),
    Row("achievements:unsubscribe", PUBLIC, "POST", kwargs=_unsubscribe_token, note="RFC 8058 one-click"),
    # The user's own subscriptions (the owner's here).
    Row("achievements:subscriptions", SIGNED_IN),
    Row(
        "achievements:subscription-update",
        page(404, anon=LOGIN, owner=302),
        "POST",
        kwargs=pk_of("apps_subscription"),
        data=lambda w: {f"s{w.apps_subscription.pk}-frequency": "monthly"},
    ),
    Row(
        "achievements:subscription-cancel",
        page(404, anon=LOGIN, owner=302),
        "POST",
        kwargs=pk_of("apps_subscription"),
    ),
]


DRAFT_D = pk_of("apps_draft_demand")
PUBLISHED_D = pk_of("apps_published_demand")
RESPONSE = pk_of("apps_response")
DRAFT_C = pk_of("apps_draft_challenge")
BID = pk_of("apps_bid")
# Those who may see the confidential demand's details: its organization, its broker, bureau staff.
CONFIDENTIAL_INSIDERS = page(404, anon=404, org=302, broker=302, staff=302)

# Demands, open challenges and pooled procurement -----------------------------------------------

ROWS_DEMANDS: list[Row] = [
    # The public board.
    Row("demands:list", PUBLIC),
    Row("demands:export", PUBLIC, note="the same masking as the board"),
    Row("demands:detail", PUBLIC, kwargs=PUBLISHED_D),
    Row("demands:detail", UNPUBLISHED, kwargs=DRAFT_D),
    Row(
        "demands:detail",
        PUBLIC,
        kwargs=pk_of("apps_confidential_demand"),
        note="a published confidential demand shows everyone its title and summary; details for insiders",
    ),
    Row(
        "demands:file",
        CONFIDENTIAL_INSIDERS,
        kwargs=lambda w: {"pk": w.apps_confidential_demand.pk, "number": 1},
        note="302: on to the private-file view, which checks again; outsiders get 404",
    ),
    Row(
        "demands:file",
        page(404, anon=404),
        kwargs=lambda w: {"pk": w.apps_confidential_demand.pk, "number": 9},
        note="no ninth attachment",
    ),
    Row(
        "demands:file",
        page(200, anon=200, org=302, staff=302),
        kwargs=lambda w: {"pk": w.apps_anonymous_demand.pk, "number": 1},
        note="200: whoever may not see the enterprise gets a clean copy under a neutral name",
    ),
    # Responding: members of other verified organizations; everyone else is sent back to the demand.
    Row("demands:respond", page(302, anon=LOGIN, foreign=200), kwargs=PUBLISHED_D),
    Row("demands:respond", page(302, anon=LOGIN, foreign=200), "POST", kwargs=PUBLISHED_D),
    Row("demands:respond", page(404, anon=LOGIN, org=302, staff=302), "POST", kwargs=DRAFT_D),
    # Recording a demand for an enterprise (需求挖掘): bureau staff and active brokers.
    Row("demands:record", page(403, anon=LOGIN, broker=200, staff=200)),
    Row("demands:record", page(403, anon=LOGIN, broker=200, staff=200), "POST"),
    # The enterprise's workspace.
    Row("demands:workspace-list", ACTS_FOR_ORG),
    Row("demands:create", ACTS_FOR_ORG),
    Row("demands:create", ACTS_FOR_ORG, "POST"),
    Row("demands:workspace-detail", OWN, kwargs=DRAFT_D),
    Row(
        "demands:workspace-detail",
        OWN,
        kwargs=pk_of("apps_confidential_demand"),
        note="the assigned broker sees the demand, not the enterprise's workspace",
    ),
    Row("demands:edit", OWN, kwargs=DRAFT_D),
    Row("demands:edit", OWN, "POST", kwargs=DRAFT_D),
    Row("demands:submit", OWN_ACTION, "POST", kwargs=DRAFT_D),
    Row("demands:confirm-recorded", OWN_ACTION, "POST", kwargs=DRAFT_D, note="refused by message unless recorded"),
    Row("demands:confirm", OWN_ACTION, "POST", kwargs=PUBLISHED_D),
    Row("demands:solve", OWN_ACTION, "POST", kwargs=PUBLISHED_D),
    Row("demands:close", OWN_ACTION, "POST", kwargs=PUBLISHED_D),
    Row("demands:reopen", OWN_ACTION, "POST", kwargs=PUBLISHED_D),
    Row("demands:delete", OWN_ACTION, "POST", kwargs=DRAFT_D),
    Row("demands:attach", OWN_ACTION, "POST", kwargs=DRAFT_D),
    # Responses: the responding organization (foreign) and the enterprise; staff read them.
    Row("demands:responses", SIGNED_IN),
    Row("demands:response", page(404, anon=LOGIN, org=200, foreign=200, staff=200), kwargs=RESPONSE),
    Row(
        "demands:response",
        page(404, anon=LOGIN, org=200, foreign=200),
        "POST",
        kwargs=RESPONSE,
        note="200: the empty message comes back with its errors; staff read but do not write",
    ),
    Row("demands:response-shortlist", page(404, anon=LOGIN, org=302), "POST", kwargs=RESPONSE),
    Row(
        "demands:response-decline",
        page(404, anon=LOGIN, org=302),
        "POST",
        kwargs=RESPONSE,
        data={"reason": "too_expensive"},
    ),
    Row("demands:response-start-deal", page(404, anon=LOGIN, org=302), "POST", kwargs=RESPONSE),
    Row("demands:response-withdraw", page(404, anon=LOGIN, foreign=302), "POST", kwargs=RESPONSE),
    # Open challenges (揭榜挂帅): public once the bureau published them.
    Row("demands:challenges", PUBLIC),
    Row("demands:challenge", PUBLIC, kwargs=pk_of("apps_challenge")),
    Row("demands:challenge", UNPUBLISHED, kwargs=DRAFT_C),
    Row(
        "demands:challenge-bid",
        page(302, anon=LOGIN, foreign=200),
        kwargs=pk_of("apps_open_challenge"),
        note="302: the issuer's members, users without an organization and staff cannot bid",
    ),
    Row("demands:challenge-bid", page(302, anon=LOGIN, foreign=200), "POST", kwargs=pk_of("apps_open_challenge")),
    Row(
        "demands:challenge-bid",
        page(302, anon=LOGIN, org=302),
        kwargs=lambda w: {"pk": w.apps_bid.challenge_id},
        note="the foreign organization has bid already: sent to its bid",
    ),
    Row(
        "demands:challenge-bid",
        page(404, anon=LOGIN, org=200, staff=200),
        kwargs=DRAFT_C,
        note="those who may see the draft get the page saying the window is not open",
    ),
    Row("demands:challenge-notice", PUBLIC, kwargs=pk_of("apps_awarded_challenge")),
    Row(
        "demands:challenge-notice",
        page(200, anon=LOGIN),
        "POST",
        kwargs=pk_of("apps_awarded_challenge"),
        note="anyone signed in may object while the notice runs; 200: the empty objection's errors",
    ),
    Row("demands:challenge-notice", page(404, anon=404), kwargs=pk_of("apps_challenge"), note="no award yet"),
    # The bidder's workspace (foreign bids on w.home's challenge; the issuer and staff read the bid).
    Row("demands:bids", SIGNED_IN),
    Row("demands:bid", page(404, anon=LOGIN, org=200, foreign=200, staff=200), kwargs=BID),
    Row("demands:bid-edit", page(404, anon=LOGIN, foreign=200), kwargs=BID),
    Row("demands:bid-edit", page(404, anon=LOGIN, foreign=200), "POST", kwargs=BID),
    Row("demands:bid-withdraw", page(404, anon=LOGIN, foreign=302), "POST", kwargs=BID),
    Row(
        "demands:milestone-report",
        page(404, anon=LOGIN, foreign=302),
        "POST",
        kwargs=pk_of("apps_milestone"),
        note="the winner (foreign) reports; the issuer and staff review in the admin",
    ),
    # The issuer's workspace.
    Row("demands:workspace-challenges", ACTS_FOR_ORG),
    Row("demands:challenge-create", ACTS_FOR_ORG),
    Row("demands:challenge-create", ACTS_FOR_ORG, "POST"),
    Row("demands:workspace-challenge", OWN, kwargs=DRAFT_C),
    Row("demands:workspace-challenge", OWN, kwargs=pk_of("apps_challenge"), note="bids are listed here"),
    Row("demands:challenge-edit", OWN, kwargs=DRAFT_C),
    Row("demands:challenge-edit", OWN, "POST", kwargs=DRAFT_C),
    Row("demands:challenge-milestone-add", OWN, "POST", kwargs=DRAFT_C, note="200: the empty milestone's errors"),
    Row(
        "demands:challenge-milestone-remove",
        OWN_ACTION,
        "POST",
        kwargs=lambda w: {
            "pk": w.apps_draft_challenge.pk,
            "milestone_pk": w.apps_draft_challenge.milestones.first().pk,
        },
    ),
    Row("demands:challenge-submit", OWN_ACTION, "POST", kwargs=DRAFT_C),
    # Pooled procurement (集采研发): public pools; members of verified enterprises pledge and open them.
    Row("demands:pools", PUBLIC),
    Row("demands:pool", PUBLIC, kwargs=pk_of("apps_pool")),
    Row(
        "demands:pool",
        page(200, anon=LOGIN),
        "POST",
        kwargs=pk_of("apps_pool"),
        note="200: the empty pledge's errors (the service refuses non-enterprises)",
    ),
    Row("demands:pool-create", ACTS_FOR_ORG),
    Row("demands:pool-create", ACTS_FOR_ORG, "POST"),
]


ENGAGEMENT = pk_of("apps_engagement")
# The broker works the engagement; the listing's organization and staff follow it read-only (403 on
# its actions, since they see it exists); everyone else gets 404.
ENGAGEMENT_ACTION_302 = page(404, anon=LOGIN, org=403, staff=403, broker=302)
ENGAGEMENT_FORM = page(404, anon=LOGIN, org=403, staff=403, broker=200)

# Brokers ---------------------------------------------------------------------------------------

ROWS_BROKERS: list[Row] = [
    # The public directory: active brokers only.
    Row("brokers:list", PUBLIC),
    Row("brokers:detail", PUBLIC, kwargs=lambda w: {"pk": w.broker_profile.pk}),
    Row(
        "brokers:detail",
        page(404, anon=404, staff=200),
        kwargs=pk_of("apps_pending_filing"),
        note="a filing not yet approved: its broker, its agency's admins and staff only",
    ),
    # The broker's own filing.
    Row("brokers:profile", SIGNED_IN, note="anyone signed in may file as a broker"),
    Row("brokers:profile", SIGNED_IN, "POST", note="200: the empty filing's errors"),
    Row("brokers:upgrade", page(404, anon=LOGIN, broker=302), "POST", note="404 without a filing"),
    # The agency's confirmations: admins of a transfer or service agency (none among the actors).
    Row("brokers:agency", page(403, anon=LOGIN)),
    Row("brokers:agency-confirm", page(403, anon=LOGIN), "POST", kwargs=pk_of("apps_pending_filing")),
    Row("brokers:agency-reject", page(403, anon=LOGIN), "POST", kwargs=pk_of("apps_pending_filing")),
    # Claims: an active broker claims a listing it may see.
    Row(
        "brokers:claim",
        ANYONE_SIGNED_IN_302,
        "POST",
        kwargs=lambda w: {"kind": "demand", "pk": w.apps_published_demand.pk},
        note="broker: 302 to the new engagement; anyone else: 302 back with the refusal",
    ),
    Row(
        "brokers:claim",
        page(404, anon=LOGIN, org=302, staff=302),
        "POST",
        kwargs=lambda w: {"kind": "achievement", "pk": w.apps_draft_achievement.pk},
        note="a draft exists for its organization and staff only (who are refused by message)",
    ),
    Row("brokers:claim", page(404, anon=LOGIN), "POST", kwargs={"kind": "pilot", "pk": 1}),
    # Engagements.
    Row("brokers:engagements", page(403, anon=LOGIN, broker=200), note="403 for users without a broker filing"),
    Row("brokers:engagement", page(404, anon=LOGIN, org=200, broker=200, staff=200), kwargs=ENGAGEMENT),
    Row("brokers:activity", ENGAGEMENT_FORM, "POST", kwargs=ENGAGEMENT, note="broker 200: the empty form's errors"),
    Row("brokers:negotiate", ENGAGEMENT_ACTION_302, "POST", kwargs=ENGAGEMENT),
    Row("brokers:deal", ENGAGEMENT_FORM, "POST", kwargs=ENGAGEMENT),
    Row("brokers:drop", ENGAGEMENT_FORM, "POST", kwargs=ENGAGEMENT),
    # Training.
    Row("brokers:courses", PUBLIC),
    Row("brokers:course", PUBLIC, kwargs=pk_of("apps_course")),
    Row(
        "brokers:enrol",
        ANYONE_SIGNED_IN_302,
        "POST",
        kwargs=pk_of("apps_course"),
        note="302 back to the course: enrolled (broker) or told to file as a broker first",
    ),
    Row("brokers:training-report", STAFF_PAGE_403),
    Row("brokers:training-report-xlsx", STAFF_PAGE_403),
    # "1+N" service teams: the institution's members, the team's brokers, staff.
    Row("brokers:teams", SIGNED_IN),
    Row("brokers:team", page(404, anon=LOGIN, org=200, broker=200, staff=200), kwargs=pk_of("apps_team")),
    # Performance and excellent brokers.
    Row("brokers:performance", STAFF_PAGE_403),
    Row("brokers:performance-export", STAFF_PAGE_403),
    Row(
        "brokers:excellent-select",
        page(403, anon=LOGIN, administrator=302),
        "POST",
        note="bureau administrators name the excellent brokers",
    ),
    Row("brokers:excellent", PUBLIC),
]

ROWS: list[Row] = ROWS_ACHIEVEMENTS + ROWS_DEMANDS + ROWS_BROKERS


def test_matrix_achievements(world):
    assert_rows(world, ROWS_ACHIEVEMENTS)


def test_matrix_demands(world):
    assert_rows(world, ROWS_DEMANDS)


def test_matrix_brokers(world):
    assert_rows(world, ROWS_BROKERS)
