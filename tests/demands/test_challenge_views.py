from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from demands.enums import BidStatus, ChallengeStatus, MilestoneStatus, ObjectionStatus, PledgeStatus, PoolStatus
from demands.models import Bid, Challenge, Milestone, Objection, Pledge, PooledProcurement
from demands.services.challenges import challenge_publish
from marketplace.enums import StaffGroup
from marketplace.models import IndustryField, Notification, PrivateFile
from tests.factories.challenges import BidFactory, ChallengeFactory, PledgeFactory, PooledProcurementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory
from tests.files import forged_pdf_upload, pdf_upload

pytestmark = pytest.mark.django_db

CHALLENGES = reverse("demands:challenges")
POOLS = reverse("demands:pools")


def zh(message: str, **values) -> str:
    """A message as the market shows it (whether or not its translation has landed yet)."""
    with translation.override("zh-hans"):
        text = gettext(message)
    return text % values if values else text


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def enterprise():
    return OrganizationFactory(name="青岛固态电池科技有限公司", short_name="青固科技", kind="enterprise")


@pytest.fixture
def boss(enterprise):
    return MembershipFactory(organization=enterprise, role="admin", user__username="boss").user


@pytest.fixture
def challenge(enterprise):
    return ChallengeFactory(demand=DemandFactory(organization=enterprise), title="硫化物电解质界面攻关")


# The public list ---------------------------------------------------------------------------


def test_challenge_list_shows_the_live_ones_first_and_no_drafts(client):
    ChallengeFactory(title="已失败", failed=True)
    ChallengeFactory(title="草稿", draft=True)
    ChallengeFactory(title="即将开放", announced=True)
    ChallengeFactory(title="公示中", notice=True)
    ChallengeFactory(title="晚截止", closes_at=timezone.now() + timedelta(days=20))
    ChallengeFactory(title="早截止", closes_at=timezone.now() + timedelta(days=2))

    response = client.get(CHALLENGES)

    titles = [challenge.title for challenge in response.context["page"]]
    assert titles == ["早截止", "晚截止", "即将开放", "公示中", "已失败"]
    assert 'datetime="' in response.content.decode() and "data-countdown" in response.content.decode()


def test_challenge_list_filters_by_status(client):
    ChallengeFactory(title="揭榜中")
    ChallengeFactory(title="评审中", reviewing=True)

    titles = [challenge.title for challenge in client.get(CHALLENGES, {"status": "reviewing"}).context["page"]]
    unknown = [challenge.title for challenge in client.get(CHALLENGES, {"status": "draft"}).context["page"]]

    assert titles == ["评审中"]
    assert sorted(unknown) == ["揭榜中", "评审中"]


def test_challenge_list_query_count_does_not_grow_with_rows(login, org_member, django_assert_num_queries):
    client = login(org_member)
    ChallengeFactory(demand=DemandFactory(anonymous=True))
    with CaptureQueriesContext(connection) as one:
        client.get(CHALLENGES)
    ChallengeFactory(demand=DemandFactory(anonymous=True, brokers=[UserFactory()]), fields=["hydrogen", "robotics"])
    ChallengeFactory(notice=True, demand=None, organization=OrganizationFactory())
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(CHALLENGES)
    assert len(response.context["page"]) == 3


# The detail page ---------------------------------------------------------------------------


def test_challenge_detail_shows_bounty_window_milestones_issuer_and_timeline(client, enterprise, reviewer):
    draft = ChallengeFactory(
        demand=DemandFactory(organization=enterprise),
        draft=True,
        title="高镍正极界面稳定性",
        eligibility="具备中试线的单位",
        deliverables="工艺包与检测报告",
    )
    challenge_publish(challenge=draft, reviewer=reviewer)

    response = client.get(draft.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert "高镍正极界面稳定性" in content and enterprise.name in content
    assert 'id="challenge-bounty">' + zh("%(amount)s 10k yuan", amount="200") in content
    closes = timezone.localtime(draft.closes_at)
    assert f'datetime="{closes.isoformat()}" data-countdown' in content
    assert closes.strftime("%Y-%m-%d %H:%M") in content
    assert "具备中试线的单位" in content and "工艺包与检测报告" in content
    assert "材料配方定型" in content and "中试验证" in content and ">80<" in content and ">120<" in content
    timeline = content.split('id="challenge-timeline"')[1].split("</ol>")[0]
    assert str(ChallengeStatus.PUBLISHED.label) in timeline and str(ChallengeStatus.BIDDING.label) in timeline
    assert reverse("login") in content  # anonymous: log in to bid


def test_challenge_names_its_issuer_but_links_an_anonymous_demand_only_for_insiders(
    client, login, enterprise, boss, org_member
):
    demand = DemandFactory(organization=enterprise, anonymous=True)
    challenge = ChallengeFactory(demand=demand)
    public_demand_challenge = ChallengeFactory()

    for viewer in (client, login(org_member)):
        content = viewer.get(challenge.get_absolute_url()).content.decode()
        assert enterprise.name in content.split('id="challenge-issuer"')[1].split("</p>")[0]
        assert demand.get_absolute_url() not in content
    assert demand.get_absolute_url() in login(boss).get(challenge.get_absolute_url()).content.decode()
    assert (
        public_demand_challenge.demand.get_absolute_url()
        in client.get(public_demand_challenge.get_absolute_url()).content.decode()
    )


def test_drafts_are_404_to_outsiders(client, login, enterprise, boss, reviewer, org_member, foreign_user):
    draft = ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True)

    for outsider in (client, login(foreign_user), login(org_member)):
        assert outsider.get(draft.get_absolute_url()).status_code == 404
    for outsider in (login(foreign_user), login(org_member)):
        assert outsider.get(reverse("demands:workspace-challenge", args=[draft.pk])).status_code == 404
        assert outsider.get(reverse("demands:challenge-bid", args=[draft.pk])).status_code == 404
        assert outsider.post(reverse("demands:challenge-milestone-add", args=[draft.pk])).status_code == 404
    assert login(boss).get(draft.get_absolute_url()).status_code == 200
    assert login(reviewer).get(draft.get_absolute_url()).status_code == 200


