"""Permission matrix, part API: every `/api/v1/` route (and the schema, Swagger UI and the OAuth2
token endpoints) × the thirteen actors × method.

How the API answers, and so how the table reads (marketplace/api/, docs/api.md):
- Session authentication answers a visitor with 403 ("not authenticated", DRF's answer when the
  first authenticator sends no WWW-Authenticate); a visitor may read what is public
  (IsAuthenticatedOrReadOnly), and a record it may not see is 404 like for everyone else.
- A record the caller may not see is 404, for reads and for actions alike; a record it sees but
  may not act on is 403 (the service's permission check); an action the lifecycle refuses, or an
  empty body the action needs, is 400 for a caller who is allowed in.
- Partner tokens: the scope catalogue (marketplace/scopes.py) is checked at authentication, so a
  token without the route's scope gets 403 before anything else, and a route closed to partners
  is 403 for every token. A partner is no person: past the scope check it sees what a visitor sees
  (a non-public record of w.home is 404).

The owner and member actors belong to w.home; the records below are w.home's unless said; the
other party of two-sided records (deals, inquiries, responses) is a third organization, so the
foreign actor is never a party.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.security.matrix import Row, assert_rows, expect, thing

pytestmark = pytest.mark.django_db

# --------------------------------------------------------------------------------------------
# Expectation shapes
# --------------------------------------------------------------------------------------------


def public_read(scope: bool = True) -> dict:
    """A public list or a public record: 200 for everyone; a token without scope 403 unless the
    route is reference data (any scope)."""
    return expect(200, partner_noscope=403 if scope else 200)


def hidden_read(*, anon=404, partner=404, **over) -> dict:
    """A non-public record of w.home on a route visitors may read: its members and staff see it."""
    table = {"anon": anon, "org": 200, "staff": 200, "partner": partner, "partner_noscope": 403}
    table.update(over)
    return expect(table.pop("default", 404), **table)


def private_list(**over) -> dict:
    """A list for people only (IsAuthenticated, closed to partners): 200 for any person."""
    table = {"anon": 403, "partners": 403}
    table.update(over)
    return expect(table.pop("default", 200), **table)


def private_detail(**over) -> dict:
    """A record of w.home on a route for people only: its members and staff read, others 404."""
    table = {"anon": 403, "partners": 403, "org": 200, "staff": 200}
    table.update(over)
    return expect(table.pop("default", 404), **table)


def action(*, anon=403, **over) -> dict:
    """A POST action on a record: unseen → 404; visitors and partner tokens (actions are never
    in the scope catalogue) 403; the rest as given."""
    table = {"anon": anon, "partners": 403}
    table.update(over)
    return expect(table.pop("default", 404), **table)


# --------------------------------------------------------------------------------------------
# The records the rows point at
# --------------------------------------------------------------------------------------------


@thing
def api_third_org(w):
    """The other party of w.home's deals, inquiries and responses (never the foreign actor's)."""
    from tests.factories.marketplace import MembershipFactory, OrganizationFactory

    org = OrganizationFactory(name="矩阵接口第三方大学", kind="university")
    MembershipFactory(organization=org, role="admin", user__username="m_api_third")
    return org


@thing
def api_industry_field(w):
    from marketplace.models import IndustryField

    return IndustryField.objects.get(code="new-energy-batteries")


@thing
def api_unverified_org(w):
    from tests.factories.marketplace import OrganizationFactory

    return OrganizationFactory(name="矩阵接口未认证企业", unverified=True)


@thing
def api_third_user(w):
    return w.api_third_org.memberships.get().user


def _achievement(w, **kwargs):
    from tests.factories.achievements import AchievementFactory

    kwargs.setdefault("organization", w.home)
    return AchievementFactory(fields=["new-energy-batteries"], **kwargs)


@thing
def api_published_achievement(w):
    return _achievement(w, title="矩阵接口固态电解质改性成果")


@thing
def api_draft_achievement(w):
    return _achievement(w, draft=True)


@thing
def api_submitted_achievement(w):
    return _achievement(w, submitted=True)


@thing
def api_internal_achievement(w):
    from achievements.enums import Status

    return _achievement(w, status=Status.INTERNAL_REVIEW, published_at=None, confirmed_at=None)


@thing
def api_third_achievement(w):
    return _achievement(w, organization=w.api_third_org, title="矩阵接口第三方正极材料成果")


@thing
def api_inquiry(w):
    """w.home's owner asks the third organization about its achievement (answered: both may
    start a deal)."""
    from achievements import services

    inquiry = services.inquiry_create(
        achievement=w.api_third_achievement, user=w.actor_owner, subject="合作咨询", body="请问可否提供小试数据？"
    )
    services.inquiry_reply(inquiry=inquiry, user=w.api_third_user, body="可以，请留下联系方式。")
    return inquiry


def _demand(w, **kwargs):
    from tests.factories.demands import DemandFactory

    kwargs.setdefault("organization", w.home)
    return DemandFactory(fields=["new-energy-batteries"], **kwargs)


@thing
def api_published_demand(w):
    return _demand(w, title="矩阵接口高镍正极循环寿命需求")


@thing
def api_draft_demand(w):
    """A draft with the broker actor assigned: the assigned broker sees it (design.md)."""
    demand = _demand(w, draft=True)
    demand.assigned_brokers.add(w.actor_broker)
    return demand


@thing
def api_recorded_demand(w):
    return _demand(w, recorded=True)


@thing
def api_submitted_demand(w):
    return _demand(w, submitted=True)


@thing
def api_negotiating_demand(w):
    return _demand(w, negotiating=True)


@thing
def api_response(w):
    """The third organization's response to w.home's published demand."""
    from tests.factories.demands import DemandResponseFactory

    return DemandResponseFactory(
        demand=w.api_published_demand, organization=w.api_third_org, created_by=w.api_third_user
    )


@thing
def api_match(w):
    """A stored match of w.home's demand with the third organization's achievement, and one of
    w.home's achievement with the third organization's demand."""
    from marketplace.models import Match

    return Match.objects.create(
        demand=w.api_published_demand, achievement=w.api_third_achievement, score=0.8, computed_at=timezone.now()
    )


@thing
def api_achievement_match(w):
    from marketplace.models import Match

    demand = _demand(w, organization=w.api_third_org)
    return Match.objects.create(
        demand=demand, achievement=w.api_published_achievement, score=0.8, computed_at=timezone.now()
    )


def _challenge(w, **kwargs):
    from tests.factories.challenges import ChallengeFactory

    kwargs.setdefault("organization", w.home)
    kwargs.setdefault("demand", None)
    return ChallengeFactory(**kwargs)


@thing
def api_challenge(w):
    """w.home's challenge, open for bids."""
    return _challenge(w, title="矩阵接口固态电池界面攻关")


