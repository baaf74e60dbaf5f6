"""Subscribing to the featured-achievements digest: the double opt-in through the confirmation
link, one-click unsubscribing with the signed link (RFC 8058, no CSRF token), and the user's
subscriptions in the workspace."""

import re
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from achievements.enums import DeliveryStatus, DigestFrequency, SubscriptionStatus
from achievements.models import DigestDelivery, Subscription
from achievements.services_digest import confirmation_target, confirmation_token, unsubscribe_token
from marketplace.models import IndustryField, OutgoingMail
from tests.factories.marketplace import UserFactory

pytestmark = pytest.mark.django_db

SUBSCRIBE = reverse("achievements:subscribe")
WORKSPACE = reverse("achievements:subscriptions")


def _field(code):
    return IndustryField.objects.get(code=code)


def _subscription(email, *, status=SubscriptionStatus.ACTIVE, user=None, frequency=DigestFrequency.WEEKLY, codes=()):
    subscription = Subscription.objects.create(
        email=email,
        user=user,
        status=status,
        frequency=frequency,
        confirmed_at=timezone.now() if status == SubscriptionStatus.ACTIVE else None,
    )
    subscription.industry_fields.set(IndustryField.objects.filter(code__in=codes))
    return subscription


def _confirm_path(mail: OutgoingMail) -> str:
    match = re.search(r"https?://[^/\s]+(/featured/confirm/[^/\s]+/)", mail.body_text)
    assert match, mail.body_text
    return match.group(1)


# Subscribing -------------------------------------------------------------------------------------


def test_subscribe_form_prefills_the_users_address(client, login):
    user = UserFactory(email="zhang@example.cn")

    assert login(user).get(SUBSCRIBE).context["form"]["email"].value() == "zhang@example.cn"
    assert client.get(SUBSCRIBE).context["form"]["email"].value() is None


def test_subscribe_queues_a_confirmation_mail_and_the_link_activates(client):
    response = client.post(
        SUBSCRIBE,
        {"email": "Li.Ming@Example.cn", "frequency": "monthly", "industry_fields": [_field("hydrogen").pk]},
    )

    assert response.status_code == 302 and response["Location"] == f"{SUBSCRIBE}?sent=1"
    subscription = Subscription.objects.get()
    assert (subscription.email, subscription.status, subscription.frequency) == (
        "li.ming@example.cn",
        SubscriptionStatus.PENDING,
        DigestFrequency.MONTHLY,
    )
    assert list(subscription.industry_fields.values_list("code", flat=True)) == ["hydrogen"]
    assert subscription.user is None
    mail = OutgoingMail.objects.get(to="li.ming@example.cn")
    path = _confirm_path(mail)
    # The token carries its signing time (to the second): compare what it names, not its text.
    match = resolve(path)
    assert match.view_name == "achievements:subscription-confirm"
    assert confirmation_target(match.kwargs["token"]) == subscription
    sent = client.get(response["Location"])
    assert sent.status_code == 200 and b'id="subscribe-sent"' in sent.content

    # Following the link (as a mail scanner would) only asks; pressing the button confirms.
    asked = client.get(path)
    assert asked.status_code == 200 and b'id="subscription-confirm-form"' in asked.content
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PENDING
    confirmed = client.post(path)

    assert confirmed.status_code == 200
    assert b'id="subscription-confirmed"' in confirmed.content
    assert "li.ming@example.cn" in confirmed.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.confirmed_at is not None
    assert "no-store" in confirmed["Cache-Control"] or "max-age=0" in confirmed["Cache-Control"]


def test_a_logged_in_subscriber_is_linked_to_the_subscription(login):
    user = UserFactory(email="wang@example.cn")

    login(user).post(SUBSCRIBE, {"email": "wang@example.cn", "frequency": "weekly"})

    assert Subscription.objects.get().user == user


def test_subscribing_again_updates_the_one_row_and_tells_nothing(client):
    _subscription("zhao@example.cn", codes=["hydrogen"])

    response = client.post(
        SUBSCRIBE, {"email": "ZHAO@example.cn", "frequency": "monthly", "industry_fields": [_field("coatings-dyes").pk]}
    )
    fresh = client.post(SUBSCRIBE, {"email": "new@example.cn", "frequency": "weekly"})

    # The same answer for an active and a new address.
    assert response.status_code == fresh.status_code == 302 and response["Location"] == fresh["Location"]
    subscription = Subscription.objects.get(email="zhao@example.cn")
    assert Subscription.objects.filter(email__iexact="zhao@example.cn").count() == 1
    assert subscription.status == SubscriptionStatus.ACTIVE and subscription.frequency == DigestFrequency.MONTHLY
    assert list(subscription.industry_fields.values_list("code", flat=True)) == ["coatings-dyes"]
    assert not OutgoingMail.objects.filter(to="zhao@example.cn").exists()
    assert OutgoingMail.objects.filter(to="new@example.cn").count() == 1


