"""Idempotency-Key on API POSTs, and per-partner throttles."""

import json
import threading
import time

import pytest
from django.core.cache import cache
from django.test import Client

from achievements import services as achievement_services
from achievements.models import Achievement
from marketplace.models import IdempotencyKey
from tests.concurrency import postgresql_only
from tests.factories.marketplace import UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/achievements/"
BODY = {
    "title": "海水淡化膜组件",
    "summary": "一种耐污染的反渗透膜组件。",
    "category": "industrial",
    "trl": 6,
    "asking_price": "500000.00",
    "industry_fields": ["water-treatment"],
}


def post(client, body=BODY, key="key-1"):
    return client.post(LIST, json.dumps(body), content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_replay_returns_the_identical_response_and_writes_once(login, org_member):
    client = login(org_member)
    first = post(client)
    assert first.status_code == 201
    replay = post(client)
    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay["Idempotent-Replayed"] == "true"
    assert Achievement.objects.count() == 1
    # Another key is another request.
    assert post(client, key="key-2").status_code == 201
    assert Achievement.objects.count() == 2


def test_the_same_key_for_a_different_request_is_422(login, org_member):
    client = login(org_member)
    post(client)
    response = post(client, {**BODY, "title": "另一项成果"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Achievement.objects.count() == 1


def test_keys_belong_to_their_caller(login, org_member, organization):
    other = UserFactory()
    from marketplace.models import Membership

    Membership.objects.create(user=other, organization=organization, role="member")
    post(login(org_member))
    assert post(login(other)).status_code == 201  # not a replay of someone else's
    assert Achievement.objects.count() == 2


def test_a_request_still_running_makes_a_duplicate_409(login, org_member):
    IdempotencyKey.objects.create(owner=f"user:{org_member.pk}", key="key-1", fingerprint="x" * 64)
    response = post(login(org_member))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert not Achievement.objects.exists()


def test_validation_errors_are_replayed_but_refusals_release_the_key(login, org_member, client):
    member = login(org_member)
    bad = post(member, {**BODY, "trl": 99}, key="bad")
    assert bad.status_code == 400
    assert post(member, {**BODY, "trl": 99}, key="bad").content == bad.content
    # An anonymous caller has no key space: the view answers as usual.
    assert post(client, key="anon").status_code == 403
    assert not IdempotencyKey.objects.filter(key="anon").exists()


def test_an_overlong_key_is_400(login, org_member):
    response = post(login(org_member), key="k" * 300)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_concurrent_duplicate_gets_409_and_one_record_is_written(org_member, monkeypatch):
    real_create = achievement_services.achievement_create

    def slow_create(**kwargs):
        time.sleep(1.0)  # the first request is still running when the duplicate arrives
        return real_create(**kwargs)

    monkeypatch.setattr(achievement_services, "achievement_create", slow_create)
    statuses = []

    def send(delay):
        time.sleep(delay)
        client = Client()
        client.force_login(org_member, backend="django.contrib.auth.backends.ModelBackend")
        statuses.append(post(client).status_code)

    threads = [threading.Thread(target=send, args=(delay,)) for delay in (0, 0.3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [201, 409]
    assert Achievement.objects.count() == 1


def test_partner_throttle_counts_each_application(make_partner, partner_api, settings):
    cache.clear()
    limited = make_partner("achievements:read")
    limited.partner_application.throttle_rate = "3/minute"
    limited.partner_application.save()
    other = partner_api(make_partner("achievements:read", name="另一平台"))
    client = partner_api(limited)
    assert [client.get(LIST).status_code for _ in range(4)] == [200, 200, 200, 429]
    throttled = client.get(LIST)
    assert throttled.json()["error"]["code"] == "throttled"
    assert "Retry-After" in throttled
    assert other.get(LIST).status_code == 200  # its own budget


def test_daily_purge_forgets_old_keys_and_expired_tokens(partner, partner_api, settings):
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from marketplace.tasks import purge_partner_records

    partner_api(partner)
    AccessToken.objects.update(expires=timezone.now() - timedelta(days=2))
    old = IdempotencyKey.objects.create(owner="user:1", key="old", fingerprint="x" * 64)
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))
    fresh = IdempotencyKey.objects.create(owner="user:1", key="fresh", fingerprint="x" * 64)
    assert purge_partner_records.delay().get() == {"idempotency_keys": 1}
    assert list(IdempotencyKey.objects.all()) == [fresh]
    assert not AccessToken.objects.exists()