@thing
def api_draft_challenge(w):
    return _challenge(w, draft=True)


@thing
def api_milestone_challenge(w):
    """A draft whose milestones leave part of the bounty unallotted (room for another tranche)."""
    return _challenge(w, draft=True, milestones=[("材料配方定型", Decimal("800000"))])


@thing
def api_draft_milestone(w):
    from demands.models import Milestone

    return Milestone.objects.filter(challenge=w.api_draft_challenge).first() or Milestone.objects.create(
        challenge=w.api_draft_challenge, title="阶段一", tranche=Decimal("100000.00"), due_on=timezone.localdate()
    )


@thing
def api_submitted_challenge(w):
    from demands.enums import ChallengeStatus

    return _challenge(w, status=ChallengeStatus.SUBMITTED, published_at=None)


@thing
def api_reviewing_challenge(w):
    return _challenge(w, reviewing=True)


@thing
def api_shortlisted_challenge(w):
    return _challenge(w, shortlisted=True)


@thing
def api_notice_challenge(w):
    return _challenge(w, notice=True)


@thing
def api_in_progress_challenge(w):
    return _challenge(w, in_progress=True)


@thing
def api_bid(w):
    """w.home's bid on the third organization's challenge (nobody else learns who bid)."""
    from tests.factories.challenges import BidFactory

    challenge = _challenge(w, organization=w.api_third_org)
    return BidFactory(challenge=challenge, organization=w.home, created_by=w.actor_owner)


@thing
def api_pool(w):
    from tests.factories.challenges import PooledProcurementFactory

    return PooledProcurementFactory(organization=w.api_third_org, title="矩阵接口印染废水集采")


@thing
def api_pledge(w):
    from tests.factories.challenges import PledgeFactory

    return PledgeFactory(pool=w.api_pool, organization=w.home)


@thing
def api_deal(w):
    """A signed deal: w.home buys the third organization's achievement; the broker actor is on it."""
    from tests.factories.deals import DealFactory

    deal = DealFactory(
        seller=w.api_third_org, buyer=w.home, achievement=w.api_third_achievement, signed=True, created_by=w.actor_owner
    )
    deal.brokers.add(w.actor_broker)
    return deal


@thing
def api_registered_deal(w):
    return w.api_contract.deal


@thing
def api_intent_deal(w):
    from tests.factories.deals import DealFactory

    return DealFactory(seller=w.api_third_org, buyer=w.home, achievement=w.api_third_achievement)


@thing
def api_contract(w):
    """A registered contract of a deal between w.home and the third organization."""
    from marketplace.enums import RegistrationStatus
    from marketplace.models import ContractRegistration
    from tests.factories.deals import DealFactory

    deal = DealFactory(seller=w.api_third_org, buyer=w.home, signed=True)
    deal.brokers.add(w.actor_broker)
    return ContractRegistration.objects.create(
        deal=deal,
        organization=w.home,
        title="矩阵接口已登记合同",
        category="transfer",
        subtype="technical_secret",
        total_amount=Decimal(100000),
        technology_amount=Decimal(90000),
        status=RegistrationStatus.REGISTERED,
        registration_number="2026370200007777",
        registered_at=timezone.now(),
    )


@thing
def api_round(w):
    """An evaluation round of w.home's achievement with the expert actor drawn (the only expert)."""
    from marketplace.services.evaluation import round_create, round_draw

    w.expert_profile  # noqa: B018 -- the one expert there is to draw
    evaluation = round_create(
        user=None,
        title="矩阵接口成果评价",
        subjects=[w.api_published_achievement],
        deadline=timezone.now() + timedelta(days=7),
        expert_count=1,
    )
    round_draw(evaluation=evaluation, user=w.actor_reviewer, seed=1)
    return evaluation


@thing
def api_draft_round(w):
    from marketplace.services.evaluation import round_create

    return round_create(
        user=None,
        title="矩阵接口待抽取评价",
        subjects=[w.api_published_achievement],
        deadline=timezone.now() + timedelta(days=7),
        expert_count=1,
    )


@thing
def api_assignment(w):
    return w.api_round.assignments.get()


@thing
def api_engagement(w):
    """The broker actor's engagement on w.home's published demand."""
    from brokers.services import engagement_claim

    return engagement_claim(user=w.actor_broker, demand=w.api_published_demand)


@thing
def api_base(w):
    from tests.factories.pilots import PilotBaseFactory

    return PilotBaseFactory(operator=w.api_third_org, name="矩阵接口精细化工中试基地")


@thing
def api_draft_base(w):
    """A base of w.home not filed yet: its members and staff see it."""
    from pilots.enums import FilingStatus
    from tests.factories.pilots import PilotBaseFactory

    return PilotBaseFactory(operator=w.home, status=FilingStatus.DRAFT, approved_at=None, filing_number="")


@thing
def api_service_request(w):
    """w.home asks the third organization's base (submitted)."""
    from tests.factories.pilots import ServiceRequestFactory

    return ServiceRequestFactory(base=w.api_base, organization=w.home, requested_by=w.actor_owner)


