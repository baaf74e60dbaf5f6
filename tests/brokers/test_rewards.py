"""Service teams ("1+N"), broker performance, rewards, the annual ranking, its Excel export and
the excellent-broker selection."""

from datetime import datetime
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from brokers import services_rewards
from brokers.enums import EngagementStage, FilingStatus, RewardKind
from brokers.models import Engagement, ExcellentBroker, RewardRule, ServiceTeam
from demands.enums import Source
from marketplace.enums import MembershipRole, RegistrationStatus
from marketplace.models import ContractRegistration, Match, TransitionLog
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2025


def at(year: int, month: int = 6, day: int = 1) -> datetime:
    return datetime(year, month, day, 12, tzinfo=SHANGHAI)


def registered_contract(users, amount, *, registered_at, status=RegistrationStatus.REGISTERED):
    """A contract of a deal naming `users` as brokers, with its technology transaction amount."""
    deal = DealFactory()
    deal.brokers.set(users)
    return ContractRegistration.objects.create(
        deal=deal,
        organization=deal.buyer,
        title=deal.title,
        category="transfer",
        subtype="patent_right",
        total_amount=Decimal(amount),
        technology_amount=Decimal(amount),
        status=status,
        registered_at=registered_at,
    )


def mined_demand(user, *, year: int):
    demand = DemandFactory(recorded_by=user, source=Source.BROKER)
    type(demand).objects.filter(pk=demand.pk).update(created_at=at(year))
    return demand


def engagement(profile, *, year: int, deal_year: int | None = None):
    """An engagement claimed in `year`; at the deal stage (reached in `deal_year`) if given."""
    item = Engagement.objects.create(
        broker=profile, demand=DemandFactory(), stage=EngagementStage.DEAL if deal_year else EngagementStage.CLAIMED
    )
    Engagement.objects.filter(pk=item.pk).update(created_at=at(year))
    if deal_year:
        log = TransitionLog.objects.create(
            content_type_id=_engagement_type_id(), object_id=item.pk, field="stage", from_status="negotiating",
            to_status=EngagementStage.DEAL,
        )  # fmt: skip
        TransitionLog.objects.filter(pk=log.pk).update(created_at=at(deal_year))
    return item


def _engagement_type_id():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Engagement).pk


@pytest.fixture
def agency_a(db):
    return OrganizationFactory(name="青岛市技术转移中心", kind="transfer_agency")


@pytest.fixture
def agency_b(db):
    return OrganizationFactory(name="崂山科技服务中心", kind="service_agency")


@pytest.fixture
def corps(agency_a, agency_b):
    """Hand-computed year 2025 (yuan):

    | broker | agency | registered contracts 2025              | amount    | deals | mined | claimed |
    | a1     | A      | 600 000, 400 000, 100 000 (shared, a2) | 1 100 000 | 1     | 0     | 1       |
    | a2     | A      | 200 000, 100 000 (shared, a1)          |   300 000 | 0     | 1     | 0       |
    | b1     | B      | —                                      |         0 | 1     | 2     | 2       |
    | b2     | B      | —                                      |         0 | 0     | 0     | 0       |
    Ignored: a1's contract registered in 2024 (5 000 000) and one submitted, not registered
    (900 000); b1's demand mined in 2024, engagement claimed in 2024, deal reached in 2024;
    an applicant broker (not filed yet)."""
    a1 = BrokerProfileFactory(agency=agency_a, user__name="甲一")
    a2 = BrokerProfileFactory(agency=agency_a, user__name="甲二")
    b1 = BrokerProfileFactory(agency=agency_b, user__name="乙一")
    b2 = BrokerProfileFactory(agency=agency_b, user__name="乙二")
    BrokerProfileFactory(agency=agency_b, user__name="申请中", status=FilingStatus.APPLIED)
    registered_contract([a1.user], 600_000, registered_at=at(YEAR, 3))
    registered_contract([a1.user], 400_000, registered_at=at(YEAR, 11))
    registered_contract([a1.user, a2.user], 100_000, registered_at=at(YEAR, 7))
    registered_contract([a2.user], 200_000, registered_at=at(YEAR, 12, 30))
    registered_contract([a1.user], 5_000_000, registered_at=at(YEAR - 1, 12))
    registered_contract([a1.user], 900_000, registered_at=None, status=RegistrationStatus.SUBMITTED)
    engagement(a1, year=YEAR, deal_year=YEAR)
    engagement(b1, year=YEAR, deal_year=YEAR)
    engagement(b1, year=YEAR)
    engagement(b1, year=YEAR - 1, deal_year=YEAR - 1)
    mined_demand(a2.user, year=YEAR)
    mined_demand(b1.user, year=YEAR)
    mined_demand(b1.user, year=YEAR)
    mined_demand(b1.user, year=YEAR - 1)
    return {"a1": a1, "a2": a2, "b1": b1, "b2": b2}


