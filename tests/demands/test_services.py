from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from demands.enums import ResponseStatus, Source, Status
from demands.models import Demand, DemandResponse
from demands.services import (
    LIFECYCLE,
    demand_close,
    demand_confirm_recorded,
    demand_create,
    demand_freshness_reminders_send,
    demand_mark_solved,
    demand_publish,
    demand_reject,
    demand_submit,
    demand_update,
    demands_expire,
    response_create,
    response_decline,
    response_message,
    response_start_deal,
    response_withdraw,
    stale_demands_close,
)
from marketplace.models import IndustryField, Notification, OutgoingMail
from marketplace.rules import forget_membership_roles
from marketplace.selectors import transitions_for
from tests.factories.demands import DemandFactory, DemandResponseFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise():
    return OrganizationFactory(name="青岛蔚蓝测试股份有限公司", kind="enterprise")


@pytest.fixture
def boss(enterprise):
    return MembershipFactory(organization=enterprise, role="admin", user__username="boss").user


def _fields(**overrides):
    return {
        "title": "高盐废水零排放处理工艺",
        "summary": "寻求高盐废水蒸发结晶的低能耗方案。",
        "problem": "现有 MVR 工艺吨水能耗 45kWh。",
        "demand_type": "problem_solving",
        "deadline": timezone.localdate() + timedelta(days=30),
        "budget_min": 100_000,
        "budget_max": 500_000,
        **overrides,
    }


def test_create_submit_publish(enterprise, boss, reviewer):
    demand = demand_create(
        user=boss,
        organization=enterprise,
        industry_fields=IndustryField.objects.filter(code="water-treatment"),
        cooperation_modes=["commissioned_development", "commissioned_development"],
        keywords="零排放，蒸发结晶",
        **_fields(),
    )
    assert (demand.status, demand.region, demand.keywords) == (Status.DRAFT, enterprise.region, ["零排放", "蒸发结晶"])

    demand_submit(demand=demand, user=boss)
    demand_publish(demand=demand, reviewer=reviewer)

    demand.refresh_from_db()
    assert demand.status == Status.PUBLISHED and demand.confirmed_at is not None
    assert [log.to_status for log in transitions_for(demand)] == ["published", "submitted"]
    assert Notification.objects.filter(user=boss, kind="demand.published").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"deadline": timezone.localdate() - timedelta(days=1)}, "deadline"),
        ({"budget_min": 600_000, "budget_max": 100_000}, "budget_min"),
        ({"budget_min": None, "budget_max": None}, "budget_max"),
        ({"min_trl": 10}, "min_trl"),
    ],
)
def test_create_refuses_bad_input_and_saves_nothing(enterprise, boss, overrides, field):
    with pytest.raises(ValidationError) as caught:
        demand_create(user=boss, organization=enterprise, **_fields(**overrides))

    assert field in caught.value.message_dict
    assert not Demand.objects.exists()


def test_create_for_a_foreign_enterprise_is_refused(enterprise, foreign_user):
    with pytest.raises(PermissionDenied):
        demand_create(user=foreign_user, organization=enterprise, **_fields())


def test_recorded_demand_waits_for_the_enterprise(enterprise, boss, reviewer):
    demand = demand_create(
        user=reviewer,
        organization=enterprise,
        source=Source.STAFF,
        industry_fields=IndustryField.objects.filter(code="hydrogen"),
        **_fields(),
    )
    assert demand.needs_enterprise_confirmation and demand.recorded_by == reviewer
    assert Notification.objects.filter(user=boss, kind="demand.recorded").exists()
    with pytest.raises(ValidationError) as caught:
        demand_submit(demand=demand, user=reviewer)
    assert caught.value.messages == ["代录的需求需要先由企业确认。"]

    demand_confirm_recorded(demand=demand, user=boss)

    assert demand.status == Status.SUBMITTED and demand.enterprise_confirmed_at is not None


def test_members_cannot_record_for_other_enterprises(enterprise, foreign_user):
    with pytest.raises(PermissionDenied):
        demand_create(user=foreign_user, organization=enterprise, source=Source.STAFF, **_fields())


def test_reject_with_reason_then_resubmit(enterprise, boss, reviewer):
    demand = DemandFactory(organization=enterprise, submitted=True)
    demand_reject(demand=demand, reviewer=reviewer, reason="请补充技术指标")
    assert (demand.status, demand.review_note) == (Status.REJECTED, "请补充技术指标")

    demand_submit(demand=demand, user=boss)
    assert demand.status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.DRAFT, Status.PUBLISHED),
        (Status.SUBMITTED, Status.SOLVED),
        (Status.SOLVED, Status.PUBLISHED),
        (Status.CLOSED, Status.PUBLISHED),
        (Status.EXPIRED, Status.PUBLISHED),
        (Status.REJECTED, Status.PUBLISHED),
        (Status.NEGOTIATING, Status.SUBMITTED),
    ],
)
def test_forbidden_transitions(enterprise, reviewer, start, target):
    demand = DemandFactory(organization=enterprise, status=start)

    with pytest.raises(ValidationError):
        LIFECYCLE.apply(demand, target, actor=reviewer, reason="x")

    assert not transitions_for(demand).exists()