@thing
def api_quoted_request(w):
    from pilots.enums import RequestStatus
    from tests.factories.pilots import ServiceRequestFactory

    return ServiceRequestFactory(
        base=w.api_base,
        organization=w.home,
        requested_by=w.actor_owner,
        status=RequestStatus.QUOTED,
        quoted_amount=Decimal(50000),
    )


@thing
def api_event(w):
    from tests.factories.events import EventFactory

    return EventFactory(organizer=w.api_third_org, title="矩阵接口新能源对接会")


@thing
def api_draft_event(w):
    """A draft event organized by w.home."""
    from events.enums import EventStatus
    from tests.factories.events import EventFactory

    return EventFactory(organizer=w.home, status=EventStatus.DRAFT, published_at=None)


@thing
def api_registration(w):
    """w.home's owner registered for the third organization's event."""
    from tests.factories.events import RegistrationFactory

    return RegistrationFactory(event=w.api_event, user=w.actor_owner, organization=w.home)


@thing
def api_favourite(w):
    from marketplace.services.saved_searches import favourite_add

    return favourite_add(user=w.actor_owner, kind="achievement", object_id=w.api_published_achievement.pk)


@thing
def api_saved_search(w):
    from marketplace.search import SearchFilters
    from marketplace.services.saved_searches import saved_search_create

    return saved_search_create(user=w.actor_owner, name="电池", query="正极材料", filters=SearchFilters())


@thing
def api_endpoint(w):
    """A webhook endpoint of the `partner` actor's partner."""
    from marketplace.services.webhooks import webhook_endpoint_create

    return webhook_endpoint_create(
        partner=w.partner_credentials.partner_application.organization,
        url="https://partner.example.cn/hooks",
        events=["achievement.published"],
    )


@thing
def api_delivery(w):
    from marketplace.models import WebhookDelivery

    return WebhookDelivery.objects.create(
        endpoint=w.api_endpoint, event="achievement.published", event_id=uuid.uuid4(), payload={"id": "matrix"}
    )


@thing
def api_partner_achievement(w):
    """An achievement the `partner` actor wrote by reference (draft: never on the market)."""
    from achievements.services_partner import ACHIEVEMENTS
    from marketplace.services.partners import listing_partner_upsert

    record, _created = listing_partner_upsert(
        ACHIEVEMENTS,
        partner_application=w.partner_credentials.partner_application,
        external_ref="MX-A1",
        organization=w.home,
        listed=False,
        fields={
            "title": "矩阵接口合作伙伴成果",
            "summary": "合作伙伴写入的成果。",
            "category": "industrial",
            "trl": 5,
            "price_negotiable": True,
        },
        children={},
    )
    return record


def pk(name: str, key: str = "pk"):
    return lambda w: {key: getattr(w, name).pk}


def nested(parent: str, parent_key: str, child: str | None = None):
    def kwargs(w):
        values = {parent_key: getattr(w, parent).pk}
        if child is not None:
            values["pk"] = getattr(w, child).pk
        return values

    return kwargs


# --------------------------------------------------------------------------------------------
# Reference data, organizations, brokers, search, schema, tokens
# --------------------------------------------------------------------------------------------

ROWS_REFERENCE: list[Row] = [
    Row("v1:region-list", public_read(scope=False)),
    Row("v1:region-detail", public_read(scope=False), kwargs={"code": "370202"}),
    Row("v1:region-list", expect(405, partners=403), method="POST", note="read-only; a token has no write scope"),
    Row("v1:industry-field-list", public_read(scope=False)),
    Row(
        "v1:industry-field-detail",
        public_read(scope=False),
        kwargs=pk("api_industry_field"),
    ),
    Row("v1:organization-list", public_read(scope=False)),
    Row("v1:organization-detail", public_read(scope=False), kwargs=lambda w: {"pk": w.home.pk}),
    Row(
        "v1:organization-detail",
        expect(404, partner_noscope=404),
        kwargs=pk("api_unverified_org"),
        note="the API's organizations are the public directory of verified members, for staff too "
        "(they review organizations in the admin)",
    ),
    Row("v1:organization-list", expect(405, partners=403), method="POST"),
    Row("v1:broker-list", public_read(scope=False)),
    Row("v1:broker-detail", public_read(scope=False), kwargs=lambda w: {"pk": w.broker_profile.pk}),
    Row("v1:search-list", public_read(scope=False), query="?q=正极材料"),
    Row("v1:match-achievements-list", public_read(), query="?q=高镍正极材料循环寿命"),
    Row(
        "v1:stats-list",
        expect(403, staff=200, partner=200),
        note="bureau staff and partner systems (contracts:read) only: members are refused",
    ),
    Row("api-not-found", expect(404), kwargs={}),
    Row("api-not-found", expect(404), method="POST"),
    Row("api-schema", expect(200)),
    Row("api-docs", expect(200)),
    Row("oauth-token", expect(400), method="POST", note="no client credentials: invalid request (not a person's page)"),
    Row("oauth-revoke-token", expect(400), method="POST", note="no token and no client: refused"),
]


def test_matrix_api_reference(world):
    assert_rows(world, ROWS_REFERENCE)


# --------------------------------------------------------------------------------------------
# Achievements, inquiries, matches, favourites, saved searches
# --------------------------------------------------------------------------------------------

DRAFT_ACH = pk("api_draft_achievement")
PUB_ACH = pk("api_published_achievement")
SUB_ACH = pk("api_submitted_achievement")
ORG_EDITS = {"org": 200, "staff": 403}