@pytest.fixture
def reward_rules(db):
    """2% capped at 20 000 (bites for a1: 22 000; not for a2: 6 000); 1 000 per registered deal
    every year; a 10% rule of 2024 and an inactive rule, both ignored."""
    return [
        RewardRule.objects.create(
            name="成交额奖励", kind=RewardKind.PERCENTAGE, rate=Decimal("0.02"), annual_cap=20_000, year=YEAR
        ),
        RewardRule.objects.create(name="每单奖励", kind=RewardKind.FIXED_PER_DEAL, amount=1_000, year=None),
        RewardRule.objects.create(name="2024 奖励", kind=RewardKind.PERCENTAGE, rate=Decimal("0.10"), year=YEAR - 1),
        RewardRule.objects.create(
            name="停用", kind=RewardKind.FIXED_PER_DEAL, amount=5_000, year=YEAR, is_active=False
        ),
    ]


def figures(report):
    return {
        str(row.profile): (
            row.demands_mined, row.engagements, row.deals, row.registered_deals, row.registered_amount, row.reward,
        )
        for row in report.brokers
    }  # fmt: skip


# Performance ---------------------------------------------------------------------------------


def test_broker_performance_counts_each_figure_of_the_year(corps):
    report = services_rewards.broker_performance(YEAR)

    assert figures(report) == {
        "甲一": (0, 1, 1, 3, Decimal("1100000.00"), Decimal("0")),
        "甲二": (1, 0, 0, 2, Decimal("300000.00"), Decimal("0")),
        "乙一": (2, 2, 1, 0, Decimal("0"), Decimal("0")),
        "乙二": (0, 0, 0, 0, Decimal("0"), Decimal("0")),
    }


def test_broker_performance_of_another_year_counts_that_year_only(corps):
    report = services_rewards.broker_performance(YEAR - 1)

    assert figures(report)["甲一"] == (0, 0, 0, 1, Decimal("5000000.00"), Decimal("0"))
    assert figures(report)["乙一"] == (1, 1, 1, 0, Decimal("0"), Decimal("0"))


def test_agency_roll_up_counts_a_shared_contract_once(corps, agency_a, agency_b):
    report = services_rewards.broker_performance(YEAR)

    rows = {
        row.agency.name: (row.brokers, row.demands_mined, row.engagements, row.deals, row.registered_deals,
                          row.registered_amount)
        for row in report.agencies
    }  # fmt: skip
    # 600 000 + 400 000 + 100 000 + 200 000: the contract naming a1 and a2 counts once (4, not 5).
    assert rows == {
        "青岛市技术转移中心": (2, 1, 1, 1, 4, Decimal("1300000.00")),
        "崂山科技服务中心": (2, 2, 2, 1, 0, Decimal("0")),
    }


def test_broker_performance_of_one_agency(corps, agency_b):
    report = services_rewards.broker_performance(YEAR, agency=agency_b)

    assert sorted(figures(report)) == ["乙一", "乙二"]
    assert [row.agency.name for row in report.agencies] == ["崂山科技服务中心"]


def test_broker_performance_queries_stay_flat(agency_a, django_assert_num_queries):
    BrokerProfileFactory(agency=agency_a)
    with django_assert_num_queries(2):
        services_rewards.broker_performance(YEAR)
    for _n in range(2):
        profile = BrokerProfileFactory(agency=OrganizationFactory(kind="transfer_agency"))
        registered_contract([profile.user], 10_000, registered_at=at(YEAR))
    with django_assert_num_queries(2):
        report = services_rewards.broker_performance(YEAR)
    assert len(report.brokers) == 3 and len(report.agencies) == 3


