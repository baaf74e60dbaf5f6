"""Yearly targets: each metric's actual for 2026 against hand-built rows, and the share reached."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.utils import timezone

from achievements.enums import FeaturedIssueStatus
from achievements.models import FeaturedIssue, FeaturedItem
from brokers.enums import Level
from brokers.models import Course, Engagement, Enrolment
from demands.enums import ResponseStatus
from events.enums import EventStatus
from marketplace import statistics
from marketplace.enums import DealStage, MatchSide, MatchVerdict
from marketplace.models import Match, MatchFeedback, TargetMetric, YearlyTarget
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory, DemandResponseFactory
from tests.factories.events import EventFactory
from tests.factories.marketplace import UserFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def _dated(obj, **moments):
    type(obj).objects.filter(pk=obj.pk).update(**moments)
    return obj


def _event(status, starts_at):
    return EventFactory(
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        registration_opens_at=starts_at - timedelta(days=20),
        registration_closes_at=starts_at - timedelta(days=1),
    )


def _course(n: int, ends_on: date) -> Course:
    return Course.objects.create(
        title=f"技术经纪人培训班{n}", level=Level.JUNIOR, hours=16, starts_on=ends_on - timedelta(days=2),
        ends_on=ends_on, provider="青岛市技术市场服务中心",
    )  # fmt: skip


def _issue(number: int, status: str, published_at, achievements) -> FeaturedIssue:
    issue = FeaturedIssue.objects.create(
        number=number, title=f"第{number}期", period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
        status=status, published_at=published_at,
    )  # fmt: skip
    for position, achievement in enumerate(achievements):
        FeaturedItem.objects.create(issue=issue, achievement=achievement, position=position)
    return issue


@pytest.fixture
def year_2026(market):
    """Besides the contracts: deals, events, training, demand links and featured issues."""
    # Industry projects: two deals signed in 2026; a failed one and one of 2025 do not count.
    DealFactory(stage=DealStage.SIGNED, signed_on=date(2026, 3, 1))
    DealFactory(stage=DealStage.COMPLETED, signed_on=date(2026, 12, 31))
    DealFactory(stage=DealStage.FAILED, signed_on=date(2026, 4, 1), failure_reason="资金未到位")
    DealFactory(stage=DealStage.SIGNED, signed_on=date(2025, 12, 31))
    # Events held or reported that started in 2026 (Shanghai): two.
    _event(EventStatus.HELD, at(2026, 5, 1, 14))
    _event(EventStatus.REPORTED, at(2026, 1, 1, 9))
    _event(EventStatus.PUBLISHED, at(2026, 6, 1, 14))
    _event(EventStatus.HELD, at(2025, 12, 31, 20))
    # Brokers trained: p1 (two courses) and p2 in 2026; p3 in 2025; p4 never completed.
    p1, p2, p3, p4 = (BrokerProfileFactory() for _ in range(4))
    c1, c2, c3 = _course(1, date(2026, 3, 10)), _course(2, date(2026, 9, 10)), _course(3, date(2025, 11, 10))
    for course, profile in ((c1, p1), (c2, p1), (c1, p2), (c3, p3)):
        Enrolment.objects.create(course=course, profile=profile, attended=True, completed_on=course.ends_on)
    Enrolment.objects.create(course=c2, profile=p4)
    # Linked demands: d1 response, d3 engagement, d4 deal, d5 contacted match, d7 response and
    # engagement (once); not d2 (withdrawn response), d6 (response in 2025), d8 (useful only).
    in_2026, in_2025 = at(2026, 6, 1), at(2025, 6, 1)
    d1, d2, d3, d4, d5, d6, d7, d8 = (DemandFactory() for _ in range(8))
    _dated(DemandResponseFactory(demand=d1), created_at=in_2026)
    _dated(DemandResponseFactory(demand=d2, status=ResponseStatus.WITHDRAWN), created_at=in_2026)
    _dated(DemandResponseFactory(demand=d6), created_at=in_2025)
    _dated(DemandResponseFactory(demand=d7), created_at=in_2026)
    for demand in (d3, d7):
        _dated(Engagement.objects.create(broker=p1, demand=demand), created_at=in_2026)
    _dated(DealFactory(demand=d4, achievement=None, title="需求交易"), created_at=in_2026)
    user = UserFactory()
    for demand, verdict in ((d5, MatchVerdict.CONTACTED), (d8, MatchVerdict.USEFUL)):
        match = Match.objects.create(demand=demand, achievement=AchievementFactory(), score=0.7, computed_at=in_2026)
        feedback = MatchFeedback.objects.create(match=match, user=user, side=MatchSide.DEMAND, verdict=verdict)
        _dated(feedback, created_at=in_2026)
    # Major achievements: a1, a2, a3 in issues published in 2026 (a1 twice); a draft and 2025 not.
    a1, a2, a3, a4, a5 = (AchievementFactory() for _ in range(5))
    _issue(1, FeaturedIssueStatus.PUBLISHED, at(2026, 2, 1), [a1, a2])
    _issue(2, FeaturedIssueStatus.PUBLISHED, at(2026, 8, 1), [a1, a3])
    _issue(3, FeaturedIssueStatus.DRAFT, None, [a4])
    _issue(4, FeaturedIssueStatus.PUBLISHED, at(2025, 12, 31, 20), [a5])
    targets = {
        TargetMetric.CONTRACT_TURNOVER: 2_000_000,
        TargetMetric.TECHNOLOGY_AMOUNT: 1_000_000,
        TargetMetric.REGISTERED_CONTRACTS: 10,
        TargetMetric.LINKED_DEMANDS: 5,
        TargetMetric.EVENTS_HELD: 4,
        TargetMetric.BROKERS_TRAINED: 3,
        TargetMetric.MAJOR_ACHIEVEMENTS: 10,
        TargetMetric.INDUSTRY_PROJECTS: 100,
    }
    for metric, target in targets.items():
        YearlyTarget.objects.create(year=2026, metric=metric, target=Decimal(target))
    YearlyTarget.objects.create(year=2025, metric=TargetMetric.EVENTS_HELD, target=Decimal(90))
    return market


def test_targets_progress_for_every_metric(year_2026):
    rows = statistics.targets_progress(2026)
    got = {row.metric: (row.actual, row.target.target, row.share) for row in rows}
    assert [row.metric for row in rows] == list(TargetMetric.values)
    assert got == {
        "contract_turnover": (Decimal("1700000.00"), Decimal("2000000.00"), Decimal("0.8500")),
        "technology_amount": (Decimal("1470000.00"), Decimal("1000000.00"), Decimal("1.4700")),
        "registered_contracts": (Decimal(8), Decimal("10.00"), Decimal("0.8000")),
        "linked_demands": (Decimal(5), Decimal("5.00"), Decimal("1.0000")),
        "events_held": (Decimal(2), Decimal("4.00"), Decimal("0.5000")),
        "brokers_trained": (Decimal(2), Decimal("3.00"), Decimal("0.6667")),
        "major_achievements": (Decimal(3), Decimal("10.00"), Decimal("0.3000")),
        "industry_projects": (Decimal(2), Decimal("100.00"), Decimal("0.0200")),
    }
    over = next(row for row in rows if row.metric == "technology_amount")
    assert over.bar_value == Decimal("1000000.00")  # the bar stops at the target


def test_each_target_is_one_query(year_2026, django_assert_num_queries):
    with django_assert_num_queries(1 + len(TargetMetric.values)):
        statistics.targets_progress(2026)


def test_a_year_without_targets_is_empty_and_a_metric_is_set_once(db):
    assert statistics.targets_progress(2030) == []
    YearlyTarget.objects.create(year=2030, metric=TargetMetric.EVENTS_HELD, target=100)
    with pytest.raises(IntegrityError):
        YearlyTarget.objects.create(year=2030, metric=TargetMetric.EVENTS_HELD, target=120)


def test_targets_are_set_by_statisticians_in_the_admin(statistician, reviewer, login):
    page = login(statistician).post(
        "/admin/marketplace/yearlytarget/add/", {"year": 2026, "metric": "events_held", "target": "100", "note": ""}
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    assert YearlyTarget.objects.get(year=2026).target == 100
    assert login(reviewer).get("/admin/marketplace/yearlytarget/").status_code == 200  # other staff read
    assert login(reviewer).get("/admin/marketplace/yearlytarget/add/").status_code == 403
    assert timezone.localdate()  # the admin runs in Asia/Shanghai


def test_the_demo_sets_this_years_targets_once(db):
    from django.utils import timezone

    from marketplace.demo import DEMO_TARGETS, seed_targets

    seed_targets()
    seed_targets()
    year = timezone.localdate().year
    stored = dict(YearlyTarget.objects.filter(year=year).values_list("metric", "target"))
    assert stored == {metric: Decimal(value) for metric, value in DEMO_TARGETS.items()}