ROWS_ACHIEVEMENTS: list[Row] = [
    Row("v1:achievement-list", public_read()),
    Row(
        "v1:achievement-list",
        expect(400, anon=403, foreign=400, broker=403, expert=403, staff=403, partners=403),
        method="POST",
        note="members of an organization are let in and told what is missing; people without one 403",
    ),
    Row("v1:achievement-detail", public_read(), kwargs=PUB_ACH),
    Row("v1:achievement-detail", hidden_read(), kwargs=DRAFT_ACH),
    Row(
        "v1:achievement-detail",
        action(org=200, staff=404),
        method="PATCH",
        kwargs=DRAFT_ACH,
        data={},
        note="edits reach only the caller's organization's achievements: staff 404 too",
    ),
    Row(
        "v1:achievement-detail",
        action(org=400, staff=404),
        method="PUT",
        kwargs=DRAFT_ACH,
        note="PUT needs the whole record",
    ),
    Row("v1:achievement-detail", action(org=204, staff=404), method="DELETE", kwargs=DRAFT_ACH),
    Row(
        "v1:achievement-detail",
        action(org=400, staff=404),
        method="DELETE",
        kwargs=PUB_ACH,
        note="edits reach only one's own (404 for the foreign actor though it is public); a published "
        "one is withdrawn, not deleted (400)",
    ),
    Row("v1:achievement-submit", action(org=200, staff=403), method="POST", kwargs=DRAFT_ACH),
    Row(
        "v1:achievement-approve-internally",
        action(owner=200, member=403, staff=403),
        method="POST",
        kwargs=pk("api_internal_achievement"),
    ),
    Row(
        "v1:achievement-return",
        action(owner=200, member=403, staff=403),
        method="POST",
        kwargs=pk("api_internal_achievement"),
        data={"reason": "请补充知识产权信息。"},
    ),
    Row(
        "v1:achievement-publish",
        action(org=403, staff=403, reviewer=200, administrator=200),
        method="POST",
        kwargs=SUB_ACH,
    ),
    Row(
        "v1:achievement-reject",
        action(org=403, staff=403, reviewer=200, administrator=200),
        method="POST",
        kwargs=SUB_ACH,
        data={"reason": "请补充技术指标。"},
    ),
    Row(
        "v1:achievement-withdraw",
        action(org=200, staff=403, foreign=403, broker=403, expert=403),
        method="POST",
        kwargs=PUB_ACH,
    ),
    Row(
        "v1:achievement-mark-transferred",
        action(org=200, staff=403, foreign=403, broker=403, expert=403),
        method="POST",
        kwargs=PUB_ACH,
    ),
    Row(
        "v1:achievement-confirm",
        action(org=200, staff=403, foreign=403, broker=403, expert=403),
        method="POST",
        kwargs=PUB_ACH,
    ),
    Row(
        "v1:achievement-by-ref-detail",
        expect(403, partner=200),
        kwargs=lambda w: {"external_ref": w.api_partner_achievement.external_ref},
        note="partners only (IsPartner): people 403",
    ),
    Row("v1:achievement-by-ref-detail", expect(403, partner=400), method="PUT", kwargs={"external_ref": "MX-A2"}),
    Row("v1:achievement-by-ref-detail", expect(403, partner=404), method="DELETE", kwargs={"external_ref": "MX-A404"}),
    Row("v1:achievement-match-list", private_detail(), kwargs=nested("api_published_achievement", "achievement_pk")),
    Row(
        "v1:achievement-match-feedback",
        action(org=200, staff=404),
        method="POST",
        kwargs=lambda w: {"achievement_pk": w.api_published_achievement.pk, "pk": w.api_achievement_match.pk},
        data={"verdict": "useful"},
        note="feedback is from the people the match was shown to: staff read it but give none (404)",
    ),
    Row("v1:inquiry-list", private_list()),
    Row(
        "v1:inquiry-list",
        private_list(default=403, foreign=201),
        method="POST",
        data=lambda w: {"achievement": w.api_published_achievement.pk, "body": "请问可否提供小试数据？"},
        note="any other organization's member asks; the owner's members, people without an organization "
        "and staff are refused (403)",
    ),
    Row("v1:inquiry-detail", private_detail(), kwargs=pk("api_inquiry")),
    Row(
        "v1:inquiry-decline",
        action(org=200, staff=403),
        method="POST",
        kwargs=pk("api_inquiry"),
        data={"reason": "price"},
    ),
    Row("v1:inquiry-start-deal", action(org=200, staff=403), method="POST", kwargs=pk("api_inquiry")),
    Row("v1:inquiry-message-list", private_detail(), kwargs=nested("api_inquiry", "inquiry_pk")),
    Row(
        "v1:inquiry-message-list",
        action(org=201, staff=403),
        method="POST",
        kwargs=nested("api_inquiry", "inquiry_pk"),
        data={"body": "请问样品何时可寄出？"},
    ),
    Row("v1:favourite-list", private_list()),
    Row(
        "v1:favourite-list",
        private_list(default=201),
        method="POST",
        data=lambda w: {"kind": "achievement", "object_id": w.api_published_achievement.pk},
    ),
    Row(
        "v1:favourite-detail",
        action(owner=204, staff=404),
        method="DELETE",
        kwargs=pk("api_favourite"),
        note="a user's own: other members of the organization and staff 404",
    ),
    Row("v1:saved-search-list", private_list()),
    Row("v1:saved-search-list", private_list(default=201), method="POST", data={"name": "电池", "query": "正极材料"}),
    Row("v1:saved-search-detail", private_detail(org=404, owner=200, staff=404), kwargs=pk("api_saved_search")),
    Row("v1:saved-search-detail", action(owner=204, staff=404), method="DELETE", kwargs=pk("api_saved_search")),
]


def test_matrix_api_achievements(world):
    assert_rows(world, ROWS_ACHIEVEMENTS)


# --------------------------------------------------------------------------------------------
# Demands, responses, matches
# --------------------------------------------------------------------------------------------

DRAFT_DEMAND = pk("api_draft_demand")
PUB_DEMAND = pk("api_published_demand")
RESPONSE = nested("api_published_demand", "demand_pk", "api_response")

