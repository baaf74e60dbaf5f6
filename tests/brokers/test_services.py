"""Broker filing, level upgrades and engagements."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from brokers import services
from brokers.enums import EngagementStage, FilingStatus, Level, UpgradeStatus
from brokers.models import BrokerProfile, Engagement
from demands.models import Demand
from marketplace.enums import MembershipRole
from marketplace.models import TransitionLog
from tests.concurrency import postgresql_only, run_together
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency_admin(db):
    return MembershipFactory(organization__kind="transfer_agency", role=MembershipRole.ADMIN).user


def apply(user, agency, **overrides):
    fields = {
        "certificate_number": "JSJJ-2026-00001",
        "certificate_issuer": "中国科学技术交流中心",
        "certificate_issued_on": date(2026, 3, 1),
        "certificate_expires_on": date(2029, 3, 1),
        "introduction": "十年海洋装备行业经验。",
    }
    fields.update(overrides)
    return services.profile_apply(user=user, agency=agency, **fields)


def test_filing_goes_agency_then_bureau(agency_admin, reviewer):
    agency = agency_admin.memberships.get().organization
    person = UserFactory()
    profile = apply(person, agency)
    assert profile.status == FilingStatus.APPLIED
    with pytest.raises(PermissionDenied):
        services.profile_approve(profile=profile, reviewer=agency_admin)
    with pytest.raises(PermissionDenied):
        services.profile_confirm(profile=profile, user=person)
    services.profile_confirm(profile=profile, user=agency_admin)
    with pytest.raises(ValidationError):  # the bureau's step comes after the agency's only
        services.profile_confirm(profile=profile, user=agency_admin)
    services.profile_approve(profile=profile, reviewer=reviewer)
    profile.refresh_from_db()
    assert profile.status == FilingStatus.ACTIVE and profile.approved_at is not None
    steps = list(
        TransitionLog.objects.filter(content_type__model="brokerprofile", object_id=profile.pk)
        .order_by("created_at", "id")
        .values_list("to_status", flat=True)
    )
    assert steps == ["applied", "confirmed", "active"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"certificate_expires_on": date(2025, 1, 1)}, "certificate_expires_on"),
        ({"certificate_issued_on": timezone.localdate() + timedelta(days=5)}, "certificate_issued_on"),
        ({"certificate_number": ""}, "certificate_number"),
    ],
)
def test_bad_certificate_is_refused_and_nothing_saved(agency_admin, overrides, field):
    with pytest.raises(ValidationError) as caught:
        apply(UserFactory(), agency_admin.memberships.get().organization, **overrides)
    assert field in caught.value.message_dict
    assert not BrokerProfile.objects.exists()


def test_agency_must_be_a_verified_agency():
    with pytest.raises(ValidationError):
        apply(UserFactory(), OrganizationFactory(kind="enterprise"))


def test_rejection_needs_a_reason_and_reapplying_restarts(agency_admin):
    profile = apply(UserFactory(), agency_admin.memberships.get().organization)
    with pytest.raises(ValidationError):
        services.profile_reject(profile=profile, user=agency_admin, reason="")
    services.profile_reject(profile=profile, user=agency_admin, reason="非本机构人员")
    assert profile.status_note == "非本机构人员"
    services.profile_reapply(profile=profile, user=profile.user)
    assert profile.status == FilingStatus.APPLIED


def test_upgrade_by_application_reviewed_by_staff(reviewer):
    profile = BrokerProfileFactory()
    upgrade = services.upgrade_apply(
        profile=profile, user=profile.user, training_hours=120, deal_count=6, evidence="完成中级培训 120 学时"
    )
    assert (upgrade.from_level, upgrade.to_level) == (Level.JUNIOR, Level.INTERMEDIATE)
    with pytest.raises(ValidationError):
        services.upgrade_apply(profile=profile, user=profile.user, training_hours=1, deal_count=0, evidence="x")
    services.upgrade_decide(upgrade=upgrade, reviewer=reviewer, approve=True)
    profile.refresh_from_db()
    assert profile.level == Level.INTERMEDIATE
    assert upgrade.status == UpgradeStatus.APPROVED


def test_expired_certificates_are_flagged():
    expired = BrokerProfileFactory(certificate_issued_on=date(2020, 1, 1), certificate_expires_on=date(2023, 1, 1))
    current = BrokerProfileFactory()
    assert list(BrokerProfile.objects.certificate_expired()) == [expired]
    assert expired.certificate_expired and not current.certificate_expired


def test_claim_assigns_the_broker_who_then_sees_confidential_details():
    broker = BrokerProfileFactory()
    other = BrokerProfileFactory()
    demand = DemandFactory(confidential=True)
    assert not broker.user.has_perm("demands.see_details_demand", demand)
    engagement = services.engagement_claim(user=broker.user, demand=demand)
    demand = Demand.objects.get(pk=demand.pk)
    assert broker.user.has_perm("demands.see_details_demand", demand)
    assert not other.user.has_perm("demands.see_details_demand", demand)
    assert engagement.stage == EngagementStage.CLAIMED
    with pytest.raises(ValidationError) as refused:
        services.engagement_claim(user=other.user, demand=demand)
    assert refused.value.messages == [_("Another broker has claimed this demand.")]


def test_claims_not_exclusive_when_configured(settings):
    settings.BROKERS = {"EXCLUSIVE_DEMAND_CLAIMS": False}
    demand = DemandFactory()
    services.engagement_claim(user=BrokerProfileFactory().user, demand=demand)
    services.engagement_claim(user=BrokerProfileFactory().user, demand=demand)
    assert Engagement.objects.filter(demand=demand).count() == 2


def test_only_active_brokers_claim_open_listings():
    suspended = BrokerProfileFactory(status=FilingStatus.SUSPENDED)
    with pytest.raises(PermissionDenied):
        services.engagement_claim(user=suspended.user, demand=DemandFactory())
    with pytest.raises(ValidationError):
        services.engagement_claim(user=BrokerProfileFactory().user, demand=DemandFactory(closed=True))


def test_engagement_runs_to_a_deal_and_the_enterprise_sees_who_serves_it():
    broker = BrokerProfileFactory()
    demand = DemandFactory()
    enterprise_member = MembershipFactory(organization=demand.organization).user
    engagement = services.engagement_claim(user=broker.user, demand=demand)
    assert enterprise_member.has_perm("brokers.view_engagement", engagement)
    assert not UserFactory().has_perm("brokers.view_engagement", engagement)
    services.engagement_record_activity(
        engagement=engagement, user=broker.user, kind="call", occurred_on=timezone.localdate(), note="电话沟通需求细节"
    )
    assert engagement.stage == EngagementStage.CONTACTED
    achievement = AchievementFactory()
    with pytest.raises(ValidationError):  # a proposal names achievements
        services.engagement_record_activity(
            engagement=engagement, user=broker.user, kind="proposal", occurred_on=timezone.localdate(), note="方案"
        )
    services.engagement_record_activity(
        engagement=engagement,
        user=broker.user,
        kind="proposal",
        occurred_on=timezone.localdate(),
        note="推荐两项成果",
        proposed_achievements=[achievement],
    )
    assert engagement.stage == EngagementStage.PROPOSAL
    services.engagement_advance(engagement=engagement, user=broker.user, stage=EngagementStage.NEGOTIATING)
    unrelated = DealFactory()
    with pytest.raises(ValidationError):
        services.engagement_advance(engagement=engagement, user=broker.user, stage="deal", deal=unrelated)
    deal = DealFactory(demand=demand, buyer=demand.organization, seller=achievement.organization)
    services.engagement_advance(engagement=engagement, user=broker.user, stage="deal", deal=deal)
    assert engagement.deal == deal
    assert broker.user in deal.brokers.all()


def test_activity_on_someone_elses_engagement_is_refused():
    engagement = services.engagement_claim(user=BrokerProfileFactory().user, demand=DemandFactory())
    with pytest.raises(PermissionDenied):
        services.engagement_record_activity(
            engagement=engagement,
            user=BrokerProfileFactory().user,
            kind="call",
            occurred_on=timezone.localdate(),
            note="x",
        )


def test_dropping_frees_the_demand():
    first, second = BrokerProfileFactory(), BrokerProfileFactory()
    demand = DemandFactory()
    engagement = services.engagement_claim(user=first.user, demand=demand)
    with pytest.raises(ValidationError):
        services.engagement_drop(engagement=engagement, user=first.user, reason="")
    services.engagement_drop(engagement=engagement, user=first.user, reason="企业暂缓需求")
    assert first.user not in Demand.objects.get(pk=demand.pk).assigned_brokers.all()
    services.engagement_claim(user=second.user, demand=demand)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_have_exactly_one_winner():
    demand = DemandFactory()
    brokers = [BrokerProfileFactory() for _ in range(5)]
    results = run_together([lambda user=b.user: services.engagement_claim(user=user, demand=demand) for b in brokers])
    winners = [result for result in results if isinstance(result, Engagement)]
    assert len(winners) == 1
    assert all(isinstance(result, ValidationError) for result in results if result not in winners)
    assert Engagement.objects.filter(demand=demand).count() == 1


def test_a_broker_does_not_claim_own_or_transferred_listings():
    broker = BrokerProfileFactory()
    own_demand = DemandFactory(organization=broker.agency)
    MembershipFactory(user=broker.user, organization=broker.agency)
    with pytest.raises(ValidationError):
        services.engagement_claim(user=broker.user, demand=own_demand)
    with pytest.raises(ValidationError):
        services.engagement_claim(user=broker.user, achievement=AchievementFactory(status="transferred"))
    assert not Engagement.objects.exists()


def test_claiming_an_achievement_tells_its_owner():
    from marketplace.models import Notification

    achievement = AchievementFactory()
    owner = MembershipFactory(organization=achievement.organization, role=MembershipRole.ADMIN).user
    services.engagement_claim(user=BrokerProfileFactory().user, achievement=achievement)
    assert Notification.objects.filter(user=owner, kind="broker.claimed").exists()
