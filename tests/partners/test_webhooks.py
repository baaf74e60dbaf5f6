"""Signed webhooks to partner systems: signing, delivery to a real HTTP receiver, retries with
backoff, replay, who receives what, and the partner API that manages endpoints.

The receiver is a real HTTP server on 127.0.0.1 (a random port, in a thread), so deliveries go
through urllib, the address check and the signature exactly as in production."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from achievements.enums import Source
from achievements.services import achievement_publish, achievement_withdraw
from demands.services import demand_close, demand_publish
from demands.services.challenges import challenge_award
from marketplace.enums import PartyRole, WebhookStatus
from marketplace.models import ContractRegistration, TransitionLog, WebhookDelivery, WebhookEndpoint
from marketplace.services import deals as deal_services
from marketplace.services import webhooks
from marketplace.services.partners import partner_application_revoke
from marketplace.services.webhooks import webhook_endpoint_create, webhook_sign, webhook_verify
from marketplace.tasks import retry_webhooks
from tests.factories.achievements import AchievementFactory
from tests.factories.challenges import BidFactory, ChallengeFactory
from tests.factories.deals import DealFactory
from tests.factories.demands import DemandFactory
from tests.factories.marketplace import MembershipFactory
from tests.files import pdf_upload

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhooks/endpoints/"
DELIVERIES = "/api/v1/webhooks/deliveries/"


# A receiver on this machine --------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; `fail(n, status)` answers the next n with that status, `delay`
    makes it answer slowly (for timeouts)."""

    server: ThreadingHTTPServer = None
    requests: list[Received] = field(default_factory=list)
    failures_left: int = 0
    failure_status: int = 500
    delay: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/market-events"

    def fail(self, times: int, status: int = 500) -> None:
        self.failures_left, self.failure_status = times, status