# The issuer's workspace --------------------------------------------------------------------


def _challenge_data(demand, **overrides):
    opens = timezone.now() + timedelta(days=3)
    data = {
        "demand": demand.pk,
        "title": "深海耐压舱体焊缝检测",
        "description": "厚壁钛合金焊缝缺陷检出率不足。",
        "bounty_wan": "300",
        "opens_at": _local(opens),
        "closes_at": _local(opens + timedelta(days=30)),
        "eligibility": "具备相控阵检测能力。",
        "deliverables": "检测系统样机。",
        "review_criteria": "",
        "award_count": "1",
        "notice_days": "7",
        "milestones-TOTAL_FORMS": "3",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "1",
        "milestones-MAX_NUM_FORMS": "12",
        "milestones-0-title": "样机研制",
        "milestones-0-due_date": (timezone.localdate() + timedelta(days=120)).isoformat(),
        "milestones-0-tranche_wan": "100",
        "milestones-1-title": "海试验证",
        "milestones-1-due_date": (timezone.localdate() + timedelta(days=240)).isoformat(),
        "milestones-1-tranche_wan": "150",
    }
    data.update(overrides)
    return data


def test_issuer_creates_a_draft_challenge_with_milestones(login, enterprise, boss):
    demand = DemandFactory(organization=enterprise, title="焊缝检测需求")
    client = login(boss)
    form_page = client.get(reverse("demands:challenge-create"), {"demand": demand.pk})
    assert form_page.status_code == 200 and 'value="焊缝检测需求"' in form_page.content.decode()

    response = client.post(reverse("demands:challenge-create"), _challenge_data(demand), follow=True)

    challenge = Challenge.objects.get()
    assert response.redirect_chain[-1][0] == reverse("demands:workspace-challenge", args=[challenge.pk])
    assert (challenge.status, challenge.organization, challenge.demand, challenge.bounty) == (
        ChallengeStatus.DRAFT,
        enterprise,
        demand,
        Decimal("3000000.00"),
    )
    assert [(m.title, m.tranche) for m in challenge.milestones.all()] == [
        ("样机研制", Decimal("1000000.00")),
        ("海试验证", Decimal("1500000.00")),
    ]
    assert list(challenge.industry_fields.all()) == list(demand.industry_fields.all())
    listing = client.get(reverse("demands:workspace-challenges")).content.decode()
    assert "深海耐压舱体焊缝检测" in listing


def test_tranches_above_the_bounty_are_refused_and_nothing_is_saved(login, enterprise, boss):
    demand = DemandFactory(organization=enterprise)

    response = login(boss).post(
        reverse("demands:challenge-create"), _challenge_data(demand, **{"milestones-1-tranche_wan": "250"})
    )

    message = zh("The tranches add up to %(total)s yuan, more than the bounty.", total="3,500,000.00")
    assert response.status_code == 200 and message in response.content.decode()
    assert not Challenge.objects.exists() and not Milestone.objects.exists()


def test_challenge_form_errors_save_nothing(login, enterprise, boss):
    demand = DemandFactory(organization=enterprise)
    foreign_demand = DemandFactory()
    past = timezone.now() - timedelta(days=1)
    client = login(boss)

    bad_window = client.post(
        reverse("demands:challenge-create"), _challenge_data(demand, closes_at=_local(past), opens_at=_local(past))
    )
    no_milestone = client.post(
        reverse("demands:challenge-create"),
        _challenge_data(
            demand,
            **{
                "milestones-0-title": "",
                "milestones-0-due_date": "",
                "milestones-0-tranche_wan": "",
                "milestones-1-title": "",
                "milestones-1-due_date": "",
                "milestones-1-tranche_wan": "",
            },
        ),
    )
    not_ours = client.post(reverse("demands:challenge-create"), _challenge_data(foreign_demand))

    assert 'id="id_closes_at_error"' in bad_window.content.decode()
    assert 'id="id_milestones-0-title_error"' in no_milestone.content.decode()
    assert 'id="id_demand_error"' in not_ours.content.decode()
    assert not Challenge.objects.exists()