ROWS_DEMANDS: list[Row] = [
    Row("v1:demand-list", public_read()),
    Row("v1:demand-list", expect(400, anon=403, broker=403, expert=403, staff=403, partners=403), method="POST"),
    Row("v1:demand-detail", public_read(), kwargs=PUB_DEMAND),
    Row("v1:demand-detail", hidden_read(broker=200), kwargs=DRAFT_DEMAND, note="the assigned broker sees the draft"),
    Row("v1:demand-detail", action(org=200, staff=404, broker=404), method="PATCH", kwargs=DRAFT_DEMAND, data={}),
    Row("v1:demand-detail", action(org=400, staff=404, broker=404), method="PUT", kwargs=DRAFT_DEMAND),
    Row("v1:demand-detail", action(org=204, staff=404, broker=404), method="DELETE", kwargs=DRAFT_DEMAND),
    Row("v1:demand-submit", action(org=200, staff=403, broker=403), method="POST", kwargs=DRAFT_DEMAND),
    Row(
        "v1:demand-confirm-recorded",
        action(owner=200, member=403, staff=403),
        method="POST",
        kwargs=pk("api_recorded_demand"),
    ),
    Row(
        "v1:demand-publish",
        action(org=403, staff=403, reviewer=200, administrator=200),
        method="POST",
        kwargs=pk("api_submitted_demand"),
    ),
    Row(
        "v1:demand-reject",
        action(org=403, staff=403, reviewer=200, administrator=200),
        method="POST",
        kwargs=pk("api_submitted_demand"),
        data={"reason": "请补充技术指标。"},
    ),
    Row("v1:demand-solve", action(org=200, default=403), method="POST", kwargs=PUB_DEMAND),
    Row("v1:demand-close", action(org=200, default=403), method="POST", kwargs=PUB_DEMAND),
    Row("v1:demand-reopen", action(org=200, default=403), method="POST", kwargs=pk("api_negotiating_demand")),
    Row("v1:demand-confirm", action(org=200, default=403), method="POST", kwargs=PUB_DEMAND),
    Row("v1:demand-by-ref-detail", expect(403, partner=404), kwargs={"external_ref": "MX-D404"}),
    Row("v1:demand-by-ref-detail", expect(403, partner=400), method="PUT", kwargs={"external_ref": "MX-D2"}),
    Row("v1:demand-by-ref-detail", expect(403, partner=404), method="DELETE", kwargs={"external_ref": "MX-D404"}),
    Row(
        "v1:demand-response-list",
        private_list(),
        kwargs=nested("api_published_demand", "demand_pk"),
        note="everyone sees the public demand; each sees the responses they may (their own)",
    ),
    Row(
        "v1:demand-response-list",
        expect(400, anon=403, partners=403, org=400),
        method="POST",
        kwargs=nested("api_published_demand", "demand_pk"),
        note="TODO",
    ),
    Row("v1:demand-response-detail", private_detail(), kwargs=RESPONSE),
    Row("v1:demand-response-shortlist", action(org=200, staff=403), method="POST", kwargs=RESPONSE),
    Row(
        "v1:demand-response-decline",
        action(org=200, staff=403),
        method="POST",
        kwargs=RESPONSE,
        data={"reason": "too_expensive"},
    ),
    Row("v1:demand-response-start-deal", action(org=200, staff=403), method="POST", kwargs=RESPONSE),
    Row(
        "v1:demand-response-withdraw",
        action(org=403, staff=403),
        method="POST",
        kwargs=RESPONSE,
        note="the responder withdraws, not the enterprise",
    ),
    Row(
        "v1:demand-response-message-list",
        private_detail(),
        kwargs=lambda w: {"demand_pk": w.api_published_demand.pk, "response_pk": w.api_response.pk},
    ),
    Row(
        "v1:demand-response-message-list",
        action(org=201, staff=403),
        method="POST",
        kwargs=lambda w: {"demand_pk": w.api_published_demand.pk, "response_pk": w.api_response.pk},
        data={"body": "请补充团队介绍。"},
    ),
    Row("v1:demand-match-list", private_detail(), kwargs=nested("api_published_demand", "demand_pk")),
    Row(
        "v1:demand-match-feedback",
        action(org=200, staff=404),
        method="POST",
        kwargs=lambda w: {"demand_pk": w.api_published_demand.pk, "pk": w.api_match.pk},
        data={"verdict": "useful"},
    ),
]


def test_matrix_api_demands(world):
    assert_rows(world, ROWS_DEMANDS)


# --------------------------------------------------------------------------------------------
# Challenges, bids, objections, pooled procurement, pledges
# --------------------------------------------------------------------------------------------

CHALLENGE = pk("api_challenge")
# The bureau's reviewers run a challenge once it is submitted (manage_challenge); the issuer is refused.
RUN = {"org": 403, "staff": 403, "reviewer": 200, "administrator": 200, "foreign": 403, "broker": 403, "expert": 403}

BID_KW = lambda w: {"challenge_pk": w.api_bid.challenge_id, "pk": w.api_bid.pk}  # noqa: E731
BID = {
    "proposal": "采用卤化物包覆层隔离硫化物电解质。",
    "team": "课题组 5 人。",
    "plan": "12 个月。",
    "budget": "1500000.00",
}

