"""Personal data under PIPL (个人信息保护法): the privacy notice and consent, the download of one's data,
account deletion, and masked contact details on public pages and in the public API."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from achievements.enums import SubscriptionStatus
from achievements.models import Achievement, Subscription
from achievements.services import inquiry_create
from marketplace import privacy
from marketplace.enums import JoinRequestStatus, MembershipRole, VerificationStatus
from marketplace.models import (
    Favourite,
    JoinRequest,
    Membership,
    Message,
    Notification,
    SavedSearch,
    TransitionLog,
    User,
)
from marketplace.services import privacy as privacy_services
from marketplace.services.privacy import account_delete, personal_data_export
from tests.factories.achievements import AchievementFactory
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.demands import DemandFactory
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.marketplace import PASSWORD, MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.pilots import PilotBaseFactory

pytestmark = pytest.mark.django_db

REGISTER = "/accounts/register/"


def page_of(response) -> str:
    return response.content.decode()


# --- privacy notice and consent -------------------------------------------------------------------


def test_privacy_notice_is_public_and_linked_from_every_page_and_registration(client):
    notice = client.get(reverse("privacy-notice"))
    home = page_of(client.get("/"))
    register = page_of(client.get(REGISTER))

    assert notice.status_code == 200
    content = page_of(notice)
    for section in ("collected", "purposes", "retention", "sharing", "rights", "contact"):
        assert f'id="{section}"' in content
    assert settings.PRIVACY_NOTICE_VERSION in content and settings.PRIVACY_CONTACT_EMAIL in content
    assert f'href="{reverse("privacy-notice")}"' in home
    assert f'href="{reverse("privacy-notice")}"' in register and 'name="privacy_consent"' in register


def _registration(**overrides):
    from tests.factories.marketplace import make_uscc

    data = {
        "username": "qiye",
        "name": "刘企业",
        "email": "liu@qiye.cn",
        "phone": "13800138000",
        "password1": "Haiyang-Keji-2026",
        "password2": "Haiyang-Keji-2026",
        "mode": "create",
        "organization_name": "青岛海洋科技有限公司",
        "organization_kind": "enterprise",
        "organization_uscc": make_uscc(901),
        "organization_region_1": "370000",
        "organization_region_2": "370200",
        "organization_region_3": "370212",
        "privacy_consent": "on",
    }
    data.update(overrides)
    return data


def test_registration_without_consent_is_refused_and_creates_nothing(client):
    data = _registration()
    del data["privacy_consent"]

    response = client.post(REGISTER, data)

    assert response.status_code == 200
    assert response.context["form"].errors["privacy_consent"] == [gettext("Agree to the privacy notice to register.")]
    assert gettext("Agree to the privacy notice to register.") in page_of(response)
    assert not User.objects.filter(username="qiye").exists()
    assert SESSION_KEY not in client.session


def test_registration_records_the_time_and_version_of_consent(client, settings):
    settings.PRIVACY_NOTICE_VERSION = "2026-test"
    before = timezone.now()

    client.post(REGISTER, _registration())

    user = User.objects.get(username="qiye")
    assert user.privacy_consent_version == "2026-test"
    assert before <= user.privacy_consent_at <= timezone.now()


def test_workspace_asks_again_after_the_notice_changes_and_then_lets_through(login, org_admin, settings):
    client = login(org_admin)
    settings.PRIVACY_NOTICE_VERSION = "2099-01"

    asked = client.get(reverse("workspace:notifications"))
    consent_url = reverse("privacy-consent")
    assert asked.status_code == 302
    assert asked["Location"] == f"{consent_url}?next=%2Fworkspace%2Fnotifications%2F"
    assert client.get(reverse("profile")).status_code == 200  # the account pages stay reachable

    refused = client.post(consent_url, {"next": "/workspace/notifications/"})
    assert refused.status_code == 200
    assert refused.context["form"].errors["privacy_consent"] == [gettext("Agree to the privacy notice to continue.")]

    agreed = client.post(consent_url, {"privacy_consent": "on", "next": "/workspace/notifications/"})
    assert agreed["Location"] == "/workspace/notifications/"
    org_admin.refresh_from_db()
    assert org_admin.privacy_consent_version == "2099-01"
    assert client.get(reverse("workspace:notifications")).status_code == 200


def test_a_user_who_never_consented_is_asked_and_an_outside_next_is_ignored(login, organization):
    user = MembershipFactory(organization=organization, user__privacy_consent_at=None).user
    user.privacy_consent_version = ""
    user.save(update_fields=["privacy_consent_version"])
    client = login(user)

    assert client.get(reverse("workspace:home"))["Location"].startswith(reverse("privacy-consent"))
    agreed = client.post(reverse("privacy-consent"), {"privacy_consent": "on", "next": "https://evil.example/"})

    assert agreed["Location"] == reverse("workspace:home")


def test_htmx_requests_are_moved_to_the_consent_page_as_a_whole(login, org_admin, settings):
    settings.PRIVACY_NOTICE_VERSION = "2099-01"

    response = login(org_admin).get(reverse("workspace:notifications"), HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("privacy-consent"))


def test_registration_keeps_the_deleted_account_prefix_for_deleted_accounts(client):
    response = client.post(REGISTER, _registration(username="deleted-999"))

    assert response.context["form"].errors["username"] == [gettext("This username is taken.")]
    assert not User.objects.filter(username="deleted-999").exists()


# --- download of one's data ----------------------------------------------------------------------


def _covered_fields() -> set[tuple[str, str]]:
    return {(section.model, section.user_field) for section in privacy_services.PERSONAL_SECTIONS} | set(
        privacy_services.AUTHORED_RECORDS
    )


def test_every_foreign_key_to_the_user_is_exported_or_excluded_with_a_reason():
    covered = _covered_fields()
    missing = [
        f"{model._meta.label}.{name}"
        for model, name in privacy_services.user_foreign_keys()
        if (model._meta.label, name) not in covered and not privacy_services.excluded_reason(model, name)
    ]
    existing = {(model._meta.label, name) for model, name in privacy_services.user_foreign_keys()}

    assert missing == [], "add these to marketplace/services/privacy.py: export or exclude with a reason"
    assert sorted(covered - existing) == []  # nothing stale in the lists
    assert ("achievements.Subscription", "user") in covered and ("marketplace.Message", "author") in covered


@pytest.fixture
def person(organization):
    """An enterprise member with a trail in every app: the one who downloads or deletes."""
    enterprise = OrganizationFactory(name="青岛个人数据测试企业", kind="enterprise")
    user = UserFactory(username="zhangsan", name="张三", email="zhangsan@qiye.cn", phone="13711112222")
    MembershipFactory(organization=enterprise, user=user, role=MembershipRole.ADMIN)
    return user


@pytest.fixture
def trail(person, organization, org_admin):
    """Rows of the person in every section, and rows of other people next to them."""
    enterprise = person.memberships.get().organization
    achievement = AchievementFactory(organization=organization, created_by=org_admin, title="海水淡化膜技术")
    inquiry = inquiry_create(achievement=achievement, user=person, subject="合作意向", body="请介绍授权方式。")
    JoinRequest.objects.create(user=person, organization=organization, message="申请加入测试大学")
    Notification.objects.create(user=person, kind="test", title="给张三的通知")
    Notification.objects.create(user=org_admin, kind="test", title="给别人的通知")
    SavedSearch.objects.create(user=person, name="电池", query="锂电池")
    Favourite.objects.create(
        user=person, content_type=ContentType.objects.get_for_model(Achievement), object_id=achievement.pk, title="收藏"
    )
    Subscription.objects.create(user=person, email="ZhangSan@qiye.cn", status=SubscriptionStatus.ACTIVE)
    RegistrationFactory(user=person, organization=enterprise, note="需要停车位")
    BrokerProfileFactory(user=person, certificate_number="JSJJ-2025-77777")
    own_demand = DemandFactory(organization=enterprise, created_by=person, title="张三写的需求")
    return {"achievement": achievement, "inquiry": inquiry, "demand": own_demand, "enterprise": enterprise}


def test_download_is_a_json_attachment_that_browsers_do_not_sniff(login, person):
    response = login(person).get(reverse("personal-data-download"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="personal-data-{person.pk}-')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert json.loads(response.content)["account"]["username"] == "zhangsan"


def test_download_needs_a_login(client):
    response = client.get(reverse("personal-data-download"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_download_holds_the_persons_data_and_nothing_of_others(login, person, trail, org_admin):
    body = login(person).get(reverse("personal-data-download")).content.decode()
    data = json.loads(body)

    assert data["account"]["name"] == "张三"
    assert data["account"]["email"] == "zhangsan@qiye.cn"
    assert data["account"]["phone"] == "13711112222"
    assert data["account"]["privacy_consent_version"] == settings.PRIVACY_NOTICE_VERSION
    assert [(row["organization"], row["role"]) for row in data["memberships"]] == [
        ("青岛个人数据测试企业", MembershipRole.ADMIN)
    ]
    assert [(row["organization"], row["message"]) for row in data["join_requests"]] == [
        ("青岛测试大学", "申请加入测试大学")
    ]
    assert [row["title"] for row in data["notifications"]] == ["给张三的通知"]
    assert [(row["name"], row["query"]) for row in data["saved_searches"]] == [("电池", "锂电池")]
    assert [row["title"] for row in data["favourites"]] == ["收藏"]
    assert [row["email"] for row in data["digest_subscriptions"]] == ["ZhangSan@qiye.cn"]
    assert [row["subject"] for row in data["inquiries"]] == ["合作意向"]
    assert [row["body"] for row in data["messages"]] == ["请介绍授权方式。"]
    assert [row["note"] for row in data["event_registrations"]] == ["需要停车位"]
    assert data["broker_profile"]["certificate_number"] == "JSJJ-2025-77777"
    assert data["expert_profile"] is None
    authored = {(row["type"], row.get("title")) for row in data["authored_records"]}
    assert ("demands.Demand", "张三写的需求") in authored
    # Never the password hash, never someone else's personal data.
    assert person.password not in body and "password" not in data["account"]
    assert "给别人的通知" not in body
    assert org_admin.email not in body and org_admin.name not in body
    assert "王老师" not in body and "13912345678" not in body  # the achievement's contact person


def test_export_of_a_person_without_activity_is_empty_not_missing(person):
    data = personal_data_export(user=UserFactory(username="quiet"))

    for section in privacy_services.PERSONAL_SECTIONS:
        assert data[section.key] in ([], None), section.key
    assert data["authored_records"] == []


# --- account deletion ----------------------------------------------------------------------------


def test_delete_with_a_wrong_password_is_refused_in_the_users_language(login, person):
    response = login(person).post(reverse("account-delete"), {"password": "not-my-password"})

    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [gettext("The password is wrong.")]
    person.refresh_from_db()
    assert person.is_active and person.name == "张三"


def test_the_last_admin_of_an_organization_with_members_must_hand_over_first(login, org_admin, org_member):
    client = login(org_admin)

    page = page_of(client.get(reverse("account-delete")))
    response = client.post(reverse("account-delete"), {"password": PASSWORD})

    assert 'id="deletion-blocked"' in page and "青岛测试大学" in page
    expected = gettext(
        "You are the only administrator of %(organizations)s, which has other members. Make another "
        "member an administrator first, then delete your account."
    ) % {"organizations": "青岛测试大学"}
    assert response.context["form"].non_field_errors() == [expected]
    org_admin.refresh_from_db()
    assert org_admin.is_active and Membership.objects.filter(user=org_admin).exists()


def test_an_admin_may_leave_when_another_admin_remains(organization, org_admin, org_member):
    Membership.objects.filter(user=org_member).update(role=MembershipRole.ADMIN)

    account_delete(user=org_admin, password=PASSWORD)

    assert list(organization.memberships.values_list("user__username", flat=True)) == ["orgmember"]


def test_staff_accounts_are_closed_by_an_administrator_not_by_themselves(reviewer):
    with pytest.raises(Exception) as refused:
        account_delete(user=reviewer, password=PASSWORD)

    assert refused.value.messages == [
        gettext("Staff accounts are closed by a bureau administrator; ask them to remove yours.")
    ]
    reviewer.refresh_from_db()
    assert reviewer.is_active


def test_delete_erases_the_person_keeps_their_records_and_logs_out(login, person, trail, organization, org_admin):
    client = login(person)
    inquiry, demand = trail["inquiry"], trail["demand"]
    pk = person.pk

    response = client.post(reverse("account-delete"), {"password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert SESSION_KEY not in client.session
    row = User.objects.filter(pk=pk).values().get()
    assert (row["username"], row["name"], row["email"], row["phone"]) == (f"deleted-{pk}", "", "", "")
    assert row["is_active"] is False and row["privacy_consent_at"] is None
    assert not User.objects.get(pk=pk).has_usable_password()
    flat = json.dumps(row, default=str)
    for personal in ("zhangsan", "张三", "13711112222", "qiye.cn"):
        assert personal not in flat
    # Personal-only rows are gone.
    assert not Membership.objects.filter(user_id=pk).exists()
    assert not Notification.objects.filter(user_id=pk).exists()
    assert not SavedSearch.objects.filter(user_id=pk).exists()
    assert not Favourite.objects.filter(user_id=pk).exists()
    assert not Subscription.objects.filter(email__iexact="zhangsan@qiye.cn").exists()
    assert not JoinRequest.objects.filter(user_id=pk, status=JoinRequestStatus.PENDING).exists()
    assert Notification.objects.filter(title="给别人的通知").exists()
    # The broker profile stays (engagements point at it) without the certificate.
    broker = User.objects.get(pk=pk).broker_profile
    assert (broker.certificate_number, broker.introduction) == ("", "")
    assert not broker.history.filter(certificate_number="JSJJ-2025-77777").exists()
    # Records they wrote stay with the organizations, by "已注销用户".
    demand.refresh_from_db()
    assert demand.created_by_id == pk and demand.organization == trail["enterprise"]
    message = Message.objects.get(body="请介绍授权方式。")
    assert message.author_id == pk
    thread = page_of(login(org_admin).get(reverse("achievements:inquiry", args=[inquiry.pk])))
    assert "请介绍授权方式。" in thread and gettext("Deleted user") in thread and "张三" not in thread
    assert str(User.objects.get(pk=pk)) == gettext("Deleted user")
    # Audit entry, and no way back in.
    log = TransitionLog.objects.get(content_type=ContentType.objects.get_for_model(User), object_id=pk)
    assert (log.field, log.from_status, log.to_status, log.actor_id) == ("account", "active", "deleted", pk)
    for username in ("zhangsan", f"deleted-{pk}"):
        assert authenticate(RequestFactory().post("/accounts/login/"), username=username, password=PASSWORD) is None


def test_another_persons_subscription_under_the_profiles_address_is_neither_exported_nor_deleted(login, password):
    """The profile's e-mail address is not confirmed: typing a digest subscriber's address there
    gives no hold on their subscription."""
    subscriber = Subscription.objects.create(email="victim@qiye.cn", status=SubscriptionStatus.ACTIVE)
    claimant = UserFactory(username="claimant", email="victim@qiye.cn")
    client = login(claimant)

    data = json.loads(client.get(reverse("personal-data-download")).content.decode())
    client.post(reverse("account-delete"), {"password": password})

    assert data["digest_subscriptions"] == []
    assert Subscription.objects.filter(pk=subscriber.pk).exists()
    assert not User.objects.get(pk=claimant.pk).is_active


def test_two_deleted_accounts_may_both_have_a_blank_email(organization):
    first, second = UserFactory(), UserFactory()

    account_delete(user=first, password=PASSWORD)
    account_delete(user=second, password=PASSWORD)

    assert User.objects.filter(email="").count() == 2


def test_a_failure_midway_rolls_everything_back(monkeypatch, person, trail):
    def broken(user):
        raise RuntimeError("disk full")

    monkeypatch.setattr(privacy_services, "_anonymise_account", broken)

    with pytest.raises(RuntimeError):
        account_delete(user=person, password=PASSWORD)

    person.refresh_from_db()
    assert (person.username, person.name, person.is_active) == ("zhangsan", "张三", True)
    assert Membership.objects.filter(user=person).count() == 1
    assert Notification.objects.filter(user=person).count() == 1
    assert Subscription.objects.filter(email__iexact="zhangsan@qiye.cn").exists()
    assert person.broker_profile.certificate_number == "JSJJ-2025-77777"
    assert not TransitionLog.objects.filter(object_id=person.pk, field="account").exists()


# --- masking on public pages and in the API ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("0532-88886666", "053****6666"), ("1234", "****"), ("", "")],
)
def test_mask_phone(value, masked):
    assert privacy.mask_phone(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("zhang@example.com", "z***@example.com"), ("no-at-sign", "***"), ("", "")],
)
def test_mask_email(value, masked):
    assert privacy.mask_email(value) == masked


def test_pilot_base_contact_is_masked_for_visitors_and_unverified_members(client, login):
    base = PilotBaseFactory(contact_phone="13566667777", contact_email="pilot.li@example.cn")
    unverified = MembershipFactory(organization=OrganizationFactory(unverified=True)).user
    verified = MembershipFactory(organization=OrganizationFactory()).user
    url = reverse("pilots:detail", args=[base.pk])

    for viewer in (client, login(unverified)):
        content = page_of(viewer.get(url))
        assert "135****7777" in content and "p***@example.cn" in content
        assert "13566667777" not in content and "pilot.li@example.cn" not in content
    full = page_of(login(verified).get(url))
    assert "13566667777" in full and "pilot.li@example.cn" in full


def test_demand_contact_is_masked_for_visitors_and_full_for_verified_members(client, login, foreign_user):
    demand = DemandFactory(contact_phone="13812345678", contact_email="liu@example.com")
    url = reverse("demands:detail", args=[demand.pk])

    visitor = page_of(client.get(url))
    member = page_of(login(foreign_user).get(url))

    assert "138****5678" in visitor and "l***@example.com" in visitor
    assert "13812345678" not in visitor and "liu@example.com" not in visitor
    assert "13812345678" in member and "liu@example.com" in member


def test_bureau_staff_see_full_contacts(reviewer):
    assert privacy.may_see_contact(reviewer)
    assert privacy.phone_for("13812345678", reviewer) == "13812345678"


def test_achievement_contact_is_masked_for_visitors(client):
    achievement = AchievementFactory()

    content = page_of(client.get(reverse("achievements:detail", args=[achievement.pk])))

    assert "139****5678" in content and "w***@example.edu.cn" in content
    assert "13912345678" not in content and "wang@example.edu.cn" not in content


def test_public_pages_never_show_a_persons_own_phone_or_email(client, organization):
    person = UserFactory(name="赵经纪", email="zhao.broker@agency.cn", phone="13655556666")
    MembershipFactory(organization=organization, user=person)
    broker = BrokerProfileFactory(user=person)
    event = EventFactory()
    RegistrationFactory(event=event, user=person, organization=organization)
    pages = [
        reverse("organizations:detail", args=[organization.pk]),
        reverse("brokers:list"),
        reverse("brokers:detail", args=[broker.pk]),
        reverse("events:detail", args=[event.pk]),
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        content = page_of(response)
        assert "13655556666" not in content and "zhao.broker@agency.cn" not in content, url
    assert "赵经纪" in page_of(client.get(reverse("brokers:detail", args=[broker.pk])))


def test_public_api_never_gives_anonymous_callers_a_phone_or_email(client, organization):
    person = UserFactory(email="zhao.broker@agency.cn", phone="13655556666")
    broker = BrokerProfileFactory(user=person)
    achievement = AchievementFactory(organization=organization)
    demand = DemandFactory()
    base = PilotBaseFactory(contact_phone="13566667777", contact_email="pilot.li@example.cn")
    event = EventFactory()
    secrets = [
        "13655556666",
        "zhao.broker@agency.cn",
        achievement.contact_phone,
        achievement.contact_email,
        demand.contact_phone,
        demand.contact_email,
        "13566667777",
        "pilot.li@example.cn",
    ]
    urls = [
        f"/api/v1/achievements/{achievement.pk}/",
        "/api/v1/achievements/",
        f"/api/v1/demands/{demand.pk}/",
        "/api/v1/demands/",
        f"/api/v1/pilot-bases/{base.pk}/",
        "/api/v1/pilot-bases/",
        f"/api/v1/brokers/{broker.pk}/",
        "/api/v1/brokers/",
        f"/api/v1/organizations/{organization.pk}/",
        f"/api/v1/events/{event.pk}/",
    ]

    for url in urls:
        response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, url
        body = response.content.decode()
        assert [secret for secret in secrets if secret in body] == [], url


def test_verification_status_drives_the_rule(org_member, organization):
    assert privacy.may_see_contact(org_member)
    organization.verification_status = VerificationStatus.REJECTED
    organization.save(update_fields=["verification_status"])
    fresh = User.objects.get(pk=org_member.pk)  # the answer is cached per request on the user object

    assert not privacy.may_see_contact(fresh)
    assert privacy.email_for("zhang@example.com", fresh) == "z***@example.com"