def test_challenge_form_live_validation_returns_only_the_field(login, enterprise, boss):
    demand = DemandFactory(organization=enterprise)
    client = login(boss)
    opens = timezone.now() + timedelta(days=3)
    data = _challenge_data(demand, closes_at=_local(opens - timedelta(days=1)))

    field = client.post(reverse("demands:challenge-create"), {**data, "_validate": "closes_at"}, HTTP_HX_REQUEST="true")
    milestone = client.post(
        reverse("demands:challenge-create"), {**data, "_validate": "milestones-0-title"}, HTTP_HX_REQUEST="true"
    )

    content = field.content.decode()
    assert 'id="group-closes_at"' in content and "<html" not in content
    assert zh("The window must close after it opens.") in content
    assert milestone.status_code == 204
    assert not Challenge.objects.exists()


def test_milestone_above_the_remaining_bounty_is_refused_with_the_service_message(login, enterprise, boss):
    draft = ChallengeFactory(
        demand=DemandFactory(organization=enterprise), draft=True, milestones=[("一期", Decimal("1500000"))]
    )
    url = reverse("demands:challenge-milestone-add", args=[draft.pk])
    data = {"title": "二期", "due_date": (timezone.localdate() + timedelta(days=200)).isoformat()}
    client = login(boss)

    refused = client.post(url, {**data, "tranche_wan": "60"})
    added = client.post(url, {**data, "tranche_wan": "50"})

    assert refused.status_code == 200
    assert (
        zh("Only %(remaining)s yuan of the bounty remain for tranches.", remaining="500,000.00")
        in refused.content.decode()
    )
    assert added.status_code == 302
    assert [m.tranche for m in draft.milestones.all()] == [Decimal("1500000.00"), Decimal("500000.00")]


def test_milestones_of_a_published_challenge_are_not_added_from_the_workspace(login, challenge, boss):
    response = login(boss).post(
        reverse("demands:challenge-milestone-add", args=[challenge.pk]),
        {"title": "三期", "due_date": (timezone.localdate() + timedelta(days=200)).isoformat(), "tranche_wan": "0"},
    )

    assert response.status_code == 200 and 'id="milestone-add"' not in response.content.decode()
    assert challenge.milestones.count() == 2


def test_issuer_edits_a_draft_with_the_challenge_form(login, enterprise, boss):
    draft = ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True, title="旧标题")
    url = reverse("demands:challenge-edit", args=[draft.pk])
    client = login(boss)
    page = client.get(url).content.decode()
    assert 'value="旧标题"' in page and 'value="200"' in page and 'name="demand"' not in page
    assert url in client.get(reverse("demands:workspace-challenge", args=[draft.pk])).content.decode()
    opens = timezone.now() + timedelta(days=3)
    data = {
        "title": "新标题",
        "description": draft.description,
        "bounty_wan": "250",
        "opens_at": _local(opens),
        "closes_at": _local(opens + timedelta(days=30)),
        "eligibility": draft.eligibility,
        "deliverables": "工艺包、检测报告及样品。",
        "review_criteria": "",
        "award_count": "2",
        "notice_days": "10",
    }

    too_low = client.post(url, {**data, "bounty_wan": "150"})
    response = client.post(url, data)

    assert 'id="id_bounty_wan_error"' in too_low.content.decode()
    assert (
        zh("The tranches add up to %(total)s yuan, more than the bounty.", total="2,000,000.00")
        in too_low.content.decode()
    )
    assert response.url == reverse("demands:workspace-challenge", args=[draft.pk])
    draft.refresh_from_db()
    assert (draft.title, draft.bounty, draft.award_count, draft.notice_days, draft.demand.organization) == (
        "新标题",
        Decimal("2500000.00"),
        2,
        10,
        enterprise,
    )


def test_only_the_issuers_drafts_are_edited_from_the_workspace(login, enterprise, boss, challenge, foreign_user):
    draft = ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True)
    milestone = draft.milestones.first()

    outsider = login(foreign_user)
    assert outsider.get(reverse("demands:challenge-edit", args=[draft.pk])).status_code == 404
    assert outsider.post(reverse("demands:challenge-edit", args=[draft.pk]), {"title": "x"}).status_code == 404
    assert outsider.post(reverse("demands:challenge-submit", args=[draft.pk])).status_code == 404
    remove = reverse("demands:challenge-milestone-remove", args=[draft.pk, milestone.pk])
    assert outsider.post(remove).status_code == 404
    published = login(boss).get(reverse("demands:challenge-edit", args=[challenge.pk]))
    assert published.url == reverse("demands:workspace-challenge", args=[challenge.pk])
    page = login(boss).get(reverse("demands:workspace-challenge", args=[challenge.pk])).content.decode()
    assert 'id="challenge-edit"' not in page and 'id="challenge-submit"' not in page and "milestone-remove" not in page
    assert draft.milestones.count() == 2