ROWS_CHALLENGES: list[Row] = [
    Row("v1:challenge-list", public_read()),
    Row(
        "v1:challenge-list",
        expect(400, anon=403, broker=403, expert=403, staff=403, reviewer=400, administrator=400, partners=403),
        method="POST",
        note="members create for their organization, reviewers for any (told what is missing)",
    ),
    Row("v1:challenge-detail", public_read(), kwargs=CHALLENGE),
    Row("v1:challenge-detail", hidden_read(), kwargs=pk("api_draft_challenge")),
    Row(
        "v1:challenge-detail",
        action(org=200, staff=403, reviewer=200, administrator=200),
        method="PATCH",
        kwargs=pk("api_draft_challenge"),
        data={"eligibility": "国内注册的高校或企业。"},
        note="the issuer's members change a draft; bureau reviewers may change any (change_challenge)",
    ),
    Row("v1:challenge-submit", action(org=200, staff=403), method="POST", kwargs=pk("api_draft_challenge")),
    Row(
        "v1:challenge-milestones",
        action(org=201, staff=403, reviewer=201, administrator=201),
        method="POST",
        kwargs=pk("api_milestone_challenge"),
        data={"title": "阶段二", "due_date": "2027-06-30", "tranche": "1000.00"},
        note="the issuer's members on a draft; bureau reviewers on any challenge",
    ),
    Row(
        "v1:challenge-milestone",
        action(org=204, staff=403, reviewer=204, administrator=204),
        method="DELETE",
        kwargs=lambda w: {"pk": w.api_draft_challenge.pk, "milestone_pk": w.api_draft_milestone.pk},
    ),
    Row(
        "v1:challenge-publish",
        action(**{**RUN, "foreign": 404, "broker": 404, "expert": 404}),
        method="POST",
        kwargs=pk("api_submitted_challenge"),
        note="a submitted challenge is not public yet: 404 outside",
    ),
    Row("v1:challenge-close-bidding", action(**RUN), method="POST", kwargs=CHALLENGE),
    Row(
        "v1:challenge-shortlist",
        action(**{**RUN, "reviewer": 400, "administrator": 400}),
        method="POST",
        kwargs=pk("api_reviewing_challenge"),
        note="no bids named: 400 once let in",
    ),
    Row(
        "v1:challenge-award",
        action(**{**RUN, "reviewer": 400, "administrator": 400}),
        method="POST",
        kwargs=pk("api_shortlisted_challenge"),
        note="no bids named: 400 once let in",
    ),
    Row(
        "v1:challenge-contract",
        action(**{**RUN, "reviewer": 400, "administrator": 400}),
        method="POST",
        kwargs=pk("api_notice_challenge"),
        note="the public notice is still running: 400 once let in",
    ),
    Row(
        "v1:challenge-fail",
        action(**RUN),
        method="POST",
        kwargs=pk("api_in_progress_challenge"),
        data={"reason": "技术路线未达预期。"},
    ),
    Row("v1:challenge-bid-list", private_list(), kwargs=nested("api_challenge", "challenge_pk")),
    Row(
        "v1:challenge-bid-list",
        private_list(default=403, foreign=201),
        method="POST",
        kwargs=nested("api_challenge", "challenge_pk"),
        data=BID,
        note="members of a verified organization other than the issuer bid (the issuer, people without "
        "an organization and staff 403)",
    ),
    Row("v1:challenge-bid-detail", private_detail(), kwargs=BID_KW),
    Row(
        "v1:challenge-bid-detail",
        action(org=200, staff=403),
        method="PATCH",
        data={"team": "课题组 5 人。"},
        kwargs=BID_KW,
        note="only the bidder's members edit; staff read it but are refused",
    ),
    Row("v1:challenge-bid-detail", action(org=400, staff=403), method="PUT", kwargs=BID_KW),
    Row("v1:challenge-bid-withdraw", action(org=200, staff=403), method="POST", kwargs=BID_KW),
    Row("v1:challenge-objection-list", private_list(), kwargs=nested("api_notice_challenge", "challenge_pk")),
    Row(
        "v1:challenge-objection-list",
        private_list(default=201),
        method="POST",
        kwargs=nested("api_notice_challenge", "challenge_pk"),
        data={"text": "中标单位与发榜企业存在关联关系。"},
        note="anyone logged in objects during the public notice",
    ),
    Row("v1:pooled-procurement-list", public_read()),
    Row(
        "v1:pooled-procurement-list",
        private_list(default=403, org=400, foreign=400, reviewer=400, administrator=400),
        method="POST",
        note="members of verified enterprises and reviewers open pools",
    ),
    Row("v1:pooled-procurement-detail", public_read(), kwargs=pk("api_pool")),
    Row("v1:pledge-list", private_list(), kwargs=nested("api_pool", "pool_pk")),
    Row(
        "v1:pledge-list",
        expect(415, anon=403, partners=403),
        method="POST",
        kwargs=nested("api_pool", "pool_pk"),
        note="multipart only: a JSON body is refused (415) for people; partner tokens are refused (403) first",
    ),
    Row("v1:pledge-detail", private_detail(), kwargs=nested("api_pool", "pool_pk", "api_pledge")),
]


def test_matrix_api_challenges(world):
    assert_rows(world, ROWS_CHALLENGES)


# --------------------------------------------------------------------------------------------
# Deals, payments, contract registration, registered contracts
# --------------------------------------------------------------------------------------------

DEAL = pk("api_deal")
PARTY = {"org": 200, "broker": 200, "staff": 403}