# Rewards -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "registered_amount", "registered_deals", "expected"),
    [
        ({"kind": RewardKind.PERCENTAGE, "rate": "0.02", "annual_cap": 20_000}, "1100000", 3, "20000.00"),
        ({"kind": RewardKind.PERCENTAGE, "rate": "0.02", "annual_cap": 20_000}, "300000", 2, "6000.00"),
        ({"kind": RewardKind.PERCENTAGE, "rate": "0.015"}, "123456.78", 1, "1851.85"),
        ({"kind": RewardKind.FIXED_PER_DEAL, "amount": 1_000}, "0", 3, "3000.00"),
        ({"kind": RewardKind.FIXED_PER_DEAL, "amount": 1_000, "annual_cap": 2_500}, "0", 3, "2500.00"),
        ({"kind": RewardKind.FIXED_PER_DEAL, "amount": 1_000}, "0", 0, "0.00"),
    ],
)
def test_reward_for_one_rule(rule, registered_amount, registered_deals, expected):
    values = {key: Decimal(str(value)) if key != "kind" else value for key, value in rule.items()}
    result = services_rewards.reward_for(
        RewardRule(name="规则", **values),
        registered_amount=Decimal(registered_amount),
        registered_deals=registered_deals,
    )

    assert result == Decimal(expected)


def test_broker_rewards_apply_the_years_active_rules(corps, reward_rules):
    report = services_rewards.broker_rewards(YEAR)

    # a1: min(2% × 1 100 000, 20 000) + 3 × 1 000; a2: 2% × 300 000 + 2 × 1 000.
    assert [(str(row.profile), row.rank, row.reward) for row in report.brokers] == [
        ("甲一", 1, Decimal("23000.00")),
        ("甲二", 2, Decimal("8000.00")),
        ("乙一", 3, Decimal("0")),
        ("乙二", 4, Decimal("0")),
    ]
    assert {row.agency.name: row.reward for row in report.agencies} == {
        "青岛市技术转移中心": Decimal("31000.00"),
        "崂山科技服务中心": Decimal("0"),
    }


def test_broker_rewards_of_the_rule_year_2024_use_its_rules(corps, reward_rules):
    report = services_rewards.broker_rewards(YEAR - 1)

    # a1 in 2024: 10% × 5 000 000 (no cap) + 1 × 1 000; the 2025 rules do not apply.
    assert {str(row.profile): row.reward for row in report.brokers}["甲一"] == Decimal("501000.00")


def test_ranking_breaks_an_amount_tie_by_deals(corps):
    ranking = [str(row.profile) for row in services_rewards.broker_rewards(YEAR).brokers]

    # b1 and b2 registered nothing; b1 reached a deal.
    assert ranking == ["甲一", "甲二", "乙一", "乙二"]


# The performance page and its export ---------------------------------------------------------


@pytest.fixture
def administrator(bureau_admin):
    return bureau_admin


def test_performance_page_shows_ranking_agencies_and_rewards(login, reviewer, corps, reward_rules):
    response = login(reviewer).get(reverse("brokers:performance"), {"year": YEAR})

    assert response.status_code == 200
    report = response.context["report"]
    assert [(str(r.profile), r.rank, r.registered_amount, r.reward) for r in report.brokers][:2] == [
        ("甲一", 1, Decimal("1100000.00"), Decimal("23000.00")),
        ("甲二", 2, Decimal("300000.00"), Decimal("8000.00")),
    ]
    page = response.content.decode()

    assert "甲一" in page and "1100000.00" in page and "23000.00" in page and "31000.00" in page
    assert "青岛市技术转移中心" in page
    # A reviewer reads; only bureau administrators name excellent brokers.
    assert response.context["can_select"] is False and 'id="excellent-form"' not in page


def test_performance_page_year_chooser_ignores_unknown_years(login, reviewer):
    response = login(reviewer).get(reverse("brokers:performance"), {"year": "1999"})

    assert response.context["year"] == timezone.localdate().year


@pytest.mark.parametrize("name", ["brokers:performance", "brokers:performance-export"])
def test_performance_pages_refuse_non_staff(login, name, corps, org_member):
    assert login(corps["a1"].user).get(reverse(name)).status_code == 403
    assert login(org_member).get(reverse(name)).status_code == 403


def test_performance_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("brokers:performance"))

    assert response.status_code == 302 and "login" in response["Location"]


def test_performance_page_queries_stay_flat(login, bureau_admin, agency_a, django_assert_num_queries):
    client = login(bureau_admin)
    BrokerProfileFactory(agency=agency_a)
    client.get(reverse("brokers:performance"))  # warm the session and content types
    # 12 with the staff session's second-factor device, which django-otp loads on each request.
    with django_assert_num_queries(12):
        client.get(reverse("brokers:performance"), {"year": YEAR})
    for _n in range(2):
        profile = BrokerProfileFactory(agency=OrganizationFactory(kind="transfer_agency"))
        registered_contract([profile.user], 10_000, registered_at=at(YEAR))
        ExcellentBroker.objects.create(year=YEAR, profile=profile, rank=ExcellentBroker.objects.count() + 1)
    with django_assert_num_queries(12):
        response = client.get(reverse("brokers:performance"), {"year": YEAR})
    assert len(response.context["report"].brokers) == 3 and len(response.context["excellent"]) == 2