def test_issuer_removes_a_milestone_of_a_draft(login, enterprise, boss, challenge):
    draft = ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True)
    first, second = draft.milestones.all()
    client = login(boss)

    response = client.post(reverse("demands:challenge-milestone-remove", args=[draft.pk, first.pk]))
    elsewhere = client.post(
        reverse("demands:challenge-milestone-remove", args=[draft.pk, challenge.milestones.first().pk])
    )
    published = client.post(
        reverse("demands:challenge-milestone-remove", args=[challenge.pk, challenge.milestones.first().pk]), follow=True
    )

    assert response.url == reverse("demands:workspace-challenge", args=[draft.pk])
    assert list(draft.milestones.values_list("pk", "position")) == [(second.pk, 0)]
    assert elsewhere.status_code == 404
    assert zh("Milestones are changed in a draft only; ask the bureau to change this challenge.") in (
        published.content.decode()
    )
    assert challenge.milestones.count() == 2


def test_issuer_submits_a_draft_and_the_reviewers_are_told(client, login, enterprise, boss, reviewer, org_member):
    draft = ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True, title="待提交的榜单")
    workspace = reverse("demands:workspace-challenge", args=[draft.pk])
    UserFactory(username="otherreviewer", staff_groups=[StaffGroup.REVIEWER])

    response = login(boss).post(reverse("demands:challenge-submit", args=[draft.pk]), follow=True)

    draft.refresh_from_db()
    assert draft.status == ChallengeStatus.SUBMITTED
    content = response.content.decode()
    assert response.redirect_chain[-1][0] == workspace and 'id="challenge-submitted"' in content
    assert 'id="challenge-submit"' not in content and 'id="challenge-edit"' not in content
    assert sorted(Notification.objects.filter(kind="challenge.submitted").values_list("user__username", flat=True)) == [
        "otherreviewer",
        "reviewer",
    ]
    for outsider in (client, login(org_member)):
        assert outsider.get(draft.get_absolute_url()).status_code == 404
    assert "待提交的榜单" not in client.get(CHALLENGES).content.decode()
    assert login(boss).get(reverse("demands:challenge-edit", args=[draft.pk])).url == workspace
    again = login(boss).post(reverse("demands:challenge-submit", args=[draft.pk]), follow=True)
    assert again.redirect_chain[-1][0] == workspace
    assert Notification.objects.filter(kind="challenge.submitted").count() == 2


def test_a_returned_draft_shows_the_bureaus_reason(login, enterprise, boss, reviewer):
    from demands.services.challenges import challenge_return, challenge_submit

    draft = ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True)
    challenge_submit(challenge=draft, user=boss)
    challenge_return(challenge=draft, reviewer=reviewer, reason="请补充验收标准")

    page = login(boss).get(reverse("demands:workspace-challenge", args=[draft.pk])).content.decode()

    assert "请补充验收标准" in page.split('id="challenge-returned"')[1].split("</div>")[0]
    assert 'id="challenge-submit"' in page and 'id="challenge-edit"' in page


def test_reviewers_return_a_submitted_challenge_from_the_admin(login, enterprise, boss, reviewer):
    from demands.services.challenges import challenge_submit

    submitted = ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True)
    challenge_submit(challenge=submitted, user=boss)
    staff = login(reviewer)
    assert staff.get(reverse("admin:demands_challenge_change", args=[submitted.pk])).status_code == 200

    staff.post(
        reverse("admin:demands_challenge_changelist"),
        {"action": "return_to_issuer", "_selected_action": [submitted.pk], "apply": "1", "reason": "请补充验收标准"},
    )

    submitted.refresh_from_db()
    assert submitted.status == ChallengeStatus.DRAFT
    assert Notification.objects.get(user=boss, kind="challenge.returned").body == "请补充验收标准"


def test_issuer_sees_the_bids_in_the_workspace(login, boss, challenge, foreign_user):
    BidFactory(challenge=challenge, organization=OrganizationFactory(name="海洋大学", kind="university"))
    BidFactory(
        challenge=challenge, organization=OrganizationFactory(name="材料研究所", kind="institute"), withdrawn=True
    )
    Challenge.objects.filter(pk=challenge.pk).update(status=ChallengeStatus.REVIEWING)

    page = login(boss).get(reverse("demands:workspace-challenge", args=[challenge.pk]))
    listing = login(boss).get(reverse("demands:workspace-challenges"))

    bids = page.content.decode().split('id="challenge-bids"')[1]
    assert "海洋大学" in bids and "材料研究所" in bids
    assert [c.bid_count for c in listing.context["page"]] == [1]
    assert login(foreign_user).get(reverse("demands:workspace-challenge", args=[challenge.pk])).status_code == 404