ROWS_DEALS: list[Row] = [
    Row("v1:deal-list", private_list()),
    Row("v1:deal-list", private_list(default=400), method="POST", note="starts from a stored match: none named"),
    Row("v1:deal-detail", private_detail(broker=200), kwargs=DEAL),
    Row(
        "v1:deal-detail",
        action(org=200, staff=403),
        method="PATCH",
        kwargs=pk("api_intent_deal"),
        data={"title": "矩阵接口交易", "kind": "transfer"},
    ),
    Row(
        "v1:deal-detail",
        action(default=405, anon=403),
        method="PUT",
        kwargs=DEAL,
        note="terms change by PATCH only; PUT is not implemented (405 before the record is looked up)",
    ),
    Row("v1:deal-negotiate", action(org=200, staff=403), method="POST", kwargs=pk("api_intent_deal")),
    Row(
        "v1:deal-sign",
        action(org=200, staff=403),
        method="POST",
        kwargs=pk("api_intent_deal"),
        data={"signed_on": "2026-11-01"},
        note="the broker is not on this deal: 404",
    ),
    Row("v1:deal-perform", action(org=200, broker=403, staff=403), method="POST", kwargs=DEAL),
    Row(
        "v1:deal-complete",
        action(org=400, broker=403, staff=403),
        method="POST",
        kwargs=DEAL,
        note="a signed deal is not performing yet: 400 for the parties",
    ),
    Row(
        "v1:deal-fail",
        action(org=200, broker=403, staff=403),
        method="POST",
        kwargs=DEAL,
        data={"reason": "双方未能就付款方式达成一致。"},
    ),
    Row("v1:deal-registration", private_detail(broker=200), kwargs=pk("api_registered_deal")),
    Row(
        "v1:deal-registration",
        private_detail(org=404, staff=404),
        kwargs=DEAL,
        note="none written yet: 404 for everyone who sees the deal",
    ),
    Row(
        "v1:deal-registration",
        action(org=400, broker=400, staff=400),
        method="PUT",
        kwargs=DEAL,
        note="the body is validated before the party check (the service refuses a non-party's valid body with 403)",
    ),
    Row(
        "v1:deal-registration-contract",
        action(org=415, broker=415, staff=415),
        method="POST",
        kwargs=pk("api_registered_deal"),
        note="multipart only: a JSON body is 415 for whoever sees the deal; partner tokens are refused first",
    ),
    Row(
        "v1:deal-registration-submit",
        action(org=403, broker=403, staff=403),
        method="POST",
        kwargs=pk("api_registered_deal"),
        note="a registered registration is no longer the parties' to change (change permission): 403",
    ),
    Row("v1:deal-payment-list", private_detail(broker=200), kwargs=nested("api_deal", "deal_pk")),
    Row(
        "v1:deal-payment-list",
        action(org=201, broker=403, staff=403),
        method="POST",
        kwargs=nested("api_deal", "deal_pk"),
        data=lambda w: {"amount": "1000.00", "received_on": timezone.localdate().isoformat()},
    ),
    Row(
        "v1:deal-payment-list",
        action(org=400, broker=400, staff=400),
        method="POST",
        kwargs=nested("api_deal", "deal_pk"),
        note="empty body: 404 still for those who do not see the deal",
    ),
    Row("v1:contract-list", expect(200, anon=403, partner_noscope=403)),
    Row(
        "v1:contract-detail",
        expect(404, anon=403, partner_noscope=403, org=200, staff=200, partner=200),
        kwargs=pk("api_contract"),
        note="partners with contracts:read read every registered contract (the registry reports them anyway)",
    ),
    Row("v1:contract-by-ref-detail", expect(403, partner=404), kwargs={"external_ref": "MX-C404"}),
    Row("v1:contract-by-ref-detail", expect(403, partner=400), method="PUT", kwargs={"external_ref": "MX-C2"}),
]


def test_matrix_api_deals(world):
    assert_rows(world, ROWS_DEALS)


# --------------------------------------------------------------------------------------------
# Evaluation rounds
# --------------------------------------------------------------------------------------------

ROUND = pk("api_round")
EXPERT_ONLY = {"expert": 200, "staff": 403}
ROUND_RUNNER = {"staff": 403, "reviewer": 200, "administrator": 200, "expert": 403}

ROWS_EVALUATIONS: list[Row] = [
    Row("v1:evaluation-list", private_list()),
    Row(
        "v1:evaluation-detail",
        private_detail(org=404, expert=200),
        kwargs=ROUND,
        note="the owner of the subject does not see the round; the drawn expert does",
    ),
    Row("v1:evaluation-scores", private_detail(org=404, expert=200, staff=403), kwargs=ROUND),
    Row("v1:evaluation-scores", action(expert=400, staff=403), method="POST", kwargs=ROUND),
    Row("v1:evaluation-submit", action(expert=400, staff=403), method="POST", kwargs=ROUND),
    Row(
        "v1:evaluation-decline",
        action(expert=200, staff=403),
        method="POST",
        kwargs=ROUND,
        data={"reason": "与申报单位存在合作关系。"},
    ),
    Row(
        "v1:evaluation-draw",
        action(**{**ROUND_RUNNER, "reviewer": 400, "administrator": 400}),
        method="POST",
        kwargs=ROUND,
        note="already drawn: 400 once let in",
    ),
    Row("v1:evaluation-draw", action(**{**ROUND_RUNNER, "expert": 404}), method="POST", kwargs=pk("api_draft_round")),
    Row("v1:evaluation-close", action(**ROUND_RUNNER), method="POST", kwargs=ROUND),
    Row("v1:evaluation-cancel", action(**ROUND_RUNNER), method="POST", kwargs=ROUND),
    Row(
        "v1:evaluation-assignment-replace",
        action(**{**ROUND_RUNNER, "reviewer": 400, "administrator": 400}),
        method="POST",
        note="the expert has not declined: 400 once let in",
        kwargs=lambda w: {"pk": w.api_round.pk, "assignment_pk": w.api_assignment.pk},
    ),
]


def test_matrix_api_evaluations(world):
    assert_rows(world, ROWS_EVALUATIONS)


# --------------------------------------------------------------------------------------------
# Brokers' engagements, pilot bases and service requests, events and registrations
# --------------------------------------------------------------------------------------------

ENGAGEMENT = pk("api_engagement")
REQUEST = pk("api_service_request")
OPERATOR_STEP = {"org": 403, "staff": 403}
EVENT_REG = lambda w: {"event_pk": w.api_event.pk, "pk": w.api_registration.pk}  # noqa: E731

