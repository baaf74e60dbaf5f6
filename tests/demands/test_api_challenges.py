"""The open-challenge and pooled-procurement API: /api/v1/challenges/ (+ bids, objections,
milestones) and /api/v1/pooled-procurements/ (+ pledges), per actor: visitor, bidder, another
organization, the issuer's member and bureau staff. The award race is tested with the services."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from demands.enums import BidStatus, ChallengeStatus, PledgeStatus, PoolStatus
from demands.models import Bid, Challenge, Milestone, Objection, Pledge, PooledProcurement
from demands.services.challenges import (
    bid_submit,
    challenge_award,
    challenge_close_bidding,
    challenge_create,
    challenge_publish,
    challenge_shortlist,
    challenge_submit,
    objection_lodge,
)
from demands.services.pools import pledge_create, pool_create, pools_lapse
from marketplace.enums import MembershipRole
from marketplace.models import IndustryField, Notification, PrivateFile
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory
from tests.files import forged_pdf_upload, pdf_upload

pytestmark = pytest.mark.django_db

CHALLENGES = "/api/v1/challenges/"
POOLS = "/api/v1/pooled-procurements/"
NOT_FOUND = {"error": {"code": "not_found", "message": "未找到。", "fields": {}}}
NOT_AUTHENTICATED = {"code": "not_authenticated", "message": "身份认证信息未提供。", "fields": {}}
PERMISSION_DENIED = {"code": "permission_denied", "message": "您没有执行该操作的权限。", "fields": {}}
REQUIRED = "该字段是必填项。"
CHOOSE_OWN = "请选择您所在的机构。"

ISSUER_NAME = "青岛揭榜发榜装备有限公司"
BIDDER_NAME = "青岛测试大学"  # the `organization` fixture
SECRET_PROPOSAL = "采用超声喷涂工艺制备膜电极的保密方案"


def zh(msgid, **params):
    """A message of the services as the API gives it in Chinese (the catalog's translation,
    the message itself until it is translated)."""
    with translation.override("zh-hans"):
        message = translation.gettext(msgid)
    return message % params if params else message


def challenge_url(challenge, verb=""):
    return f"{CHALLENGES}{challenge.pk}/{verb + '/' if verb else ''}"


def bids_url(challenge, bid=None, verb=""):
    url = f"{CHALLENGES}{challenge.pk}/bids/"
    if bid is not None:
        url += f"{bid.pk}/"
    return url + (verb + "/" if verb else "")


def objections_url(challenge):
    return f"{CHALLENGES}{challenge.pk}/objections/"


def pool_url(pool):
    return f"{POOLS}{pool.pk}/"


def pledges_url(pool, pledge=None):
    url = f"{POOLS}{pool.pk}/pledges/"
    return url + (f"{pledge.pk}/" if pledge is not None else "")


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def error(response):
    return response.status_code, response.json()["error"]


def field_errors(response):
    assert response.status_code == 400, response.json()
    return response.json()["error"]["fields"]


def rows(response):
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def titles(response):
    return sorted(row["title"] for row in rows(response))


def ids(response):
    return sorted(row["id"] for row in rows(response))


def assert_never_contains(response, strings):
    raw = response.content.decode()
    readable = json.dumps(response.json(), ensure_ascii=False)
    assert [text for text in strings if text in raw or text in readable] == []


# Actors ------------------------------------------------------------------------------------


@pytest.fixture
def issuer(db):
    return OrganizationFactory(name=ISSUER_NAME, kind="enterprise")


@pytest.fixture
def issuer_member(issuer):
    return MembershipFactory(organization=issuer, role=MembershipRole.MEMBER, user__username="issuer").user


@pytest.fixture
def actors(client, login, org_member, foreign_user, issuer_member, reviewer):
    """visitor; bidder (a member of the university that bids); other (another organization's
    administrator); issuer (a member of the issuing enterprise); staff (a bureau reviewer)."""
    return {
        "visitor": client,
        "bidder": login(org_member),
        "other": login(foreign_user),
        "issuer": login(issuer_member),
        "staff": login(reviewer),
    }


ACTORS = ["visitor", "bidder", "other", "issuer", "staff"]


# Arrange: challenges in each state, through the services -------------------------------------


def make_challenge(issuer, user, *, demand=None, **overrides):
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
        demand=demand,
        industry_fields=IndustryField.objects.filter(code="hydrogen"),
        milestones=[
            {"title": "小试", "due_date": timezone.localdate() + timedelta(days=90), "tranche": Decimal("2000000")},
            {"title": "中试", "due_date": timezone.localdate() + timedelta(days=180), "tranche": Decimal("3000000")},
        ],
        **fields,
    )


def bidding(issuer, issuer_member, reviewer, **overrides):
    challenge = make_challenge(issuer, issuer_member, **overrides)
    challenge_publish(challenge=challenge, reviewer=reviewer)
    return challenge


def submit(challenge, user, **overrides):
    fields = {
        "proposal": SECRET_PROPOSAL,
        "team": "教授 3 名",
        "plan": "12 个月完成中试。",
        "budget": Decimal("4500000"),
    }
    return bid_submit(challenge=challenge, user=user, **{**fields, **overrides})


def bidder_user(name):
    return MembershipFactory(organization=OrganizationFactory(name=name, kind="institute")).user


def reviewing(issuer, issuer_member, reviewer, bidders, **overrides):
    challenge = bidding(issuer, issuer_member, reviewer, **overrides)
    bids = [submit(challenge, user) for user in bidders]
    challenge_close_bidding(challenge=challenge, user=reviewer)
    challenge.refresh_from_db()
    return challenge, bids


def shortlisted(issuer, issuer_member, reviewer, bidders, **overrides):
    challenge, bids = reviewing(issuer, issuer_member, reviewer, bidders, **overrides)
    challenge_shortlist(challenge=challenge, user=reviewer, bids=bids)
    challenge.refresh_from_db()
    return challenge, [Bid.objects.get(pk=bid.pk) for bid in bids]


def in_notice(issuer, issuer_member, reviewer, bidders, **overrides):
    """Awarded to the first bidder, its public notice running."""
    challenge, bids = shortlisted(issuer, issuer_member, reviewer, bidders, **overrides)
    challenge_award(challenge=challenge, user=reviewer, bids=bids[:1])
    challenge.refresh_from_db()
    return challenge, bids


def notice_over(challenge):
    Challenge.objects.filter(pk=challenge.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))


# Challenges: list and detail ---------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_challenges_list_shows_public_ones_and_drafts_to_their_issuer_and_staff(
    actor, actors, issuer, issuer_member, reviewer
):
    make_challenge(issuer, issuer_member, title="草稿榜单")
    bidding(issuer, issuer_member, reviewer, title="揭榜中榜单")

    response = actors[actor].get(CHALLENGES)

    drafts_seen = actor in ("issuer", "staff")
    assert titles(response) == (["揭榜中榜单", "草稿榜单"] if drafts_seen else ["揭榜中榜单"])


@pytest.mark.parametrize(("actor", "expected"), [("visitor", 404), ("bidder", 404), ("other", 404), ("issuer", 200), ("staff", 200)])  # fmt: skip
def test_challenge_detail_of_a_draft_is_for_the_issuer_and_staff(actor, expected, actors, issuer, issuer_member):
    draft = make_challenge(issuer, issuer_member)

    response = actors[actor].get(challenge_url(draft))

    assert response.status_code == expected


def test_challenge_detail_shows_window_bounty_milestones_and_status(client, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer, review_criteria="技术先进性 40%")
    first, second = challenge.milestones.all()

    body = client.get(challenge_url(challenge)).json()

    assert body == {
        **body,
        "id": challenge.pk,
        "title": "氢燃料电池膜电极国产化",
        "description": "攻克膜电极批量制备一致性难题。",
        "organization": {"id": issuer.pk, "name": ISSUER_NAME},
        "industry_fields": ["hydrogen"],
        "demand": None,
        "pool": None,
        "bounty": "5000000.00",
        "window_open": True,
        "eligibility": "国内高校、科研院所或企业。",
        "deliverables": "中试线一条及检测报告。",
        "review_criteria": "技术先进性 40%",
        "award_count": 1,
        "notice_days": 7,
        "notice_ends_at": None,
        "status": "bidding",
        "milestones": [
            {
                "id": first.pk,
                "position": 0,
                "title": "小试",
                "due_date": first.due_date.isoformat(),
                "tranche": "2000000.00",
                "status": "pending",
                "released_at": None,
            },
            {
                "id": second.pk,
                "position": 1,
                "title": "中试",
                "due_date": second.due_date.isoformat(),
                "tranche": "3000000.00",
                "status": "pending",
                "released_at": None,
            },
        ],
        "winners": [],
        "evaluation": None,
    }
    assert body["opens_at"] < body["closes_at"]


@pytest.mark.parametrize("actor", ACTORS)
def test_challenge_detail_names_the_winners_once_awarded(actor, actors, org_member, issuer, issuer_member, reviewer):
    challenge, (winner, _loser) = in_notice(issuer, issuer_member, reviewer, [org_member, bidder_user("落选研究院")])

    body = actors[actor].get(challenge_url(challenge)).json()

    assert (body["status"], body["winners"]) == (
        "notice",
        [{"organization": {"id": winner.organization_id, "name": BIDDER_NAME}, "budget": "4500000.00"}],
    )
    assert body["notice_ends_at"] is not None


@pytest.mark.parametrize("actor", ACTORS)
def test_challenge_during_the_blind_review_names_no_bidder(actor, actors, org_member, issuer, issuer_member, reviewer):
    challenge, _bids = reviewing(issuer, issuer_member, reviewer, [org_member])

    for response in (actors[actor].get(challenge_url(challenge)), actors[actor].get(CHALLENGES)):
        assert response.status_code == 200
        assert_never_contains(response, [BIDDER_NAME, org_member.name, SECRET_PROPOSAL])


def test_challenge_evaluation_round_is_shown_to_staff_only(login, org_member, issuer, issuer_member, reviewer):
    challenge, _bids = reviewing(issuer, issuer_member, reviewer, [org_member])

    assert login(reviewer).get(challenge_url(challenge)).json()["evaluation"] == challenge.evaluation_id
    assert login(issuer_member).get(challenge_url(challenge)).json()["evaluation"] is None


def test_challenge_demand_is_linked_only_where_its_enterprise_may_be_seen(
    client, login, issuer, issuer_member, reviewer
):
    public = DemandFactory(organization=issuer, title="公开需求")
    anonymous = DemandFactory(organization=issuer, title="匿名需求", anonymous=True)
    on_public = bidding(issuer, issuer_member, reviewer, demand=public)
    on_anonymous = bidding(issuer, issuer_member, reviewer, demand=anonymous)

    assert client.get(challenge_url(on_public)).json()["demand"] == {"id": public.pk, "title": "公开需求"}
    assert client.get(challenge_url(on_anonymous)).json()["demand"] is None
    assert login(issuer_member).get(challenge_url(on_anonymous)).json()["demand"] == {
        "id": anonymous.pk,
        "title": "匿名需求",
    }


def test_challenges_filter_by_status_and_updated_since(client, issuer, issuer_member, reviewer):
    bidding(issuer, issuer_member, reviewer, title="揭榜中")
    announced = bidding(issuer, issuer_member, reviewer, title="待开榜", opens_at=timezone.now() + timedelta(days=3))
    Challenge.objects.exclude(pk=announced.pk).update(updated_at=timezone.now() - timedelta(days=10))

    assert titles(client.get(CHALLENGES, {"status": "bidding"})) == ["揭榜中"]
    assert titles(client.get(CHALLENGES, {"status": "published"})) == ["待开榜"]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert titles(client.get(CHALLENGES, {"updated_since": since})) == ["待开榜"]


def test_challenges_bad_filters_get_400_with_field_errors(client):
    response = client.get(CHALLENGES, {"status": "open", "updated_since": "yesterday"})

    assert sorted(field_errors(response)) == ["status", "updated_since"]


# Challenges: create and milestones ---------------------------------------------------------


def challenge_input(**overrides):
    now = timezone.now()
    return {
        "title": "海上风电叶片除冰技术",
        "description": "寻求适用于海上风电叶片的低能耗除冰方案。",
        "industry_fields": ["hydrogen"],
        "bounty": "3000000",
        "opens_at": (now + timedelta(days=7)).isoformat(),
        "closes_at": (now + timedelta(days=37)).isoformat(),
        "eligibility": "具备风电领域研发经验的单位。",
        "deliverables": "样机及第三方检测报告。",
        "milestones": [
            {"title": "方案验证", "due_date": (timezone.localdate() + timedelta(days=90)).isoformat(), "tranche": "1000000"},
            {"title": "样机交付", "due_date": (timezone.localdate() + timedelta(days=200)).isoformat(), "tranche": "2000000"},
        ],
        **overrides,
    }  # fmt: skip


def test_challenge_create_by_an_issuer_member_makes_a_draft_with_milestones(login, issuer_member, issuer):
    demand = DemandFactory(organization=issuer)

    response = post(login(issuer_member), CHALLENGES, challenge_input(demand=demand.pk, award_count=2))

    assert response.status_code == 201, response.json()
    body = response.json()
    challenge = Challenge.objects.get()
    assert body == {
        **body,
        "id": challenge.pk,
        "organization": {"id": issuer.pk, "name": ISSUER_NAME},
        "demand": {"id": demand.pk, "title": demand.title},
        "industry_fields": ["hydrogen"],
        "bounty": "3000000.00",
        "award_count": 2,
        "status": "draft",
        "window_open": False,
        "published_at": None,
    }
    assert [(m["title"], m["tranche"]) for m in body["milestones"]] == [
        ("方案验证", "1000000.00"),
        ("样机交付", "2000000.00"),
    ]
    assert challenge.created_by == issuer_member


def test_challenge_create_with_tranches_above_the_bounty_stores_nothing(login, issuer_member):
    response = post(login(issuer_member), CHALLENGES, challenge_input(bounty="2500000"))

    assert field_errors(response) == {
        "milestones": [zh("The tranches add up to %(total)s yuan, more than the bounty.", total="3,000,000.00")]
    }
    assert (Challenge.objects.count(), Milestone.objects.count()) == (0, 0)


def test_challenge_create_with_a_window_closing_before_it_opens_is_refused(login, issuer_member):
    now = timezone.now()
    data = challenge_input(opens_at=(now + timedelta(days=5)).isoformat(), closes_at=now.isoformat())

    response = post(login(issuer_member), CHALLENGES, data)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert Challenge.objects.count() == 0


def test_challenge_create_with_malformed_fields_is_refused(login, issuer_member):
    data = challenge_input(bounty="五百万", opens_at="明天", industry_fields=["no-such-field"], title="")
    del data["eligibility"]

    response = post(login(issuer_member), CHALLENGES, data)

    assert sorted(field_errors(response)) == ["bounty", "eligibility", "industry_fields", "opens_at", "title"]
    assert field_errors(response)["eligibility"] == [REQUIRED]


def test_challenge_create_with_a_window_in_antiquity_is_refused(login, issuer_member):
    # Found by the schemathesis fuzzing: a window in year 319 was stored and came back with
    # Shanghai's local mean time offset (+08:05:43), which is no RFC 3339 date-time.
    data = challenge_input(opens_at="0319-02-12T00:22:50Z", closes_at="0319-03-12T00:22:50Z")

    response = post(login(issuer_member), CHALLENGES, data)

    assert sorted(field_errors(response)) == ["closes_at", "opens_at"]
    assert Challenge.objects.count() == 0


def test_challenge_create_for_another_organization_is_refused(login, issuer_member, foreign_organization):
    response = post(login(issuer_member), CHALLENGES, challenge_input(organization=foreign_organization.pk))

    assert field_errors(response) == {"organization": [CHOOSE_OWN]}


def test_challenge_create_needs_a_login_and_a_membership(client, login):
    assert error(post(client, CHALLENGES, challenge_input())) == (403, NOT_AUTHENTICATED)
    assert error(post(login(UserFactory()), CHALLENGES, challenge_input())) == (403, PERMISSION_DENIED)
    assert Challenge.objects.count() == 0


def test_challenge_create_by_staff_names_the_issuer(login, reviewer, issuer):
    response = post(login(reviewer), CHALLENGES, challenge_input(organization=issuer.pk))

    assert response.status_code == 201, response.json()
    assert response.json()["organization"] == {"id": issuer.pk, "name": ISSUER_NAME}


def test_challenge_create_without_an_organization_by_staff_or_a_member_of_several_is_refused(
    login, reviewer, issuer_member, organization
):
    MembershipFactory(organization=organization, user=issuer_member)

    by_staff = post(login(reviewer), CHALLENGES, challenge_input())
    by_member_of_two = post(login(issuer_member), CHALLENGES, challenge_input())

    assert field_errors(by_staff) == {"organization": [REQUIRED]}
    assert field_errors(by_member_of_two) == {
        "organization": [zh("You belong to several organizations: choose the issuer of this challenge.")]
    }
    assert Challenge.objects.count() == 0


def test_milestone_add_by_an_issuer_member_to_a_draft(login, issuer_member, issuer):
    draft = make_challenge(issuer, issuer_member, bounty=Decimal("6000000"))
    due = (timezone.localdate() + timedelta(days=300)).isoformat()

    response = post(login(issuer_member), challenge_url(draft, "milestones"), {"title": "验收", "due_date": due, "tranche": "1000000"})  # fmt: skip

    assert response.status_code == 201, response.json()
    assert response.json() == {
        **response.json(),
        "position": 2,
        "title": "验收",
        "due_date": due,
        "tranche": "1000000.00",
        "status": "pending",
    }
    assert draft.milestones.count() == 3


def test_milestone_add_with_a_tranche_above_the_remaining_bounty_is_refused(login, issuer_member, issuer):
    draft = make_challenge(issuer, issuer_member, bounty=Decimal("5500000"))
    due = (timezone.localdate() + timedelta(days=300)).isoformat()

    response = post(login(issuer_member), challenge_url(draft, "milestones"), {"title": "验收", "due_date": due, "tranche": "500000.01"})  # fmt: skip

    assert field_errors(response) == {
        "tranche": [zh("Only %(remaining)s yuan of the bounty remain for tranches.", remaining="500,000.00")]
    }
    assert draft.milestones.count() == 2


@pytest.mark.parametrize(
    ("actor", "published", "expected"),
    [
        ("visitor", False, 403),
        ("other", False, 404),
        ("bidder", True, 403),
        ("other", True, 403),
        ("issuer", True, 403),
    ],
)
def test_milestone_add_by_others_or_after_publication_is_refused(
    actor, published, expected, actors, issuer, issuer_member, reviewer
):
    challenge = make_challenge(issuer, issuer_member, bounty=Decimal("9000000"))
    if published:
        challenge_publish(challenge=challenge, reviewer=reviewer)
    due = (timezone.localdate() + timedelta(days=300)).isoformat()

    response = post(actors[actor], challenge_url(challenge, "milestones"), {"title": "验收", "due_date": due, "tranche": "1"})  # fmt: skip

    assert response.status_code == expected
    assert challenge.milestones.count() == 2


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_challenge_patch_by_an_issuer_member_changes_the_draft(login, issuer_member, issuer):
    draft = make_challenge(issuer, issuer_member)
    closes = timezone.now() + timedelta(days=60)

    response = patch(
        login(issuer_member),
        challenge_url(draft),
        {
            "title": "膜电极一致性攻关",
            "bounty": "6000000",
            "closes_at": closes.isoformat(),
            "industry_fields": ["robotics"],
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        **response.json(),
        "title": "膜电极一致性攻关",
        "bounty": "6000000.00",
        "industry_fields": ["robotics"],
        "status": "draft",
        "description": "攻克膜电极批量制备一致性难题。",
    }
    draft.refresh_from_db()
    assert (draft.title, draft.closes_at) == ("膜电极一致性攻关", closes)


def test_challenge_patch_with_a_bounty_below_the_tranches_changes_nothing(login, issuer_member, issuer):
    draft = make_challenge(issuer, issuer_member)

    response = patch(login(issuer_member), challenge_url(draft), {"bounty": "4000000", "title": "不应保存"})

    assert field_errors(response) == {
        "bounty": [zh("The tranches add up to %(total)s yuan, more than the bounty.", total="5,000,000.00")]
    }
    draft.refresh_from_db()
    assert (draft.bounty, draft.title) == (Decimal("5000000.00"), "氢燃料电池膜电极国产化")


@pytest.mark.parametrize(
    ("actor", "state", "expected"),
    [
        ("visitor", "draft", 403),
        ("other", "draft", 404),
        ("bidder", "draft", 404),
        ("issuer", "submitted", 403),
        ("issuer", "published", 403),
        ("other", "published", 403),
        ("staff", "published", 400),
    ],
)
def test_challenge_patch_by_others_or_after_the_draft_is_refused(
    actor, state, expected, actors, issuer, issuer_member, reviewer
):
    challenge = make_challenge(issuer, issuer_member)
    if state == "submitted":
        challenge_submit(challenge=challenge, user=issuer_member)
    elif state == "published":
        challenge_publish(challenge=challenge, reviewer=reviewer)

    response = patch(actors[actor], challenge_url(challenge), {"title": "改名"})

    assert response.status_code == expected, response.json()
    challenge.refresh_from_db()
    assert challenge.title == "氢燃料电池膜电极国产化"


def test_challenge_patch_by_staff_completes_a_submitted_challenge(login, reviewer, issuer, issuer_member):
    challenge = make_challenge(issuer, issuer_member)
    challenge_submit(challenge=challenge, user=issuer_member)

    response = patch(login(reviewer), challenge_url(challenge), {"eligibility": "国内高校及科研院所。"})

    assert (response.status_code, response.json()["eligibility"], response.json()["status"]) == (
        200,
        "国内高校及科研院所。",
        "submitted",
    )


def milestone_url(challenge, milestone):
    return f"{challenge_url(challenge)}milestones/{milestone.pk}/"


def test_milestone_delete_by_an_issuer_member_from_a_draft(login, issuer_member, issuer):
    draft = make_challenge(issuer, issuer_member)
    first, second = draft.milestones.all()

    response = login(issuer_member).delete(milestone_url(draft, first))

    assert response.status_code == 204
    assert list(draft.milestones.values_list("pk", "position")) == [(second.pk, 0)]
    detail = login(issuer_member).get(challenge_url(draft)).json()
    assert [row["title"] for row in detail["milestones"]] == ["中试"]


@pytest.mark.parametrize(
    ("actor", "state", "expected"),
    [("visitor", "draft", 403), ("other", "draft", 404), ("issuer", "submitted", 403), ("issuer", "published", 403), ("staff", "published", 400)],
)  # fmt: skip
def test_milestone_delete_by_others_or_after_the_draft_is_refused(
    actor, state, expected, actors, issuer, issuer_member, reviewer
):
    challenge = make_challenge(issuer, issuer_member)
    if state == "submitted":
        challenge_submit(challenge=challenge, user=issuer_member)
    elif state == "published":
        challenge_publish(challenge=challenge, reviewer=reviewer)

    response = actors[actor].delete(milestone_url(challenge, challenge.milestones.first()))

    assert response.status_code == expected
    assert challenge.milestones.count() == 2


def test_milestone_delete_of_another_challenges_milestone_is_404(login, issuer_member, issuer):
    draft = make_challenge(issuer, issuer_member)
    other = make_challenge(issuer, issuer_member)

    response = login(issuer_member).delete(milestone_url(draft, other.milestones.first()))

    assert error(response) == (404, NOT_FOUND["error"])
    assert Milestone.objects.count() == 4


def test_challenge_submit_by_an_issuer_member_tells_the_reviewers(login, issuer_member, issuer, reviewer, foreign_user):
    draft = make_challenge(issuer, issuer_member)

    by_other = post(login(foreign_user), challenge_url(draft, "submit"))
    response = post(login(issuer_member), challenge_url(draft, "submit"))
    again = post(login(issuer_member), challenge_url(draft, "submit"))

    assert error(by_other) == (404, NOT_FOUND["error"])
    assert (response.status_code, response.json()["status"]) == (200, "submitted")
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid"
    assert Notification.objects.get(user=reviewer).kind == "challenge.submitted"
    # Still not public: outsiders neither list nor read it.
    assert error(login(foreign_user).get(challenge_url(draft))) == (404, NOT_FOUND["error"])
    published = post(login(reviewer), challenge_url(draft, "publish"))
    assert (published.status_code, published.json()["status"]) == (200, "bidding")


# Challenges: transitions -------------------------------------------------------------------


def test_challenge_publish_by_staff_opens_the_window(login, reviewer, issuer, issuer_member):
    draft = make_challenge(issuer, issuer_member)

    response = post(login(reviewer), challenge_url(draft, "publish"))

    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["window_open"]) == ("bidding", True)
    assert response.json()["published_at"] is not None


def test_challenge_publish_with_a_later_window_announces_it(login, reviewer, issuer, issuer_member):
    draft = make_challenge(issuer, issuer_member, opens_at=timezone.now() + timedelta(days=2))

    response = post(login(reviewer), challenge_url(draft, "publish"))

    assert (response.json()["status"], response.json()["window_open"]) == ("published", False)


def test_challenge_publish_without_milestones_is_refused(login, reviewer, issuer, issuer_member):
    draft = make_challenge(issuer, issuer_member)
    draft.milestones.all().delete()

    response = post(login(reviewer), challenge_url(draft, "publish"))

    assert error(response) == (
        400,
        {
            "code": "invalid",
            "message": zh("Add the milestones and their tranches before publishing."),
            "fields": {"non_field_errors": [zh("Add the milestones and their tranches before publishing.")]},
        },
    )
    draft.refresh_from_db()
    assert draft.status == ChallengeStatus.DRAFT


TRANSITIONS = ["publish", "close-bidding", "shortlist", "award", "contract", "fail"]


@pytest.mark.parametrize("verb", TRANSITIONS)
@pytest.mark.parametrize("actor", ["visitor", "bidder", "other", "issuer", "registrar"])
def test_challenge_transitions_by_anyone_but_a_reviewer_are_refused(
    verb, actor, actors, login, registrar, org_member, issuer, issuer_member, reviewer
):
    challenge, _bids = reviewing(issuer, issuer_member, reviewer, [org_member])
    client = login(registrar) if actor == "registrar" else actors[actor]

    # Without the input a reviewer would have to send: the permission is checked first.
    response = post(client, challenge_url(challenge, verb))

    assert error(response) == (403, NOT_AUTHENTICATED if actor == "visitor" else PERMISSION_DENIED)
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.REVIEWING


def test_challenge_transitions_of_another_organizations_draft_are_404(login, foreign_user, issuer, issuer_member):
    draft = make_challenge(issuer, issuer_member)

    for verb in TRANSITIONS:
        assert error(post(login(foreign_user), challenge_url(draft, verb))) == (404, NOT_FOUND["error"])


@pytest.mark.parametrize(
    ("state", "verb"),
    [
        ("draft", "close-bidding"),
        ("announced", "close-bidding"),
        ("draft", "shortlist"),
        ("bidding", "award"),
        ("bidding", "contract"),
        ("reviewing", "publish"),
        ("reviewing", "award"),
    ],
)
def test_challenge_transitions_out_of_order_are_refused(
    state, verb, login, reviewer, org_member, issuer, issuer_member
):
    if state == "draft":
        challenge = make_challenge(issuer, issuer_member)
    elif state == "announced":
        challenge = bidding(issuer, issuer_member, reviewer, opens_at=timezone.now() + timedelta(days=2))
    elif state == "bidding":
        challenge = bidding(issuer, issuer_member, reviewer)
        submit(challenge, org_member)
    else:
        challenge, _bids = reviewing(issuer, issuer_member, reviewer, [org_member])
    before = Challenge.objects.get(pk=challenge.pk).status
    bid_ids = list(Bid.objects.filter(challenge=challenge).values_list("pk", flat=True))

    response = post(login(reviewer), challenge_url(challenge, verb), {"bids": bid_ids} if bid_ids else {})

    assert response.status_code == 400, response.json()
    assert response.json()["error"]["code"] == "invalid"
    assert Challenge.objects.get(pk=challenge.pk).status == before


def test_challenge_close_bidding_starts_a_blind_review(login, reviewer, org_member, issuer, issuer_member):
    challenge = bidding(issuer, issuer_member, reviewer)
    submit(challenge, org_member)

    response = post(login(reviewer), challenge_url(challenge, "close-bidding"))

    challenge.refresh_from_db()
    assert (response.status_code, response.json()["status"]) == (200, "reviewing")
    assert response.json()["evaluation"] == challenge.evaluation_id
    assert challenge.evaluation.is_blind


def test_challenge_close_bidding_without_bids_fails_it(login, reviewer, issuer, issuer_member):
    challenge = bidding(issuer, issuer_member, reviewer)

    response = post(login(reviewer), challenge_url(challenge, "close-bidding"))

    assert (response.status_code, response.json()["status"]) == (200, "failed")


def test_challenge_shortlist_and_award_by_staff_open_the_public_notice(
    login, reviewer, org_member, issuer, issuer_member
):
    challenge, (ours, theirs) = reviewing(issuer, issuer_member, reviewer, [org_member, bidder_user("乙研究院")])
    staff = login(reviewer)

    shortlisting = post(staff, challenge_url(challenge, "shortlist"), {"bids": [ours.pk, theirs.pk]})
    awarding = post(staff, challenge_url(challenge, "award"), {"bids": [ours.pk]})

    assert (shortlisting.status_code, shortlisting.json()["status"], shortlisting.json()["winners"]) == (
        200,
        "shortlisted",
        [],
    )
    assert awarding.status_code == 200, awarding.json()
    assert (awarding.json()["status"], awarding.json()["winners"]) == (
        "notice",
        [{"organization": {"id": ours.organization_id, "name": BIDDER_NAME}, "budget": "4500000.00"}],
    )
    assert dict(Bid.objects.values_list("pk", "status")) == {
        ours.pk: BidStatus.AWARDED,
        theirs.pk: BidStatus.SHORTLISTED,  # in reserve until the contract
    }


def test_challenge_shortlist_with_too_few_bids_or_another_challenges_bid_is_refused(
    login, reviewer, org_member, issuer, issuer_member
):
    challenge, (ours,) = reviewing(issuer, issuer_member, reviewer, [org_member], award_count=2)
    _elsewhere, (foreign_bid,) = reviewing(issuer, issuer_member, reviewer, [bidder_user("丙研究院")])
    staff = login(reviewer)

    too_few = post(staff, challenge_url(challenge, "shortlist"), {"bids": [ours.pk]})
    foreign = post(staff, challenge_url(challenge, "shortlist"), {"bids": [ours.pk, foreign_bid.pk]})
    empty = post(staff, challenge_url(challenge, "shortlist"), {"bids": []})

    assert error(too_few) == (
        400,
        {
            "code": "invalid",
            "message": zh("Shortlist at least as many bids as there are winners (%(count)s).", count=2),
            "fields": {
                "non_field_errors": [zh("Shortlist at least as many bids as there are winners (%(count)s).", count=2)]
            },
        },
    )
    assert sorted(field_errors(foreign)) == ["bids"]
    assert sorted(field_errors(empty)) == ["bids"]
    assert Challenge.objects.get(pk=challenge.pk).status == ChallengeStatus.REVIEWING
    assert Bid.objects.get(pk=ours.pk).status == BidStatus.SUBMITTED


def test_challenge_award_of_more_bids_than_winners_is_refused(login, reviewer, org_member, issuer, issuer_member):
    challenge, bids = shortlisted(issuer, issuer_member, reviewer, [org_member, bidder_user("乙研究院")])

    response = post(login(reviewer), challenge_url(challenge, "award"), {"bids": [bid.pk for bid in bids]})

    assert error(response)[1]["message"] == zh("Choose exactly %(count)s shortlisted bids.", count=1)
    assert Challenge.objects.get(pk=challenge.pk).status == ChallengeStatus.SHORTLISTED
    assert set(Bid.objects.values_list("status", flat=True)) == {BidStatus.SHORTLISTED}


def test_challenge_contract_after_the_notice_starts_the_work(login, reviewer, org_member, issuer, issuer_member):
    challenge, _bids = in_notice(issuer, issuer_member, reviewer, [org_member])
    notice_over(challenge)

    response = post(login(reviewer), challenge_url(challenge, "contract"))

    assert (response.status_code, response.json()["status"]) == (200, "in_progress")


def test_challenge_contract_during_the_notice_or_with_an_open_objection_is_refused(
    login, reviewer, foreign_user, org_member, issuer, issuer_member
):
    challenge, _bids = in_notice(issuer, issuer_member, reviewer, [org_member])
    staff = login(reviewer)

    during = post(staff, challenge_url(challenge, "contract"))
    objection_lodge(challenge=challenge, user=foreign_user, text="中标单位资质存疑")
    notice_over(challenge)
    objected = post(staff, challenge_url(challenge, "contract"))

    ends = timezone.localtime(challenge.notice_ends_at).strftime("%Y-%m-%d")
    assert error(during)[1]["message"] == zh("The public notice runs until %(date)s.", date=ends)
    assert error(objected)[1]["message"] == zh("Resolve the open objections first.")
    assert Challenge.objects.get(pk=challenge.pk).status == ChallengeStatus.NOTICE


def test_challenge_fail_needs_a_reason(login, reviewer, issuer, issuer_member):
    challenge = bidding(issuer, issuer_member, reviewer)
    staff = login(reviewer)

    without = post(staff, challenge_url(challenge, "fail"))
    blank = post(staff, challenge_url(challenge, "fail"), {"reason": "  "})
    failed = post(staff, challenge_url(challenge, "fail"), {"reason": "发榜方撤回需求"})

    assert field_errors(without) == {"reason": [REQUIRED]}
    assert sorted(field_errors(blank)) == ["reason"]
    assert (failed.status_code, failed.json()["status"]) == (200, "failed")


# Objections --------------------------------------------------------------------------------


def test_objection_lodge_by_anyone_logged_in_during_the_notice(login, foreign_user, org_member, issuer, issuer_member, reviewer):  # fmt: skip
    challenge, _bids = in_notice(issuer, issuer_member, reviewer, [org_member])
    anyone = UserFactory()

    response = post(login(anyone), objections_url(challenge), {"text": "  中标单位资质存疑  "})

    assert response.status_code == 201, response.json()
    objection = Objection.objects.get()
    assert response.json() == {
        **response.json(),
        "id": objection.pk,
        "lodged_by": {"id": anyone.pk, "name": anyone.name},
        "text": "中标单位资质存疑",
        "status": "open",
        "resolution": "",
        "resolved_at": None,
    }


def test_objection_lodge_before_the_notice_or_anonymously_is_refused(client, login, foreign_user, issuer, issuer_member, reviewer):  # fmt: skip
    challenge = bidding(issuer, issuer_member, reviewer)

    early = post(login(foreign_user), objections_url(challenge), {"text": "异议"})

    message = zh("The public notice period has not started.")
    assert error(early) == (400, {"code": "invalid", "message": message, "fields": {"non_field_errors": [message]}})
    assert error(post(client, objections_url(challenge), {"text": "异议"})) == (403, NOT_AUTHENTICATED)
    assert Objection.objects.count() == 0


def test_objection_lodge_after_the_notice_ended_is_refused(login, foreign_user, org_member, issuer, issuer_member, reviewer):  # fmt: skip
    challenge, _bids = in_notice(issuer, issuer_member, reviewer, [org_member])
    notice_over(challenge)

    response = post(login(foreign_user), objections_url(challenge), {"text": "异议"})
    empty = post(login(foreign_user), objections_url(Challenge.objects.get(pk=challenge.pk)), {"text": ""})

    assert error(response) == (400, {**error(response)[1], "message": zh("The public notice period has ended.")})
    assert sorted(field_errors(empty)) == ["text"]
    assert Objection.objects.count() == 0


@pytest.mark.parametrize(("actor", "expected"), [("visitor", None), ("bidder", ["乙的异议"]), ("other", []), ("issuer", []), ("staff", ["乙的异议", "甲的异议"])])  # fmt: skip
def test_objections_are_read_by_staff_and_their_objector_only(
    actor, expected, actors, org_member, issuer, issuer_member, reviewer
):
    challenge, _bids = in_notice(issuer, issuer_member, reviewer, [bidder_user("甲研究院")])
    objection_lodge(challenge=challenge, user=UserFactory(), text="甲的异议")
    objection_lodge(challenge=challenge, user=org_member, text="乙的异议")

    response = actors[actor].get(objections_url(challenge))

    if expected is None:
        assert error(response) == (403, NOT_AUTHENTICATED)
    else:
        assert sorted(row["text"] for row in rows(response)) == sorted(expected)


# Bids --------------------------------------------------------------------------------------


def bid_input(**overrides):
    return {"proposal": SECRET_PROPOSAL, "team": "教授 2 名、博士 4 名", "plan": "10 个月完成样机。", "budget": "4200000", **overrides}  # fmt: skip


def test_bid_submit_by_a_verified_organization(login, org_member, organization, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)

    response = post(login(org_member), bids_url(challenge), bid_input())

    assert response.status_code == 201, response.json()
    bid = Bid.objects.get()
    assert response.json() == {
        **response.json(),
        "id": bid.pk,
        "challenge": {"id": challenge.pk, "title": "氢燃料电池膜电极国产化"},
        "organization": {"id": organization.pk, "name": BIDDER_NAME},
        "created_by": {"id": org_member.pk, "name": org_member.name},
        "proposal": SECRET_PROPOSAL,
        "team": "教授 2 名、博士 4 名",
        "plan": "10 个月完成样机。",
        "budget": "4200000.00",
        "status": "submitted",
        "attachments": [],
    }


def test_bid_submit_with_attachments_as_multipart(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)

    response = login(org_member).post(bids_url(challenge), {**bid_input(), "attachments": [pdf_upload("技术方案.pdf")]})

    assert response.status_code == 201, response.json()
    [attachment] = response.json()["attachments"]
    stored = PrivateFile.objects.get()
    assert attachment == {
        "id": str(stored.pk),
        "name": "技术方案.pdf",
        "kind": "pdf",
        "size": stored.size,
        "url": f"http://testserver/files/{stored.pk}/",
    }


def test_bid_submit_with_a_forged_attachment_stores_nothing(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)

    response = login(org_member).post(bids_url(challenge), {**bid_input(), "attachments": [forged_pdf_upload()]})

    assert response.status_code == 400
    assert (Bid.objects.count(), PrivateFile.objects.count()) == (0, 0)


@pytest.mark.parametrize("when", ["before", "after"])
def test_bid_submit_outside_the_window_stores_nothing(when, login, org_member, issuer, issuer_member, reviewer):
    if when == "before":
        challenge = bidding(issuer, issuer_member, reviewer, opens_at=timezone.now() + timedelta(days=2))
    else:
        challenge = bidding(issuer, issuer_member, reviewer)
        Challenge.objects.filter(pk=challenge.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    response = post(login(org_member), bids_url(challenge), bid_input())

    message = zh("The bidding window of this challenge is not open.")
    assert error(response) == (400, {"code": "invalid", "message": message, "fields": {"non_field_errors": [message]}})
    assert Bid.objects.count() == 0


def test_bid_submit_a_second_live_bid_is_refused(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    client = login(org_member)
    post(client, bids_url(challenge), bid_input())

    second = post(client, bids_url(challenge), bid_input(proposal="另一个方案"))

    assert error(second)[1]["message"] == zh("Your organization already has a live bid for this challenge.")
    assert Bid.objects.count() == 1


@pytest.mark.parametrize("actor", ["issuer", "staff", "unverified"])
def test_bid_submit_by_the_issuer_staff_or_an_unverified_organization_is_refused(
    actor, actors, login, issuer, issuer_member, reviewer
):
    challenge = bidding(issuer, issuer_member, reviewer)
    if actor == "unverified":
        client = login(MembershipFactory(organization=OrganizationFactory(unverified=True)).user)
    else:
        client = actors[actor]

    response = post(client, bids_url(challenge), bid_input())

    assert error(response) == (403, PERMISSION_DENIED)
    assert Bid.objects.count() == 0


def test_bid_submit_with_bad_input_is_refused(login, org_member, foreign_organization, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)

    response = post(
        login(org_member),
        bids_url(challenge),
        {"proposal": "", "team": "团队", "budget": "-1", "organization": foreign_organization.pk},
    )

    errors = field_errors(response)
    assert sorted(errors) == ["budget", "organization", "plan", "proposal"]
    assert (errors["plan"], errors["organization"]) == ([REQUIRED], [CHOOSE_OWN])
    assert Bid.objects.count() == 0


def test_bid_submit_needs_a_login(client, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)

    assert error(post(client, bids_url(challenge), bid_input())) == (403, NOT_AUTHENTICATED)


def test_bids_of_a_draft_challenge_are_404_to_outsiders(login, org_member, issuer, issuer_member):
    draft = make_challenge(issuer, issuer_member)

    assert error(login(org_member).get(bids_url(draft))) == (404, NOT_FOUND["error"])
    assert error(post(login(org_member), bids_url(draft), bid_input())) == (404, NOT_FOUND["error"])


@pytest.mark.parametrize("actor", ACTORS)
def test_bids_are_listed_to_their_owners_the_issuer_and_staff(
    actor, actors, org_member, foreign_organization, issuer, issuer_member, reviewer
):
    challenge = bidding(issuer, issuer_member, reviewer)
    ours = submit(challenge, org_member)
    theirs = submit(challenge, bidder_user("乙研究院"))

    response = actors[actor].get(bids_url(challenge))

    expected = {
        "bidder": [ours.pk],
        "other": [],
        "issuer": sorted([ours.pk, theirs.pk]),
        "staff": sorted([ours.pk, theirs.pk]),
    }
    if actor == "visitor":
        assert error(response) == (403, NOT_AUTHENTICATED)
    else:
        assert ids(response) == expected[actor]


def test_bids_filter_by_status(login, issuer_member, org_member, issuer, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    withdrawn = submit(challenge, org_member)
    post(login(org_member), bids_url(challenge, withdrawn, "withdraw"))
    live = submit(challenge, org_member)

    assert ids(login(issuer_member).get(bids_url(challenge), {"status": "submitted"})) == [live.pk]
    assert ids(login(issuer_member).get(bids_url(challenge), {"status": "withdrawn"})) == [withdrawn.pk]


@pytest.mark.parametrize("method", ["get", "patch", "put", "withdraw"])
def test_bid_of_another_organization_is_404(method, login, foreign_user, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    bid = submit(challenge, org_member)
    client = login(foreign_user)

    if method == "get":
        response = client.get(bids_url(challenge, bid))
    elif method == "withdraw":
        response = post(client, bids_url(challenge, bid, "withdraw"))
    else:
        response = getattr(client, method)(bids_url(challenge, bid), bid_input(), content_type="application/json")

    assert error(response) == (404, NOT_FOUND["error"])
    assert Bid.objects.get().status == BidStatus.SUBMITTED


def test_bid_of_one_challenge_is_404_under_another(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    elsewhere = bidding(issuer, issuer_member, reviewer, title="另一榜单")
    bid = submit(challenge, org_member)

    assert error(login(org_member).get(bids_url(elsewhere, bid))) == (404, NOT_FOUND["error"])


def test_bid_update_while_the_window_is_open(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    bid = submit(challenge, org_member)
    client = login(org_member)

    patched = client.patch(bids_url(challenge, bid), {"budget": "3900000"}, content_type="application/json")
    put = client.put(bids_url(challenge, bid), bid_input(plan="8 个月完成样机。"), content_type="application/json")
    partial_put = client.put(bids_url(challenge, bid), {"plan": "只改计划"}, content_type="application/json")

    assert (patched.status_code, patched.json()["budget"], patched.json()["proposal"]) == (
        200,
        "3900000.00",
        SECRET_PROPOSAL,
    )
    assert (put.status_code, put.json()["plan"], put.json()["budget"]) == (200, "8 个月完成样机。", "4200000.00")
    assert sorted(field_errors(partial_put)) == ["budget", "proposal", "team"]
    bid.refresh_from_db()
    assert (bid.plan, bid.budget) == ("8 个月完成样机。", Decimal("4200000"))


def test_bid_update_after_the_window_closed_changes_nothing(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    bid = submit(challenge, org_member)
    Challenge.objects.filter(pk=challenge.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    response = login(org_member).patch(bids_url(challenge, bid), {"budget": "1"}, content_type="application/json")

    assert error(response)[1]["message"] == zh("The bidding window of this challenge is not open.")
    bid.refresh_from_db()
    assert bid.budget == Decimal("4500000")


@pytest.mark.parametrize("actor", ["issuer", "staff"])
def test_bid_update_or_withdraw_by_the_issuer_or_staff_is_refused(actor, actors, org_member, issuer, issuer_member, reviewer):  # fmt: skip
    challenge = bidding(issuer, issuer_member, reviewer)
    bid = submit(challenge, org_member)
    client = actors[actor]

    patched = client.patch(bids_url(challenge, bid), {"budget": "1"}, content_type="application/json")
    withdrawn = post(client, bids_url(challenge, bid, "withdraw"))

    assert (error(patched), error(withdrawn)) == ((403, PERMISSION_DENIED), (403, PERMISSION_DENIED))
    bid.refresh_from_db()
    assert (bid.budget, bid.status) == (Decimal("4500000"), BidStatus.SUBMITTED)


@pytest.mark.parametrize("actor", ["issuer", "staff"])
def test_bid_update_or_withdraw_by_the_issuer_or_staff_after_the_window_is_403(actor, actors, org_member, issuer, issuer_member, reviewer):  # fmt: skip
    challenge, (bid,) = reviewing(issuer, issuer_member, reviewer, [org_member])
    client = actors[actor]

    patched = client.patch(bids_url(challenge, bid), {"budget": "1"}, content_type="application/json")
    withdrawn = post(client, bids_url(challenge, bid, "withdraw"))

    assert (error(patched), error(withdrawn)) == ((403, PERMISSION_DENIED), (403, PERMISSION_DENIED))


def test_bid_update_or_withdraw_of_a_withdrawn_bid_is_refused(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    bid = submit(challenge, org_member)
    client = login(org_member)
    post(client, bids_url(challenge, bid, "withdraw"))

    patched = client.patch(bids_url(challenge, bid), {"budget": "1"}, content_type="application/json")
    again = post(client, bids_url(challenge, bid, "withdraw"))

    message = zh(
        "Only a submitted bid is changed or withdrawn; this one is “%(status)s”.",
        status=zh(str(BidStatus.WITHDRAWN.label)),
    )
    assert error(patched)[1]["message"] == error(again)[1]["message"] == message
    assert (patched.status_code, again.status_code) == (400, 400)
    bid.refresh_from_db()
    assert (bid.budget, bid.status) == (Decimal("4500000"), BidStatus.WITHDRAWN)


def test_bid_submit_by_a_member_of_several_organizations_names_one(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    institute = OrganizationFactory(name="第二研究院", kind="institute")
    MembershipFactory(organization=institute, user=org_member)
    client = login(org_member)

    unnamed = post(client, bids_url(challenge), bid_input())
    named = post(client, bids_url(challenge), bid_input(organization=institute.pk))

    assert field_errors(unnamed) == {
        "organization": [zh("You belong to several organizations that may bid: choose the one that bids.")]
    }
    assert (named.status_code, named.json()["organization"]["id"]) == (201, institute.pk)


def test_bid_withdraw_by_its_owner_allows_a_new_bid(login, org_member, issuer, issuer_member, reviewer):
    challenge = bidding(issuer, issuer_member, reviewer)
    bid = submit(challenge, org_member)
    client = login(org_member)

    withdrawn = post(client, bids_url(challenge, bid, "withdraw"))
    again = post(client, bids_url(challenge), bid_input())

    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "withdrawn")
    assert again.status_code == 201, again.json()
    assert sorted(Bid.objects.values_list("status", flat=True)) == [BidStatus.SUBMITTED, BidStatus.WITHDRAWN]


def test_bid_withdraw_after_the_window_closed_is_refused(login, org_member, issuer, issuer_member, reviewer):
    challenge, (bid,) = reviewing(issuer, issuer_member, reviewer, [org_member])

    response = post(login(org_member), bids_url(challenge, bid, "withdraw"))

    assert error(response)[1]["message"] == zh("The bidding window of this challenge is not open.")
    assert Bid.objects.get().status == BidStatus.SUBMITTED


@pytest.mark.parametrize("actor", ACTORS)
def test_bids_during_the_blind_review_reach_only_their_owners_the_issuer_and_staff(
    actor, actors, org_member, issuer, issuer_member, reviewer
):
    challenge, (bid,) = reviewing(issuer, issuer_member, reviewer, [org_member])

    listing = actors[actor].get(bids_url(challenge))
    detail = actors[actor].get(bids_url(challenge, bid))

    if actor == "visitor":
        assert (error(listing), error(detail)) == ((403, NOT_AUTHENTICATED), (403, NOT_AUTHENTICATED))
    elif actor == "other":
        assert (rows(listing), error(detail)) == ([], (404, NOT_FOUND["error"]))
        assert_never_contains(detail, [BIDDER_NAME, SECRET_PROPOSAL])
    else:
        assert ids(listing) == [bid.pk]
        assert detail.json()["organization"] == {"id": bid.organization_id, "name": BIDDER_NAME}


# Pools -------------------------------------------------------------------------------------


@pytest.fixture
def initiator(issuer):
    """The issuing enterprise opens the pool."""
    return issuer


def make_pool(user, organization, **overrides):
    return pool_create(
        user=user,
        organization=organization,
        title=overrides.get("title", "海洋防腐涂层共性技术集采"),
        description="多家企业共同需要长效海洋防腐涂层。",
        threshold=overrides.get("threshold", Decimal("1000000")),
        deadline=overrides.get("deadline", timezone.now() + timedelta(days=30)),
        industry_fields=IndustryField.objects.filter(code="hydrogen"),
    )


def enterprise_member(name):
    return MembershipFactory(organization=OrganizationFactory(name=name, kind="enterprise")).user


def pledge(pool, user, amount="300000"):
    return pledge_create(pool=pool, user=user, amount=Decimal(amount), agreement=pdf_upload("预采购协议.pdf"))


def pledge_input(amount="300000", **overrides):
    return {"amount": amount, "agreement": pdf_upload("预采购协议.pdf"), **overrides}


@pytest.mark.parametrize("actor", ACTORS)
def test_pools_show_the_pledged_total_never_the_pledgers(actor, actors, initiator, issuer_member):
    pool = make_pool(issuer_member, initiator, threshold=Decimal("1000000"))
    pledge(pool, enterprise_member("青岛承诺甲化工有限公司"), "250000")

    detail = actors[actor].get(pool_url(pool))
    listing = actors[actor].get(POOLS)

    assert detail.status_code == 200
    assert detail.json() == {
        **detail.json(),
        "id": pool.pk,
        "title": "海洋防腐涂层共性技术集采",
        "description": "多家企业共同需要长效海洋防腐涂层。",
        "organization": {"id": initiator.pk, "name": ISSUER_NAME},
        "industry_fields": ["hydrogen"],
        "threshold": "1000000.00",
        "pledged_total": "250000.00",
        "progress": 25,
        "status": "open",
        "funded_at": None,
        "challenge": None,
        "source_demands": [] if actor in ("issuer", "staff") else None,
    }
    assert [row["id"] for row in rows(listing)] == [pool.pk]
    for response in (detail, listing):
        assert_never_contains(response, ["青岛承诺甲化工有限公司"])


def test_pool_create_by_an_enterprise_member(login, issuer_member, initiator):
    deadline = (timezone.now() + timedelta(days=20)).isoformat()
    data = {"title": "共性检测平台集采", "description": "共建检测平台。", "threshold": "2000000", "deadline": deadline, "industry_fields": ["hydrogen"]}  # fmt: skip

    response = post(login(issuer_member), POOLS, data)

    assert response.status_code == 201, response.json()
    pool = PooledProcurement.objects.get()
    assert response.json() == {
        **response.json(),
        "id": pool.pk,
        "organization": {"id": initiator.pk, "name": ISSUER_NAME},
        "threshold": "2000000.00",
        "pledged_total": "0.00",
        "progress": 0,
        "status": "open",
        "source_demands": [],
    }
    assert pool.created_by == issuer_member


def test_pool_create_by_staff_gathers_similar_demands(login, reviewer, initiator):
    demands = [DemandFactory(), DemandFactory()]
    deadline = (timezone.now() + timedelta(days=20)).isoformat()
    data = {"organization": initiator.pk, "title": "集采", "description": "共性需求。", "threshold": "2000000", "deadline": deadline, "source_demands": [d.pk for d in demands]}  # fmt: skip

    response = post(login(reviewer), POOLS, data)

    assert response.status_code == 201, response.json()
    assert response.json()["source_demands"] == sorted(d.pk for d in demands)


def test_pool_create_without_an_initiator_by_staff_or_a_member_of_several_is_refused(login, reviewer, issuer_member):
    MembershipFactory(organization=OrganizationFactory(kind="enterprise"), user=issuer_member)
    data = {"title": "集采", "description": "共性需求。", "threshold": "2000000", "deadline": (timezone.now() + timedelta(days=20)).isoformat()}  # fmt: skip

    by_staff = post(login(reviewer), POOLS, data)
    by_member_of_two = post(login(issuer_member), POOLS, data)

    assert field_errors(by_staff) == {"organization": [REQUIRED]}
    assert field_errors(by_member_of_two) == {
        "organization": [zh("You belong to several organizations: choose the initiator of this pool.")]
    }
    assert PooledProcurement.objects.count() == 0


def test_pool_create_by_others_is_refused(client, login, org_member):
    data = {"title": "集采", "description": "共性需求。", "threshold": "2000000", "deadline": (timezone.now() + timedelta(days=20)).isoformat()}  # fmt: skip

    # A university's member: pools are opened by enterprises.
    assert error(post(login(org_member), POOLS, data)) == (403, PERMISSION_DENIED)
    assert error(post(client, POOLS, data)) == (403, NOT_AUTHENTICATED)
    assert PooledProcurement.objects.count() == 0


def test_pool_create_with_a_past_deadline_or_bad_input_is_refused(login, issuer_member, foreign_organization):
    client = login(issuer_member)
    past = {"title": "集采", "description": "共性需求。", "threshold": "2000000", "deadline": (timezone.now() - timedelta(days=1)).isoformat()}  # fmt: skip

    late = post(client, POOLS, past)
    bad = post(client, POOLS, {**past, "threshold": "很多", "title": "", "organization": foreign_organization.pk})

    assert field_errors(late) == {"deadline": [zh("The deadline must be in the future.")]}
    assert sorted(field_errors(bad)) == ["organization", "threshold", "title"]
    assert PooledProcurement.objects.count() == 0


def test_pool_create_by_a_member_of_an_unverified_enterprise_is_refused(login):
    member = MembershipFactory(organization=OrganizationFactory(kind="enterprise", unverified=True)).user
    data = {"title": "集采", "description": "共性需求。", "threshold": "2000000", "deadline": (timezone.now() + timedelta(days=20)).isoformat()}  # fmt: skip

    assert error(post(login(member), POOLS, data)) == (403, PERMISSION_DENIED)
    assert PooledProcurement.objects.count() == 0


def test_pledge_by_a_member_of_several_enterprises_names_one(login, issuer_member, initiator, foreign_user, foreign_organization):  # fmt: skip
    pool = make_pool(issuer_member, initiator)
    second = OrganizationFactory(name="第二企业有限公司", kind="enterprise")
    MembershipFactory(organization=second, user=foreign_user)
    client = login(foreign_user)

    unnamed = client.post(pledges_url(pool), {"amount": "100", "agreement": pdf_upload()})
    named = client.post(pledges_url(pool), {"amount": "100", "agreement": pdf_upload(), "organization": second.pk})

    assert field_errors(unnamed) == {
        "organization": [zh("You belong to several enterprises: choose the one that pledges.")]
    }
    assert (named.status_code, named.json()["organization"]["id"]) == (201, second.pk)


def test_pools_filter_by_status(client, issuer_member, initiator):
    make_pool(issuer_member, initiator, title="已失效", deadline=timezone.now() + timedelta(days=1))
    pools_lapse(now=timezone.now() + timedelta(days=2))
    make_pool(issuer_member, initiator, title="征集中")

    assert titles(client.get(POOLS, {"status": "open"})) == ["征集中"]
    assert titles(client.get(POOLS, {"status": "lapsed"})) == ["已失效"]


@pytest.mark.parametrize(("actor", "sees"), [("visitor", False), ("other", False), ("issuer", True), ("staff", True)])
def test_pool_funded_shows_its_challenge_to_whoever_may_see_it(actor, sees, actors, issuer_member, initiator):
    pool = make_pool(issuer_member, initiator, threshold=Decimal("500000"))
    pledge(pool, enterprise_member("青岛承诺乙制造有限公司"), "500000")
    challenge = Challenge.objects.get(pool=pool)

    body = actors[actor].get(pool_url(pool)).json()

    assert (body["status"], body["progress"]) == ("funded", 100)
    assert body["challenge"] == ({"id": challenge.pk, "title": "海洋防腐涂层共性技术集采"} if sees else None)


# Pledges -----------------------------------------------------------------------------------


def test_pledge_create_with_the_signed_agreement(login, issuer_member, initiator, foreign_user, foreign_organization):
    pool = make_pool(issuer_member, initiator)

    response = login(foreign_user).post(pledges_url(pool), pledge_input("300000"))

    assert response.status_code == 201, response.json()
    created = Pledge.objects.get()
    agreement = created.agreement
    assert response.json() == {
        **response.json(),
        "id": created.pk,
        "pool": pool.pk,
        "organization": {"id": foreign_organization.pk, "name": "外部企业有限公司"},
        "created_by": {"id": foreign_user.pk, "name": foreign_user.name},
        "amount": "300000.00",
        "status": "active",
        "agreement": {
            "id": str(agreement.pk),
            "name": "预采购协议.pdf",
            "kind": "pdf",
            "size": agreement.size,
            "url": f"http://testserver/files/{agreement.pk}/",
        },
    }
    pool.refresh_from_db()
    assert (pool.pledged_total, pool.status) == (Decimal("300000"), PoolStatus.OPEN)


def test_pledge_reaching_the_threshold_funds_the_pool(login, issuer_member, initiator, foreign_user):
    pool = make_pool(issuer_member, initiator, threshold=Decimal("1000000"))
    pledge(pool, enterprise_member("青岛承诺丙能源有限公司"), "600000")

    response = login(foreign_user).post(pledges_url(pool), pledge_input("400000"))

    assert response.status_code == 201, response.json()
    pool.refresh_from_db()
    assert (pool.status, pool.pledged_total) == (PoolStatus.FUNDED, Decimal("1000000"))
    assert Challenge.objects.get(pool=pool).bounty == Decimal("1000000")


@pytest.mark.parametrize("state", ["lapsed", "past_deadline", "funded"])
def test_pledge_on_a_pool_no_longer_open_stores_nothing(state, login, issuer_member, initiator, foreign_user):
    pool = make_pool(issuer_member, initiator, threshold=Decimal("100000"), deadline=timezone.now() + timedelta(days=1))
    if state == "lapsed":
        pools_lapse(now=timezone.now() + timedelta(days=2))
    elif state == "past_deadline":
        PooledProcurement.objects.filter(pk=pool.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    else:
        pledge(pool, enterprise_member("青岛承诺丁材料有限公司"), "100000")
    pledges_before, files_before = Pledge.objects.count(), PrivateFile.objects.count()

    response = login(foreign_user).post(pledges_url(pool), pledge_input())

    message = zh("This pool no longer takes pledges.")
    assert error(response) == (400, {"code": "invalid", "message": message, "fields": {"non_field_errors": [message]}})
    assert (Pledge.objects.count(), PrivateFile.objects.count()) == (pledges_before, files_before)


def test_pledge_a_second_time_is_refused(login, issuer_member, initiator, foreign_user):
    pool = make_pool(issuer_member, initiator)
    client = login(foreign_user)
    client.post(pledges_url(pool), pledge_input())

    second = client.post(pledges_url(pool), pledge_input("100000"))

    assert error(second)[1]["message"] == zh("Your enterprise has already pledged to this pool.")
    pool.refresh_from_db()
    assert (Pledge.objects.count(), pool.pledged_total) == (1, Decimal("300000"))


def test_pledge_by_a_non_enterprise_is_refused(login, org_member, issuer_member, initiator):
    pool = make_pool(issuer_member, initiator)

    response = login(org_member).post(pledges_url(pool), pledge_input())

    assert error(response)[1]["message"] == zh("Only members of verified enterprises pledge.")
    assert Pledge.objects.count() == 0


def test_pledge_with_bad_input_is_refused(client, login, issuer_member, initiator, foreign_user):
    pool = make_pool(issuer_member, initiator)
    pledger = login(foreign_user)

    forged = pledger.post(pledges_url(pool), pledge_input(agreement=forged_pdf_upload()))
    missing = pledger.post(pledges_url(pool), {"amount": "很多"})
    zero = pledger.post(pledges_url(pool), pledge_input("0"))
    as_json = post(pledger, pledges_url(pool), {"amount": "1000"})
    anonymous = client.post(pledges_url(pool), pledge_input())

    assert forged.status_code == 400
    assert sorted(field_errors(missing)) == ["agreement", "amount"]
    assert field_errors(zero) == {"amount": [zh("Pledge a positive amount.")]}
    assert as_json.status_code == 415
    assert error(anonymous) == (403, NOT_AUTHENTICATED)
    pool.refresh_from_db()
    assert (Pledge.objects.count(), PrivateFile.objects.count(), pool.pledged_total) == (0, 0, Decimal("0"))


@pytest.mark.parametrize("actor", ACTORS)
def test_pledges_are_read_by_their_enterprise_and_staff_only(actor, actors, login, issuer_member, initiator, foreign_user):  # fmt: skip
    pool = make_pool(issuer_member, initiator, threshold=Decimal("5000000"))
    ours = pledge(pool, foreign_user)
    theirs = pledge(pool, enterprise_member("青岛承诺戊海洋有限公司"))

    listing = actors[actor].get(pledges_url(pool))
    detail = actors[actor].get(pledges_url(pool, theirs))

    if actor == "visitor":
        assert (error(listing), error(detail)) == ((403, NOT_AUTHENTICATED), (403, NOT_AUTHENTICATED))
    elif actor == "staff":
        assert (ids(listing), detail.status_code) == (sorted([ours.pk, theirs.pk]), 200)
    else:
        assert ids(listing) == ([ours.pk] if actor == "other" else [])
        assert error(detail) == (404, NOT_FOUND["error"])
        assert_never_contains(listing, ["青岛承诺戊海洋有限公司"])


def test_pledges_filter_by_status(login, issuer_member, initiator, foreign_user):
    pool = make_pool(issuer_member, initiator, deadline=timezone.now() + timedelta(days=1))
    ours = pledge(pool, foreign_user)
    pools_lapse(now=timezone.now() + timedelta(days=2))

    assert ids(login(foreign_user).get(pledges_url(pool), {"status": "released"})) == [ours.pk]
    assert ids(login(foreign_user).get(pledges_url(pool), {"status": "active"})) == []
    assert Pledge.objects.get().status == PledgeStatus.RELEASED


# Query counts ------------------------------------------------------------------------------


def assert_constant_queries(client, url, add_rows, django_assert_num_queries, params=None):
    client.get(url, params or {})  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as one:
        response = client.get(url, params or {})
    assert len(response.json()["results"]) == 1
    add_rows()
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url, params or {})
    assert len(response.json()["results"]) == 3


@pytest.mark.parametrize("actor", ["visitor", "other", "issuer", "staff"])
def test_challenges_list_query_count_does_not_grow_with_rows(
    actor, actors, org_member, issuer, issuer_member, reviewer, django_assert_num_queries
):
    def awarded():
        in_notice(issuer, issuer_member, reviewer, [org_member], demand=DemandFactory(organization=issuer, anonymous=True))  # fmt: skip

    awarded()

    def add_rows():
        awarded()
        awarded()

    assert_constant_queries(actors[actor], CHALLENGES, add_rows, django_assert_num_queries)


@pytest.mark.parametrize("actor", ["bidder", "issuer", "staff"])
def test_bids_list_query_count_does_not_grow_with_rows(
    actor, actors, org_member, issuer, issuer_member, reviewer, django_assert_num_queries
):
    challenge = bidding(issuer, issuer_member, reviewer)

    def add_bid():
        # The bidder withdraws and bids again: its rows grow along with everyone's.
        for bid in Bid.objects.filter(challenge=challenge, organization__name=BIDDER_NAME, status=BidStatus.SUBMITTED):
            bid.status = BidStatus.WITHDRAWN
            bid.save(update_fields=["status"])
        bid_submit(
            challenge=challenge,
            user=org_member,
            proposal="方案",
            team="团队",
            plan="计划",
            budget=Decimal(1),
            attachments=[pdf_upload()],
        )

    add_bid()

    def add_rows():
        add_bid()
        add_bid()

    assert_constant_queries(actors[actor], bids_url(challenge), add_rows, django_assert_num_queries)


@pytest.mark.parametrize("actor", ["visitor", "issuer", "staff"])
def test_pools_list_query_count_does_not_grow_with_rows(
    actor, actors, issuer_member, initiator, django_assert_num_queries
):
    def funded():
        pool = make_pool(issuer_member, initiator, threshold=Decimal("1000"))
        pool.source_demands.set([DemandFactory()])
        pledge(pool, enterprise_member(f"承诺企业{PooledProcurement.objects.count()}"), "1000")

    funded()

    def add_rows():
        funded()
        funded()

    assert_constant_queries(actors[actor], POOLS, add_rows, django_assert_num_queries)


def test_pledges_list_query_count_does_not_grow_with_rows(login, reviewer, issuer_member, initiator, django_assert_num_queries):  # fmt: skip
    pool = make_pool(issuer_member, initiator, threshold=Decimal("100000000"))
    pledge(pool, enterprise_member("承诺企业甲"))

    def add_rows():
        pledge(pool, enterprise_member("承诺企业乙"))
        pledge(pool, enterprise_member("承诺企业丙"))

    assert_constant_queries(login(reviewer), pledges_url(pool), add_rows, django_assert_num_queries)


def test_objections_list_query_count_does_not_grow_with_rows(
    login, reviewer, org_member, issuer, issuer_member, django_assert_num_queries
):
    challenge, _bids = in_notice(issuer, issuer_member, reviewer, [org_member])
    objection_lodge(challenge=challenge, user=UserFactory(), text="异议一")

    def add_rows():
        objection_lodge(challenge=challenge, user=UserFactory(), text="异议二")
        objection_lodge(challenge=challenge, user=UserFactory(), text="异议三")

    assert_constant_queries(login(reviewer), objections_url(challenge), add_rows, django_assert_num_queries)


# Schema ------------------------------------------------------------------------------------


def test_openapi_schema_documents_every_challenge_and_pool_endpoint(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if path.startswith(("/api/v1/challenges/", "/api/v1/pooled-procurements/"))
    }
    bids = "/api/v1/challenges/{challenge_pk}/bids/"
    pledges = "/api/v1/pooled-procurements/{pool_pk}/pledges/"
    verbs = ["milestones", "submit", "publish", "close-bidding", "shortlist", "award", "contract", "fail"]
    assert operations == {
        ("get", "/api/v1/challenges/"),
        ("post", "/api/v1/challenges/"),
        ("get", "/api/v1/challenges/{id}/"),
        ("patch", "/api/v1/challenges/{id}/"),
        ("delete", "/api/v1/challenges/{id}/milestones/{milestone_pk}/"),
        *{("post", f"/api/v1/challenges/{{id}}/{verb}/") for verb in verbs},
        ("get", bids),
        ("post", bids),
        ("get", bids + "{id}/"),
        ("put", bids + "{id}/"),
        ("patch", bids + "{id}/"),
        ("post", bids + "{id}/withdraw/"),
        ("get", "/api/v1/challenges/{challenge_pk}/objections/"),
        ("post", "/api/v1/challenges/{challenge_pk}/objections/"),
        ("get", "/api/v1/pooled-procurements/"),
        ("post", "/api/v1/pooled-procurements/"),
        ("get", "/api/v1/pooled-procurements/{id}/"),
        ("get", pledges),
        ("post", pledges),
        ("get", pledges + "{id}/"),
    }
    properties = schema["components"]["schemas"]["Challenge"]["properties"]
    assert properties["status"] == {"allOf": [{"$ref": "#/components/schemas/ChallengeStatusEnum"}], "readOnly": True}
    assert list(schema["paths"][pledges]["post"]["requestBody"]["content"]) == [
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ]