def test_workspace_challenges_query_count_does_not_grow_with_rows(login, enterprise, boss, django_assert_num_queries):
    client = login(boss)
    BidFactory(challenge=ChallengeFactory(demand=DemandFactory(organization=enterprise)))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("demands:workspace-challenges"))
    ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True)
    ChallengeFactory(demand=DemandFactory(organization=enterprise), notice=True)
    PooledProcurementFactory(organization=enterprise)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("demands:workspace-challenges"))
    assert len(response.context["page"]) == 3


# Bids --------------------------------------------------------------------------------------


def _bid_data(**overrides):
    data = {"proposal": "卤化物包覆隔离界面。", "team": "课题组 8 人。", "plan": "12 个月两阶段。", "budget_wan": "150"}
    data.update(overrides)
    return data


def test_an_organization_bids_edits_and_withdraws_while_the_window_is_open(login, challenge, organization, org_member):
    client = login(org_member)
    assert client.get(reverse("demands:challenge-bid", args=[challenge.pk])).status_code == 200

    response = client.post(
        reverse("demands:challenge-bid", args=[challenge.pk]), _bid_data(attachments=[pdf_upload("技术方案.pdf")])
    )

    bid = Bid.objects.get()
    assert response.url == reverse("demands:bid", args=[bid.pk])
    assert (bid.organization, bid.budget, bid.status) == (organization, Decimal("1500000.00"), BidStatus.SUBMITTED)
    assert PrivateFile.objects.get().original_name == "技术方案.pdf"
    status_page = client.get(bid.get_absolute_url()).content.decode()
    assert 'id="bid-status"' in status_page and "技术方案.pdf" in status_page and 'id="bid-edit"' in status_page
    assert 'id="own-bid"' in client.get(challenge.get_absolute_url()).content.decode()
    assert client.get(reverse("demands:challenge-bid", args=[challenge.pk])).url == bid.get_absolute_url()

    assert client.get(reverse("demands:bid-edit", args=[bid.pk])).status_code == 200
    client.post(reverse("demands:bid-edit", args=[bid.pk]), _bid_data(budget_wan="120.5"))
    bid.refresh_from_db()
    assert bid.budget == Decimal("1205000.00")

    client.post(reverse("demands:bid-withdraw", args=[bid.pk]))
    bid.refresh_from_db()
    assert bid.status == BidStatus.WITHDRAWN


def test_a_second_live_bid_is_refused_with_the_service_message(login, challenge, organization, org_member):
    BidFactory(challenge=challenge, organization=organization)

    response = login(org_member).post(reverse("demands:challenge-bid", args=[challenge.pk]), _bid_data())

    assert response.status_code == 200
    assert zh("Your organization already has a live bid for this challenge.") in response.content.decode()
    assert Bid.objects.count() == 1


@pytest.mark.parametrize("trait", ["window_closed", "announced", "reviewing"])
def test_a_bid_outside_the_window_is_refused(login, org_member, trait):
    challenge = ChallengeFactory(**{trait: True})

    page = login(org_member).get(reverse("demands:challenge-bid", args=[challenge.pk]))
    response = login(org_member).post(reverse("demands:challenge-bid", args=[challenge.pk]), _bid_data())

    assert 'id="window-closed"' in page.content.decode()
    assert response.status_code == 200
    assert zh("The bidding window of this challenge is not open.") in response.content.decode()
    assert not Bid.objects.exists()


def test_the_issuer_and_unverified_organizations_cannot_bid(login, challenge, boss):
    unverified = MembershipFactory(organization=OrganizationFactory(unverified=True, kind="university")).user

    for user in (boss, unverified):
        response = login(user).post(reverse("demands:challenge-bid", args=[challenge.pk]), _bid_data())
        assert response.url == challenge.get_absolute_url()
    assert not Bid.objects.exists()


def test_someone_elses_bid_is_404(login, challenge, boss, org_member, organization, foreign_user, reviewer):
    bid = BidFactory(challenge=challenge, organization=organization)

    outsider = login(foreign_user)
    assert outsider.get(bid.get_absolute_url()).status_code == 404
    assert outsider.get(reverse("demands:bid-edit", args=[bid.pk])).status_code == 404
    assert outsider.post(reverse("demands:bid-edit", args=[bid.pk]), _bid_data()).status_code == 404
    assert outsider.post(reverse("demands:bid-withdraw", args=[bid.pk])).status_code == 404
    assert login(boss).get(bid.get_absolute_url()).status_code == 200
    assert login(boss).get(reverse("demands:bid-edit", args=[bid.pk])).status_code == 404
    assert login(reviewer).get(bid.get_absolute_url()).status_code == 200
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED


def test_a_bid_is_frozen_when_the_window_closes(login, org_member, organization):
    bid = BidFactory(challenge=ChallengeFactory(window_closed=True), organization=organization)
    client = login(org_member)

    edit = client.get(reverse("demands:bid-edit", args=[bid.pk]))
    withdraw = client.post(reverse("demands:bid-withdraw", args=[bid.pk]), follow=True)

    assert edit.url == bid.get_absolute_url()
    assert zh("The bidding window of this challenge is not open.") in withdraw.content.decode()
    assert 'id="bid-edit"' not in client.get(bid.get_absolute_url()).content.decode()
    bid.refresh_from_db()
    assert bid.status == BidStatus.SUBMITTED