def _handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.delay:
                time.sleep(receiver.delay)
            if receiver.failures_left > 0:
                receiver.failures_left -= 1
                status, answer = receiver.failure_status, "接收方暂时不可用".encode()
            else:
                status, answer = 200, b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass  # quiet test output

    return Handler


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    receiver = Receiver()
    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(receiver))
    thread = threading.Thread(target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    thread.join(timeout=5)


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """timezone.now() frozen (services, auto_now fields) and moved by hand."""
    clock = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def subscribe(receiver):
    """subscribe(credentials, events, url=receiver) → a WebhookEndpoint of that partner."""

    def _subscribe(credentials, events="achievement.published achievement.withdrawn", url=None):
        return webhook_endpoint_create(
            partner=credentials.partner_application.organization, url=url or receiver.url, events=events
        )

    return _subscribe


def _publish(reviewer, **factory_fields):
    achievement = AchievementFactory(submitted=True, **factory_fields)
    achievement_publish(achievement=achievement, reviewer=reviewer)
    return achievement


def _deliveries(event=None):
    rows = WebhookDelivery.objects.order_by("id")
    return list(rows.filter(event=event) if event else rows)


# Signing ----------------------------------------------------------------------------------


def test_signature_verifies_and_fails_for_a_wrong_secret_a_tampered_body_or_an_old_timestamp():
    body = '{"id":"7c0e","event":"achievement.published","data":{"title":"高镍正极材料"}}'.encode()
    now = 1_790_000_000
    headers = {"X-Market-Timestamp": str(now), "X-Market-Signature": webhook_sign("s3cret", now, body)}

    assert webhook_verify("s3cret", headers, body, now=now)
    assert webhook_verify("s3cret", {k.lower(): v for k, v in headers.items()}, body, now=now + 299)
    rotated = {**headers, "X-Market-Signature": "v1=00ff, " + headers["X-Market-Signature"]}
    assert webhook_verify("s3cret", rotated, body, now=now)  # any of several signatures

    assert not webhook_verify("other", headers, body, now=now)
    assert not webhook_verify("s3cret", headers, body.replace("高镍".encode(), "低镍".encode()), now=now)
    assert not webhook_verify("s3cret", headers, body, now=now + 301)  # replayed too late
    assert not webhook_verify("s3cret", headers, body, now=now - 301)
    assert not webhook_verify("s3cret", {**headers, "X-Market-Timestamp": str(now + 1)}, body, now=now)
    assert not webhook_verify("s3cret", {"X-Market-Timestamp": str(now)}, body, now=now)
    assert webhook_sign("s3cret", now, body).startswith("v1=") and len(webhook_sign("s3cret", now, body)) == 67


# Delivery ---------------------------------------------------------------------------------


def test_published_achievement_is_delivered_signed_with_external_ref_only_to_its_partner(
    make_partner, subscribe, receiver, reviewer, django_capture_on_commit_callbacks
):
    writer, other = make_partner(name="山东科技大市场"), make_partner(name="江苏技术产权交易所")
    writer_endpoint, other_endpoint = subscribe(writer), subscribe(other)
    achievement = AchievementFactory(
        submitted=True,
        title="高镍三元正极材料包覆改性方法",
        partner=writer.partner_application.organization,
        source=Source.PARTNER,
        external_ref="SD-2026-0042",
    )

    with django_capture_on_commit_callbacks(execute=True):
        achievement_publish(achievement=achievement, reviewer=reviewer)

    achievement.refresh_from_db()
    assert len(receiver.requests) == 2
    by_delivery = {request.headers["X-Market-Delivery"]: request for request in receiver.requests}
    for endpoint, external_ref in ((writer_endpoint, "SD-2026-0042"), (other_endpoint, None)):
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        request = by_delivery[str(delivery.event_id)]
        assert request.path == "/market-events"
        assert request.headers["X-Market-Event"] == "achievement.published"
        assert request.headers["Content-Type"] == "application/json; charset=utf-8"
        assert webhook_verify(endpoint.secret, request.headers, request.body)
        someone_else = other_endpoint if endpoint == writer_endpoint else writer_endpoint
        assert not webhook_verify(someone_else.secret, request.headers, request.body)
        assert "高镍三元正极材料".encode() in request.body  # UTF-8, not \u escapes
        assert request.json == {
            "id": str(delivery.event_id),
            "event": "achievement.published",
            "created_at": timezone.localtime(delivery.created_at).isoformat(),
            "data": {
                "id": achievement.pk,
                "title": "高镍三元正极材料包覆改性方法",
                "updated_at": timezone.localtime(achievement.updated_at).isoformat(),
                "url": f"{django_settings.SITE_URL}/api/v1/achievements/{achievement.pk}/",
                "external_ref": external_ref,
            },
        }
        assert request.json == delivery.payload
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (WebhookStatus.SENT, 1, 200)
        assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_withdrawal_is_delivered_only_for_a_record_that_was_public(
    make_partner, subscribe, receiver, organization, org_admin, reviewer, django_capture_on_commit_callbacks
):
    subscribe(make_partner())
    public = AchievementFactory(organization=organization)
    in_review = AchievementFactory(organization=organization, submitted=True)

    with django_capture_on_commit_callbacks(execute=True):
        achievement_withdraw(achievement=in_review, user=org_admin, reason="撤回修改")
        achievement_withdraw(achievement=public, user=org_admin, reason="已转让他方")

    assert [(d.event, d.payload["data"]["id"], d.status) for d in _deliveries()] == [
        ("achievement.withdrawn", public.pk, WebhookStatus.SENT)
    ]
    assert [request.headers["X-Market-Event"] for request in receiver.requests] == ["achievement.withdrawn"]


def test_demand_publish_and_close_and_challenge_award_are_delivered(
    make_partner, subscribe, receiver, organization, org_admin, reviewer, django_capture_on_commit_callbacks
):
    subscribe(make_partner(), events="demand.published demand.withdrawn challenge.awarded")
    demand = DemandFactory(organization=organization, submitted=True, title="盐碱地耐盐小麦品种选育")
    draft_closed = DemandFactory(organization=organization, submitted=True)
    challenge = ChallengeFactory(shortlisted=True, title="海上风电防腐涂层攻关")
    winner = BidFactory(challenge=challenge, shortlisted=True)

    with django_capture_on_commit_callbacks(execute=True):
        demand_publish(demand=demand, reviewer=reviewer)
        demand_close(demand=draft_closed, user=org_admin, note="需求取消")  # never public: no event
        demand_close(demand=demand, user=org_admin, note="已自行解决")
        challenge_award(challenge=challenge, user=reviewer, bids=[winner])

    assert [(d.event, d.payload["data"]["title"], d.status) for d in _deliveries()] == [
        ("demand.published", "盐碱地耐盐小麦品种选育", WebhookStatus.SENT),
        ("demand.withdrawn", "盐碱地耐盐小麦品种选育", WebhookStatus.SENT),
        ("challenge.awarded", "海上风电防腐涂层攻关", WebhookStatus.SENT),
    ]
    assert _deliveries("demand.published")[0].payload["data"]["url"].endswith(f"/api/v1/demands/{demand.pk}/")
    assert _deliveries("challenge.awarded")[0].payload["data"]["url"].endswith(f"/api/v1/challenges/{challenge.pk}/")
    assert len(receiver.requests) == 3


def test_registered_contract_carries_its_number_category_and_technology_amount(
    make_partner, subscribe, receiver, registrar, django_capture_on_commit_callbacks
):
    subscribe(make_partner(), events="contract.registered")
    seller_admin = MembershipFactory(organization__kind="university", role="admin").user
    deal = DealFactory(seller=seller_admin.memberships.get().organization, created_by=seller_admin)
    deal_services.deal_sign(
        deal=deal, user=seller_admin, signed_on=timezone.localdate() - timedelta(days=3), amount=Decimal("800000.00")
    )
    initial = deal_services.registration_initial(deal)
    fields = {name: initial[name] for name in deal_services.PARTY_FIELDS if name in initial}
    fields.update(contract_number="QD-2026-017", valid_until=timezone.localdate() + timedelta(days=365))
    fields["industry_field"] = deal.achievement.industry_fields.first()
    registration = deal_services.registration_save(
        deal=deal,
        user=seller_admin,
        parties=[
            deal_services.party_initial(deal.seller, PartyRole.SELLER),
            deal_services.party_initial(deal.buyer, PartyRole.BUYER),
        ],
        signed_contract=pdf_upload("合同.pdf"),
        **fields,
    )
    deal_services.registration_submit(registration=registration, user=seller_admin)
    deal_services.registration_accept(registration=registration, registrar=registrar)

    with django_capture_on_commit_callbacks(execute=True):
        deal_services.registration_register(
            registration=registration, registrar=registrar, technology_amount=Decimal("750000")
        )

    registration = ContractRegistration.objects.get(pk=registration.pk)
    (delivery,) = _deliveries()
    assert delivery.status == WebhookStatus.SENT
    assert delivery.payload["data"] == {
        "id": registration.pk,
        "title": registration.title,
        "updated_at": timezone.localtime(registration.updated_at).isoformat(),
        "url": f"{django_settings.SITE_URL}/api/v1/contracts/{registration.pk}/",
        "external_ref": None,
        "registration_number": registration.registration_number,
        "category": registration.category,
        "technology_amount": "750000.00",
        "registered_at": timezone.localtime(registration.registered_at).isoformat(),
    }


def test_failed_attempts_back_off_doubling_then_the_sweep_delivers(
    make_partner, subscribe, receiver, reviewer, clock, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    endpoint = subscribe(make_partner())
    receiver.fail(2, status=500)

    with django_capture_on_commit_callbacks(execute=True):
        _publish(reviewer)
    (delivery,) = _deliveries()
    first = clock.now
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (WebhookStatus.PENDING, 1, 500)
    assert "500" in delivery.last_error and "接收方暂时不可用" in delivery.last_error
    assert delivery.next_attempt_at == first + timedelta(seconds=30)

    clock.advance(seconds=29)
    assert retry_webhooks() == 0  # not due yet
    clock.advance(seconds=1)
    assert retry_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookStatus.PENDING, 2)
    assert delivery.next_attempt_at == clock.now + timedelta(seconds=60)  # doubled

    clock.advance(seconds=59)
    assert retry_webhooks() == 0
    clock.advance(seconds=1)
    assert retry_webhooks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        WebhookStatus.SENT,
        3,
        200,
        "",
    )
    assert delivery.delivered_at == clock.now and delivery.next_attempt_at is None

    # Three attempts of one delivery: the same id and body each time, each freshly signed.
    assert {request.headers["X-Market-Delivery"] for request in receiver.requests} == {str(delivery.event_id)}
    assert len({request.body for request in receiver.requests}) == 1
    assert [int(request.headers["X-Market-Timestamp"]) for request in receiver.requests] == [
        int(first.timestamp()),
        int((first + timedelta(seconds=30)).timestamp()),
        int((first + timedelta(seconds=90)).timestamp()),
    ]
    for request in receiver.requests:
        stamp = int(request.headers["X-Market-Timestamp"])
        assert webhook_verify(endpoint.secret, request.headers, request.body, now=stamp)
    assert retry_webhooks() == 0  # nothing left


