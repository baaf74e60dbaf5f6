import pytest
from django.utils import timezone
from playwright.sync_api import expect

from brokers.enums import EngagementStage
from brokers.models import Engagement
from demands.models import Demand
from marketplace.enums import MembershipRole
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in, _log_out
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_broker_claims_a_demand_from_the_triage_queue_and_records_a_proposal(page):
    agency = OrganizationFactory(name="青岛市技术转移中心", kind="transfer_agency")
    BrokerProfileFactory(
        agency=agency,
        user__username="broker",
        user__name="王经纪",
        fields=["new-energy-batteries"],
        served=["370200"],
    )
    enterprise = OrganizationFactory(name="青岛储能科技有限公司", kind="enterprise")
    MembershipFactory(organization=enterprise, user__username="boss", user__name="周总", role=MembershipRole.ADMIN)
    demand = DemandFactory(organization=enterprise, title="储能电池热失控早期预警")
    Demand.objects.filter(pk=demand.pk).update(triage_since=timezone.now(), best_match_score=0.2)
    AchievementFactory(title="锂电池热失控多参数融合预警技术")

    # The broker finds the demand in the triage queue and claims it (after confirming).
    _log_in(page, "broker")
    page.goto("/brokers/engagements/")
    page.get_by_role("navigation", name="工作台").locator("a[href='/workspace/triage/']").click()
    row = page.locator("tr", has_text="储能电池热失控早期预警")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator(".claim-form button").click()
    expect(page.locator("#engagement-stage")).to_contain_text(str(EngagementStage.CLAIMED.label))
    expect(page.locator(".alert-success")).to_contain_text("储能电池热失控早期预警")
    engagement = Engagement.objects.get()
    assert engagement.broker.user.username == "broker" and engagement.demand_id == demand.pk

    # A search finds the achievement to propose; the proposal moves the engagement on.
    page.locator("#achievement-search").fill("热失控")
    page.locator("#activity form[role=search] button").click()
    page.locator("#id_kind").select_option("proposal")
    page.locator("#id_occurred_on").fill(timezone.localdate().isoformat())
    page.locator("#id_note").fill("走访企业后推荐锂电池热失控预警成果，建议先做小试验证。")
    page.locator("#id_proposed_achievements").select_option(label=_option_label(page, "锂电池热失控多参数融合预警技术"))
    page.locator("#activity-form button[type=submit]").click()
    expect(page.locator("#activities")).to_contain_text("锂电池热失控多参数融合预警技术")
    expect(page.locator("#engagement-stage")).to_contain_text(str(EngagementStage.PROPOSAL.label))
    screenshot(page, "broker-engagement-proposal")
    engagement.refresh_from_db()
    assert engagement.stage == EngagementStage.PROPOSAL
    _log_out(page)

    # The enterprise sees who serves its demand.
    _log_in(page, "boss")
    page.goto(f"/workspace/demands/{demand.pk}/")
    expect(page.locator("#serving-brokers")).to_contain_text("王经纪")
    expect(page.locator("#serving-brokers")).to_contain_text("青岛市技术转移中心")
    screenshot(page, "broker-serving-enterprise")


def _option_label(page, title: str) -> str:
    """The full label of the option naming `title` (the label carries the id and the owner)."""
    return page.locator("#id_proposed_achievements option", has_text=title).first.inner_text()
