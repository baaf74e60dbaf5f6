import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from demands.enums import BidStatus, ChallengeStatus
from demands.models import Bid, Challenge
from marketplace.enums import AssignmentStatus, MembershipRole, RoundStatus, StaffGroup
from marketplace.models import Assignment
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in, _log_out
from tests.factories.challenges import ChallengeFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import ExpertProfileFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _admin_action(page, changelist: str, pk: int, action: str) -> None:
    page.goto(changelist)
    page.locator(f"input[name=_selected_action][value='{pk}']").check()
    page.locator("select[name=action]").select_option(action)
    page.get_by_role("button", name="执行").click()
    expect(page.locator("ul.messagelist li.success")).to_be_visible()
    expect(page.locator("ul.messagelist li.error")).to_have_count(0)


def test_bid_blind_review_award_and_public_notice(page):
    enterprise = OrganizationFactory(name="青岛固态电池科技有限公司", kind="enterprise")
    MembershipFactory(organization=enterprise, user__username="boss", user__name="周总", role=MembershipRole.ADMIN)
    university = OrganizationFactory(name="青岛海洋大学", kind="university")
    MembershipFactory(organization=university, user__username="prof", user__name="吴教授", role=MembershipRole.ADMIN)
    UserFactory(username="reviewer", name="钱审核", staff_groups=[StaffGroup.REVIEWER])
    for number in range(1, 4):
        ExpertProfileFactory(user__username=f"expert{number}", fields=["new-energy-batteries"])
    challenge = ChallengeFactory(demand=DemandFactory(organization=enterprise), title="硫化物固态电解质界面稳定性攻关")

    # The university finds the challenge, sees the window's countdown and bids.
    _log_in(page, "prof")
    page.goto("/challenges/")
    page.get_by_role("link", name="硫化物固态电解质界面稳定性攻关").click()
    expect(page.locator("#challenge-window .countdown-left")).to_contain_text(re.compile(r"\d"))
    page.locator("#bid-link").click()
    page.locator("#id_proposal").fill("采用卤化物包覆层隔离硫化物电解质与正极，抑制界面副反应。")
    page.locator("#id_team").fill("材料学院固态电池课题组：教授 2 名、博士后 3 名。")
    page.locator("#id_plan").fill("第 1–6 个月配方筛选；第 7–12 个月中试验证。")
    page.locator("#id_budget_wan").fill("180")
    page.locator("#bid-form button[type=submit]").click()
    expect(page.locator("#bid-status")).to_be_visible()
    expect(page.locator("#bid-budget")).to_contain_text("180")
    bid = Bid.objects.get()
    assert (bid.organization, bid.budget) == (university, 1_800_000)
    _log_out(page)

    # Staff close bidding in the admin, which opens a blind evaluation round, and draw the experts.
    _log_in(page, "reviewer")
    _admin_action(page, "/admin/demands/challenge/?status__exact=bidding", challenge.pk, "close_bidding")
    challenge.refresh_from_db()
    assert challenge.status == ChallengeStatus.REVIEWING and challenge.evaluation.is_blind
    _admin_action(page, "/admin/marketplace/evaluationround/", challenge.evaluation_id, "draw")
    assignment = Assignment.objects.get(round=challenge.evaluation, expert__user__username="expert1")
    _log_out(page)

    # An expert scores the bid without seeing who bid, and submits.
    _log_in(page, "expert1")
    page.goto("/expert/")
    page.locator(f"a[href='/expert/assignments/{assignment.pk}/']").click()
    page.locator("a[href*='/subjects/']").first.click()
    expect(page.get_by_text("采用卤化物包覆层隔离硫化物电解质与正极")).to_be_visible()
    expect(page.get_by_text("青岛海洋大学")).to_have_count(0)
    for criterion in page.locator("input[name^=criterion_]").all():
        criterion.fill("8")
    page.get_by_role("button", name="保存评分").click()
    page.get_by_role("button", name="提交我的评分").click()
    expect(page.get_by_text("评分已提交，谢谢。")).to_be_visible()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    _log_out(page)

    # Staff close the round, then shortlist and award the bid in the admin.
    _log_in(page, "reviewer")
    _admin_action(page, "/admin/marketplace/evaluationround/", challenge.evaluation_id, "close")
    challenge.evaluation.refresh_from_db()
    assert challenge.evaluation.status == RoundStatus.CLOSED
    _admin_action(page, "/admin/demands/bid/", bid.pk, "shortlist")
    _admin_action(page, "/admin/demands/bid/", bid.pk, "award")
    bid.refresh_from_db()
    challenge.refresh_from_db()
    assert (bid.status, challenge.status) == (BidStatus.AWARDED, ChallengeStatus.NOTICE)
    _log_out(page)

    # The public notice names the winner and its budget until the notice ends.
    page.goto(f"/challenges/{challenge.pk}/")
    page.locator("#notice-link").click()
    winners = page.locator("#notice-winners")
    expect(winners).to_contain_text("青岛海洋大学")
    expect(winners).to_contain_text("180")
    expect(page.locator("#notice-period time")).to_have_attribute(
        "datetime", timezone.localtime(Challenge.objects.get().notice_ends_at).isoformat()
    )
    expect(page.locator("#notice-period .countdown-left")).to_contain_text(re.compile(r"\d"))
    screenshot(page, "challenge-public-notice")