def test_performance_export_matches_the_ranking(login, reviewer, corps, reward_rules):
    response = login(reviewer).get(reverse("brokers:performance-export"), {"year": YEAR})

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="broker-performance-2025.xlsx"'
    workbook = load_workbook(BytesIO(response.content))
    brokers = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert brokers[0] == tuple(
        _(label)
        for label in (
            "Rank", "Broker", "Transfer agency", "Demands mined", "Engagements", "Deals", "Registered contracts",
            "Registered technology transaction amount (yuan)", "Reward (yuan)",
        )
    )  # fmt: skip
    assert brokers[1] == (1, "甲一", "青岛市技术转移中心", 0, 1, 1, 3, 1100000, 23000)
    assert brokers[2] == (2, "甲二", "青岛市技术转移中心", 1, 0, 0, 2, 300000, 8000)
    assert brokers[3] == (3, "乙一", "崂山科技服务中心", 2, 2, 1, 0, 0, 0)
    assert len(brokers) == 5
    agencies = list(workbook.worksheets[1].iter_rows(values_only=True))
    assert agencies[1] == ("青岛市技术转移中心", 2, 1, 1, 1, 4, 1300000, 31000)
    assert agencies[2] == ("崂山科技服务中心", 2, 2, 2, 1, 0, 0, 0)


# Excellent brokers ---------------------------------------------------------------------------


def test_bureau_admin_names_the_top_n(login, bureau_admin, corps, reward_rules):
    client = login(bureau_admin)
    page = client.get(reverse("brokers:performance"), {"year": YEAR}).content.decode()
    assert 'id="excellent-form"' in page

    response = client.post(reverse("brokers:excellent-select"), {"year": YEAR, "top": 2, "citation": "成绩突出"})

    assert response.status_code == 302 and response["Location"] == f"{reverse('brokers:performance')}?year={YEAR}"
    chosen = ExcellentBroker.objects.filter(year=YEAR).order_by("rank")
    assert [(str(row.profile), row.rank, row.citation, row.selected_by) for row in chosen] == [
        ("甲一", 1, "成绩突出", bureau_admin),
        ("甲二", 2, "成绩突出", bureau_admin),
    ]


def test_naming_again_replaces_the_years_selection_only(login, bureau_admin, corps):
    ExcellentBroker.objects.create(year=YEAR - 1, profile=corps["b2"], rank=1)
    client = login(bureau_admin)
    client.post(reverse("brokers:excellent-select"), {"year": YEAR, "top": 3})

    client.post(reverse("brokers:excellent-select"), {"year": YEAR, "profiles": [corps["b2"].pk, corps["a2"].pk]})

    rows = ExcellentBroker.objects.order_by("year", "rank")
    # Chosen brokers keep their ranking order (a2 before b2).
    assert [(row.year, str(row.profile), row.rank) for row in rows] == [
        (YEAR - 1, "乙二", 1),
        (YEAR, "甲二", 1),
        (YEAR, "乙二", 2),
    ]