def test_retry_delay_doubles_up_to_a_cap(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [webhooks.retry_delay(n).total_seconds() for n in range(1, 8)] == [30, 60, 120, 240, 480, 960, 1920]
    assert webhooks.retry_delay(30) == timedelta(hours=6)


def test_after_the_last_attempt_the_delivery_is_failed(
    make_partner, subscribe, receiver, reviewer, clock, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    subscribe(make_partner())
    receiver.fail(100, status=503)

    with django_capture_on_commit_callbacks(execute=True):
        _publish(reviewer)
    for _ in range(2):
        clock.advance(hours=1)
        assert retry_webhooks() == 1

    (delivery,) = _deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (WebhookStatus.FAILED, 3, 503)
    assert delivery.next_attempt_at is None and delivery.delivered_at is None
    clock.advance(days=1)
    assert retry_webhooks() == 0
    assert len(receiver.requests) == 3


def test_connection_errors_and_timeouts_are_recorded_as_failed_attempts(
    make_partner, subscribe, receiver, reviewer, settings, django_capture_on_commit_callbacks
):
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{unused.getsockname()[1]}/hook"
    closed = subscribe(make_partner(name="山东科技大市场"), url=closed_url)
    slow = subscribe(make_partner(name="江苏技术产权交易所"))
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.0

    with django_capture_on_commit_callbacks(execute=True):
        _publish(reviewer)

    refused, slow = WebhookDelivery.objects.get(endpoint=closed), WebhookDelivery.objects.get(endpoint=slow)
    for delivery in (refused, slow):
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == (WebhookStatus.PENDING, 1, None)
        assert delivery.next_attempt_at is not None
    assert "refused" in refused.last_error.lower()
    assert "timed out" in slow.last_error.lower()


def test_the_same_attempt_is_never_made_twice(make_partner, subscribe, receiver, reviewer):
    """The task and the sweep race for a delivery: the conditional claim lets one of them send."""
    subscribe(make_partner())
    _publish(reviewer)  # on_commit callbacks not run: the delivery waits, due
    (delivery,) = _deliveries()

    assert webhooks.webhook_deliver(delivery_id=delivery.pk).status == WebhookStatus.SENT
    assert webhooks.webhook_deliver(delivery_id=delivery.pk) is None  # the second worker finds it sent
    assert len(receiver.requests) == 1

    # An attempt in flight (claimed, not finished) is not due for anyone else.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookStatus.PENDING)
    claimed = WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() + webhooks._claim_lease()
    )
    assert claimed == 1
    assert webhooks.webhook_deliveries_due() == []
    assert webhooks.webhook_deliver(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1


def test_admin_replay_resends_the_same_event(
    make_partner, subscribe, receiver, reviewer, bureau_admin, login, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    endpoint = subscribe(make_partner())
    receiver.fail(1)
    with django_capture_on_commit_callbacks(execute=True):
        _publish(reviewer)
    (delivery,) = _deliveries()
    assert delivery.status == WebhookStatus.FAILED

    client = login(bureau_admin)
    changelist = reverse("admin:marketplace_webhookdelivery_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:marketplace_webhookdelivery_change", args=[delivery.pk])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "replay", "_selected_action": [delivery.pk]}, follow=True)

    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        gettext("%(count)s deliveries queued to be sent again.") % {"count": 1}
    ]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (WebhookStatus.SENT, 1)
    first, second = receiver.requests
    assert first.headers["X-Market-Delivery"] == second.headers["X-Market-Delivery"] == str(delivery.event_id)
    assert first.body == second.body
    assert webhook_verify(endpoint.secret, second.headers, second.body)
    log = TransitionLog.objects.get(object_id=delivery.pk, content_type__model="webhookdelivery")
    assert (log.from_status, log.to_status, log.actor, log.reason) == (
        WebhookStatus.FAILED,
        WebhookStatus.PENDING,
        bureau_admin,
        gettext("Sent again after %(attempts)d attempts.") % {"attempts": 1},
    )


