"""Abuse limits (marketplace/ratelimits.py, settings.ABUSE_LIMITS) on log-in, registration,
password reset, inquiries, responses, digest subscriptions and the API; and the account pages
that must not reveal whether an account exists."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext
from rest_framework.test import APIClient

from achievements.models import Inquiry, Subscription
from demands.models import DemandResponse
from marketplace.models import OutgoingMail
from marketplace.ratelimits import client_ip
from marketplace.services.partners import partner_application_create, partner_organization
from tests.factories.achievements import AchievementFactory
from tests.factories.challenges import ChallengeFactory, PooledProcurementFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory
from tests.partners.conftest import token_for

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
REGISTER = reverse("register")
PASSWORD_RESET = reverse("password_reset")
SUBSCRIBE = reverse("achievements:subscribe")


@pytest.fixture
def limits(settings):
    """limits(name=rate, …): set some abuse limits for this test, keeping the others."""

    def _set(**rates):
        settings.ABUSE_LIMITS = {**settings.ABUSE_LIMITS, **rates}

    return _set


def _assert_limited_page(response):
    assert response.status_code == 429
    assert [template.name for template in response.templates][:2] == ["429.html", "base.html"]
    assert gettext("Too many requests") in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 3600


# Pages: each limit blocks the POST after its count, never the GET -------------------------------


def test_login_is_limited_per_address_whatever_the_username(client, limits, org_member, password):
    # Per hour: django-ratelimit counts in fixed windows, and a minute's boundary could fall between
    # the requests of a slow run.
    limits(login="3/h")
    statuses = [
        client.post(LOGIN, {"username": f"guess{n}", "password": "wrong-password-x"}).status_code for n in range(3)
    ]

    blocked = client.post(LOGIN, {"username": "orgmember", "password": password})

    assert statuses == [200, 200, 200]
    _assert_limited_page(blocked)
    assert "_auth_user_id" not in client.session  # the right password did not get through either
    assert client.get(LOGIN).status_code == 200  # reading the form is not counted
    other_address = Client(REMOTE_ADDR="10.0.0.8")
    assert other_address.post(LOGIN, {"username": "orgmember", "password": password}).status_code == 302


def test_registration_is_limited_per_address(client, limits):
    limits(register="2/h")
    first = client.post(REGISTER, {"username": "a"})
    second = client.post(REGISTER, {"username": "b"})

    blocked = client.post(REGISTER, {"username": "c"})

    assert (first.status_code, second.status_code) == (200, 200)
    _assert_limited_page(blocked)


def test_htmx_field_checks_do_not_use_up_the_subscription_limit(client, limits):
    limits(subscription="1/h")
    for _ in range(3):
        checked = client.post(SUBSCRIBE, {"email": "a", "_validate": "email"}, HTTP_HX_REQUEST="true")
        assert checked.status_code == 200  # the re-rendered field, nothing saved

    assert client.post(SUBSCRIBE, {"email": "not-an-address"}).status_code == 200


@pytest.mark.parametrize(
    ("url", "limit", "data"),
    [
        (LOGIN, "login", {"username": "orgmember", "password": "wrong-password"}),
        (REGISTER, "register", {"username": "a"}),
        (PASSWORD_RESET, "password_reset", {"email": "nobody@example.cn"}),
    ],
)
def test_htmx_headers_do_not_switch_a_limit_off_where_the_view_checks_no_fields(client, limits, url, limit, data):
    """The header and `_validate` are the client's to send: only views answering field checks without
    processing the POST exempt them."""
    limits(**{limit: "2/h"})
    for _ in range(2):
        client.post(url, {**data, "_validate": "nope"}, HTTP_HX_REQUEST="true")

    blocked = client.post(url, {**data, "_validate": "nope"}, HTTP_HX_REQUEST="true")

    _assert_limited_page(blocked)


def test_an_htmx_check_of_no_such_field_is_not_processed(client, limits):
    limits(subscription="1/h")

    response = client.post(SUBSCRIBE, {"email": "reader@example.cn", "_validate": "nope"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert not Subscription.objects.exists()


def test_password_reset_is_limited_per_address_and_queues_no_more_mail(client, limits):
    limits(password_reset="2/h")
    users = [UserFactory(username=f"reader{n}", email=f"reader{n}@example.cn") for n in range(3)]
    for user in users[:2]:
        assert client.post(PASSWORD_RESET, {"email": user.email}).status_code == 302

    blocked = client.post(PASSWORD_RESET, {"email": users[2].email})

    _assert_limited_page(blocked)
    assert sorted(OutgoingMail.objects.values_list("to", flat=True)) == ["reader0@example.cn", "reader1@example.cn"]


def test_inquiries_are_limited_per_user(login, limits, organization, foreign_user):
    limits(inquiry="2/h")
    client = login(foreign_user)
    achievements = [AchievementFactory(organization=organization) for _ in range(3)]
    for achievement in achievements[:2]:
        sent = client.post(reverse("achievements:inquire", args=[achievement.pk]), {"body": "能否提供样品？"})
        assert sent.status_code == 302

    blocked = client.post(reverse("achievements:inquire", args=[achievements[2].pk]), {"body": "能否提供样品？"})

    _assert_limited_page(blocked)
    assert Inquiry.objects.count() == 2
    assert client.get(reverse("achievements:inquire", args=[achievements[2].pk])).status_code == 200


def test_the_inquiry_limit_counts_each_user_apart(login, limits, organization, foreign_user, foreign_organization):
    limits(inquiry="1/h")
    achievement = AchievementFactory(organization=organization)
    login(foreign_user).post(reverse("achievements:inquire", args=[achievement.pk]), {"body": "第一位"})
    other = MembershipFactory(organization=foreign_organization, user__username="colleague").user

    response = login(other).post(reverse("achievements:inquire", args=[achievement.pk]), {"body": "第二位"})

    assert response.status_code == 302
    assert sorted(Inquiry.objects.values_list("user__username", flat=True)) == ["colleague", "foreigner"]


def test_responses_bids_and_pledges_share_one_limit_per_user(login, limits, org_member):
    limits(response="2/h")
    client = login(org_member)
    demand = DemandFactory(organization=OrganizationFactory(kind="enterprise"))
    challenge = ChallengeFactory()
    pool = PooledProcurementFactory()

    responded = client.post(reverse("demands:respond", args=[demand.pk]), {"approach": "我们的方案"})
    bid = client.post(reverse("demands:challenge-bid", args=[challenge.pk]), {})
    pledge = client.post(reverse("demands:pool", args=[pool.pk]), {})

    assert responded.status_code == 302 and DemandResponse.objects.count() == 1
    assert bid.status_code != 429
    _assert_limited_page(pledge)
    blocked_response = client.post(reverse("demands:respond", args=[DemandFactory().pk]), {"approach": "再来一次"})
    _assert_limited_page(blocked_response)
    assert DemandResponse.objects.count() == 1


def test_digest_subscriptions_are_limited_per_address(client, limits):
    limits(subscription="2/h")
    for n in range(2):
        assert client.post(SUBSCRIBE, {"email": f"reader{n}@example.cn", "frequency": "weekly"}).status_code == 302

    blocked = client.post(SUBSCRIBE, {"email": "reader9@example.cn", "frequency": "weekly"})

    _assert_limited_page(blocked)
    assert sorted(Subscription.objects.values_list("email", flat=True)) == ["reader0@example.cn", "reader1@example.cn"]


def test_limits_are_switched_off_by_an_empty_rate(client, limits):
    limits(register="")
    assert [client.post(REGISTER, {"username": "a"}).status_code for _ in range(12)] == [200] * 12


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(rf, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    spoofed = rf.post(LOGIN, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    direct = rf.post(LOGIN, REMOTE_ADDR="10.0.0.1")

    assert client_ip(spoofed) == "203.0.113.7"  # the client cannot choose "1.2.3.4"
    assert client_ip(direct) == "10.0.0.1"
    settings.AXES_IPWARE_PROXY_COUNT = None
    assert client_ip(spoofed) == "10.0.0.1"


# API --------------------------------------------------------------------------------------------


def _assert_limited_api(response):
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "throttled"
    assert body["error"]["message"]
    assert body["error"]["fields"] == {}
    assert int(response["Retry-After"]) >= 1


def test_api_limits_visitors_per_address(client, limits):
    limits(api_anon="2/m")
    statuses = [client.get("/api/v1/regions/").status_code for _ in range(2)]

    blocked = client.get("/api/v1/regions/")

    assert statuses == [200, 200]
    _assert_limited_api(blocked)
    assert Client(REMOTE_ADDR="10.0.0.9").get("/api/v1/regions/").status_code == 200


def test_api_limits_session_users_per_user(login, limits, org_member, foreign_user):
    limits(api_user="2/m", api_anon="1000/m")
    client = login(org_member)
    statuses = [client.get("/api/v1/regions/").status_code for _ in range(2)]

    _assert_limited_api(client.get("/api/v1/regions/"))
    assert statuses == [200, 200]
    assert login(foreign_user).get("/api/v1/regions/").status_code == 200


def test_api_visitor_limit_does_not_count_partner_applications(limits):
    limits(api_anon="1/m")
    credentials = partner_application_create(
        organization=partner_organization(name="山东科技大市场", uscc=""), name="同步", scopes="achievements:read"
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(credentials, None).json()['access_token']}")

    assert [api.get("/api/v1/achievements/").status_code for _ in range(3)] == [200, 200, 200]


def test_api_inquiries_share_the_page_limit(login, limits, organization, foreign_user):
    limits(inquiry="1/h")
    client = login(foreign_user)
    first, second = AchievementFactory(organization=organization), AchievementFactory(organization=organization)
    client.post(reverse("achievements:inquire", args=[first.pk]), {"body": "网页询价"})

    blocked = client.post(
        "/api/v1/inquiries/", {"achievement": second.pk, "body": "接口询价"}, content_type="application/json"
    )

    _assert_limited_api(blocked)
    assert list(Inquiry.objects.values_list("achievement_id", flat=True)) == [first.pk]


def test_api_demand_responses_are_limited_per_user(login, limits, org_member):
    limits(response="1/h")
    client = login(org_member)
    demands = [DemandFactory(organization=OrganizationFactory(kind="enterprise")) for _ in range(2)]
    url = "/api/v1/demands/{}/responses/"
    first = client.post(url.format(demands[0].pk), {"approach": "方案一"}, content_type="application/json")

    blocked = client.post(url.format(demands[1].pk), {"approach": "方案二"}, content_type="application/json")

    assert first.status_code == 201, first.json()
    _assert_limited_api(blocked)
    assert DemandResponse.objects.count() == 1


# Not revealing whether an account exists -------------------------------------------------------


def _page_without_echo(response, username: str) -> str:
    """The page with the echoed username and the per-request CSRF token taken out."""
    content = response.content.decode().replace(username, "USERNAME")
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "CSRF-TOKEN", content)  # masked tokens are 64 characters


def test_login_error_is_identical_for_a_wrong_password_and_an_unknown_user(client, org_member):
    known = client.post(LOGIN, {"username": "orgmember", "password": "wrong-password-x"})
    unknown = client.post(LOGIN, {"username": "nobody12", "password": "wrong-password-x"})

    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert known.context["form"].non_field_errors() == [gettext("The username or password is wrong.")]
    assert _page_without_echo(known, "orgmember") == _page_without_echo(unknown, "nobody12")


def test_login_error_is_identical_for_an_inactive_user(client, org_member, password):
    org_member.is_active = False
    org_member.save(update_fields=["is_active"])

    inactive = client.post(LOGIN, {"username": "orgmember", "password": password})
    unknown = client.post(LOGIN, {"username": "nobody12", "password": password})

    assert inactive.status_code == unknown.status_code == 200
    assert _page_without_echo(inactive, "orgmember") == _page_without_echo(unknown, "nobody12")


def test_lockout_looks_the_same_for_an_unknown_username(settings, org_member, password):
    pages = {}
    for username, address in (("orgmember", "10.1.0.1"), ("nobody12", "10.1.0.2")):
        client = Client(REMOTE_ADDR=address)
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(LOGIN, {"username": username, "password": "wrong-password-x"})
        pages[username] = client.post(LOGIN, {"username": username, "password": password})

    assert pages["orgmember"].status_code == pages["nobody12"].status_code == 429
    assert _page_without_echo(pages["orgmember"], "orgmember") == _page_without_echo(pages["nobody12"], "nobody12")
    assert gettext("Too many failed log-ins") in pages["nobody12"].content.decode()


def test_password_reset_shows_the_same_page_and_mails_only_a_known_address(
    client, org_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(PASSWORD_RESET, {"email": org_member.email}, follow=True)
        unknown = client.post(PASSWORD_RESET, {"email": "nobody12@example.cn"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    assert known.status_code == unknown.status_code == 200
    assert _page_without_echo(known, org_member.email) == _page_without_echo(unknown, "nobody12@example.cn")
    assert list(OutgoingMail.objects.values_list("to", "purpose")) == [(org_member.email, "password-reset")]


# Settings ---------------------------------------------------------------------------------------


def test_limits_come_from_the_environment_and_the_cache_check_is_silenced_only_without_redis():
    from tests.test_project import PRODUCTION_ENV, _manage, _settings

    names = ["ABUSE_LIMITS", "SILENCED_SYSTEM_CHECKS"]
    local = _settings(names, env={"ABUSE_LIMIT_LOGIN": "3/m", "ABUSE_LIMIT_API_ANON": "7/s"})
    redis = _settings(names, env={"REDIS_URL": "redis://127.0.0.1:6379/0"})
    deploy = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION_ENV, "REDIS_URL": "redis://127.0.0.1:6379/0"}
    )

    assert "'login': '3/m'" in local["ABUSE_LIMITS"] and "'api_anon': '7/s'" in local["ABUSE_LIMITS"]
    # Local memory is per process: acceptable only for the single-process default.
    assert "django_ratelimit.E003" in local["SILENCED_SYSTEM_CHECKS"]
    assert "django_ratelimit.E003" not in redis["SILENCED_SYSTEM_CHECKS"]
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