def test_bid_list_query_count_does_not_grow_with_rows(login, org_member, organization, django_assert_num_queries):
    client = login(org_member)
    BidFactory(organization=organization)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("demands:bids"))
    BidFactory(organization=organization, challenge=ChallengeFactory(notice=True), awarded=True)
    BidFactory(organization=organization, withdrawn=True)
    BidFactory()  # someone else's
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("demands:bids"))
    assert len(response.context["page"]) == 3


# Public notice and objections ----------------------------------------------------------------


def test_notice_page_shows_the_winners_and_takes_objections(client, login, reviewer, foreign_user):
    challenge = ChallengeFactory(notice=True, title="公示的榜单")
    BidFactory(
        challenge=challenge,
        organization=OrganizationFactory(name="中标大学", kind="university"),
        budget=1_750_000,
        awarded=True,
    )
    BidFactory(
        challenge=challenge, organization=OrganizationFactory(name="落选研究院", kind="institute"), not_selected=True
    )
    url = reverse("demands:challenge-notice", args=[challenge.pk])

    public = client.get(url).content.decode()
    winners = public.split('id="notice-winners"')[1].split("</table>")[0]
    assert "中标大学" in winners and ">175<" in winners and "落选研究院" not in public
    assert timezone.localtime(challenge.notice_ends_at).strftime("%Y-%m-%d %H:%M") in public
    assert 'id="objection-form"' not in public and reverse("login") in public
    assert 'id="notice-link"' in client.get(challenge.get_absolute_url()).content.decode()

    objector = login(foreign_user)
    objector.post(url, {"text": "中标单位与发榜企业存在关联。"})
    objection = Objection.objects.get()
    assert (objection.user, objection.status) == (foreign_user, ObjectionStatus.OPEN)
    assert str(ObjectionStatus.OPEN.label) in objector.get(url).content.decode()

    login(reviewer).post(
        reverse("admin:demands_objection_changelist"),
        {"action": "dismiss", "_selected_action": [objection.pk], "apply": "1", "reason": "经核查不存在关联关系"},
    )
    own = objector.get(url).content.decode().split('id="own-objections"')[1]
    assert str(ObjectionStatus.DISMISSED.label) in own and "经核查不存在关联关系" in own


def test_objections_need_a_login_and_a_running_notice(client, login, foreign_user):
    running = ChallengeFactory(notice=True)
    finished = ChallengeFactory(in_progress=True)

    anonymous = client.post(reverse("demands:challenge-notice", args=[running.pk]), {"text": "异议"})
    late = login(foreign_user).post(reverse("demands:challenge-notice", args=[finished.pk]), {"text": "异议"})

    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert late.status_code == 200 and 'id="objection-form"' not in late.content.decode()
    assert not Objection.objects.exists()


def test_there_is_no_notice_before_the_award(client, challenge):
    assert client.get(reverse("demands:challenge-notice", args=[challenge.pk])).status_code == 404


# Milestones --------------------------------------------------------------------------------


