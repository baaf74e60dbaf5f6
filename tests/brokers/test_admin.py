"""The bureau's broker console: filings approved, rejected, suspended and reinstated through the
services; upgrades decided; engagements read with their activities."""

import pytest
from django.urls import reverse
from django.utils import timezone

from brokers import services
from brokers.enums import FilingStatus, Level, UpgradeStatus
from brokers.models import LevelUpgrade
from marketplace.models import Notification
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:brokers_brokerprofile_changelist"


def _act(client, url_name, action, pks, **extra):
    return client.post(reverse(url_name), {"action": action, "_selected_action": pks, **extra}, follow=True)


def test_reviewer_approves_and_rejects_confirmed_filings(login, reviewer):
    approved = BrokerProfileFactory(status=FilingStatus.CONFIRMED, approved_at=None)
    rejected = BrokerProfileFactory(status=FilingStatus.CONFIRMED, approved_at=None)
    waiting = BrokerProfileFactory(status=FilingStatus.APPLIED, approved_at=None)  # the agency's step first
    client = login(reviewer)

    _act(client, CHANGELIST, "approve", [approved.pk, waiting.pk])
    asked = _act(client, CHANGELIST, "reject", [rejected.pk])
    _act(client, CHANGELIST, "reject", [rejected.pk], apply="1", reason="证书信息无法核实")

    for profile in (approved, rejected, waiting):
        profile.refresh_from_db()
    assert approved.status == FilingStatus.ACTIVE and approved.approved_at is not None
    assert waiting.status == FilingStatus.APPLIED
    assert asked.templates[0].name == "admin/reason_action.html"
    assert (rejected.status, rejected.status_note) == (FilingStatus.REJECTED, "证书信息无法核实")
    assert Notification.objects.filter(user=approved.user, kind="broker.approved").exists()


def test_reviewer_suspends_with_a_reason_and_reinstates(login, reviewer):
    profile = BrokerProfileFactory()
    client = login(reviewer)

    _act(client, CHANGELIST, "suspend", [profile.pk], apply="1", reason="年度考核未通过")
    profile.refresh_from_db()
    suspended = (profile.status, profile.status_note)
    _act(client, CHANGELIST, "reinstate", [profile.pk])
    profile.refresh_from_db()

    assert suspended == (FilingStatus.SUSPENDED, "年度考核未通过")
    assert profile.status == FilingStatus.ACTIVE


def test_filters_search_and_the_change_page_with_its_history(login, reviewer):
    expired = BrokerProfileFactory(
        user__name="过期经纪", certificate_issued_on="2019-01-01", certificate_expires_on="2022-01-01"
    )
    current = BrokerProfileFactory(user__name="有效经纪")
    services.profile_suspend(profile=current, reviewer=reviewer, reason="暂停测试")
    client = login(reviewer)

    only_expired = client.get(reverse(CHANGELIST), {"certificate": "expired"})
    found = client.get(reverse(CHANGELIST), {"q": "有效经纪"})
    change = client.get(reverse("admin:brokers_brokerprofile_change", args=[current.pk]))

    assert list(only_expired.context["cl"].queryset) == [expired]
    assert list(found.context["cl"].queryset) == [current]
    assert change.status_code == 200 and "暂停测试" in change.content.decode()


def test_people_outside_the_bureau_do_not_reach_the_console(login, agency_admin):
    profile = BrokerProfileFactory(status=FilingStatus.CONFIRMED, approved_at=None)

    response = login(agency_admin).get(reverse(CHANGELIST))

    assert response.status_code == 302  # the admin's login page
    _act(login(UserFactory()), CHANGELIST, "approve", [profile.pk])
    profile.refresh_from_db()
    assert profile.status == FilingStatus.CONFIRMED


def test_level_upgrades_are_approved_or_rejected_with_a_note(login, reviewer):
    first, second = BrokerProfileFactory(), BrokerProfileFactory()
    up = services.upgrade_apply(profile=first, user=first.user, training_hours=120, deal_count=5, evidence="培训证书")
    down = services.upgrade_apply(profile=second, user=second.user, training_hours=8, deal_count=0, evidence="无")
    client = login(reviewer)
    changelist = "admin:brokers_levelupgrade_changelist"

    _act(client, changelist, "approve", [up.pk])
    _act(client, changelist, "reject", [down.pk], apply="1", reason="培训学时不足")
    change = client.get(reverse("admin:brokers_levelupgrade_change", args=[down.pk]))

    up.refresh_from_db()
    down.refresh_from_db()
    first.refresh_from_db()
    assert (up.status, first.level) == (UpgradeStatus.APPROVED, Level.INTERMEDIATE)
    assert (down.status, down.review_note) == (UpgradeStatus.REJECTED, "培训学时不足")
    assert change.status_code == 200 and "培训学时不足" in change.content.decode()
    assert LevelUpgrade.objects.filter(status=UpgradeStatus.PENDING).count() == 0


def test_engagements_are_read_only_with_their_activities(login, reviewer):
    broker = BrokerProfileFactory()
    engagement = services.engagement_claim(user=broker.user, demand=DemandFactory(title="海水淡化浓盐水利用"))
    services.engagement_record_activity(
        engagement=engagement,
        user=broker.user,
        kind="proposal",
        occurred_on=timezone.localdate(),
        note="推荐两项成果",
        proposed_achievements=[AchievementFactory(title="电渗析浓缩技术")],
    )
    client = login(reviewer)

    listing = client.get(reverse("admin:brokers_engagement_changelist"))
    change = client.get(reverse("admin:brokers_engagement_change", args=[engagement.pk]))

    assert "海水淡化浓盐水利用" in listing.content.decode()
    content = change.content.decode()
    assert "推荐两项成果" in content and "电渗析浓缩技术" in content
    assert 'name="_save"' not in content  # read only
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:brokers_brokerprofile_changelist") in index
