"""The conversion funnel (views → inquiries / responses → matches → engagements → deals →
registered contracts) per listing, institution and broker, and the share of stale listings,
against a hand-built market.

The market (every listing published in 2026 unless said; "stale": published and confirmed
more than FRESHNESS_DAYS ago):

    甲大学 (370202)  A1 views 100, marine-equipment, 3 inquiries, matches M1 (D1, contacted) and
                       M3 (D2, only "useful"), engagement E1 (broker X), deals 1 (registered
                       contract) and 2 (negotiating)
                     A2 views 40, hydrogen, stale, 1 inquiry, match M2 (D1)
                     A5 views 500, marine-equipment, published in 2025
                     A4 a draft (never published): not counted
    乙研究院 (210202) A3 views 10, marine-biology, transferred (public; an old confirmation does not
                       make it stale), deal 3 (contract submitted, not registered)
    丙企业 (370202)  D1 views 30, 2 live responses + 1 withdrawn, matches M1 and M2, engagement
                       E2 (broker Y), deal 1
                     D2 views 5, stale, 1 response, match M3
                     D3 views 1, closed (published once, not public; its old confirmation
                       does not count)

Brokers: X named on deals 1 and 2 (deal 1 registered), one engagement; Y one engagement.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from openpyxl import load_workbook

from achievements.enums import Status as AchievementStatus
from achievements.models import Inquiry
from brokers.models import Engagement
from demands.enums import ResponseStatus
from demands.enums import Status as DemandStatus
from demands.models import DemandResponse
from marketplace import statistics_funnel as funnel
from marketplace.enums import DealStage, MatchSide, MatchVerdict, MembershipRole, RegistrationStatus
from marketplace.models import ContractRegistration, Match, MatchFeedback, Region
from marketplace.statistics import StatsFilter
from marketplace.views.statistics_funnel import _achievements_table
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/statistics/funnel/"
EXPORT = "/statistics/funnel/export/"


def on(year, month, day) -> datetime:
    return datetime(year, month, day, 12, tzinfo=SHANGHAI)


def long_ago(settings) -> datetime:
    return timezone.now() - timedelta(days=settings.FRESHNESS_DAYS + 10)


class Market:
    pass


@pytest.fixture
def market(db, settings):
    m = Market()
    now, old = timezone.now(), long_ago(settings)
    m.uni_a = OrganizationFactory(name="甲大学", kind="university")
    m.uni_b = OrganizationFactory(name="乙研究院", kind="institute", region=Region.objects.get(code="210202"))
    m.enterprise = OrganizationFactory(name="丙企业", kind="enterprise")
    m.buyer = OrganizationFactory(name="丁公司", kind="enterprise")

    def achievement(title, organization, views, published, field, **extra):
        return AchievementFactory(
            title=title,
            organization=organization,
            view_count=views,
            published_at=published,
            confirmed_at=extra.pop("confirmed_at", now),
            fields=[field],
            **extra,
        )

    m.a1 = achievement("成果一", m.uni_a, 100, on(2026, 3, 1), "marine-equipment")
    m.a2 = achievement("成果二", m.uni_a, 40, on(2026, 4, 1), "hydrogen", confirmed_at=old)
    m.a3 = achievement(
        "成果三", m.uni_b, 10, on(2026, 5, 1), "marine-biology", confirmed_at=old, status=AchievementStatus.TRANSFERRED
    )
    m.a4 = AchievementFactory(title="成果四", organization=m.uni_a, draft=True)
    m.a5 = achievement("成果五", m.uni_a, 500, on(2025, 6, 1), "marine-equipment")

    def demand(title, views, published, **extra):
        return DemandFactory(
            title=title,
            organization=m.enterprise,
            view_count=views,
            submitted_at=published,
            confirmed_at=extra.pop("confirmed_at", now),
            fields=["marine-equipment"],
            **extra,
        )

    m.d1 = demand("需求一", 30, on(2026, 2, 1))
    m.d2 = demand("需求二", 5, on(2026, 6, 1), confirmed_at=old)
    m.d3 = demand("需求三", 1, on(2026, 7, 1), confirmed_at=old, status=DemandStatus.CLOSED)

    asker = UserFactory()
    for achievement_, n in ((m.a1, 3), (m.a2, 1)):
        for i in range(n):
            Inquiry.objects.create(achievement=achievement_, organization=m.buyer, user=asker, subject=f"咨询{i}")
    for i, (demand_, status) in enumerate(
        [(m.d1, ResponseStatus.SUBMITTED), (m.d1, ResponseStatus.SHORTLISTED), (m.d1, ResponseStatus.WITHDRAWN)]
    ):
        DemandResponse.objects.create(
            demand=demand_, organization=OrganizationFactory(kind="university"), approach=f"方案{i}", status=status
        )
    DemandResponse.objects.create(demand=m.d2, organization=m.uni_a, approach="方案")

    def match(demand_, achievement_, verdict=None):
        pair = Match.objects.create(demand=demand_, achievement=achievement_, score=0.8, computed_at=now)
        if verdict:
            MatchFeedback.objects.create(match=pair, user=asker, side=MatchSide.DEMAND, verdict=verdict)
        return pair

    match(m.d1, m.a1, MatchVerdict.CONTACTED)
    match(m.d1, m.a2)
    match(m.d2, m.a1, MatchVerdict.USEFUL)

    m.broker_x = BrokerProfileFactory()
    m.broker_y = BrokerProfileFactory()
    Engagement.objects.create(broker=m.broker_x, achievement=m.a1)
    Engagement.objects.create(broker=m.broker_y, demand=m.d1)

    m.deal1 = DealFactory(seller=m.uni_a, buyer=m.buyer, achievement=m.a1, demand=m.d1, stage=DealStage.REGISTERED)
    m.deal2 = DealFactory(seller=m.uni_a, buyer=m.buyer, achievement=m.a1, stage=DealStage.NEGOTIATING)
    m.deal3 = DealFactory(seller=m.uni_b, buyer=m.buyer, achievement=m.a3)
    m.deal1.brokers.set([m.broker_x.user])
    m.deal2.brokers.set([m.broker_x.user])
    for deal, status, registered_at in (
        (m.deal1, RegistrationStatus.REGISTERED, on(2026, 8, 1)),
        (m.deal3, RegistrationStatus.SUBMITTED, None),
    ):
        ContractRegistration.objects.create(
            deal=deal,
            organization=deal.seller,
            title=deal.title,
            category="transfer",
            subtype="patent_right",
            total_amount=Decimal("100000"),
            technology_amount=Decimal("100000"),
            status=status,
            registered_at=registered_at,
        )
    return m


def stages(views, first, matches, contacted, engagements, deals, registered) -> funnel.Stages:
    return funnel.Stages(views, first, matches, contacted, engagements, deals, registered)


YEAR_2026 = StatsFilter(date_from=on(2026, 1, 1).date(), date_to=on(2026, 12, 31).date())


# Per listing ---------------------------------------------------------------------------------


def test_achievement_funnel_per_listing(market):
    rows = funnel.achievement_funnel()
    assert [(row.title, row.stages) for row in rows] == [
        ("成果五", stages(500, 0, 0, 0, 0, 0, 0)),
        ("成果一", stages(100, 3, 2, 1, 1, 2, 1)),
        ("成果二", stages(40, 1, 1, 0, 0, 0, 0)),
        ("成果三", stages(10, 0, 0, 0, 0, 1, 0)),
    ]
    assert [row.is_stale for row in rows] == [False, False, True, False]
    assert rows[1].organization == "甲大学"
    assert funnel.achievement_totals() == (4, stages(650, 4, 3, 1, 1, 3, 1))


def test_achievement_funnel_filters(market):
    # published in 2026: 成果五 (2025) leaves
    assert [row.title for row in funnel.achievement_funnel(YEAR_2026)] == ["成果一", "成果二", "成果三"]
    assert funnel.achievement_totals(YEAR_2026) == (3, stages(150, 4, 3, 1, 1, 3, 1))
    # a top-level field takes in its children (海洋: marine-equipment, marine-biology)
    from marketplace.models import IndustryField

    marine = StatsFilter(field=IndustryField.objects.get(code="marine"))
    assert [row.title for row in funnel.achievement_funnel(marine)] == ["成果五", "成果一", "成果三"]
    # the owning institution's region: 乙研究院 is in Dalian
    qingdao = StatsFilter(region=Region.objects.get(code="370200"))
    assert [row.title for row in funnel.achievement_funnel(qingdao)] == ["成果五", "成果一", "成果二"]
    assert [row.title for row in funnel.achievement_funnel(limit=2)] == ["成果五", "成果一"]


def test_demand_funnel_per_listing(market):
    rows = funnel.demand_funnel()
    assert [(row.title, row.stages) for row in rows] == [
        ("需求一", stages(30, 2, 2, 1, 1, 1, 1)),  # the withdrawn response does not count
        ("需求二", stages(5, 1, 1, 0, 0, 0, 0)),
        ("需求三", stages(1, 0, 0, 0, 0, 0, 0)),
    ]
    assert [row.is_stale for row in rows] == [False, True, False]  # a closed demand is not stale
    assert funnel.demand_totals() == (3, stages(36, 3, 3, 1, 1, 1, 1))
    since_june = StatsFilter(date_from=on(2026, 6, 1).date())
    assert [row.title for row in funnel.demand_funnel(since_june)] == ["需求二", "需求三"]
    assert funnel.demand_funnel(StatsFilter(region=Region.objects.get(code="210200"))) == []


# Per institution -----------------------------------------------------------------------------


def test_institution_funnel_with_conversion_shares(market):
    rows = funnel.institution_funnel()
    assert [(row.name, row.achievements, row.stages) for row in rows] == [
        ("甲大学", 3, stages(640, 4, 3, 1, 1, 2, 1)),
        ("乙研究院", 1, stages(10, 0, 0, 0, 0, 1, 0)),
    ]
    # inquiries / views, matches / inquiries, engagements / matches, deals / engagements,
    # registered / deals
    assert rows[0].stages.shares() == [
        Decimal("0.0063"),
        Decimal("0.7500"),
        Decimal("0.3333"),
        Decimal("2.0000"),
        Decimal("0.5000"),
    ]
    assert rows[1].stages.shares() == [Decimal("0.0000"), None, None, None, Decimal("0.0000")]
    in_2026 = funnel.institution_funnel(YEAR_2026)
    assert [(row.name, row.achievements, row.stages.views) for row in in_2026] == [
        ("甲大学", 2, 140),
        ("乙研究院", 1, 10),
    ]


# Per broker ----------------------------------------------------------------------------------


def test_broker_funnel(market):
    rows = funnel.broker_funnel()
    assert [(row.profile_id, row.agency != "", row.engagements, row.deals, row.registered) for row in rows] == [
        (market.broker_x.pk, True, 1, 2, 1),
        (market.broker_y.pk, True, 1, 0, 0),
    ]
    assert (rows[0].deal_share, rows[0].registered_share) == (Decimal("2.0000"), Decimal("0.5000"))
    assert (rows[1].deal_share, rows[1].registered_share) == (Decimal("0.0000"), None)
    # each stage by its own date: nothing happened in 2020
    assert funnel.broker_funnel(StatsFilter(date_from=on(2020, 1, 1).date(), date_to=on(2020, 12, 31).date())) == []
    # contracts registered in August 2026 only (the engagements and deals were started today)
    august = StatsFilter(date_from=on(2026, 8, 1).date(), date_to=on(2026, 8, 31).date())
    today = timezone.localdate()
    if not august.date_from <= today <= august.date_to:
        assert [
            (row.profile_id, row.engagements, row.deals, row.registered) for row in funnel.broker_funnel(august)
        ] == [(market.broker_x.pk, 0, 0, 1)]


# Stale listings ------------------------------------------------------------------------------


def test_stale_share_overall_and_per_institution(market):
    overall, rows = funnel.stale_shares()
    assert (overall.public_achievements, overall.stale_achievements) == (4, 1)
    assert (overall.public_demands, overall.stale_demands) == (2, 1)
    assert (overall.achievement_share, overall.demand_share, overall.overall_share) == (
        Decimal("0.2500"),
        Decimal("0.5000"),
        Decimal("0.3333"),
    )
    assert [
        (row.label, row.public_achievements, row.stale_achievements, row.public_demands, row.stale_demands)
        for row in rows
    ] == [("丙企业", 0, 0, 2, 1), ("甲大学", 3, 1, 0, 0), ("乙研究院", 1, 0, 0, 0)]
    assert [row.overall_share for row in rows] == [Decimal("0.5000"), Decimal("0.3333"), Decimal("0.0000")]
    assert rows[0].achievement_share is None
    # the project's own definition: the same listings as AchievementQuerySet.stale / DemandQuerySet.stale
    from achievements.models import Achievement
    from demands.models import Demand

    assert list(Achievement.objects.stale()) == [market.a2]
    assert list(Demand.objects.stale()) == [market.d2]
    overall_2026, _ = funnel.stale_shares(YEAR_2026)
    assert (overall_2026.public_achievements, overall_2026.stale_achievements) == (3, 1)


# The page and the exports --------------------------------------------------------------------


@pytest.fixture
def enterprise_member(db):
    return MembershipFactory(organization__kind="enterprise", role=MembershipRole.ADMIN).user


def test_only_bureau_staff_see_the_funnel(client, login, enterprise_member, statistician, reviewer, bureau_admin):
    anonymous = client.get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client.get(f"{EXPORT}?table=brokers").status_code == 302
    assert login(enterprise_member).get(URL).status_code == 404
    assert login(enterprise_member).get(f"{EXPORT}?table=brokers").status_code == 404
    for user in (statistician, bureau_admin, reviewer):
        assert login(user).get(URL).status_code == 200


def test_the_dashboard_links_to_the_funnel(login, statistician):
    html = login(statistician).get("/statistics/").content.decode()
    assert f'href="{URL}"' in html


def test_funnel_page_shows_the_tables(market, login, statistician):
    page = login(statistician).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    for key in ("achievements", "demands", "institutions", "brokers", "stale"):
        assert f'id="table-{key}"' in html
        assert f'href="{EXPORT}?table={key}"' in html
    assert "成果一" in html and "需求一" in html and "甲大学" in html and "丙企业" in html
    assert '<tr id="summary-achievements"><td>4</td><td class="text-end">650</td>' in html
    assert '<tr id="summary-demands"><td>3</td><td class="text-end">36</td>' in html
    assert 'style="' not in html.split("<main", 1)[-1]  # strict CSP: no inline styles
    filtered = login(statistician).get(f"{URL}?date_from=2026-01-01&date_to=2026-12-31").content.decode()
    assert "成果五" not in filtered and "date_from=2026-01-01" in filtered


def test_bad_filters_show_a_message(login, statistician):
    page = login(statistician).get(f"{URL}?date_from=2026-03-01&date_to=2026-02-01")
    assert page.status_code == 200
    assert "期间止不能早于期间起。" in page.content.decode()
    assert 'id="table-achievements"' not in page.content.decode()
    assert login(statistician).get(f"{EXPORT}?table=brokers&region=999999").status_code == 400


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return [list(row) for row in load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True)]


def test_excel_exports(market, login, statistician):
    client = login(statistician)
    achievements = _sheet(client.get(f"{EXPORT}?table=achievements"))
    with translation.override("zh-hans"):
        assert achievements[0] == [str(header) for header in _achievements_table(StatsFilter(), 1).headers]
    assert len(achievements[0]) == 12 and achievements[0][0] == "科技成果"
    assert achievements[2][0] == "成果一" and achievements[2][1] == "甲大学"
    assert achievements[2][5:] == [100, 3, 2, 1, 1, 2, 1]
    assert len(achievements) == 5

    demands = _sheet(client.get(f"{EXPORT}?table=demands&date_from=2026-06-01"))
    assert [row[0] for row in demands[1:]] == ["需求二", "需求三"]
    assert demands[1][5:] == [5, 1, 1, 0, 0, 0, 0]

    institutions = _sheet(client.get(f"{EXPORT}?table=institutions"))
    assert institutions[1] == ["甲大学", 3, 640, 4, 3, 1, 1, 2, 1, 0.63, 75, 33.33, 200, 50]
    assert institutions[2] == ["乙研究院", 1, 10, 0, 0, 0, 0, 1, 0, 0, None, None, None, 0]

    brokers = _sheet(client.get(f"{EXPORT}?table=brokers"))
    assert brokers[1][2:] == [1, 2, 1, 200, 50]
    assert brokers[2][2:] == [1, 0, 0, 0, None]

    stale = _sheet(client.get(f"{EXPORT}?table=stale"))
    assert stale[1][1:] == [4, 1, 25, 2, 1, 50, 33.33]
    assert [row[0] for row in stale[2:]] == ["丙企业", "甲大学", "乙研究院"]

    assert client.get(f"{EXPORT}?table=nope").status_code == 404
    assert client.get(EXPORT).status_code == 404


# A constant number of queries ----------------------------------------------------------------


def _listings(n: int, organization):
    for i in range(n):
        a = AchievementFactory(organization=organization, view_count=i, published_at=on(2026, 3, 1))
        d = DemandFactory(organization=organization, view_count=i)
        Match.objects.create(demand=d, achievement=a, score=0.5, computed_at=timezone.now())
        Inquiry.objects.create(achievement=a, organization=organization, subject="咨询")
        Engagement.objects.create(broker=BrokerProfileFactory(), achievement=a)
        DealFactory(seller=organization, achievement=a, demand=d).brokers.set([UserFactory()])


def test_query_count_does_not_grow_with_the_listings(login, statistician, django_assert_num_queries):
    client = login(statistician)
    _listings(2, OrganizationFactory(name="机构甲", kind="university"))
    client.get(URL)  # the session is warm
    with CaptureQueriesContext(connection) as two:
        assert client.get(URL).status_code == 200
    with CaptureQueriesContext(connection) as export_two:
        client.get(f"{EXPORT}?table=institutions")
    _listings(4, OrganizationFactory(name="机构乙", kind="university"))
    with django_assert_num_queries(len(two)):
        assert client.get(URL).status_code == 200
    with django_assert_num_queries(len(export_two)):
        client.get(f"{EXPORT}?table=institutions")
    assert len(funnel.achievement_funnel()) == 6


@pytest.mark.parametrize(
    ("call", "queries"),
    [
        (funnel.achievement_funnel, 1),
        (funnel.demand_funnel, 1),
        (funnel.institution_funnel, 1),
        (funnel.broker_funnel, 1),
        (funnel.achievement_totals, 1),
        (funnel.demand_totals, 1),
        (funnel.stale_shares, 2),
    ],
)
def test_each_figure_is_a_fixed_number_of_queries(market, django_assert_num_queries, call, queries):
    with django_assert_num_queries(queries):
        call(YEAR_2026)