def test_subscribing_an_unsubscribed_address_asks_to_confirm_again(client):
    _subscription("gone@example.cn", status=SubscriptionStatus.UNSUBSCRIBED)

    client.post(SUBSCRIBE, {"email": "gone@example.cn", "frequency": "weekly"})

    assert Subscription.objects.get().status == SubscriptionStatus.PENDING
    assert OutgoingMail.objects.filter(to="gone@example.cn").count() == 1


def test_invalid_address_is_a_form_error(client):
    response = client.post(SUBSCRIBE, {"email": "not-an-address", "frequency": "weekly"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not Subscription.objects.exists() and not OutgoingMail.objects.exists()


def test_the_address_is_checked_as_it_is_filled_in(client):
    response = client.post(SUBSCRIBE, {"email": "bad@", "_validate": "email"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="group-email"' in content and "invalid-feedback" in content
    assert not Subscription.objects.exists()


# Confirmation link -------------------------------------------------------------------------------


def test_forged_confirmation_link_is_400_and_changes_nothing(client):
    subscription = _subscription("forged@example.cn", status=SubscriptionStatus.PENDING)
    token = confirmation_token(subscription)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.post(reverse("achievements:subscription-confirm", args=[forged]))

    assert response.status_code == 400
    assert "链接无效" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PENDING


def test_unsubscribe_link_does_not_confirm(client):
    subscription = _subscription("mixed@example.cn", status=SubscriptionStatus.PENDING)

    response = client.get(reverse("achievements:subscription-confirm", args=[unsubscribe_token(subscription)]))

    assert response.status_code == 400
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PENDING


def test_expired_confirmation_link_is_400(client):
    subscription = _subscription("late@example.cn", status=SubscriptionStatus.PENDING)
    eight_days_ago = time.time() - timedelta(days=8).total_seconds()
    with mock.patch("django.core.signing.time.time", return_value=eight_days_ago):
        token = confirmation_token(subscription)

    response = client.get(reverse("achievements:subscription-confirm", args=[token]))

    assert response.status_code == 400
    assert "该链接已过期" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.PENDING


# Unsubscribing -----------------------------------------------------------------------------------


def test_unsubscribe_page_asks_first_and_changes_nothing(client):
    subscription = _subscription("ask@example.cn")

    response = client.get(reverse("achievements:unsubscribe", args=[unsubscribe_token(subscription)]))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="unsubscribe-form"' in content and "ask@example.cn" in content
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE


def test_one_click_unsubscribe_needs_no_csrf_token(db):
    subscription = _subscription("oneclick@example.cn")
    queued = DigestDelivery.objects.create(
        subscription=subscription, period="weekly-2026-W48", email=subscription.email
    )
    client = Client(enforce_csrf_checks=True)

    # What a mail client sends for List-Unsubscribe-Post (RFC 8058): no cookie, no CSRF token.
    response = client.post(
        reverse("achievements:unsubscribe", args=[unsubscribe_token(subscription)]),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.UNSUBSCRIBED and subscription.unsubscribed_at is not None
    assert not DigestDelivery.objects.filter(pk=queued.pk, status=DeliveryStatus.QUEUED).exists()
    # Twice is harmless.
    again = client.post(reverse("achievements:unsubscribe", args=[unsubscribe_token(subscription)]))
    assert again.status_code == 200


def test_other_forms_still_need_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)

    assert client.post(SUBSCRIBE, {"email": "csrf@example.cn", "frequency": "weekly"}).status_code == 403
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_forged_unsubscribe_link_is_400_and_changes_nothing(method):
    subscription = _subscription("keep@example.cn")
    token = unsubscribe_token(subscription)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    client = Client(enforce_csrf_checks=True)

    for bad in (forged, confirmation_token(subscription), "nonsense"):
        response = getattr(client, method)(reverse("achievements:unsubscribe", args=[bad]))
        assert response.status_code == 400
        assert "链接无效" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.ACTIVE


# The workspace -----------------------------------------------------------------------------------


def test_workspace_lists_the_users_subscriptions_only(client, login):
    user = UserFactory(email="Chen@Example.cn")
    by_user = _subscription("other-address@example.cn", user=user, codes=["hydrogen"])
    by_address = _subscription("chen@example.cn", status=SubscriptionStatus.PENDING)
    _subscription("stranger@example.cn", user=UserFactory())

    assert client.get(WORKSPACE).status_code == 302  # log in first
    response = login(user).get(WORKSPACE)

    assert response.status_code == 200
    shown = [row["subscription"] for row in response.context["rows"]]
    assert set(shown) == {by_user, by_address}
    content = response.content.decode()
    assert "other-address@example.cn" in content and "chen@example.cn" in content
    assert "stranger@example.cn" not in content
    assert reverse("achievements:subscription-update", args=[by_user.pk]) in content
    assert reverse("achievements:subscription-cancel", args=[by_address.pk]) in content


def test_workspace_navigation_has_the_subscriptions_for_every_user(login):
    content = login(UserFactory()).get(reverse("workspace:favourites")).content.decode()

    assert f'href="{WORKSPACE}"' in content


def test_user_changes_fields_and_frequency(login):
    user = UserFactory(email="sun@example.cn")
    subscription = _subscription("sun@example.cn", user=user, codes=["hydrogen"])
    prefix = f"s{subscription.pk}"

    response = login(user).post(
        reverse("achievements:subscription-update", args=[subscription.pk]),
        {f"{prefix}-frequency": "monthly", f"{prefix}-industry_fields": [_field("coatings-dyes").pk]},
    )

    assert response.status_code == 302 and response["Location"] == WORKSPACE
    subscription.refresh_from_db()
    assert subscription.frequency == DigestFrequency.MONTHLY
    assert list(subscription.industry_fields.values_list("code", flat=True)) == ["coatings-dyes"]
    assert subscription.status == SubscriptionStatus.ACTIVE


def test_choosing_no_field_means_every_field(login):
    user = UserFactory()
    subscription = _subscription("all@example.cn", user=user, codes=["hydrogen"])

    login(user).post(
        reverse("achievements:subscription-update", args=[subscription.pk]), {f"s{subscription.pk}-frequency": "weekly"}
    )

    assert not subscription.industry_fields.exists()


def test_an_invalid_change_shows_the_form_again(login):
    user = UserFactory()
    subscription = _subscription("bad@example.cn", user=user)

    response = login(user).post(
        reverse("achievements:subscription-update", args=[subscription.pk]), {f"s{subscription.pk}-frequency": "daily"}
    )

    assert response.status_code == 400
    assert response.context["rows"][0]["form"].errors
    subscription.refresh_from_db()
    assert subscription.frequency == DigestFrequency.WEEKLY


def test_a_subscription_of_the_accounts_address_can_be_changed_and_is_linked(login):
    user = UserFactory(email="zhou@example.cn")
    subscription = _subscription("zhou@example.cn")

    login(user).post(
        reverse("achievements:subscription-update", args=[subscription.pk]),
        {f"s{subscription.pk}-frequency": "monthly"},
    )

    subscription.refresh_from_db()
    assert subscription.frequency == DigestFrequency.MONTHLY and subscription.user == user


def test_user_unsubscribes_from_the_workspace(login):
    user = UserFactory()
    subscription = _subscription("wu@example.cn", user=user)

    response = login(user).post(reverse("achievements:subscription-cancel", args=[subscription.pk]))

    assert response.status_code == 302 and response["Location"] == WORKSPACE
    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.UNSUBSCRIBED


def test_another_users_subscription_is_404(login):
    owner = UserFactory(email="owner@example.cn")
    subscription = _subscription("owner@example.cn", user=owner)
    intruder = login(UserFactory(email="intruder@example.cn"))

    update = intruder.post(
        reverse("achievements:subscription-update", args=[subscription.pk]),
        {f"s{subscription.pk}-frequency": "monthly"},
    )
    cancel = intruder.post(reverse("achievements:subscription-cancel", args=[subscription.pk]))

    assert update.status_code == cancel.status_code == 404
    subscription.refresh_from_db()
    assert (subscription.status, subscription.frequency) == (SubscriptionStatus.ACTIVE, DigestFrequency.WEEKLY)
