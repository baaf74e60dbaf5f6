import itertools
from collections import defaultdict

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from demands.demo import DEMANDS, seed_demands
from demands.enums import ResponseDeclineReason, ResponseStatus, Source, Status, Visibility
from demands.models import Demand, DemandResponse
from demands.services import LIFECYCLE, RESPONSE_LIFECYCLE
from marketplace.demo import seed_parties
from marketplace.models import Membership, Message, Notification, Organization, TransitionLog, User

pytestmark = pytest.mark.django_db

SUMMARY = (
    "  demands: 35 from 8 enterprises in 6 sectors (draft 4, submitted 4, published 10, rejected 3, negotiating 4, "
    "solved 4, closed 3, expired 3), 36 responses, 30 messages"
)


@pytest.fixture
def seeded():
    seed_parties()
    return seed_demands()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Demand, DemandResponse, TransitionLog, Message, Notification, Organization, User, Membership)
    }


def logs_by_object(model) -> dict[int, list[TransitionLog]]:
    logs = defaultdict(list)
    for log in TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(model)).order_by("id"):
        logs[log.object_id].append(log)
    return logs


def test_seed_demands_twice_creates_nothing_more(seeded):
    first = counts()

    lines = seed_demands()

    assert counts() == first
    assert lines == [
        "  jifa_admin       enterprise administrator",
        "  xinli_admin      enterprise administrator",
        "  jmlaser_admin    enterprise administrator",
        "  jpclean_admin    enterprise administrator",
        SUMMARY,
    ]
    assert seeded == lines


def test_seed_demands_after_a_demo_demand_was_edited_creates_nothing(seeded):
    Demand.objects.filter(title=DEMANDS[0].title).update(title="企业改过标题的需求")
    first = counts()

    seed_demands()

    assert counts() == first


def test_seed_demands_has_every_status_and_visibility(seeded):
    demands = Demand.objects.all()

    assert sorted(set(demands.values_list("status", flat=True))) == sorted(Status.values)
    assert sorted(set(demands.values_list("visibility", flat=True))) == sorted(Visibility.values)
    assert demands.filter(visibility=Visibility.CONFIDENTIAL, invited_organizations=None).count() == 0
    assert demands.filter(status=Status.REJECTED, review_note="").count() == 0
    assert demands.filter(status__in=[Status.SOLVED, Status.CLOSED], close_note="").count() == 0
    assert demands.filter(budget_negotiable=False, budget_max__isnull=True).count() == 0
    assert demands.filter(industry_fields=None).count() == 0


def test_seed_demands_covers_the_six_sectors_and_the_seed_enterprises(seeded):
    sectors = {
        field.parent.code if field.parent else field.code
        for demand in Demand.objects.prefetch_related("industry_fields__parent")
        for field in demand.industry_fields.all()
    }

    assert {"marine", "biomedicine", "new-energy", "high-end-equipment", "textiles", "clean-energy"} <= sectors
    assert {"蔚蓝生物", "即发集团", "东岳未来氢能", "遨博智能"} <= set(
        Demand.objects.values_list("organization__short_name", flat=True)
    )
    assert len(DEMANDS) == Demand.objects.count() == 35


def test_seed_demands_has_staff_recorded_demands_one_awaiting_confirmation(seeded):
    recorded = Demand.objects.filter(source=Source.STAFF).order_by("id")

    assert [(demand.status, demand.needs_enterprise_confirmation) for demand in recorded] == [
        (Status.DRAFT, True),
        (Status.PUBLISHED, False),
        (Status.SUBMITTED, False),
    ]
    assert {demand.recorded_by.username for demand in recorded} == {"organizer"}


def test_seed_demands_has_responses_in_every_status_with_each_decline_reason(seeded):
    responses = DemandResponse.objects.all()
    declined = responses.filter(status=ResponseStatus.DECLINED)

    assert sorted(set(responses.values_list("status", flat=True))) == sorted(ResponseStatus.values)
    assert sorted(set(declined.values_list("decline_reason", flat=True))) == sorted(ResponseDeclineReason.values)
    assert declined.filter(decline_note="").count() == 0
    assert set(responses.values_list("organization__kind", flat=True)) <= {"university", "institute", "new_type_rd"}
    assert Message.objects.filter(thread_type=ContentType.objects.get_for_model(DemandResponse)).count() == 30
    # Every negotiating or solved demand got there through a response that started a deal.
    assert sorted(
        set(responses.filter(status=ResponseStatus.DEAL_STARTED).values_list("demand__status", flat=True).distinct())
    ) == sorted([Status.NEGOTIATING, Status.SOLVED])


def test_seed_demands_dates_agree_with_the_transition_log(seeded):
    now = timezone.now()
    today = timezone.localdate()
    demand_logs = logs_by_object(Demand)
    broken = []
    for demand in Demand.objects.all():
        steps = demand_logs[demand.pk]
        chain = [Status.DRAFT, *(log.to_status for log in steps)]
        moments = [demand.created_at, *(log.created_at for log in steps), demand.updated_at]
        submitted = [log.created_at for log in steps if log.to_status == Status.SUBMITTED]
        published = [log.created_at for log in steps if log.to_status == Status.PUBLISHED]
        if (
            [log.from_status for log in steps] != chain[:-1]
            or not all(LIFECYCLE.can(a, b) for a, b in itertools.pairwise(chain))
            or chain[-1] != demand.status
            or moments != sorted(moments)
            or demand.updated_at != moments[-2]
            or demand.updated_at > now
            or demand.submitted_at != (submitted[-1] if submitted else None)
            or demand.published_at != (published[0] if published else None)
            or (demand.status == Status.EXPIRED) != (demand.deadline < today)
        ):
            broken.append(demand.title)

    assert broken == []
    assert Demand.objects.stale().count() == 0
    # Spread over the past months, the freshness period included.
    assert Demand.objects.filter(created_at__gt=now - timezone.timedelta(days=30)).count() < 12
    assert Demand.objects.filter(created_at__lt=now - timezone.timedelta(days=90)).exists()
    assert Demand.objects.filter(created_at__lt=now - timezone.timedelta(days=settings.FRESHNESS_DAYS)).count() == 0


def test_seed_demands_response_dates_follow_the_demand(seeded):
    response_logs = logs_by_object(DemandResponse)
    message_type = ContentType.objects.get_for_model(DemandResponse)
    broken = []
    for response in DemandResponse.objects.select_related("demand"):
        steps = response_logs[response.pk]
        chain = [ResponseStatus.SUBMITTED, *(log.to_status for log in steps)]
        messages = Message.objects.filter(thread_type=message_type, thread_id=response.pk)
        moments = [
            response.demand.published_at,
            response.created_at,
            *(message.created_at for message in messages),
            *(log.created_at for log in steps),
        ]
        if (
            not all(RESPONSE_LIFECYCLE.can(a, b) for a, b in itertools.pairwise(chain))
            or chain[-1] != response.status
            or moments != sorted(moments)
            or response.updated_at != moments[-1]
        ):
            broken.append(f"{response.organization} → {response.demand}")

    assert broken == []


def test_seed_demo_runs_the_demand_step_and_links_achievements(capsys):
    call_command("seed_demo")

    assert SUMMARY in capsys.readouterr().out.splitlines()
    linked = DemandResponse.objects.exclude(achievements=None)
    assert linked.exists()
    assert all(
        {achievement.organization_id for achievement in response.achievements.all()} == {response.organization_id}
        for response in linked
    )
