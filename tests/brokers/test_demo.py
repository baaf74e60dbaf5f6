"""The broker demo: brokers of every level in the demo agencies filed through the services, the
filings in the agency's and the bureau's queues, a suspended broker, upgrades, engagements in
every stage on demo listings, a mined demand, and a second run that adds nothing."""

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from achievements.demo import seed_achievements
from brokers.demo import AGENCY_ADMINS, BROKERS, seed_brokers
from brokers.enums import EngagementStage, FilingStatus, Level, UpgradeStatus
from brokers.models import BrokerProfile, Engagement, EngagementActivity, LevelUpgrade
from demands.demo import seed_demands
from demands.enums import Source
from demands.models import Demand
from marketplace.demo import seed_parties
from marketplace.demo_deals import seed_deals
from marketplace.enums import OrganizationKind
from marketplace.management.commands.seed_demo import STEPS
from marketplace.models import Membership, TransitionLog, User

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The steps this one builds on, and this one, seeded once for the module (the achievement
    import alone takes seconds), in a transaction rolled back after the module's last test."""
    media = tmp_path_factory.mktemp("media")
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media / "private"}}
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            MEDIA_ROOT=media,
            STORAGES={**settings.STORAGES, "default": storage},
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
        transaction.atomic(),
    ):
        seed_parties()
        seed_achievements()
        seed_demands()
        seed_deals()
        yield seed_brokers()
        transaction.set_rollback(True)


def test_brokers_of_every_level_in_the_demo_transfer_agencies(seeded):
    active = BrokerProfile.objects.filter(status=FilingStatus.ACTIVE).select_related("agency")

    transfer = {p.level for p in active if p.agency.kind == OrganizationKind.TRANSFER_AGENCY}
    assert transfer == set(Level.values)
    assert {p.agency.kind for p in active} == {OrganizationKind.TRANSFER_AGENCY, OrganizationKind.SERVICE_AGENCY}
    assert BrokerProfile.objects.get(user__username="agency_member").level == Level.SENIOR
    assert any(p.certificate_expired for p in active)
    assert all(p.specialities.exists() and p.regions.exists() for p in active)


def test_filings_in_every_status_through_the_services(seeded):
    statuses = dict(BrokerProfile.objects.values_list("user__username", "status"))

    assert statuses["broker_applied"] == FilingStatus.APPLIED
    assert statuses["broker_confirmed"] == FilingStatus.CONFIRMED
    assert statuses["broker_suspended"] == FilingStatus.SUSPENDED
    suspended = BrokerProfile.objects.get(user__username="broker_suspended")
    logs = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(BrokerProfile), object_id=suspended.pk
    ).order_by("created_at", "id")
    assert [log.to_status for log in logs] == ["applied", "confirmed", "active", "suspended"]
    assert logs.last().reason == suspended.status_note != ""
    # The agency's administrators confirmed their brokers; each is an administrator of it.
    for username, _name, agency, _note in AGENCY_ADMINS:
        assert Membership.objects.get(user__username=username, organization__name=agency).role == "admin"


def test_upgrades_approved_rejected_and_waiting(seeded):
    statuses = sorted(LevelUpgrade.objects.values_list("status", flat=True))

    assert statuses == sorted([UpgradeStatus.APPROVED, UpgradeStatus.REJECTED, UpgradeStatus.PENDING])
    assert LevelUpgrade.objects.get(status=UpgradeStatus.REJECTED).review_note


def test_engagements_in_every_stage_on_demo_listings(seeded):
    stages = set(Engagement.objects.values_list("stage", flat=True))

    assert stages == set(EngagementStage.values)
    deal = Engagement.objects.get(stage=EngagementStage.DEAL)
    assert deal.deal is not None and deal.deal.demand_id == deal.demand_id
    assert deal.broker.user in deal.deal.brokers.all()
    assert Engagement.objects.filter(achievement__isnull=False).exists()
    proposals = EngagementActivity.objects.filter(kind="proposal")
    assert proposals.exists() and all(activity.proposed_achievements.exists() for activity in proposals)
    for engagement in Engagement.objects.exclude(stage=EngagementStage.DROPPED).filter(demand__isnull=False):
        assert engagement.broker.user in engagement.demand.assigned_brokers.all()
        # Every story happened in the past, in order.
        logs = list(
            TransitionLog.objects.filter(
                content_type=ContentType.objects.get_for_model(Engagement), object_id=engagement.pk
            ).order_by("created_at", "id")
        )
        assert logs[0].to_status == "claimed" and logs[-1].to_status == engagement.stage


def test_a_mined_demand_waits_for_the_enterprise(seeded):
    mined = Demand.objects.get(source=Source.BROKER)

    assert mined.needs_enterprise_confirmation and mined.recorded_by.username == "broker_mid"
    assert mined.recorded_by in mined.assigned_brokers.all()


def test_the_step_prints_log_ins_and_a_summary(seeded):
    assert any(line.strip().startswith("agency_member") for line in seeded)
    assert any(line.strip().startswith("jinpu_admin") for line in seeded)
    assert "brokers: 7 active" in seeded[-1]
    assert User.objects.filter(username__in=[b.username for b in BROKERS]).count() == len(BROKERS)


def test_seed_brokers_twice_creates_nothing_more(seeded):
    counts = [model.objects.count() for model in (BrokerProfile, Engagement, EngagementActivity, LevelUpgrade, User)]

    again = seed_brokers()

    assert [m.objects.count() for m in (BrokerProfile, Engagement, EngagementActivity, LevelUpgrade, User)] == counts
    assert again == seeded


def test_seed_demo_runs_the_broker_step_after_the_deals():
    assert STEPS.index("brokers.demo.seed_brokers") == STEPS.index("marketplace.demo_deals.seed_deals") + 1
    assert STEPS.index("brokers.demo.seed_brokers") < STEPS.index("marketplace.demo.seed_search")


def test_training_team_rules_and_excellent_brokers_are_seeded(seeded):
    from brokers.demo import DEMO_COURSES, DEMO_TEAM, seed_broker_programme
    from brokers.models import Course, Enrolment, ExcellentBroker, RewardRule, ServiceTeam

    seed_broker_programme()
    seed_broker_programme()  # again: nothing more
    assert Course.objects.filter(title__in=[c[0] for c in DEMO_COURSES]).count() == len(DEMO_COURSES)
    certified = Enrolment.objects.filter(certificate_number__isnull=False)
    assert certified.exists()
    assert all(e.attended and e.completed_on for e in certified)
    assert Enrolment.objects.filter(completed_on__isnull=True, course__starts_on__gt=timezone.localdate()).exists()
    team = ServiceTeam.objects.get(name=DEMO_TEAM)
    assert team.institution.name == "青岛大学" and team.brokers.count() == 3
    assert RewardRule.objects.filter(is_active=True).count() == 2
    assert ExcellentBroker.objects.filter(year=timezone.localdate().year - 1).count() == 2