def test_naming_without_a_choice_is_refused_and_keeps_the_selection(login, bureau_admin, corps):
    ExcellentBroker.objects.create(year=YEAR, profile=corps["b2"], rank=1)

    response = login(bureau_admin).post(reverse("brokers:excellent-select"), {"year": YEAR}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [_("Give a number N or choose brokers.")]
    assert list(ExcellentBroker.objects.values_list("profile__user__name", flat=True)) == ["乙二"]


def test_reviewer_may_not_name_excellent_brokers(login, reviewer, corps):
    response = login(reviewer).post(reverse("brokers:excellent-select"), {"year": YEAR, "top": 1})

    assert response.status_code == 403
    assert not ExcellentBroker.objects.exists()


def test_excellent_select_service_is_all_or_nothing(bureau_admin, corps):
    ExcellentBroker.objects.create(year=YEAR, profile=corps["b2"], rank=1)
    applicant = BrokerProfileFactory(status=FilingStatus.APPLIED, user__name="未备案")

    with pytest.raises(ValidationError) as refused:
        services_rewards.excellent_select(year=YEAR, user=bureau_admin, profiles=[corps["a1"], applicant])

    assert refused.value.messages == [_("Only filed brokers are named: %(names)s") % {"names": "未备案"}]
    assert list(ExcellentBroker.objects.values_list("profile__user__name", flat=True)) == ["乙二"]


def test_excellent_select_service_refuses_non_administrators(reviewer, corps):
    with pytest.raises(PermissionDenied):
        services_rewards.excellent_select(year=YEAR, user=reviewer, profiles=[corps["a1"]])


def test_public_excellent_page_lists_each_year(client, corps, django_assert_num_queries):
    ExcellentBroker.objects.create(year=YEAR, profile=corps["a2"], rank=2)
    ExcellentBroker.objects.create(year=YEAR, profile=corps["a1"], rank=1, citation="年度成交第一")
    ExcellentBroker.objects.create(year=YEAR - 1, profile=corps["b1"], rank=1)

    with django_assert_num_queries(1):
        response = client.get(reverse("brokers:excellent"))

    assert response.status_code == 200
    assert [(year, [str(row.profile) for row in rows]) for year, rows in response.context["years"]] == [
        (YEAR, ["甲一", "甲二"]),
        (YEAR - 1, ["乙一"]),
    ]
    page = response.content.decode()
    assert "年度成交第一" in page and "崂山科技服务中心" in page


def test_public_excellent_page_when_none_named(client):
    response = client.get(reverse("brokers:excellent"))

    assert _("No excellent brokers have been named yet.") in response.content.decode()


# Service teams -------------------------------------------------------------------------------


@pytest.fixture
def institution(db):
    return OrganizationFactory(name="青岛科技大学", kind="university")


@pytest.fixture
def team(institution, agency_a, corps, bureau_admin):
    return services_rewards.team_create(
        user=bureau_admin, name="青科大 1+N 团队", institution=institution, office=agency_a, brokers=[corps["a1"]]
    )


def test_team_create_by_staff(team, institution, agency_a, corps):
    assert (team.name, team.institution, team.office) == ("青科大 1+N 团队", institution, agency_a)
    assert list(team.brokers.all()) == [corps["a1"]]


def test_team_create_refuses_an_inactive_broker(bureau_admin, institution, agency_a):
    suspended = BrokerProfileFactory(status=FilingStatus.SUSPENDED, user__name="停用者")

    with pytest.raises(ValidationError) as refused:
        services_rewards.team_create(
            user=bureau_admin, name="团队", institution=institution, office=agency_a, brokers=[suspended]
        )

    assert refused.value.messages == [_("Only active brokers join a team: %(names)s") % {"names": "停用者"}]
    assert not ServiceTeam.objects.exists()


def test_team_create_refuses_an_office_that_is_no_agency(bureau_admin, institution):
    enterprise = OrganizationFactory(kind="enterprise")

    with pytest.raises(ValidationError) as refused:
        services_rewards.team_create(
            user=bureau_admin, name="团队", institution=institution, office=enterprise, brokers=[]
        )

    assert refused.value.messages == [_("The team's office must be a technology transfer or service agency.")]


def test_team_create_refuses_a_second_team_of_the_office_for_the_institution(team, bureau_admin, institution, agency_a):
    with pytest.raises(ValidationError) as refused:
        services_rewards.team_create(
            user=bureau_admin, name="又一个", institution=institution, office=agency_a, brokers=[]
        )

    assert refused.value.messages == [_("This office already runs a team for this institution.")]


def test_team_create_refuses_non_staff(corps, institution, agency_a):
    with pytest.raises(PermissionDenied):
        services_rewards.team_create(
            user=corps["a1"].user, name="团队", institution=institution, office=agency_a, brokers=[]
        )


def test_team_update_replaces_the_brokers(team, bureau_admin, corps):
    services_rewards.team_update(team=team, user=bureau_admin, name="新名称", brokers=[corps["a2"], corps["b1"]])

    team.refresh_from_db()
    assert team.name == "新名称"
    assert sorted(str(p) for p in team.brokers.all()) == ["乙一", "甲二"]


@pytest.fixture
def matched_team(team, institution):
    published = AchievementFactory(organization=institution, title="固态电解质制备工艺")
    AchievementFactory(organization=institution, title="未公开的成果", status="draft")
    demand = DemandFactory(title="储能电池安全升级", organization__name="青岛储能科技有限公司")
    Match.objects.create(
        demand=demand, achievement=published, score=0.82, achievement_rank=1, demand_rank=1, computed_at=timezone.now()
    )
    return team


def test_team_page_shows_achievements_and_matching_demands(login, matched_team, corps):
    response = login(corps["a1"].user).get(reverse("brokers:team", args=[matched_team.pk]))

    assert response.status_code == 200
    assert [a.title for a in response.context["achievements"]] == ["固态电解质制备工艺"]
    assert [(m.demand.title, m.achievement.title) for m, _view in response.context["matches"]] == [
        ("储能电池安全升级", "固态电解质制备工艺")
    ]
    page = response.content.decode()
    assert "储能电池安全升级" in page and "未公开的成果" not in page and "82%" in page


@pytest.mark.parametrize("role", ["office", "institution", "staff"])
def test_team_page_is_open_to_the_office_institution_and_staff(login, matched_team, role, reviewer):
    if role == "staff":
        user = reviewer
    else:
        organization = matched_team.office if role == "office" else matched_team.institution
        user = MembershipFactory(organization=organization, role=MembershipRole.MEMBER).user

    assert login(user).get(reverse("brokers:team", args=[matched_team.pk])).status_code == 200


def test_team_page_is_hidden_from_others(login, matched_team, corps, foreign_user):
    url = reverse("brokers:team", args=[matched_team.pk])

    assert login(corps["b1"].user).get(url).status_code == 404
    assert login(foreign_user).get(url).status_code == 404


def test_team_page_queries_stay_flat(login, matched_team, institution, corps, django_assert_num_queries):
    client = login(corps["a1"].user)
    url = reverse("brokers:team", args=[matched_team.pk])
    client.get(url)
    with django_assert_num_queries(14):
        client.get(url)
    for _n in range(2):
        achievement = AchievementFactory(organization=institution)
        Match.objects.create(
            demand=DemandFactory(), achievement=achievement, score=0.5, achievement_rank=1, computed_at=timezone.now()
        )
    matched_team.brokers.add(corps["a2"])
    with django_assert_num_queries(14):
        response = client.get(url)
    assert len(response.context["matches"]) == 3


def test_teams_list_shows_the_users_teams(login, team, corps, institution, bureau_admin):
    other = services_rewards.team_create(
        user=bureau_admin, name="另一团队", institution=institution, office=corps["b1"].agency, brokers=[corps["b1"]]
    )

    mine = login(corps["a1"].user).get(reverse("brokers:teams"))
    everything = login(bureau_admin).get(reverse("brokers:teams"))

    assert [t.name for t in mine.context["teams"]] == ["青科大 1+N 团队"]
    assert "另一团队" not in mine.content.decode()
    assert sorted(t.pk for t in everything.context["teams"]) == [team.pk, other.pk]


def test_teams_list_when_none(login, foreign_user):
    response = login(foreign_user).get(reverse("brokers:teams"))

    assert _("You are not on a service team.") in response.content.decode()


# Admin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["serviceteam", "rewardrule", "excellentbroker"])
def test_admin_lists_open_for_bureau_administrators(login, bureau_admin, team, reward_rules, model):
    ExcellentBroker.objects.create(year=YEAR, profile=team.brokers.get(), rank=1)

    response = login(bureau_admin).get(reverse(f"admin:brokers_{model}_changelist"))

    assert response.status_code == 200


def test_admin_team_form_refuses_an_inactive_broker(login, bureau_admin, institution, agency_a):
    suspended = BrokerProfileFactory(status=FilingStatus.SUSPENDED)

    response = login(bureau_admin).post(
        reverse("admin:brokers_serviceteam_add"),
        {"name": "团队", "institution": institution.pk, "office": agency_a.pk, "brokers": [suspended.pk],
         "is_active": "on"},
    )  # fmt: skip

    assert response.status_code == 200
    assert not ServiceTeam.objects.exists()


# Navigation ----------------------------------------------------------------------------------


def test_navigation_links_teams_and_performance(login, corps, reviewer):
    broker_nav = login(corps["a1"].user).get(reverse("brokers:teams")).context["nav_workspace"]
    staff_nav = login(reviewer).get(reverse("brokers:teams")).context["nav_workspace"]

    assert reverse("brokers:teams") in {item["url"] for item in broker_nav}
    assert reverse("brokers:performance") not in {item["url"] for item in broker_nav}
    assert {reverse("brokers:teams"), reverse("brokers:performance")} <= {item["url"] for item in staff_nav}