ROWS_SERVICES: list[Row] = [
    Row("v1:engagement-list", private_list()),
    Row(
        "v1:engagement-list",
        private_list(default=403, broker=201),
        method="POST",
        data=lambda w: {"demand": w.api_published_demand.pk},
        note="only an active broker claims",
    ),
    Row("v1:engagement-detail", private_detail(broker=200), kwargs=ENGAGEMENT),
    Row("v1:engagement-activities", private_detail(broker=200), kwargs=ENGAGEMENT),
    Row(
        "v1:engagement-activities",
        action(broker=201, org=403, staff=403),
        method="POST",
        kwargs=ENGAGEMENT,
        data={"kind": "visit", "note": "上门拜访企业技术负责人。", "occurred_on": "2026-11-20"},
    ),
    Row(
        "v1:engagement-advance",
        action(broker=400, org=403, staff=403),
        method="POST",
        kwargs=ENGAGEMENT,
        data={"stage": "proposal"},
        note="claimed → proposal skips contacted: 400 for the broker",
    ),
    Row(
        "v1:engagement-drop",
        action(broker=200, org=403, staff=403),
        method="POST",
        kwargs=ENGAGEMENT,
        data={"reason": "企业暂缓项目。"},
    ),
    Row("v1:pilot-base-list", public_read()),
    Row("v1:pilot-base-detail", public_read(), kwargs=pk("api_base")),
    Row("v1:pilot-base-detail", hidden_read(), kwargs=pk("api_draft_base")),
    Row("v1:service-request-list", private_list()),
    Row("v1:service-request-list", private_list(default=400), method="POST"),
    Row("v1:service-request-detail", private_detail(), kwargs=REQUEST),
    Row(
        "v1:service-request-quote",
        action(**OPERATOR_STEP),
        method="POST",
        kwargs=REQUEST,
        data={"quoted_amount": "50000.00"},
        note="the requester may not quote (the operator, a third organization, does)",
    ),
    Row("v1:service-request-accept", action(org=200, staff=403), method="POST", kwargs=pk("api_quoted_request")),
    Row(
        "v1:service-request-decline",
        action(**OPERATOR_STEP),
        method="POST",
        kwargs=REQUEST,
        data={"reason": "设备检修。"},
    ),
    Row(
        "v1:service-request-withdraw",
        action(org=200, staff=403),
        method="POST",
        kwargs=REQUEST,
        data={"reason": "项目调整。"},
    ),
    Row("v1:service-request-book", action(**OPERATOR_STEP), method="POST", kwargs=REQUEST),
    Row("v1:service-request-start", action(**OPERATOR_STEP), method="POST", kwargs=REQUEST),
    Row(
        "v1:service-request-complete",
        action(**OPERATOR_STEP),
        method="POST",
        kwargs=REQUEST,
        data={"outcome_report": "完成三批次中试放大，收率与纯度均达到预期指标要求。"},
    ),
    Row("v1:event-list", public_read()),
    Row("v1:event-detail", public_read(), kwargs=pk("api_event")),
    Row("v1:event-detail", hidden_read(organizer=200), kwargs=pk("api_draft_event")),
    Row(
        "v1:event-publish",
        action(org=403, staff=403, organizer=200, administrator=200),
        note="w.home is an enterprise: only a verified service agency's members organize their own events",
        method="POST",
        kwargs=pk("api_draft_event"),
    ),
    Row(
        "v1:event-cancel",
        action(org=403, staff=403, organizer=200, administrator=200, foreign=403, broker=403, expert=403),
        method="POST",
        kwargs=pk("api_event"),
        data={"reason": "场地原因取消。"},
    ),
    Row(
        "v1:event-register",
        action(default=400, anon=403, org=201, foreign=201),
        method="POST",
        kwargs=pk("api_event"),
        note="one registers for one's organization: people without one are told so (400)",
    ),
    Row("v1:event-registration-list", private_list(), kwargs=nested("api_event", "event_pk")),
    Row(
        "v1:event-registration-list",
        action(default=400, org=201, foreign=201),
        method="POST",
        kwargs=nested("api_event", "event_pk"),
    ),
    Row("v1:event-registration-detail", private_detail(member=404, staff=200), kwargs=EVENT_REG),
    Row(
        "v1:event-registration-cancel",
        action(owner=200, staff=403, organizer=200, administrator=200),
        method="POST",
        kwargs=EVENT_REG,
        note="the registrant or the organizers; other staff read it but may not cancel",
    ),
]


def test_matrix_api_services(world):
    assert_rows(world, ROWS_SERVICES)


# --------------------------------------------------------------------------------------------
# Webhooks (partners only)
# --------------------------------------------------------------------------------------------

PARTNER_ONLY = expect(403, partner=200)

ROWS_WEBHOOKS: list[Row] = [
    Row("v1:webhook-endpoint-list", PARTNER_ONLY),
    Row("v1:webhook-endpoint-list", expect(403, partner=400), method="POST"),
    Row("v1:webhook-endpoint-detail", PARTNER_ONLY, kwargs=pk("api_endpoint")),
    Row("v1:webhook-endpoint-detail", PARTNER_ONLY, method="PATCH", kwargs=pk("api_endpoint"), data={}),
    Row("v1:webhook-endpoint-detail", expect(403, partner=400), method="PUT", kwargs=pk("api_endpoint")),
    Row("v1:webhook-endpoint-detail", expect(403, partner=204), method="DELETE", kwargs=pk("api_endpoint")),
    Row("v1:webhook-endpoint-rotate-secret", PARTNER_ONLY, method="POST", kwargs=pk("api_endpoint")),
    Row("v1:webhook-delivery-list", PARTNER_ONLY),
    Row("v1:webhook-delivery-detail", PARTNER_ONLY, kwargs=pk("api_delivery")),
    Row("v1:webhook-delivery-redeliver", expect(403, partner=202), method="POST", kwargs=pk("api_delivery")),
]


def test_matrix_api_webhooks(world):
    assert_rows(world, ROWS_WEBHOOKS)


ROWS: list[Row] = (
    ROWS_REFERENCE
    + ROWS_ACHIEVEMENTS
    + ROWS_DEMANDS
    + ROWS_CHALLENGES
    + ROWS_DEALS
    + ROWS_EVALUATIONS
    + ROWS_SERVICES
    + ROWS_WEBHOOKS
)