def test_material_edit_of_a_published_demand_goes_back_to_review(enterprise, boss, reviewer):
    demand = DemandFactory(organization=enterprise)

    demand_update(demand=demand, user=boss, contact_phone="13900000000")
    assert demand.status == Status.PUBLISHED
    demand_update(demand=demand, user=boss, budget_max=3_000_000)

    assert demand.status == Status.SUBMITTED
    assert "budget_max" in transitions_for(demand).first().reason


def test_expire_at_the_deadline_and_close_stale(enterprise, settings):
    past = DemandFactory(organization=enterprise)
    Demand.objects.filter(pk=past.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    fresh = DemandFactory(organization=enterprise)

    assert demands_expire() == 1
    past.refresh_from_db()
    assert past.status == Status.EXPIRED
    assert demands_expire() == 0

    Demand.objects.filter(pk=fresh.pk).update(
        confirmed_at=timezone.now() - timedelta(days=settings.FRESHNESS_DAYS + settings.FRESHNESS_GRACE_DAYS + 1)
    )
    assert stale_demands_close() == 1
    fresh.refresh_from_db()
    assert fresh.status == Status.CLOSED


def test_freshness_reminder_once(enterprise, boss, settings, django_capture_on_commit_callbacks):
    demand = DemandFactory(organization=enterprise)
    Demand.objects.filter(pk=demand.pk).update(
        confirmed_at=timezone.now() - timedelta(days=settings.FRESHNESS_DAYS - 5)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert demand_freshness_reminders_send() == 1
        demand_freshness_reminders_send()

    assert OutgoingMail.objects.filter(purpose="demand-freshness").count() == 1
    assert "请确认" in mail.outbox[0].subject


def test_responses_one_live_per_organization(organization, org_member, enterprise):
    demand = DemandFactory(organization=enterprise)

    response_create(demand=demand, user=org_member, approach="方案一")
    with pytest.raises(ValidationError) as caught:
        response_create(demand=demand, user=org_member, approach="方案二")

    assert caught.value.messages == ["贵机构对该需求已有一份有效的响应。"]
    assert DemandResponse.objects.count() == 1


@pytest.mark.parametrize("trait", ["draft", "submitted", "closed", "expired", "solved"])
def test_responses_to_a_demand_not_open_are_refused(organization, org_member, enterprise, trait):
    demand = DemandFactory(organization=enterprise, **{trait: True})

    with pytest.raises((ValidationError, PermissionDenied)):
        response_create(demand=demand, user=org_member, approach="方案")

    assert not DemandResponse.objects.exists()


def test_confidential_demand_only_for_invited_responders(organization, org_member, enterprise, foreign_user):
    demand = DemandFactory(organization=enterprise, confidential=True, invited=[organization])
    outsider = MembershipFactory(organization=OrganizationFactory(kind="institute")).user

    with pytest.raises(PermissionDenied):
        response_create(demand=demand, user=outsider, approach="方案")
    assert response_create(demand=demand, user=org_member, approach="方案").organization == organization


def test_decline_start_deal_withdraw_and_messages(organization, org_member, enterprise, boss):
    demand = DemandFactory(organization=enterprise, anonymous=True)
    first = response_create(demand=demand, user=org_member, approach="方案")
    response_message(response=first, user=boss, body="能否缩短工期？")
    response_message(response=first, user=org_member, body="可以压缩到 6 个月。")
    assert first.messages.count() == 2

    response_decline(response=first, user=boss, reason="too_expensive", note="超出预算")
    first.refresh_from_db()
    assert (first.status, first.decline_reason) == (ResponseStatus.DECLINED, "too_expensive")
    note = Notification.objects.filter(user=org_member, kind="demand.response_status").order_by("-id").first()
    assert note.body == "价格过高：超出预算"
    assert enterprise.name not in note.title + note.body

    second = response_create(demand=demand, user=org_member, approach="新方案")
    response_start_deal(response=second, user=boss)
    demand.refresh_from_db()
    assert (second.status, demand.status) == (ResponseStatus.DEAL_STARTED, Status.NEGOTIATING)

    third = DemandResponseFactory(demand=demand)
    with pytest.raises(PermissionDenied):
        response_withdraw(response=third, user=org_member)
    with pytest.raises(PermissionDenied):
        response_decline(response=third, user=org_member, reason="other")


def test_solve_and_close_notify_live_responders(organization, org_member, enterprise, boss):
    demand = DemandFactory(organization=enterprise)
    response_create(demand=demand, user=org_member, approach="方案")

    demand_mark_solved(demand=demand, user=boss, note="已与某高校合作")

    assert demand.status == Status.SOLVED
    assert Notification.objects.filter(user=org_member, kind="demand.finished").exists()
    with pytest.raises(ValidationError):
        demand_close(demand=demand, user=boss)


def test_a_member_of_several_organizations_names_the_one_that_responds(organization, org_member, enterprise):
    demand = DemandFactory(organization=enterprise)
    institute = OrganizationFactory(name="海洋研究所", kind="institute")
    MembershipFactory(organization=institute, user=org_member)
    forget_membership_roles(org_member)

    with pytest.raises(ValidationError) as caught:
        response_create(demand=demand, user=org_member, approach="方案")
    response = response_create(demand=demand, user=org_member, approach="方案", organization=institute)

    assert caught.value.message_dict == {"organization": ["您属于多个可以响应的机构，请选择以哪个机构响应。"]}
    assert response.organization == institute
    assert DemandResponse.objects.count() == 1
