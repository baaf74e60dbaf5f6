"""The attendee pages: my registrations, the ticket with its QR code, cancelling, the personal
agenda of 1:1 meetings, applying to present at a roadshow, and starting a deal from a letter of
intent."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import services
from events.enums import EventKind, EventStatus, MeetingStatus, PresentationStatus, RegistrationStatus
from events.models import Event, Meeting, Presentation
from events.views_attendee import check_in_url
from marketplace.models import Deal
from tests.factories.achievements import AchievementFactory
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.marketplace import MembershipFactory

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return response.content.decode()


def local(moment):
    return timezone.localtime(moment)


def levels(response) -> list[str]:
    return [message.level_tag for message in response.context["messages"]]


@pytest.fixture
def buyer_ticket(event, buyer, enterprise):
    return RegistrationFactory(event=event, user=buyer, organization=enterprise)


@pytest.fixture
def professor_ticket(event, professor, university):
    return RegistrationFactory(event=event, user=professor, organization=university)


def at(event, minutes: int) -> str:
    return f"{local(event.starts_at + timedelta(minutes=minutes)):%Y-%m-%dT%H:%M}"


# My registrations --------------------------------------------------------------------------


def test_mine_lists_upcoming_and_past_registrations_with_status(login, event, buyer, enterprise):
    RegistrationFactory(event=event, user=buyer, organization=enterprise)
    full = EventFactory(title="校企牵手、卡位入链", capacity=1)
    RegistrationFactory(event=full)
    RegistrationFactory(event=full, user=buyer, organization=enterprise, status=RegistrationStatus.WAITLISTED)
    past = EventFactory(title="去年的对接会")
    RegistrationFactory(event=past, user=buyer, organization=enterprise)
    Event.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=30, hours=-3)
    )

    response = login(buyer).get(reverse("events:mine"))

    assert response.status_code == 200
    upcoming = response.context["upcoming"]
    assert [(r.event.title, r.status) for r in upcoming] == [
        ("国重面对面·新能源专场", RegistrationStatus.CONFIRMED),
        ("校企牵手、卡位入链", RegistrationStatus.WAITLISTED),
    ]
    assert upcoming[1].position == 1
    assert [r.event.title for r in response.context["past"]] == ["去年的对接会"]
    content = page_of(response)
    assert "青岛储能科技有限公司" in content and f"{local(event.starts_at):%Y-%m-%d %H:%M}" in content


def test_mine_needs_a_login(client, db):
    response = client.get(reverse("events:mine"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_mine_queries_do_not_grow_with_rows(login, buyer, enterprise, django_assert_num_queries):
    RegistrationFactory(user=buyer, organization=enterprise)
    client = login(buyer)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("events:mine"))
    RegistrationFactory(user=buyer, organization=enterprise, status=RegistrationStatus.WAITLISTED)
    RegistrationFactory(user=buyer, organization=enterprise)

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("events:mine"))
    assert len(response.context["upcoming"]) == 3


# The ticket --------------------------------------------------------------------------------


def test_the_ticket_shows_the_event_status_and_qr_code(login, event, buyer, buyer_ticket):
    response = login(buyer).get(reverse("events:ticket", args=[buyer_ticket.pk]))

    assert response.status_code == 200
    content = page_of(response)
    assert "国重面对面·新能源专场" in content and "青岛储能科技有限公司" in content
    assert reverse("events:ticket-qr", args=[buyer_ticket.pk]) in content
    assert reverse("events:registration-cancel", args=[buyer_ticket.pk]) in content


def test_a_waiting_ticket_shows_its_position_and_no_qr_code(login, event, enterprise, buyer):
    RegistrationFactory(event=event)
    RegistrationFactory(event=event)
    RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED, confirmed_at=None)
    waiting = RegistrationFactory(
        event=event, user=buyer, organization=enterprise, status=RegistrationStatus.WAITLISTED, confirmed_at=None
    )

    response = login(buyer).get(reverse("events:ticket", args=[waiting.pk]))

    assert response.context["waitlist_position"] == 2
    assert reverse("events:ticket-qr", args=[waiting.pk]) not in page_of(response)


def test_a_checked_in_ticket_shows_the_time(login, event, organizer, buyer, buyer_ticket):
    services.check_in(event=event, token=services.check_in_token(buyer_ticket), user=organizer)
    buyer_ticket.refresh_from_db()

    response = login(buyer).get(reverse("events:ticket", args=[buyer_ticket.pk]))

    assert f"{local(buyer_ticket.checked_in_at):%Y-%m-%d %H:%M}" in page_of(response)


def test_the_ticket_is_for_the_registrant_and_the_organizers(client, login, organizer, stranger, buyer_ticket):
    url = reverse("events:ticket", args=[buyer_ticket.pk])

    assert login(organizer).get(url).status_code == 200
    assert login(stranger).get(url).status_code == 404
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_qr_code_is_an_svg_for_the_registrant_only(client, login, buyer, organizer, stranger, buyer_ticket):
    url = reverse("events:ticket-qr", args=[buyer_ticket.pk])

    response = login(buyer).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "private" in response["Cache-Control"]
    assert b"<svg" in response.content
    assert login(organizer).get(url).status_code == 200
    assert login(stranger).get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_the_qr_code_says_the_check_in_url_with_a_valid_token(event, organizer, buyer_ticket):
    url = check_in_url(buyer_ticket)

    prefix = settings.SITE_URL + reverse("events:check-in", args=[event.pk]) + "?token="
    assert url.startswith(prefix)
    registration = services.check_in(event=event, token=url.removeprefix(prefix), user=organizer)
    assert registration == buyer_ticket


def test_a_waiting_ticket_has_no_qr_code(login, event, buyer, enterprise):
    waiting = RegistrationFactory(
        event=event, user=buyer, organization=enterprise, status=RegistrationStatus.WAITLISTED, confirmed_at=None
    )

    assert login(buyer).get(reverse("events:ticket-qr", args=[waiting.pk])).status_code == 404


def test_cancelling_frees_the_place_for_the_waiting_list(login, event, buyer, buyer_ticket):
    RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED, confirmed_at=None)

    response = login(buyer).post(reverse("events:registration-cancel", args=[buyer_ticket.pk]), follow=True)

    buyer_ticket.refresh_from_db()
    waiting.refresh_from_db()
    assert buyer_ticket.status == RegistrationStatus.CANCELLED
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert levels(response) == ["success"]


def test_cancelling_after_the_event_is_refused(login, event, buyer, buyer_ticket):
    Event.objects.filter(pk=event.pk).update(status=EventStatus.HELD)

    response = login(buyer).post(reverse("events:registration-cancel", args=[buyer_ticket.pk]), follow=True)

    buyer_ticket.refresh_from_db()
    assert buyer_ticket.status == RegistrationStatus.CONFIRMED
    assert levels(response) == ["error"]


def test_strangers_cannot_cancel(login, stranger, buyer_ticket):
    response = login(stranger).post(reverse("events:registration-cancel", args=[buyer_ticket.pk]))

    buyer_ticket.refresh_from_db()
    assert response.status_code == 404 and buyer_ticket.status == RegistrationStatus.CONFIRMED


# The agenda and 1:1 meetings ---------------------------------------------------------------


def test_the_agenda_offers_the_other_attendees_presenters_first(
    login, event, organizer, buyer, buyer_ticket, professor_ticket, university
):
    plain = RegistrationFactory(event=event, organization=MembershipFactory().organization)
    Event.objects.filter(pk=event.pk).update(kind=EventKind.ROADSHOW, capacity=None)
    event.refresh_from_db()
    presentation = services.presentation_apply(
        event=event,
        user=professor_ticket.user,
        achievement=AchievementFactory(organization=university, title="钠离子电池正极材料"),
        presenter_name="王教授",
    )
    services.presentation_schedule(
        presentation=presentation,
        user=organizer,
        starts_at=event.starts_at + timedelta(minutes=20),
        ends_at=event.starts_at + timedelta(minutes=35),
    )

    response = login(buyer).get(reverse("events:agenda", args=[event.pk]))

    assert response.status_code == 200
    partners = list(response.context["form"].fields["invitee"].queryset)
    assert partners == [professor_ticket, plain]
    assert "青岛大学" in page_of(response)


def test_the_agenda_is_for_registrants_and_organizers(client, login, event, organizer, stranger, buyer_ticket):
    url = reverse("events:agenda", args=[event.pk])

    assert login(stranger).get(url).status_code == 404
    assert login(organizer).get(url).status_code == 200
    assert client.get(url).status_code == 302


def test_the_waiting_list_sees_a_notice_and_no_form(login, event, buyer, enterprise):
    RegistrationFactory(
        event=event, user=buyer, organization=enterprise, status=RegistrationStatus.WAITLISTED, confirmed_at=None
    )

    response = login(buyer).get(reverse("events:agenda", args=[event.pk]))

    assert response.status_code == 200
    assert response.context["form"] is None
    assert 'id="waitlist-notice"' in page_of(response)


def test_requesting_a_meeting(login, event, buyer, buyer_ticket, professor_ticket):
    response = login(buyer).post(
        reverse("events:meeting-request", args=[event.pk]),
        {"invitee": professor_ticket.pk, "starts_at": at(event, 60), "topic": "储能电池技术许可"},
    )

    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.requester, meeting.invitee, meeting.topic) == (buyer_ticket, professor_ticket, "储能电池技术许可")
    assert meeting.starts_at == event.starts_at + timedelta(minutes=60)
    assert meeting.ends_at == meeting.starts_at + timedelta(minutes=event.meeting_minutes)
    agenda = login(buyer).get(reverse("events:agenda", args=[event.pk]))
    assert "储能电池技术许可" in page_of(agenda)
    assert f"{local(meeting.starts_at):%H:%M}" in page_of(agenda)


def test_a_clashing_meeting_shows_an_error(login, event, buyer, buyer_ticket, professor_ticket):
    third = RegistrationFactory(event=event)
    Event.objects.filter(pk=event.pk).update(capacity=None)
    services.meeting_request(
        event=event,
        user=professor_ticket.user,
        invitee=third,
        starts_at=event.starts_at + timedelta(minutes=60),
        topic="已有的洽谈",
    )

    response = login(buyer).post(
        reverse("events:meeting-request", args=[event.pk]),
        {"invitee": professor_ticket.pk, "starts_at": at(event, 70), "topic": "储能电池技术许可"},
    )

    assert response.status_code == 400
    assert Meeting.objects.count() == 1
    clash_starts = f"{local(event.starts_at + timedelta(minutes=60)):%H:%M}"
    assert any(clash_starts in error for error in response.context["form"].errors["starts_at"])
    assert clash_starts in page_of(response)


@pytest.mark.parametrize(
    "data",
    [
        {"starts_at": "not a time", "topic": "x"},
        {"starts_at": "2000-01-01T10:00", "topic": "太早了"},
        {"topic": ""},
    ],
)
def test_bad_meeting_input_is_refused(login, event, buyer, buyer_ticket, professor_ticket, data):
    payload = {"invitee": professor_ticket.pk, "starts_at": at(event, 60), **data}

    response = login(buyer).post(reverse("events:meeting-request", args=[event.pk]), payload)

    assert response.status_code == 400
    assert not Meeting.objects.exists()


def test_only_confirmed_attendees_request_meetings(login, event, professor_ticket, stranger):
    response = login(stranger).post(
        reverse("events:meeting-request", args=[event.pk]),
        {"invitee": professor_ticket.pk, "starts_at": at(event, 60), "topic": "x"},
    )

    assert response.status_code == 404
    assert not Meeting.objects.exists()


@pytest.fixture
def meeting(event, buyer, buyer_ticket, professor_ticket):
    return services.meeting_request(
        event=event,
        user=buyer,
        invitee=professor_ticket,
        starts_at=event.starts_at + timedelta(minutes=60),
        topic="储能电池技术许可",
    )


def test_the_invitee_accepts(login, professor, meeting):
    response = login(professor).post(reverse("events:meeting-accept", args=[meeting.pk]), follow=True)

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.ACCEPTED
    assert levels(response) == ["success"]


def test_the_invitee_declines_with_a_reason(login, professor, meeting):
    login(professor).post(reverse("events:meeting-decline", args=[meeting.pk]), {"reason": "时间冲突"})

    meeting.refresh_from_db()
    assert (meeting.status, meeting.status_note) == (MeetingStatus.DECLINED, "时间冲突")


def test_the_requester_cannot_accept_their_own_request(login, buyer, meeting):
    response = login(buyer).post(reverse("events:meeting-accept", args=[meeting.pk]), follow=True)

    meeting.refresh_from_db()
    assert response.status_code == 200
    assert meeting.status == MeetingStatus.REQUESTED
    assert levels(response) == ["error"]


def test_either_side_cancels(login, buyer, meeting):
    login(buyer).post(reverse("events:meeting-cancel", args=[meeting.pk]))

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED


def test_answering_twice_is_an_error_not_a_crash(login, professor, meeting):
    client = login(professor)
    client.post(reverse("events:meeting-decline", args=[meeting.pk]))

    response = client.post(reverse("events:meeting-accept", args=[meeting.pk]), follow=True)

    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.DECLINED
    assert "error" in levels(response)


@pytest.mark.parametrize("action", ["events:meeting-accept", "events:meeting-decline", "events:meeting-cancel"])
def test_strangers_and_organizers_cannot_touch_a_meeting(login, stranger, organizer, meeting, action):
    assert login(stranger).post(reverse(action, args=[meeting.pk])).status_code == 404
    assert login(organizer).post(reverse(action, args=[meeting.pk])).status_code == 404
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.REQUESTED


def test_the_agenda_lists_the_meeting_with_the_invitees_buttons(login, professor, meeting):
    response = login(professor).get(reverse("events:agenda", args=[meeting.event_id]))

    content = page_of(response)
    assert "储能电池技术许可" in content and "青岛储能科技有限公司" in content
    assert reverse("events:meeting-accept", args=[meeting.pk]) in content
    assert reverse("events:meeting-decline", args=[meeting.pk]) in content


# Presenting at a roadshow ------------------------------------------------------------------


@pytest.fixture
def roadshow(agency):
    return EventFactory(organizer=agency, kind=EventKind.ROADSHOW, title="钠电池成果路演")


def test_applying_to_present(login, roadshow, professor, university):
    achievement = AchievementFactory(organization=university, title="钠离子电池正极材料")
    AchievementFactory(organization=university, title="草稿成果", draft=True)
    client = login(professor)

    form_page = client.get(reverse("events:present", args=[roadshow.pk]))
    assert [a.title for a in form_page.context["form"].fields["achievement"].queryset] == ["钠离子电池正极材料"]

    response = client.post(
        reverse("events:present", args=[roadshow.pk]),
        {"achievement": achievement.pk, "presenter_name": "王教授", "pitch": "能量密度提升 20%"},
        follow=True,
    )

    presentation = Presentation.objects.get()
    assert (presentation.achievement, presentation.presenter_name, presentation.status) == (
        achievement,
        "王教授",
        PresentationStatus.APPLIED,
    )
    assert "钠离子电池正极材料" in page_of(response)
    assert reverse("events:presentation-withdraw", args=[presentation.pk]) in page_of(response)


def test_applying_twice_shows_an_error(login, roadshow, professor, university):
    achievement = AchievementFactory(organization=university)
    client = login(professor)
    data = {"achievement": achievement.pk, "presenter_name": "王教授"}
    client.post(reverse("events:present", args=[roadshow.pk]), data)

    response = client.post(reverse("events:present", args=[roadshow.pk]), data)

    assert response.status_code == 400
    assert response.context["form"].errors["achievement"]
    assert Presentation.objects.count() == 1


def test_another_organizations_achievement_cannot_be_chosen(login, roadshow, buyer, university):
    achievement = AchievementFactory(organization=university)

    response = login(buyer).post(
        reverse("events:present", args=[roadshow.pk]), {"achievement": achievement.pk, "presenter_name": "李经理"}
    )

    assert response.status_code == 400
    assert not Presentation.objects.exists()


def test_a_matchmaking_session_takes_no_presentations(login, event, professor):
    assert login(professor).get(reverse("events:present", args=[event.pk])).status_code == 404


def test_withdrawing_an_application(login, roadshow, professor, university, stranger):
    presentation = services.presentation_apply(
        event=roadshow, user=professor, achievement=AchievementFactory(organization=university), presenter_name="王"
    )
    url = reverse("events:presentation-withdraw", args=[presentation.pk])

    assert login(stranger).post(url).status_code == 404
    response = login(professor).post(url)

    presentation.refresh_from_db()
    assert response.url == reverse("events:present", args=[roadshow.pk])
    assert presentation.status == PresentationStatus.WITHDRAWN


# Deals from letters of intent --------------------------------------------------------------


@pytest.fixture
def intent(event, organizer, university, enterprise):
    return services.intent_record(
        event=event,
        user=organizer,
        seller=university,
        buyer=enterprise,
        achievement=AchievementFactory(organization=university, title="钠离子电池正极材料"),
        title="",
    )


def test_a_party_starts_a_deal_from_a_letter_of_intent(login, buyer, buyer_ticket, intent):
    agenda = login(buyer).get(reverse("events:agenda", args=[intent.event_id]))
    assert reverse("events:intent-deal", args=[intent.pk]) in page_of(agenda)

    response = login(buyer).post(reverse("events:intent-deal", args=[intent.pk]))

    deal = Deal.objects.get()
    assert response.url == reverse("deals:detail", args=[deal.pk])
    intent.refresh_from_db()
    assert intent.deal == deal


def test_a_second_start_goes_to_the_existing_deal(login, buyer, professor, intent):
    login(buyer).post(reverse("events:intent-deal", args=[intent.pk]))

    response = login(professor).post(reverse("events:intent-deal", args=[intent.pk]))

    assert Deal.objects.count() == 1
    assert response.url == reverse("deals:detail", args=[Deal.objects.get().pk])


def test_strangers_and_organizers_start_no_deal(login, stranger, organizer, intent):
    assert login(stranger).post(reverse("events:intent-deal", args=[intent.pk])).status_code == 404
    assert login(organizer).post(reverse("events:intent-deal", args=[intent.pk])).status_code == 404
    assert not Deal.objects.exists()
