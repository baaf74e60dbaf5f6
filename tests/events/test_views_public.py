"""The public calendar of events: the list and its filters, the month grid, the iCal feed and an
event's .ics, an event's page, and registering from it."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from events import services
from events.enums import EventKind, EventStatus, PresentationStatus, RegistrationStatus
from events.models import Event, Registration
from marketplace.models import IndustryField, OutgoingMail, Region
from tests.factories.achievements import AchievementFactory
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return response.content.decode()


def titles_listed(response) -> list[str]:
    return [event.title for event in response.context["page"]]


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def local(moment):
    return timezone.localtime(moment)


# The list ----------------------------------------------------------------------------------


def test_list_shows_upcoming_public_events_with_time_organizer_and_places(client, event, enterprise):
    RegistrationFactory(event=event, organization=enterprise)
    EventFactory(title="草稿活动", status=EventStatus.DRAFT, published_at=None)
    past = EventFactory(title="去年的对接会")
    Event.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=30, hours=-3)
    )

    response = client.get(reverse("events:list"))

    assert response.status_code == 200
    assert titles_listed(response) == ["国重面对面·新能源专场"]
    content = page_of(response)
    assert "青岛技术市场服务中心" in content
    assert "青岛国际创新园 A 座报告厅" in content
    assert f"{local(event.starts_at):%m-%d}" in content and f"{local(event.starts_at):%H:%M}" in content
    assert response.context["page"][0].places_left == 1
    assert "草稿活动" not in content and "去年的对接会" not in content


def test_list_shows_past_events_on_request(client, event):
    past = EventFactory(title="去年的对接会")
    Event.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=30), ends_at=timezone.now() - timedelta(days=30, hours=-3)
    )

    response = client.get(reverse("events:list"), {"past": "1"})

    assert titles_listed(response) == ["去年的对接会"]


def test_a_full_event_is_marked_full(client, event, enterprise):
    RegistrationFactory(event=event, organization=enterprise)
    RegistrationFactory(event=event, organization=enterprise)

    response = client.get(reverse("events:list"))

    assert response.context["page"][0].places_left == 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": EventKind.ROADSHOW}, ["钠电池成果路演"]),
        ({"field": "new-energy-batteries"}, ["钠电池成果路演"]),
        ({"region": "210000"}, ["钠电池成果路演"]),
        ({"region": "370000"}, ["国重面对面·新能源专场"]),
        ({"kind": "bogus", "region": "abc", "field": "nope"}, ["国重面对面·新能源专场", "钠电池成果路演"]),
    ],
)
def test_list_filters(client, event, query, expected):
    roadshow = EventFactory(
        title="钠电池成果路演",
        kind=EventKind.ROADSHOW,
        region=Region.objects.get(code="210200"),
        starts_at=event.starts_at + timedelta(days=1),
        ends_at=event.ends_at + timedelta(days=1),
    )
    roadshow.industry_fields.set(IndustryField.objects.filter(code="new-energy-batteries"))

    response = client.get(reverse("events:list"), query)

    assert titles_listed(response) == expected


def test_places_left_count_each_registration_once_under_a_field_filter(client, event, enterprise):
    event.industry_fields.set(IndustryField.objects.filter(code__in=["new-energy", "new-energy-batteries"]))
    RegistrationFactory(event=event, organization=enterprise)

    response = client.get(reverse("events:list"), {"field": "new-energy"})

    assert [(e.title, e.places_left) for e in response.context["page"]] == [("国重面对面·新能源专场", 1)]


def test_list_queries_do_not_grow_with_rows(client, agency, enterprise, django_assert_num_queries):
    first = EventFactory(organizer=agency)
    first.industry_fields.set(IndustryField.objects.filter(code="new-energy-batteries"))
    RegistrationFactory(event=first, organization=enterprise)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("events:list"))
    for _ in range(2):
        other = EventFactory()
        other.industry_fields.set(IndustryField.objects.filter(code__in=["new-energy-batteries", "robotics"]))
        RegistrationFactory(event=other, organization=enterprise)

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("events:list"))
    assert len(response.context["page"]) == 3


# The month grid ----------------------------------------------------------------------------


def test_month_grid_puts_the_event_on_its_day(client, event):
    start = local(event.starts_at)

    response = client.get(reverse("events:month", args=[start.year, start.month]))

    assert response.status_code == 200
    days = {day: events for week in response.context["weeks"] for day, events in week}
    assert days[start.date()] == [event]
    assert all(len(week) == 7 and week[0][0].weekday() == 0 for week in response.context["weeks"])
    assert "国重面对面·新能源专场" in page_of(response)
    previous, following = response.context["previous"], response.context["next"]
    assert (previous.day, following.day) == (1, 1)
    assert reverse("events:month", args=[following.year, following.month]) in page_of(response)
    assert reverse("events:month", args=[previous.year, previous.month]) in page_of(response)


def test_month_grid_across_the_year_end(client, db):
    response = client.get(reverse("events:month", args=[2026, 12]))

    assert (response.context["next"].year, response.context["next"].month) == (2027, 1)


@pytest.mark.parametrize(("year", "month"), [(2026, 13), (2026, 0), (1900, 5)])
def test_a_bad_month_is_not_found(client, db, year, month):
    assert client.get(reverse("events:month", args=[year, month])).status_code == 404


# iCalendar ---------------------------------------------------------------------------------


def test_the_feed_lists_upcoming_public_events(client, event):
    EventFactory(title="草稿活动", status=EventStatus.DRAFT, published_at=None)
    second = EventFactory(title="校企牵手、卡位入链")

    response = client.get(reverse("events:feed"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    items = {str(item["summary"]): item for item in calendar.walk("VEVENT")}
    assert set(items) == {"国重面对面·新能源专场", "校企牵手、卡位入链"}
    assert items["校企牵手、卡位入链"].decoded("dtstart") == second.starts_at
    assert str(items["国重面对面·新能源专场"]["location"]) == "青岛国际创新园 A 座报告厅"


def test_one_event_as_an_ics_attachment(client, event):
    response = client.get(reverse("events:event-ics", args=[event.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="event-{event.pk}.ics"'
    (item,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(item["summary"]) == "国重面对面·新能源专场"


def test_a_draft_has_no_ics(client, agency):
    draft = EventFactory(organizer=agency, status=EventStatus.DRAFT, published_at=None)

    assert client.get(reverse("events:event-ics", args=[draft.pk])).status_code == 404


# An event's page ---------------------------------------------------------------------------


def test_detail_shows_the_event_to_everyone(client, event, university):
    event.description = "邀请国家重点实验室专家面对面解读新能源前沿技术。"
    event.save()
    event.co_organizers.set([university])
    event.industry_fields.set(IndustryField.objects.filter(code="new-energy-batteries"))

    response = client.get(reverse("events:detail", args=[event.pk]))

    assert response.status_code == 200
    content = page_of(response)
    for text in (
        "国重面对面·新能源专场",
        "青岛技术市场服务中心",
        "青岛大学",
        "高校院所新能源成果与企业技术需求现场对接",
        "邀请国家重点实验室专家面对面解读新能源前沿技术。",
        "14:20 成果路演",
        "青岛国际创新园 A 座报告厅",
        f"{local(event.starts_at):%Y-%m-%d}",
        reverse("events:event-ics", args=[event.pk]),
        reverse("login"),
    ):
        assert text in content
    assert response.context["agenda_lines"] == ["14:00 开幕致辞", "14:20 成果路演", "16:00 一对一洽谈"]
    assert response.context["places_left"] == 2


def test_a_draft_is_for_its_organizers_only(client, login, agency, organizer, stranger):
    draft = EventFactory(organizer=agency, title="筹备中的路演", status=EventStatus.DRAFT, published_at=None)
    url = reverse("events:detail", args=[draft.pk])

    assert client.get(url).status_code == 404
    assert login(stranger).get(url).status_code == 404
    response = login(organizer).get(url)
    assert response.status_code == 200 and "筹备中的路演" in page_of(response)


def test_a_missing_event_is_not_found(client, db):
    assert client.get(reverse("events:detail", args=[999999])).status_code == 404


def test_the_online_link_is_for_confirmed_registrants_and_organizers(
    login, client, agency, organizer, buyer, enterprise
):
    online = EventFactory(organizer=agency, venue="", online_url="https://meeting.example.cn/j/8888", capacity=1)
    url = reverse("events:detail", args=[online.pk])
    RegistrationFactory(event=online, user=buyer, organization=enterprise)
    waiting = RegistrationFactory(event=online, status=RegistrationStatus.WAITLISTED, confirmed_at=None)

    assert "meeting.example.cn" not in page_of(client.get(url))
    assert "meeting.example.cn" not in page_of(login(waiting.user).get(url))
    assert "meeting.example.cn" in page_of(login(buyer).get(url))
    assert "meeting.example.cn" in page_of(login(organizer).get(url))


def test_the_roadshow_line_up_and_the_link_to_apply(client, agency, organizer, university):
    roadshow = EventFactory(organizer=agency, kind=EventKind.ROADSHOW, title="钠电池成果路演")
    achievement = AchievementFactory(organization=university, title="钠离子电池正极材料")
    presentation = services.presentation_apply(
        event=roadshow, user=organizer_of(university), achievement=achievement, presenter_name="王教授"
    )
    services.presentation_schedule(
        presentation=presentation,
        user=organizer,
        starts_at=roadshow.starts_at + timedelta(minutes=20),
        ends_at=roadshow.starts_at + timedelta(minutes=35),
    )
    AchievementFactory(organization=university, title="未入选成果")

    response = client.get(reverse("events:detail", args=[roadshow.pk]))

    content = page_of(response)
    assert [p.achievement.title for p in response.context["line_up"]] == ["钠离子电池正极材料"]
    assert [p.status for p in response.context["line_up"]] == [PresentationStatus.SELECTED]
    assert "王教授" in content and "青岛大学" in content
    assert f"{local(roadshow.starts_at + timedelta(minutes=20)):%H:%M}" in content
    assert reverse("events:present", args=[roadshow.pk]) in content


def organizer_of(organization):
    return MembershipFactory(organization=organization).user


def test_a_matchmaking_session_has_no_link_to_present(client, event):
    response = client.get(reverse("events:detail", args=[event.pk]))

    assert reverse("events:present", args=[event.pk]) not in page_of(response)


def test_a_cancelled_event_shows_the_reason(client, event, organizer):
    services.event_cancel(event=event, user=organizer, reason="因台风预警，活动取消。")

    response = client.get(reverse("events:detail", args=[event.pk]))

    assert response.status_code == 200
    assert "因台风预警，活动取消。" in page_of(response)
    assert response.context["form"] is None


def test_the_registration_form_offers_the_users_organizations(login, event, buyer, university):
    MembershipFactory(user=buyer, organization=university)

    response = login(buyer).get(reverse("events:detail", args=[event.pk]))

    form = response.context["form"]
    assert [o.name for o in form.fields["organization"].queryset] == ["青岛储能科技有限公司", "青岛大学"]
    assert 'id="register-form"' in page_of(response)


def test_a_single_organization_is_not_asked_for(login, event, buyer):
    response = login(buyer).get(reverse("events:detail", args=[event.pk]))

    assert "organization" not in response.context["form"].fields


def test_the_registered_user_sees_their_status_and_ticket(login, event, buyer, enterprise):
    registration = RegistrationFactory(event=event, user=buyer, organization=enterprise)

    response = login(buyer).get(reverse("events:detail", args=[event.pk]))

    assert response.context["form"] is None
    assert reverse("events:ticket", args=[registration.pk]) in page_of(response)


def test_before_the_window_the_opening_time_is_shown(client, login, event, buyer):
    opens = timezone.now() + timedelta(days=2)
    Event.objects.filter(pk=event.pk).update(registration_opens_at=opens)

    response = login(buyer).get(reverse("events:detail", args=[event.pk]))

    assert response.context["form"] is None
    assert f"{local(opens):%Y-%m-%d %H:%M}" in page_of(response)


# Registering -------------------------------------------------------------------------------


def test_registering_confirms_and_mails_the_ticket(login, event, buyer, enterprise):
    response = login(buyer).post(reverse("events:register", args=[event.pk]), {"note": "希望对接储能项目"})

    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("events:ticket", args=[registration.pk])
    assert (registration.user, registration.organization, registration.status, registration.note) == (
        buyer,
        enterprise,
        RegistrationStatus.CONFIRMED,
        "希望对接储能项目",
    )
    assert any("国重面对面·新能源专场" in text for text in messages_of(response))
    mail = OutgoingMail.objects.get(purpose="event.confirmed")
    assert mail.to == buyer.email
    assert mail.attachments[0]["name"] == f"event-{event.pk}.ics"


def test_registering_past_capacity_puts_one_on_the_waiting_list(login, event, enterprise, buyer):
    RegistrationFactory(event=event, organization=enterprise)
    RegistrationFactory(event=event, organization=enterprise)

    response = login(buyer).post(reverse("events:register", args=[event.pk]))

    registration = Registration.objects.get(user=buyer)
    assert registration.status == RegistrationStatus.WAITLISTED
    assert response.url == reverse("events:ticket", args=[registration.pk])
    assert any("1" in text and "国重面对面·新能源专场" in text for text in messages_of(response))
    assert not OutgoingMail.objects.filter(to=buyer.email, purpose="event.confirmed").exists()


def test_registering_after_the_window_stores_nothing(login, event, buyer):
    Event.objects.filter(pk=event.pk).update(
        registration_opens_at=timezone.now() - timedelta(days=3),
        registration_closes_at=timezone.now() - timedelta(hours=1),
    )

    response = login(buyer).post(reverse("events:register", args=[event.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("events:detail", args=[event.pk])
    assert not Registration.objects.exists()
    alert = response.context["messages"]
    assert [m.level_tag for m in alert] == ["error"]


def test_registering_twice_keeps_one_registration(login, event, buyer):
    client = login(buyer)
    client.post(reverse("events:register", args=[event.pk]), follow=True)

    response = client.post(reverse("events:register", args=[event.pk]), follow=True)

    assert Registration.objects.filter(user=buyer).count() == 1
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_registering_for_another_organization_is_refused(login, event, buyer):
    other = OrganizationFactory(name="别人的公司")
    MembershipFactory(user=buyer, organization=OrganizationFactory())

    login(buyer).post(reverse("events:register", args=[event.pk]), {"organization": other.pk})

    assert not Registration.objects.exists()


def test_registering_for_one_of_several_organizations(login, event, buyer, university):
    MembershipFactory(user=buyer, organization=university)

    login(buyer).post(reverse("events:register", args=[event.pk]), {"organization": university.pk})

    assert Registration.objects.get().organization == university


def test_registering_without_an_organization(login, event, db):
    from tests.factories.marketplace import UserFactory

    loner = UserFactory(username="loner")

    response = login(loner).post(reverse("events:register", args=[event.pk]), follow=True)

    assert not Registration.objects.exists()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_registering_needs_a_login_and_a_post(client, login, event, buyer):
    response = client.post(reverse("events:register", args=[event.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert login(buyer).get(reverse("events:register", args=[event.pk])).status_code == 405
    assert not Registration.objects.exists()


def test_registering_for_a_draft_is_not_found(login, agency, buyer):
    draft = EventFactory(organizer=agency, status=EventStatus.DRAFT, published_at=None)

    assert login(buyer).post(reverse("events:register", args=[draft.pk])).status_code == 404
