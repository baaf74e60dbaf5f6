"""The bureau's events console: lists by status, kind and date, the figures on an event's page,
registrations, presentations and letters of intent read only, cancel (with a reason) and mark
held through the services; registrations and letters of intent listed read only; nobody else
gets in."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from events import services
from events.enums import EventStatus, RegistrationStatus
from events.models import LetterOfIntent
from marketplace.models import Notification, TransitionLog
from tests.factories.events import EventFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:events_event_changelist"


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def _act(client, action, pks, **extra):
    return client.post(reverse(CHANGELIST), {"action": action, "_selected_action": pks, **extra}, follow=True)


@pytest.fixture
def attended(event, buyer, professor, organizer):
    """The conftest's event with two confirmed attendees, one checked in, and a letter of intent."""
    mine = RegistrationFactory(event=event, user=buyer, organization=buyer.memberships.get().organization)
    RegistrationFactory(event=event, user=professor, organization=professor.memberships.get().organization)
    services.check_in(event=event, token=services.check_in_token(mine), user=organizer)
    services.intent_record(
        event=event,
        user=organizer,
        seller=professor.memberships.get().organization,
        buyer=buyer.memberships.get().organization,
        title="固态电池电解质技术许可意向",
        amount=Decimal("800000.00"),
    )
    return event


def test_staff_see_the_list_and_the_figures(login, reviewer, attended):
    EventFactory(title="已取消的路演", status=EventStatus.CANCELLED, status_note="场地调整")
    client = login(reviewer)

    listing = client.get(reverse(CHANGELIST))
    assert listing.status_code == 200
    content = listing.content.decode()
    assert "国重面对面·新能源专场" in content and "已取消的路演" in content
    assert client.get(reverse(CHANGELIST), {"status": "cancelled"}).content.decode().count("已取消的路演") >= 1
    assert "国重面对面·新能源专场" not in client.get(reverse(CHANGELIST), {"status": "cancelled"}).content.decode()
    assert client.get(reverse(CHANGELIST), {"kind": "roadshow", "when": "upcoming"}).status_code == 200
    assert client.get(reverse(CHANGELIST), {"q": "国重"}).status_code == 200

    page = client.get(reverse("admin:events_event_change", args=[attended.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'class="event-figures"' in text
    assert zh("Checked in") in text and zh("Letters of intent") in text and "800,000.00" in text
    assert "固态电池电解质技术许可意向" in text  # the intents inline
    assert "青岛储能科技有限公司" in text  # the registrations inline
    # Read only: nothing to save.
    assert 'name="_save"' not in text


def test_registrations_and_letters_of_intent_are_listed_read_only(login, reviewer, attended):
    client = login(reviewer)

    registrations = client.get(reverse("admin:events_registration_changelist"), {"status": "confirmed"})
    assert registrations.status_code == 200 and "青岛储能科技有限公司" in registrations.content.decode()
    intents = client.get(reverse("admin:events_letterofintent_changelist"))
    assert intents.status_code == 200 and "固态电池电解质技术许可意向" in intents.content.decode()
    intent = LetterOfIntent.objects.get()
    assert client.get(reverse("admin:events_letterofintent_change", args=[intent.pk])).status_code == 200
    assert client.get(reverse("admin:events_registration_add")).status_code == 403


def test_event_staff_cancel_with_a_reason_through_the_service(login, event_staff, reviewer, attended, buyer):
    # A reviewer reads but does not organize: the action is not theirs.
    _act(login(reviewer), "cancel", [attended.pk], apply="1", reason="场地调整")
    attended.refresh_from_db()
    assert attended.status == EventStatus.PUBLISHED

    client = login(event_staff)
    asked = _act(client, "cancel", [attended.pk])
    assert asked.templates[0].name == "admin/reason_action.html"
    _act(client, "cancel", [attended.pk], apply="1", reason="主讲嘉宾行程冲突，活动延期")

    attended.refresh_from_db()
    assert attended.status == EventStatus.CANCELLED and attended.status_note == "主讲嘉宾行程冲突，活动延期"
    assert TransitionLog.objects.filter(to_status=EventStatus.CANCELLED, actor=event_staff).exists()
    assert Notification.objects.filter(user=buyer, kind="events.cancelled").exists()


def test_event_staff_mark_a_started_event_held(login, event_staff, agency):
    started = EventFactory(
        organizer=agency,
        starts_at=timezone.now() - timedelta(hours=2),
        ends_at=timezone.now() + timedelta(hours=1),
        registration_opens_at=timezone.now() - timedelta(days=10),
        registration_closes_at=timezone.now() - timedelta(days=1),
    )
    waiting = RegistrationFactory(event=started, status=RegistrationStatus.WAITLISTED, confirmed_at=None)
    upcoming = EventFactory(organizer=agency, title="尚未开始的活动")

    _act(login(event_staff), "mark_held", [started.pk, upcoming.pk])

    started.refresh_from_db()
    upcoming.refresh_from_db()
    waiting.refresh_from_db()
    assert started.status == EventStatus.HELD
    assert waiting.status == RegistrationStatus.CANCELLED
    assert upcoming.status == EventStatus.PUBLISHED  # refused by the service: not started yet


@pytest.mark.parametrize("url_name", [CHANGELIST, "admin:events_registration_changelist"])
def test_nobody_else_gets_in(login, organizer, buyer, url_name):
    for user in (organizer, buyer):
        response = login(user).get(reverse(url_name))
        assert response.status_code == 302 and "/login/" in response["Location"]