def test_the_winner_reports_a_milestone_and_staff_approve_it_in_the_admin(
    login, organization, org_member, foreign_user, reviewer
):
    challenge = ChallengeFactory(in_progress=True)
    bid = BidFactory(challenge=challenge, organization=organization, awarded=True)
    first, second = challenge.milestones.all()
    client = login(org_member)
    page = client.get(bid.get_absolute_url()).content.decode()
    assert reverse("demands:milestone-report", args=[first.pk]) in page

    assert (
        login(foreign_user)
        .post(reverse("demands:milestone-report", args=[first.pk]), {f"m{first.pk}-report": "x"})
        .status_code
        == 404
    )
    empty = client.post(reverse("demands:milestone-report", args=[first.pk]), {f"m{first.pk}-report": ""})
    client.post(
        reverse("demands:milestone-report", args=[first.pk]), {f"m{first.pk}-report": "配方已定型，检测报告见附件。"}
    )

    first.refresh_from_db()
    assert empty.url == bid.get_absolute_url()
    assert (first.status, first.report) == (MilestoneStatus.SUBMITTED, "配方已定型，检测报告见附件。")
    again = client.post(
        reverse("demands:milestone-report", args=[first.pk]), {f"m{first.pk}-report": "再报"}, follow=True
    )
    assert zh("This milestone is not waiting for a report.") in again.content.decode()

    login(reviewer).post(
        reverse("admin:demands_milestone_changelist"), {"action": "approve", "_selected_action": [first.pk]}
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (MilestoneStatus.APPROVED, MilestoneStatus.PENDING)
    assert first.released_at is not None


# Pools -------------------------------------------------------------------------------------


@pytest.fixture
def pledger():
    enterprise = OrganizationFactory(name="即墨印染有限公司", kind="enterprise")
    return MembershipFactory(organization=enterprise, role="admin", user__username="pledger").user


def test_pool_list_shows_open_pools_first(client):
    PooledProcurementFactory(title="已失效", lapsed=True)
    PooledProcurementFactory(title="晚截止", deadline=timezone.now() + timedelta(days=40))
    PooledProcurementFactory(title="早截止", deadline=timezone.now() + timedelta(days=3))

    page = client.get(POOLS).context["page"]
    lapsed_only = client.get(POOLS, {"status": "lapsed"}).context["page"]

    assert [pool.title for pool in page] == ["早截止", "晚截止", "已失效"]
    assert [pool.title for pool in lapsed_only] == ["已失效"]


def test_pool_list_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    PooledProcurementFactory()
    with CaptureQueriesContext(connection) as one:
        client.get(POOLS)
    funded = PooledProcurementFactory(funded=True, pledged_total=Decimal("3000000"))
    ChallengeFactory(demand=None, organization=funded.organization, pool=funded, draft=True)
    PooledProcurementFactory(lapsed=True)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(POOLS)
    assert len(response.context["page"]) == 3


def test_pool_detail_has_an_accessible_funding_bar(client):
    pool = PooledProcurementFactory(threshold=Decimal("3000000"), pledged_total=Decimal("1200000"))

    content = client.get(pool.get_absolute_url()).content.decode()

    bar = content.split(f'id="funding-bar-{pool.pk}"')[0].rsplit("<div", 1)[1]
    assert 'role="progressbar"' in bar and 'aria-valuenow="40"' in bar
    assert 'aria-valuemin="0"' in bar and 'aria-valuemax="100"' in bar and "aria-valuetext=" in bar
    assert '<rect width="40%"' in content and 'style="' not in content
    assert reverse("login") in content


def test_an_enterprise_pledges_and_funds_the_pool(login, pledger):
    issuer = MembershipFactory(organization=OrganizationFactory(kind="enterprise")).user
    pool = PooledProcurementFactory(
        organization=issuer.memberships.get().organization,
        created_by=issuer,
        threshold=Decimal("3000000"),
        pledged_total=Decimal("2000000"),
    )
    client = login(pledger)
    assert 'id="pledge-form"' in client.get(pool.get_absolute_url()).content.decode()

    response = client.post(pool.get_absolute_url(), {"amount_wan": "100", "agreement": pdf_upload("预采购协议.pdf")})

    pool.refresh_from_db()
    pledge = Pledge.objects.get()
    assert response.url == pool.get_absolute_url()
    assert (pledge.amount, pledge.organization.name, pledge.agreement.original_name) == (
        Decimal("1000000.00"),
        "即墨印染有限公司",
        "预采购协议.pdf",
    )
    assert (pool.status, pool.pledged_total) == (PoolStatus.FUNDED, Decimal("3000000.00"))
    page = client.get(pool.get_absolute_url()).content.decode()
    assert 'id="pool-funded"' in page and 'id="own-pledges"' in page and 'id="pool-challenge"' not in page
    issuer_page = login(issuer).get(pool.get_absolute_url()).content.decode()
    assert f'id="pool-challenge" href="{pool.challenge.get_absolute_url()}"' in issuer_page
    Challenge.objects.filter(pk=pool.challenge.pk).update(status=ChallengeStatus.BIDDING)
    assert 'id="pool-challenge"' in client.get(pool.get_absolute_url()).content.decode()


def test_a_forged_agreement_is_refused_and_nothing_is_pledged(login, pledger):
    pool = PooledProcurementFactory()

    response = login(pledger).post(pool.get_absolute_url(), {"amount_wan": "100", "agreement": forged_pdf_upload()})

    assert response.status_code == 200 and "按文件内容判断" in response.content.decode()
    pool.refresh_from_db()
    assert not Pledge.objects.exists() and pool.pledged_total == 0


def test_a_pledge_on_a_lapsed_pool_is_refused(login, pledger):
    pool = PooledProcurementFactory(lapsed=True)
    PledgeFactory(pool=pool, status=PledgeStatus.RELEASED)

    response = login(pledger).post(pool.get_absolute_url(), {"amount_wan": "100", "agreement": pdf_upload()})

    content = response.content.decode()
    assert response.status_code == 200 and 'id="pool-lapsed"' in content
    assert zh("This pool no longer takes pledges.") in content
    assert Pledge.objects.count() == 1


def test_a_pledge_past_the_deadline_is_refused_before_the_pool_lapses(login, pledger):
    pool = PooledProcurementFactory(deadline=timezone.now() - timedelta(minutes=5))
    client = login(pledger)

    page = client.get(pool.get_absolute_url()).content.decode()
    response = client.post(pool.get_absolute_url(), {"amount_wan": "100", "agreement": pdf_upload()})

    assert 'id="pledge-form"' not in page
    assert zh("This pool no longer takes pledges.") in response.content.decode()
    assert not Pledge.objects.exists()


def test_pledges_need_a_login_and_an_enterprise(client, login, org_member):
    pool = PooledProcurementFactory()

    anonymous = client.post(pool.get_absolute_url(), {"amount_wan": "100", "agreement": pdf_upload()})
    university = login(org_member).post(pool.get_absolute_url(), {"amount_wan": "100", "agreement": pdf_upload()})

    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    assert zh("Only members of verified enterprises pledge.") in university.content.decode()
    assert not Pledge.objects.exists()


def test_an_enterprise_opens_a_pool(login, enterprise, boss, org_member):
    demand = DemandFactory(organization=enterprise, title="印染废水需求")
    client = login(boss)
    assert client.get(reverse("demands:pool-create")).status_code == 200
    data = {
        "title": "印染废水零排放联合攻关",
        "description": "多家企业共同的高盐废水难题。",
        "industry_fields": [IndustryField.objects.get(code="water-treatment").pk],
        "threshold_wan": "500",
        "deadline": _local(timezone.now() + timedelta(days=30)),
        "source_demands": [demand.pk],
    }

    past = client.post(reverse("demands:pool-create"), {**data, "deadline": _local(timezone.now() - timedelta(days=1))})
    response = client.post(reverse("demands:pool-create"), data)

    assert zh("The deadline must be in the future.") in past.content.decode()
    pool = PooledProcurement.objects.get()
    assert response.url == pool.get_absolute_url()
    assert (pool.organization, pool.threshold, pool.status) == (enterprise, Decimal("5000000.00"), PoolStatus.OPEN)
    assert list(pool.source_demands.all()) == [demand]
    assert "印染废水需求" in client.get(pool.get_absolute_url()).content.decode()
    assert login(org_member).get(reverse("demands:pool-create")).url == POOLS


def test_members_of_unverified_enterprises_do_not_open_pools(login):
    member = MembershipFactory(organization=OrganizationFactory(kind="enterprise", unverified=True)).user
    client = login(member)

    page = client.get(reverse("demands:pool-create"), follow=True)
    response = client.post(
        reverse("demands:pool-create"),
        {
            "title": "集采",
            "description": "共性需求。",
            "threshold_wan": "500",
            "deadline": _local(timezone.now() + timedelta(days=30)),
        },
    )

    assert page.redirect_chain[-1][0] == POOLS
    assert zh("Pools are opened by members of verified enterprises.") in page.content.decode()
    assert response.url == POOLS
    assert not PooledProcurement.objects.exists()


def test_an_objection_after_the_notice_ended_is_refused_with_the_reason(login, foreign_user):
    challenge = ChallengeFactory(notice=True)
    Challenge.objects.filter(pk=challenge.pk).update(notice_ends_at=timezone.now() - timedelta(minutes=1))

    response = login(foreign_user).post(reverse("demands:challenge-notice", args=[challenge.pk]), {"text": "异议"})

    assert response.status_code == 200
    assert zh("The public notice period has ended.") in response.content.decode()
    assert not Objection.objects.exists()


# Navigation --------------------------------------------------------------------------------


def test_navigation_links_the_challenge_and_pool_pages(client, login, boss, org_member):
    public = client.get(reverse("home")).content.decode()
    enterprise_nav = login(boss).get(reverse("demands:workspace-challenges")).content.decode()
    member_nav = login(org_member).get(reverse("demands:bids")).content.decode()

    assert f'href="{CHALLENGES}"' in public and f'href="{POOLS}"' in public
    assert f'href="{reverse("demands:bids")}"' in enterprise_nav
    assert f'href="{reverse("demands:workspace-challenges")}" aria-current="page"' in enterprise_nav
    assert f'href="{reverse("demands:workspace-challenges")}"' not in member_nav


def test_the_admin_refuses_tranches_above_the_bounty(rf, reviewer, enterprise):
    from django.contrib import admin

    from demands.admin import MilestoneInline

    draft = ChallengeFactory(demand=DemandFactory(organization=enterprise), draft=True)
    request = rf.post("/")
    request.user = reviewer
    formset_class = MilestoneInline(Challenge, admin.site).get_formset(request, draft)
    prefix = formset_class.get_default_prefix()
    data = {f"{prefix}-TOTAL_FORMS": "2", f"{prefix}-INITIAL_FORMS": "2"}
    for number, milestone in enumerate(draft.milestones.all()):
        data.update(
            {
                f"{prefix}-{number}-id": milestone.pk,
                f"{prefix}-{number}-challenge": draft.pk,
                f"{prefix}-{number}-position": milestone.position,
                f"{prefix}-{number}-title": milestone.title,
                f"{prefix}-{number}-due_date": milestone.due_date.isoformat(),
                f"{prefix}-{number}-tranche": "1500000",
            }
        )

    formset = formset_class(data, instance=draft, prefix=prefix)
    within = formset_class({**data, f"{prefix}-1-DELETE": "on"}, instance=draft, prefix=prefix)

    assert not formset.is_valid()
    assert formset.non_form_errors() == ["分期金额合计 3,000,000.00 元，超过了悬赏金额。"]
    assert within.is_valid(), within.non_form_errors()