def test_webhook_admin_is_for_bureau_administrators(make_partner, subscribe, login, reviewer, bureau_admin):
    endpoint = subscribe(make_partner())
    url = reverse("admin:marketplace_webhookendpoint_change", args=[endpoint.pk])
    assert login(reviewer).get(url).status_code == 403
    page = login(bureau_admin).get(url)
    assert page.status_code == 200
    assert endpoint.secret in page.content.decode()  # shown read-only, to hand over


def test_admin_creates_an_endpoint_with_a_generated_secret(make_partner, login, bureau_admin, receiver):
    credentials = make_partner()
    response = login(bureau_admin).post(
        reverse("admin:marketplace_webhookendpoint_add"),
        {
            "partner": credentials.partner_application.organization_id,
            "url": receiver.url,
            "events": ["achievement.published", "contract.registered"],
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == "achievement.published contract.registered"
    assert len(endpoint.secret) >= 40
    secret = endpoint.secret

    changed = login(bureau_admin).post(
        reverse("admin:marketplace_webhookendpoint_change", args=[endpoint.pk]),
        {"url": receiver.url + "/v2", "events": ["demand.published"], "secret": "typed-in"},
    )
    assert changed.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.is_active, endpoint.secret) == (
        receiver.url + "/v2",
        "demand.published",
        False,
        secret,  # read-only: never typed in
    )


def test_admin_refuses_events_the_partner_has_no_scope_for(make_partner, login, bureau_admin, receiver):
    credentials = make_partner(scopes="achievements:read webhooks")
    response = login(bureau_admin).post(
        reverse("admin:marketplace_webhookendpoint_add"),
        {
            "partner": credentials.partner_application.organization_id,
            "url": receiver.url,
            "events": ["contract.registered"],
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "contracts:read" in str(response.context["adminform"].form.errors["events"])
    assert not WebhookEndpoint.objects.exists()


def test_nothing_is_delivered_without_the_scope_to_inactive_endpoints_or_for_a_rolled_back_change(
    make_partner, subscribe, receiver, reviewer, django_capture_on_commit_callbacks
):
    no_scope = make_partner(scopes="demands:read webhooks", name="无成果权限的平台")
    WebhookEndpoint.objects.create(
        partner=no_scope.partner_application.organization,
        url=receiver.url,
        events="achievement.published",
        secret="x" * 43,
    )  # written around the service, which refuses it
    revoked = make_partner(name="已吊销的平台")
    subscribe(revoked)
    partner_application_revoke(partner_application=revoked.partner_application)
    inactive = subscribe(make_partner(name="停用端点的平台"))
    inactive.is_active = False
    inactive.save()
    subscribe(make_partner(name="只订阅需求的平台"), events="demand.published")

    with django_capture_on_commit_callbacks(execute=True):
        _publish(reviewer)
        with pytest.raises(RuntimeError), transaction.atomic():
            _publish(reviewer)
            raise RuntimeError("the change is rolled back")

    assert _deliveries() == []
    assert receiver.requests == []


def test_a_delivery_whose_endpoint_was_switched_off_meanwhile_is_not_sent(
    make_partner, subscribe, receiver, reviewer, django_capture_on_commit_callbacks
):
    endpoint = subscribe(make_partner())
    _publish(reviewer)  # written, not yet sent
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        retry_webhooks()

    (delivery,) = _deliveries()
    assert (delivery.status, delivery.attempts) == (WebhookStatus.FAILED, 1)
    assert receiver.requests == []


def test_private_addresses_are_refused_at_send_time(
    make_partner, subscribe, receiver, reviewer, settings, django_capture_on_commit_callbacks
):
    subscribe(make_partner())  # registered while private networks were allowed
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    with django_capture_on_commit_callbacks(execute=True):
        _publish(reviewer)

    (delivery,) = _deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (WebhookStatus.PENDING, 1, None)
    assert "回环" in delivery.last_error  # loopback
    assert receiver.requests == []


# The partner API --------------------------------------------------------------------------


@pytest.fixture
def public_dns(monkeypatch):
    """Host names resolve without DNS: *.partner.example to a public address, others as listed."""
    answers = {"hooks.partner.example": ["58.56.23.10"], "rebind.partner.example": ["58.56.23.11", "10.0.0.8"]}
    monkeypatch.setattr(webhooks, "_resolve", lambda host, port: answers.get(host) or [host])
    return answers


def test_the_api_needs_a_partner_token_with_the_webhooks_scope(make_partner, partner_api, login, org_admin):
    reader = partner_api(make_partner(scopes="achievements:read", name="只读平台"))

    assert reader.get(ENDPOINTS).status_code == 403
    assert reader.get(DELIVERIES).status_code == 403
    response = login(org_admin).get(ENDPOINTS)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert login(org_admin).get(DELIVERIES).status_code == 403


def test_endpoint_is_created_with_a_secret_shown_only_then(api, partner, settings, public_dns):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    response = api.post(
        ENDPOINTS,
        {"url": "https://hooks.partner.example/market", "events": ["contract.registered", "achievement.published"]},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body == {
        "id": endpoint.pk,
        "url": "https://hooks.partner.example/market",
        "events": ["achievement.published", "contract.registered"],
        "is_active": True,
        "created_at": timezone.localtime(endpoint.created_at).isoformat(),
        "updated_at": timezone.localtime(endpoint.updated_at).isoformat(),
        "secret": endpoint.secret,
    }
    assert endpoint.partner == partner.partner_application.organization
    detail = api.get(f"{ENDPOINTS}{endpoint.pk}/").json()
    assert "secret" not in detail and "secret" not in api.get(ENDPOINTS).json()["results"][0]

    rotated = api.post(f"{ENDPOINTS}{endpoint.pk}/rotate-secret/")
    assert rotated.status_code == 200
    endpoint.refresh_from_db()
    assert rotated.json()["secret"] == endpoint.secret != body["secret"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/hook", False),
        ("http://[::1]/hook", False),
        ("http://10.1.2.3/hook", False),
        ("http://192.168.1.20/hook", False),
        ("http://169.254.169.254/latest/meta-data/", False),  # link-local: cloud metadata
        ("http://rebind.partner.example/hook", False),  # one of its addresses is private
        ("ftp://hooks.partner.example/hook", False),
        ("https://user:pw@hooks.partner.example/hook", False),
        ("https://hooks.partner.example/hook", True),
        ("http://58.56.23.12:8443/hook", True),
    ],
)
def test_endpoint_urls_on_private_networks_are_refused(api, settings, public_dns, url, allowed):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    response = api.post(ENDPOINTS, {"url": url, "events": ["achievement.published"]}, format="json")

    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        error = response.json()["error"]
        assert (error["code"], list(error["fields"])) == ("invalid", ["url"])


def test_events_are_checked_against_the_catalogue_and_the_partners_scopes(make_partner, partner_api, receiver):
    client = partner_api(make_partner(scopes="achievements:read webhooks"))

    unknown = client.post(ENDPOINTS, {"url": receiver.url, "events": ["achievement.sold"]}, format="json")
    assert unknown.status_code == 400
    assert list(unknown.json()["error"]["fields"]) == ["events"]

    not_granted = client.post(
        ENDPOINTS, {"url": receiver.url, "events": ["achievement.published", "contract.registered"]}, format="json"
    )
    assert not_granted.status_code == 400
    assert list(not_granted.json()["error"]["fields"]) == ["events"]
    assert "contracts:read" in not_granted.json()["error"]["fields"]["events"][0]

    empty = client.post(ENDPOINTS, {"url": receiver.url, "events": []}, format="json")
    assert empty.status_code == 400
    assert WebhookEndpoint.objects.count() == 0


def test_a_partner_reaches_only_its_own_endpoints_and_deliveries(
    make_partner, partner_api, subscribe, receiver, reviewer, django_capture_on_commit_callbacks
):
    mine, theirs = make_partner(name="山东科技大市场"), make_partner(name="江苏技术产权交易所")
    own_endpoint, their_endpoint = subscribe(mine), subscribe(theirs)
    with django_capture_on_commit_callbacks(execute=True):
        _publish(reviewer)
    their_delivery = WebhookDelivery.objects.get(endpoint=their_endpoint)
    client = partner_api(mine)

    assert [row["id"] for row in client.get(ENDPOINTS).json()["results"]] == [own_endpoint.pk]
    assert [row["endpoint"] for row in client.get(DELIVERIES).json()["results"]] == [own_endpoint.pk]
    other = f"{ENDPOINTS}{their_endpoint.pk}/"
    assert client.get(other).status_code == 404
    replacement = {"url": receiver.url, "events": ["achievement.published"]}
    assert client.put(other, replacement, format="json").status_code == 404
    assert client.patch(other, {"is_active": False}, format="json").status_code == 404
    assert client.delete(other).status_code == 404
    assert client.post(f"{other}rotate-secret/").status_code == 404
    assert client.get(f"{DELIVERIES}{their_delivery.pk}/").status_code == 404
    assert client.post(f"{DELIVERIES}{their_delivery.pk}/redeliver/").status_code == 404
    their_endpoint.refresh_from_db()
    assert their_endpoint.is_active and len(receiver.requests) == 2


def test_endpoint_is_updated_and_deleted(api, partner, subscribe, receiver):
    endpoint = subscribe(partner)
    url = f"{ENDPOINTS}{endpoint.pk}/"

    patched = api.patch(url, {"is_active": False}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["is_active"], patched.json()["events"]) == (
        False,
        ["achievement.published", "achievement.withdrawn"],
    )
    put = api.put(url, {"url": receiver.url + "/v2", "events": ["demand.published"]}, format="json")
    assert put.status_code == 200
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.is_active) == (receiver.url + "/v2", "demand.published", True)

    assert api.delete(url).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_deliveries_are_listed_filtered_and_redelivered(
    api, partner, subscribe, receiver, reviewer, organization, org_admin, django_capture_on_commit_callbacks
):
    subscribe(partner)
    receiver.fail(1)
    with django_capture_on_commit_callbacks(execute=True):
        published = _publish(reviewer, organization=organization)  # fails once: pending
        achievement_withdraw(achievement=published, user=org_admin)  # sent
    pending, sent = _deliveries()

    assert [row["id"] for row in api.get(DELIVERIES).json()["results"]] == [sent.pk, pending.pk]
    assert [row["id"] for row in api.get(DELIVERIES, {"status": "pending"}).json()["results"]] == [pending.pk]
    listed = api.get(DELIVERIES, {"event": "achievement.withdrawn"}).json()["results"]
    assert [(row["id"], row["status"], row["attempts"], row["payload"]) for row in listed] == [
        (sent.pk, "sent", 1, sent.payload)
    ]
    assert api.get(DELIVERIES, {"event": "achievement.sold"}).status_code == 400
    assert api.get(f"{DELIVERIES}{pending.pk}/").json()["last_status_code"] == 500

    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(f"{DELIVERIES}{sent.pk}/redeliver/")
    assert again.status_code == 202
    assert len(receiver.requests) == 3
    assert receiver.requests[-1].headers["X-Market-Delivery"] == str(sent.event_id)
    sent.refresh_from_db()
    assert (sent.status, sent.attempts) == (WebhookStatus.SENT, 1)

    # A pending delivery is already on its way: asking again changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{DELIVERIES}{pending.pk}/redeliver/").status_code == 202
    assert len(receiver.requests) == 3


def test_lists_do_not_query_per_row(api, partner, subscribe, receiver, reviewer, django_assert_num_queries):
    subscribe(partner)
    _publish(reviewer)
    api.get(ENDPOINTS)  # warm-up: the token's first use
    with CaptureQueriesContext(connection) as one_endpoint:
        assert len(api.get(ENDPOINTS).json()["results"]) == 1
    with CaptureQueriesContext(connection) as one_delivery:
        assert len(api.get(DELIVERIES).json()["results"]) == 1

    _publish(reviewer)
    _publish(reviewer)
    subscribe(partner, events="demand.published", url=f"{receiver.url}/demands")
    subscribe(partner, events="contract.registered", url=f"{receiver.url}/contracts")
    with django_assert_num_queries(len(one_endpoint.captured_queries)):
        assert len(api.get(ENDPOINTS).json()["results"]) == 3
    with django_assert_num_queries(len(one_delivery.captured_queries)):
        assert len(api.get(DELIVERIES).json()["results"]) == 3
