"""The broker pages: the public directory and profile, filing and upgrades, the agency's
confirmations, claims from the board, the library and the triage queue, the engagement
workspace, who serves an enterprise's demand, and demand mining."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from brokers import services
from brokers.enums import EngagementStage, FilingStatus, Level, UpgradeStatus
from brokers.models import BrokerProfile, Engagement, LevelUpgrade
from demands.enums import Source, Status
from demands.models import Demand
from marketplace.models import IndustryField, Notification
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return response.content.decode()


def shows(response, text) -> bool:
    """Whether the page shows `text` (a message or a translated string), as the template escapes it."""
    return escape(str(text)) in page_of(response)


def follow_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


# The public directory ------------------------------------------------------------------------


def test_directory_lists_active_brokers_with_level_agency_specialities_and_certificate(client, broker):
    BrokerProfileFactory(user__name="停业者", status=FilingStatus.SUSPENDED)
    BrokerProfileFactory(user__name="申请者", status=FilingStatus.APPLIED, approved_at=None)
    expired = BrokerProfileFactory(
        user__name="过期者", certificate_issued_on=date(2020, 1, 1), certificate_expires_on=date(2023, 1, 1)
    )

    page = client.get(reverse("brokers:list"))

    content = page_of(page)
    assert page.status_code == 200
    assert "王经纪" in content and "过期者" in content
    assert "停业者" not in content and "申请者" not in content
    assert str(Level.JUNIOR.label) in content
    assert "青岛市技术转移中心" in content
    assert IndustryField.objects.get(code="new-energy-batteries").name in content
    assert shows(page, _("Certificate expired %(date)s") % {"date": "2023-01-01"})
    assert expired.certificate_expired


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "王经纪"}, {"王经纪"}),
        ({"q": "海洋装备"}, {"李海洋"}),
        ({"level": "senior"}, {"李海洋"}),
        ({"field": "new-energy"}, {"王经纪"}),  # the parent field includes its sub-fields
        ({"field": "new-energy-batteries"}, {"王经纪"}),
        ({"region": "370000"}, {"王经纪"}),  # the province includes the city served
        ({"region": "210000"}, {"李海洋"}),
    ],
)
def test_directory_filters(client, broker, query, expected):
    other_agency = OrganizationFactory(name="大连技术交易中心", kind="service_agency")
    BrokerProfileFactory(
        user__name="李海洋",
        agency=other_agency,
        level=Level.SENIOR,
        introduction="海洋装备方向的高级技术经理人。",
        fields=["marine-equipment"],
        served=["210200"],
    )

    content = page_of(client.get(reverse("brokers:list"), query))

    shown = {name for name in ("王经纪", "李海洋") if f">{name}</a>" in content}
    assert shown == expected


def test_directory_filters_by_agency_and_pages(client, broker):
    other_agency = OrganizationFactory(name="大连技术交易中心", kind="service_agency")
    BrokerProfileFactory.create_batch(21, agency=other_agency)

    by_agency = page_of(client.get(reverse("brokers:list"), {"agency": broker.agency_id}))
    second = client.get(reverse("brokers:list"), {"agency": other_agency.pk, "page": 2})

    assert ">王经纪</a>" in by_agency and by_agency.count('class="card h-100 p-3 broker-card"') == 1
    assert page_of(second).count('class="card h-100 p-3 broker-card"') == 1
    assert second.context["page"].paginator.count == 21


def test_directory_query_count_does_not_grow_with_rows(client, django_assert_num_queries, agency):
    def add():
        BrokerProfileFactory(agency=agency, fields=["new-energy-batteries", "hydrogen"], served=["370200", "210200"])

    add()
    client.get(reverse("brokers:list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("brokers:list"))
    add()
    add()

    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(reverse("brokers:list"))
    assert page.context["page"].paginator.count == 3


def test_detail_shows_the_profile_and_counts_but_no_contact_details(client, broker, demand):
    broker.user.phone = "13912345678"
    broker.user.save(update_fields=["phone"])
    services.engagement_claim(user=broker.user, demand=demand)

    page = client.get(reverse("brokers:detail", args=[broker.pk]))

    content = page_of(page)
    assert page.status_code == 200
    assert "王经纪" in content and broker.certificate_number in content and "青岛市技术转移中心" in content
    assert page.context["counts"] == {"engagements": 1, "deals": 0}
    assert broker.user.email not in content and "13912345678" not in content


def test_detail_of_a_profile_not_active_is_hidden_from_the_public(client, login, agency_admin):
    applied = BrokerProfileFactory(agency=agency_admin.memberships.get().organization, status=FilingStatus.APPLIED)

    assert client.get(reverse("brokers:detail", args=[applied.pk])).status_code == 404
    assert login(UserFactory()).get(reverse("brokers:detail", args=[applied.pk])).status_code == 404
    assert login(applied.user).get(reverse("brokers:detail", args=[applied.pk])).status_code == 200
    assert login(agency_admin).get(reverse("brokers:detail", args=[applied.pk])).status_code == 200


# Filing and upgrades -------------------------------------------------------------------------


def _filing(agency, **overrides):
    data = {
        "agency": agency.pk,
        "level": "junior",
        "certificate_number": "JSJJ-2026-01234",
        "certificate_issuer": "中国科学技术交流中心",
        "certificate_issued_on": "2026-03-01",
        "certificate_expires_on": "2029-03-01",
        "specialities": [IndustryField.objects.get(code="hydrogen").pk],
        "regions": ["370200"],
        "introduction": "氢能方向，三年成果转化经验。",
    }
    data.update(overrides)
    return data


def test_profile_needs_a_login(client):
    response = client.get(reverse("brokers:profile"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_filing_from_the_profile_page_goes_to_the_agency(login, agency, agency_admin):
    person = UserFactory(name="赵申请")
    client = login(person)

    form = client.get(reverse("brokers:profile"))
    response = client.post(reverse("brokers:profile"), _filing(agency), follow=True)

    assert form.status_code == 200 and "青岛市技术转移中心" in page_of(form)
    profile = BrokerProfile.objects.get(user=person)
    assert (profile.status, profile.agency, profile.level) == (FilingStatus.APPLIED, agency, Level.JUNIOR)
    assert list(profile.regions.values_list("code", flat=True)) == ["370200"]
    assert shows(response, _("Filed. Your agency has been asked to confirm it."))
    assert Notification.objects.filter(user=agency_admin, kind="broker.applied").exists()


def test_a_certificate_expiring_before_its_issue_is_refused_and_nothing_saved(login, agency):
    client = login(UserFactory())

    response = client.post(reverse("brokers:profile"), _filing(agency, certificate_expires_on="2025-01-01"))

    assert response.status_code == 200
    assert shows(response, _("A certificate expires after it was issued."))
    assert not BrokerProfile.objects.exists()


def test_a_rejected_broker_sees_the_reason_corrects_and_files_again(login, agency, agency_admin):
    person = UserFactory()
    client = login(person)
    client.post(reverse("brokers:profile"), _filing(agency))
    profile = BrokerProfile.objects.get(user=person)
    services.profile_reject(profile=profile, user=agency_admin, reason="证书编号与系统记录不符")

    page = client.get(reverse("brokers:profile"))
    client.post(
        reverse("brokers:profile"),
        {**_filing(agency, certificate_number="JSJJ-2026-09999"), "reapply": "1"},
    )

    assert "证书编号与系统记录不符" in page_of(page)
    profile.refresh_from_db()
    assert (profile.status, profile.certificate_number) == (FilingStatus.APPLIED, "JSJJ-2026-09999")
    assert profile.agency == agency  # the agency is not changed from the profile page


def test_an_active_broker_edits_the_profile_but_not_the_level(login, broker):
    client = login(broker.user)

    client.post(
        reverse("brokers:profile"),
        {**_filing(broker.agency, introduction="新的介绍。", level="senior"), "reapply": "1"},
    )

    broker.refresh_from_db()
    assert (broker.introduction, broker.level, broker.status) == ("新的介绍。", Level.JUNIOR, FilingStatus.ACTIVE)


def test_upgrade_application_and_decisions_on_the_profile_page(login, broker, reviewer):
    client = login(broker.user)

    response = client.post(
        reverse("brokers:upgrade"), {"training_hours": "96", "deal_count": "4", "evidence": "完成中级培训 96 学时"}
    )
    again = client.post(
        reverse("brokers:upgrade"), {"training_hours": "96", "deal_count": "4", "evidence": "再次申请"}, follow=True
    )
    upgrade = LevelUpgrade.objects.get()
    services.upgrade_decide(upgrade=upgrade, reviewer=reviewer, approve=False, note="培训学时不足 120")
    page = client.get(reverse("brokers:profile"))

    assert response.status_code == 302
    assert (upgrade.to_level, upgrade.training_hours) == (Level.INTERMEDIATE, 96)
    assert not again.context["can_upgrade"] and LevelUpgrade.objects.count() == 1
    assert "培训学时不足 120" in page_of(page) and str(UpgradeStatus.REJECTED.label) in page_of(page)
    assert page.context["can_upgrade"]


def test_upgrade_without_a_profile_is_404(login):
    assert login(UserFactory()).post(reverse("brokers:upgrade"), {}).status_code == 404


# The agency's confirmations ------------------------------------------------------------------


def test_agency_page_is_for_agency_administrators(client, login, agency, agency_admin, broker):
    member = MembershipFactory(organization=agency).user

    assert client.get(reverse("brokers:agency")).status_code == 302
    assert login(member).get(reverse("brokers:agency")).status_code == 403
    assert login(broker.user).get(reverse("brokers:agency")).status_code == 403
    page = login(agency_admin).get(reverse("brokers:agency"))
    assert page.status_code == 200 and "王经纪" in page_of(page)


def test_agency_confirms_and_refuses_filings(login, agency, agency_admin, reviewer):
    first = BrokerProfileFactory(agency=agency, user__name="周一", status=FilingStatus.APPLIED, approved_at=None)
    second = BrokerProfileFactory(agency=agency, user__name="吴二", status=FilingStatus.APPLIED, approved_at=None)
    client = login(agency_admin)

    page = client.get(reverse("brokers:agency"))
    client.post(reverse("brokers:agency-confirm", args=[first.pk]))
    missing_reason = client.post(reverse("brokers:agency-reject", args=[second.pk]), {"reason": ""}, follow=True)
    client.post(reverse("brokers:agency-reject", args=[second.pk]), {"reason": "非本机构在职人员"})

    assert "周一" in page_of(page) and "吴二" in page_of(page)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == FilingStatus.CONFIRMED
    assert (second.status, second.status_note) == (FilingStatus.REJECTED, "非本机构在职人员")
    assert shows(missing_reason, _("Please give a reason."))
    assert Notification.objects.filter(user=reviewer, kind="broker.confirmed").exists()


def test_another_agencys_administrator_cannot_confirm(login, agency):
    filing = BrokerProfileFactory(agency=agency, status=FilingStatus.APPLIED, approved_at=None)
    other = MembershipFactory(organization__kind="transfer_agency", role="admin").user

    assert login(other).post(reverse("brokers:agency-confirm", args=[filing.pk])).status_code == 404
    assert login(other).post(reverse("brokers:agency-reject", args=[filing.pk]), {"reason": "x"}).status_code == 404
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPLIED


# Claims --------------------------------------------------------------------------------------


def test_the_claim_button_shows_to_active_brokers_only(client, login, broker, demand):
    claim_url = reverse("brokers:claim", args=["demand", demand.pk])

    assert claim_url in page_of(login(broker.user).get(demand.get_absolute_url()))
    assert claim_url not in page_of(client.get(demand.get_absolute_url()))
    assert claim_url not in page_of(login(UserFactory()).get(demand.get_absolute_url()))
    suspended = BrokerProfileFactory(status=FilingStatus.SUSPENDED)
    assert claim_url not in page_of(login(suspended.user).get(demand.get_absolute_url()))


def test_a_broker_claims_a_demand_from_its_page(login, broker, demand, boss):
    response = login(broker.user).post(
        reverse("brokers:claim", args=["demand", demand.pk]), {"next": demand.get_absolute_url()}
    )

    engagement = Engagement.objects.get()
    assert response.status_code == 302 and response["Location"] == engagement.get_absolute_url()
    assert engagement.broker == broker and engagement.demand == demand
    assert broker.user in Demand.objects.get(pk=demand.pk).assigned_brokers.all()
    assert Notification.objects.filter(user=boss, kind="broker.claimed").exists()
    detail = login(broker.user).get(demand.get_absolute_url())
    assert shows(detail, _("My engagement")) and engagement.get_absolute_url() in page_of(detail)


def test_claiming_a_claimed_or_closed_demand_is_refused_with_the_reason(login, broker, demand):
    services.engagement_claim(user=broker.user, demand=demand)
    other = BrokerProfileFactory()
    solved = DemandFactory(solved=True)  # still public, no longer open

    taken = login(other.user).post(
        reverse("brokers:claim", args=["demand", demand.pk]), {"next": demand.get_absolute_url()}, follow=True
    )
    shut = login(other.user).post(reverse("brokers:claim", args=["demand", solved.pk]), follow=True)

    assert taken.status_code == 200 and taken.redirect_chain[-1][0] == demand.get_absolute_url()
    assert shows(taken, _("Another broker has claimed this demand."))
    assert shows(taken, _("Another broker serves it"))
    assert shut.status_code == 200 and shows(shut, _("Only demands open on the board are claimed."))
    assert Engagement.objects.count() == 1


def test_claims_by_others_are_refused(client, login, demand):
    url = reverse("brokers:claim", args=["demand", demand.pk])

    anonymous = client.post(url)
    stranger = login(UserFactory()).post(url, follow=True)
    unknown_kind = login(UserFactory()).post(reverse("brokers:claim", args=["deal", demand.pk]))
    draft = login(BrokerProfileFactory().user).post(
        reverse("brokers:claim", args=["demand", DemandFactory(draft=True).pk])
    )

    assert anonymous.status_code == 302 and anonymous["Location"].startswith(reverse("login"))
    assert shows(stranger, _("Only brokers with an approved filing take on engagements."))
    assert unknown_kind.status_code == 404 and draft.status_code == 404
    assert not Engagement.objects.exists()


def test_a_foreign_next_url_is_ignored(login, broker, demand):
    services.engagement_claim(user=BrokerProfileFactory().user, demand=demand)

    response = login(broker.user).post(
        reverse("brokers:claim", args=["demand", demand.pk]), {"next": "https://evil.example/"}
    )

    assert response["Location"] == demand.get_absolute_url()


def test_a_broker_claims_an_achievement_from_the_library(login, broker):
    achievement = AchievementFactory(title="钠离子电池正极材料")
    client = login(broker.user)

    page = client.get(achievement.get_absolute_url())
    client.post(reverse("brokers:claim", args=["achievement", achievement.pk]))
    again = client.post(reverse("brokers:claim", args=["achievement", achievement.pk]), follow=True)

    assert reverse("brokers:claim", args=["achievement", achievement.pk]) in page_of(page)
    assert Engagement.objects.get().achievement == achievement
    assert shows(again, _("You are working on this already."))


def test_active_brokers_claim_from_the_triage_queue(login, broker, reviewer, foreign_user):
    waiting = DemandFactory(title="深海热液硫化物原位探测", anonymous=True)
    Demand.objects.filter(pk=waiting.pk).update(triage_since=timezone.now(), best_match_score=0.1)

    page = login(broker.user).get(reverse("matching:triage"))
    staff_page = login(reviewer).get(reverse("matching:triage"))

    assert page.status_code == 200 and "深海热液硫化物原位探测" in page_of(page)
    assert reverse("brokers:claim", args=["demand", waiting.pk]) in page_of(page)
    # An anonymous demand's enterprise stays hidden from a broker not assigned to it.
    assert waiting.organization.name not in page_of(page) and waiting.organization.name in page_of(staff_page)
    assert login(foreign_user).get(reverse("matching:triage")).status_code == 404
    suspended = BrokerProfileFactory(status=FilingStatus.SUSPENDED)
    assert login(suspended.user).get(reverse("matching:triage")).status_code == 404


def test_triage_queue_query_count_does_not_grow_with_rows(login, broker, django_assert_num_queries):
    client = login(broker.user)

    def waiting():
        demand = DemandFactory()
        Demand.objects.filter(pk=demand.pk).update(triage_since=timezone.now(), best_match_score=0.1)
        services.engagement_claim(user=BrokerProfileFactory().user, demand=demand)

    waiting()
    client.get(reverse("matching:triage"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("matching:triage"))
    waiting()
    waiting()

    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("matching:triage"))


# Engagements ---------------------------------------------------------------------------------


@pytest.fixture
def engagement(broker, demand):
    return services.engagement_claim(user=broker.user, demand=demand)


def test_engagement_page_access(client, login, engagement, boss, reviewer, foreign_user):
    url = engagement.get_absolute_url()

    assert client.get(url).status_code == 302
    assert login(foreign_user).get(url).status_code == 404
    assert login(BrokerProfileFactory().user).get(url).status_code == 404
    assert login(reviewer).get(url).status_code == 200
    enterprise_view = login(boss).get(url)
    assert enterprise_view.status_code == 200 and "王经纪" in page_of(enterprise_view)
    assert "activity-form" not in page_of(enterprise_view)  # who serves it, read only
    assert login(boss).post(reverse("brokers:activity", args=[engagement.pk]), {}).status_code == 403
    assert login(boss).post(reverse("brokers:drop", args=[engagement.pk]), {"reason": "x"}).status_code == 403


def test_broker_records_a_call_then_a_proposal_then_negotiates_and_marks_the_deal(login, broker, engagement, demand):
    client = login(broker.user)
    today = timezone.localdate().isoformat()
    proposed = AchievementFactory(title="固态电解质界面改性技术")

    page = client.get(engagement.get_absolute_url(), {"q": "固态电解质"})
    client.post(
        reverse("brokers:activity", args=[engagement.pk]), {"kind": "call", "occurred_on": today, "note": "电话沟通"}
    )
    without = client.post(
        reverse("brokers:activity", args=[engagement.pk]), {"kind": "proposal", "occurred_on": today, "note": "方案"}
    )
    client.post(
        reverse("brokers:activity", args=[engagement.pk]),
        {
            "kind": "proposal",
            "occurred_on": today,
            "note": "推荐固态电解质成果",
            "proposed_achievements": [proposed.pk],
        },
    )
    client.post(reverse("brokers:negotiate", args=[engagement.pk]))
    deal = DealFactory(demand=demand, buyer=demand.organization, seller=proposed.organization, achievement=proposed)
    negotiating = client.get(engagement.get_absolute_url())
    client.post(reverse("brokers:deal", args=[engagement.pk]), {"deal": deal.pk})
    done = client.get(engagement.get_absolute_url())

    assert "固态电解质界面改性技术" in page_of(page)  # found by the search, to propose
    assert shows(without, _("A proposal names at least one achievement."))
    assert deal.title in page_of(negotiating)
    engagement.refresh_from_db()
    assert (engagement.stage, engagement.deal) == (EngagementStage.DEAL, deal)
    assert [a.kind for a in engagement.activities.order_by("pk")] == ["call", "proposal"]
    content = page_of(done)
    assert "推荐固态电解质成果" in content and "固态电解质界面改性技术" in content
    assert "activity-form" not in content  # finished
    labels = [
        str(EngagementStage(stage).label) for stage in ("claimed", "contacted", "proposal", "negotiating", "deal")
    ]
    history = content[content.index('id="stage-history"') :]
    assert all(label in history for label in labels)


def test_a_deal_about_something_else_is_refused(login, broker, engagement):
    services.engagement_record_activity(
        engagement=engagement, user=broker.user, kind="proposal", occurred_on=timezone.localdate(), note="方案",
        proposed_achievements=[AchievementFactory()],
    )  # fmt: skip
    services.engagement_advance(engagement=engagement, user=broker.user, stage=EngagementStage.NEGOTIATING)
    unrelated = DealFactory()

    response = login(broker.user).post(reverse("brokers:deal", args=[engagement.pk]), {"deal": unrelated.pk})

    assert response.status_code == 200
    engagement.refresh_from_db()
    assert engagement.stage == EngagementStage.NEGOTIATING


def test_an_activity_dated_in_the_future_is_refused(login, broker, engagement):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()

    response = login(broker.user).post(
        reverse("brokers:activity", args=[engagement.pk]), {"kind": "visit", "occurred_on": tomorrow, "note": "走访"}
    )

    assert shows(response, _("The date cannot be in the future."))
    assert not engagement.activities.exists()


def test_negotiating_before_a_proposal_is_refused_with_a_message(login, broker, engagement):
    response = login(broker.user).post(reverse("brokers:negotiate", args=[engagement.pk]), follow=True)

    assert response.status_code == 200 and follow_messages(response)
    engagement.refresh_from_db()
    assert engagement.stage == EngagementStage.CLAIMED


def test_broker_drops_with_a_reason_and_the_demand_is_free_again(login, broker, engagement, demand):
    client = login(broker.user)

    without = client.post(reverse("brokers:drop", args=[engagement.pk]), {"reason": ""})
    client.post(reverse("brokers:drop", args=[engagement.pk]), {"reason": "企业暂缓需求"})

    assert without.status_code == 200
    engagement.refresh_from_db()
    assert (engagement.stage, engagement.drop_reason) == (EngagementStage.DROPPED, "企业暂缓需求")
    assert "企业暂缓需求" in page_of(client.get(engagement.get_absolute_url()))
    other = BrokerProfileFactory()
    login(other.user).post(reverse("brokers:claim", args=["demand", demand.pk]))
    assert Engagement.objects.filter(broker=other).exists()


def test_my_engagements_by_stage(login, broker, engagement):
    achievement = AchievementFactory(title="海水淡化膜")
    other = services.engagement_claim(user=broker.user, achievement=achievement)
    services.engagement_drop(engagement=other, user=broker.user, reason="不再代理")
    client = login(broker.user)

    everything = client.get(reverse("brokers:engagements"))
    dropped = client.get(reverse("brokers:engagements"), {"stage": "dropped"})

    assert "储能电池热失控预警" in page_of(everything) and "海水淡化膜" in page_of(everything)
    assert "海水淡化膜" in page_of(dropped) and "储能电池热失控预警" not in page_of(dropped)
    assert everything.context["total"] == 2
    assert login(UserFactory()).get(reverse("brokers:engagements")).status_code == 403


def test_the_enterprise_sees_who_serves_its_demand(login, broker, engagement, boss, demand):
    page = login(boss).get(reverse("demands:workspace-detail", args=[demand.pk]))

    content = page_of(page)
    serving = content[content.index('id="serving-brokers"') :]
    assert "王经纪" in serving and "青岛市技术转移中心" in serving
    assert str(EngagementStage.CLAIMED.label) in serving


# Demand mining -------------------------------------------------------------------------------


def _demand_form(enterprise):
    return {
        "enterprise": enterprise.pk,
        "title": "锂电池极片涂布厚度在线检测",
        "summary": "寻求极片涂布厚度在线检测方案。",
        "demand_type": "problem_solving",
        "industry_fields": [IndustryField.objects.get(code="new-energy-batteries").pk],
        "problem": "现有离线抽检无法及时发现涂布厚度波动。",
        "budget_min_wan": "20",
        "budget_max_wan": "60",
        "deadline": (timezone.localdate() + timedelta(days=90)).isoformat(),
        "cooperation_modes": ["commissioned_development"],
        "visibility": "public",
        "contact_name": "刘经理",
        "contact_phone": "13812345678",
        "contact_email": "liu@example.com",
    }


def test_a_broker_records_a_demand_that_the_enterprise_confirms(login, broker, enterprise, boss):
    client = login(broker.user)

    board = client.get(reverse("demands:list"))
    form = client.get(reverse("demands:record"))
    response = client.post(reverse("demands:record"), _demand_form(enterprise))

    assert reverse("demands:record") in page_of(board) and form.status_code == 200
    demand = Demand.objects.get(title="锂电池极片涂布厚度在线检测")
    assert response["Location"] == demand.get_absolute_url()
    assert (demand.source, demand.recorded_by, demand.needs_enterprise_confirmation) == (
        Source.BROKER,
        broker.user,
        True,
    )
    assert client.get(demand.get_absolute_url()).status_code == 200  # the broker sees its draft
    login(boss).post(reverse("demands:confirm-recorded", args=[demand.pk]))
    demand.refresh_from_db()
    assert demand.status == Status.SUBMITTED


def test_only_staff_and_active_brokers_record_demands(login, enterprise):
    suspended = BrokerProfileFactory(status=FilingStatus.SUSPENDED)

    assert login(suspended.user).get(reverse("demands:record")).status_code == 403
    assert login(UserFactory()).post(reverse("demands:record"), _demand_form(enterprise)).status_code == 403
    assert not Demand.objects.exists()


# Navigation ----------------------------------------------------------------------------------


def test_navigation_links_the_broker_pages(client, login, broker, agency_admin):
    public = page_of(client.get("/"))
    broker_nav = login(broker.user).get(reverse("brokers:profile")).context["nav_workspace"]
    agency_nav = login(agency_admin).get(reverse("brokers:agency")).context["nav_workspace"]

    assert reverse("brokers:list") in public
    assert {reverse("brokers:engagements"), reverse("matching:triage"), reverse("brokers:profile")} <= {
        item["url"] for item in broker_nav
    }
    assert reverse("brokers:agency") in {item["url"] for item in agency_nav}
    assert reverse("brokers:engagements") not in {item["url"] for item in agency_nav}
