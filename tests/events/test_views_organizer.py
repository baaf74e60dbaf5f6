"""The organizer's pages: the organized events, the event form, the management page (status,
registrations, roadshow line-up, letters of intent, figures), check-in at the door, the Excel
export, the post-event report and the yearly counts."""

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from events import services
from events.enums import EventKind, EventStatus, PresentationStatus, RegistrationStatus
from events.models import Event, LetterOfIntent, Presentation
from marketplace.enums import MembershipRole, OrganizationKind
from marketplace.models import IndustryField
from tests.factories.achievements import AchievementFactory
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def local(value) -> str:
    return timezone.localtime(value).strftime(LOCAL_FORMAT)


def at(days: int, hour: int = 14):
    moment = timezone.localtime() + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def event_data(**changes) -> dict:
    """The event form as the browser posts it (region as the cascading selects)."""
    starts = at(20)
    data = {
        "title": "校企牵手、卡位入链·储能专场",
        "kind": "matchmaking",
        "industry_fields": [IndustryField.objects.filter(is_active=True).order_by("pk").first().pk],
        "region_1": "370000",
        "region_2": "370200",
        "region_3": "370202",
        "summary": "储能成果与企业需求现场对接",
        "description": "",
        "agenda": "14:00 开幕致辞\n14:20 成果路演",
        "starts_at": local(starts),
        "ends_at": local(starts + timedelta(hours=3)),
        "venue": "青岛国际创新园 B 座",
        "online_url": "",
        "capacity": "80",
        "registration_opens_at": local(timezone.now()),
        "registration_closes_at": local(starts - timedelta(days=1)),
        "meeting_minutes": "20",
    }
    data.update(changes)
    return data


def past_event(organizer, status, **fields):
    starts = at(-2)
    return EventFactory(
        organizer=organizer,
        starts_at=starts,
        registration_opens_at=starts - timedelta(days=10),
        registration_closes_at=starts - timedelta(days=1),
        status=status,
        **fields,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def attendee(event, buyer, enterprise):
    """The buyer, registered (confirmed) for the event."""
    return RegistrationFactory(event=event, user=buyer, organization=enterprise)


@pytest.fixture
def presentation(event, professor, university):
    achievement = AchievementFactory(organization=university, title="固态电解质界面调控技术")
    return Presentation.objects.create(
        event=event, achievement=achievement, organization=university, applied_by=professor, presenter_name="张教授"
    )


def organizer_urls(event, presentation) -> list[tuple[str, str]]:
    return [
        ("get", reverse("events:manage", args=[event.pk])),
        ("get", reverse("events:edit", args=[event.pk])),
        ("post", reverse("events:edit", args=[event.pk])),
        ("post", reverse("events:transition", args=[event.pk, "close"])),
        ("post", reverse("events:transition", args=[event.pk, "cancel"])),
        ("get", reverse("events:registrations-export", args=[event.pk])),
        ("get", reverse("events:check-in", args=[event.pk])),
        ("post", reverse("events:check-in", args=[event.pk])),
        ("post", reverse("events:presentation-schedule", args=[presentation.pk])),
        ("post", reverse("events:presentation-reject", args=[presentation.pk])),
        ("post", reverse("events:intent-new", args=[event.pk])),
        ("get", reverse("events:report", args=[event.pk])),
        ("get", reverse("events:organized")),
        ("get", reverse("events:create")),
        ("post", reverse("events:create")),
        ("get", reverse("events:yearly")),
    ]


# Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["stranger", "buyer"])
def test_every_organizer_url_is_404_for_strangers_and_attendees(request, login, event, attendee, presentation, who):
    client = login(request.getfixturevalue(who))

    for method, url in organizer_urls(event, presentation):
        response = getattr(client, method)(url, {"reason": "不办了", "token": "x"} if method == "post" else None)
        assert (url, response.status_code) == (url, 404)

    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED
    assert Presentation.objects.get().status == PresentationStatus.APPLIED


def test_organizer_urls_need_login(client, event, presentation):
    for method, url in organizer_urls(event, presentation):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_event_staff_manage_any_event(login, event, event_staff, attendee):
    client = login(event_staff)

    response = client.get(reverse("events:manage", args=[event.pk]))
    assert response.status_code == 200
    assert event.title in response.content.decode()
    response = client.post(reverse("events:transition", args=[event.pk, "close"]))

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == EventStatus.REGISTRATION_CLOSED


def test_another_agency_cannot_manage_the_event(login, event):
    other = OrganizationFactory(name="大连技术转移中心", kind=OrganizationKind.TRANSFER_AGENCY)
    member = MembershipFactory(organization=other, role=MembershipRole.ADMIN).user

    assert login(member).get(reverse("events:manage", args=[event.pk])).status_code == 404
    assert login(member).get(reverse("events:organized")).status_code == 200


# Organized events ---------------------------------------------------------------------------


def test_organized_lists_the_agency_events_in_every_status_with_counts(login, organizer, agency, event):
    draft = EventFactory(organizer=agency, title="十校十所进千企·草稿", status=EventStatus.DRAFT)
    EventFactory(title="别的机构的活动")
    RegistrationFactory(event=event)
    RegistrationFactory(event=event, checked_in_at=timezone.now())
    RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED, confirmed_at=None)
    RegistrationFactory(event=event, status=RegistrationStatus.CANCELLED)

    response = login(organizer).get(reverse("events:organized"))

    assert response.status_code == 200
    events = {e.title: e for e in response.context["events"]}
    assert sorted(events) == sorted([event.title, draft.title])
    counts = events[event.title]
    assert (counts.confirmed_count, counts.waitlist_count, counts.checked_in_count) == (2, 1, 1)
    assert reverse("events:create") in response.content.decode()
    assert reverse("events:manage", args=[draft.pk]) in response.content.decode()


def test_organized_for_event_staff_lists_every_event(login, event_staff, event):
    other = EventFactory(title="大连成果发布会", status=EventStatus.DRAFT)

    response = login(event_staff).get(reverse("events:organized"))

    assert {e.pk for e in response.context["events"]} == {event.pk, other.pk}


def test_organized_without_the_right_to_organize_hides_the_new_button(login, event):
    """A member of an unverified agency still sees its events but cannot create new ones."""
    agency = event.organizer
    agency.verification_status = "pending"
    agency.save(update_fields=["verification_status"])
    member = MembershipFactory(organization=agency, role=MembershipRole.MEMBER).user

    response = login(member).get(reverse("events:organized"))

    assert response.status_code == 200
    assert response.context["can_organize"] is False
    assert reverse("events:create") not in response.content.decode()
    assert login(member).get(reverse("events:create")).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_organized_queries_do_not_grow_with_events(login, organizer, agency, django_assert_num_queries, count):
    for n in range(count):
        event = EventFactory(organizer=agency, title=f"对接会{n}")
        RegistrationFactory(event=event)
    client = login(organizer)
    client.get(reverse("events:organized"))  # warm the caches

    with django_assert_num_queries(QUERIES_ORGANIZED):
        response = client.get(reverse("events:organized"))

    assert len(response.context["events"]) == count


QUERIES_ORGANIZED = 10


# The event form -----------------------------------------------------------------------------


def test_create_saves_a_draft_for_the_agency(login, organizer, agency):
    partner = OrganizationFactory(name="青岛大学技术转移中心", kind=OrganizationKind.TRANSFER_AGENCY)

    response = login(organizer).post(
        reverse("events:create"), event_data(organizer=agency.pk, co_organizers=[partner.pk])
    )

    event = Event.objects.get(title="校企牵手、卡位入链·储能专场")
    assert response.status_code == 302
    assert response.url == reverse("events:manage", args=[event.pk])
    assert (event.status, event.organizer, event.created_by, event.capacity) == (
        EventStatus.DRAFT,
        agency,
        organizer,
        80,
    )
    assert local(event.starts_at) == event_data()["starts_at"]  # entered in Asia/Shanghai
    assert event.region_id == "370202"
    assert list(event.co_organizers.all()) == [partner]


def test_create_offers_only_the_users_agencies(login, organizer, agency):
    other = OrganizationFactory(name="别人的服务机构", kind=OrganizationKind.SERVICE_AGENCY)

    response = login(organizer).get(reverse("events:create"))
    assert list(response.context["form"].fields["organizer"].queryset) == [agency]

    response = login(organizer).post(reverse("events:create"), event_data(organizer=other.pk))
    assert response.status_code == 200
    assert "organizer" in response.context["form"].errors
    assert not Event.objects.filter(title="校企牵手、卡位入链·储能专场").exists()


def test_event_staff_create_for_any_verified_organization(login, event_staff, university):
    response = login(event_staff).post(reverse("events:create"), event_data(organizer=university.pk))

    assert response.status_code == 302
    assert Event.objects.get(title="校企牵手、卡位入链·储能专场").organizer == university


def test_create_refuses_an_event_ending_before_it_starts(login, organizer, agency):
    starts = at(20)
    data = event_data(organizer=agency.pk, ends_at=local(starts - timedelta(hours=1)))

    response = login(organizer).post(reverse("events:create"), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["ends_at"]
    assert not Event.objects.filter(title=data["title"]).exists()


def test_edit_refuses_registration_closing_after_the_event_ends(login, organizer, event):
    data = event_data(
        title=event.title,
        starts_at=local(event.starts_at),
        ends_at=local(event.ends_at),
        registration_closes_at=local(event.ends_at + timedelta(days=1)),
    )

    response = login(organizer).post(reverse("events:edit", args=[event.pk]), data)

    assert response.status_code == 200
    assert "registration_closes_at" in response.context["form"].errors
    before = event.registration_closes_at
    event.refresh_from_db()
    assert event.registration_closes_at == before


def test_edit_saves_and_shows_the_current_values(login, organizer, event):
    client = login(organizer)
    response = client.get(reverse("events:edit", args=[event.pk]))
    assert response.status_code == 200
    assert local(event.starts_at) in response.content.decode()

    data = event_data(title="国重面对面·储能专场", starts_at=local(event.starts_at), ends_at=local(event.ends_at))
    data["registration_closes_at"] = local(event.registration_closes_at)
    response = client.post(reverse("events:edit", args=[event.pk]), data)

    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.capacity) == ("国重面对面·储能专场", 80)


# The management page ------------------------------------------------------------------------


def test_manage_shows_registrations_presentations_intents_and_figures(
    login, organizer, event, attendee, presentation, university, enterprise
):
    waiting = RegistrationFactory(
        event=event, status=RegistrationStatus.WAITLISTED, confirmed_at=None, user__name="候补王"
    )
    LetterOfIntent.objects.create(
        event=event, seller=university, buyer=enterprise, title="固态电解质技术许可意向", amount=Decimal("500000")
    )

    response = login(organizer).get(reverse("events:manage", args=[event.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert attendee.user.name in content
    assert enterprise.name in content
    assert [r.pk for r in response.context["confirmed"]] == [attendee.pk]
    assert [r.pk for r in response.context["waitlisted"]] == [waiting.pk]
    assert "固态电解质界面调控技术" in content
    assert "固态电解质技术许可意向" in content
    assert response.context["actions"] == ["close", "held", "cancel"]
    assert response.context["figures"].intents == 1
    for name in ("events:check-in", "events:registrations-export", "events:edit", "events:report"):
        assert reverse(name, args=[event.pk]) in content
    assert reverse("events:transition", args=[event.pk, "close"]) in content
    assert reverse("events:transition", args=[event.pk, "publish"]) not in content


@pytest.mark.parametrize("count", [1, 3])
def test_manage_queries_do_not_grow_with_registrations(login, organizer, event, django_assert_num_queries, count):
    event.capacity = None
    event.save(update_fields=["capacity"])
    for _ in range(count):
        RegistrationFactory(event=event)
    client = login(organizer)
    client.get(reverse("events:manage", args=[event.pk]))  # warm the caches

    with django_assert_num_queries(QUERIES_MANAGE):
        response = client.get(reverse("events:manage", args=[event.pk]))

    assert len(response.context["confirmed"]) == count


QUERIES_MANAGE = 23


# Transitions ---------------------------------------------------------------------------------


def test_publish_a_draft(login, organizer, agency):
    draft = EventFactory(organizer=agency, status=EventStatus.DRAFT, published_at=None)

    response = login(organizer).post(reverse("events:transition", args=[draft.pk, "publish"]))

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == EventStatus.PUBLISHED
    assert draft.published_at is not None


def test_unknown_transition_is_404(login, organizer, event):
    response = login(organizer).post(reverse("events:transition", args=[event.pk, "explode"]))

    assert response.status_code == 404
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED


def test_transition_needs_post(login, organizer, event):
    assert login(organizer).get(reverse("events:transition", args=[event.pk, "close"])).status_code == 405


def test_cancel_without_reason_is_refused(login, organizer, event):
    response = login(organizer).post(
        reverse("events:transition", args=[event.pk, "cancel"]), {"reason": "  "}, follow=True
    )

    assert len(messages_of(response)) == 1
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED


def test_cancel_with_reason(login, organizer, event, attendee):
    response = login(organizer).post(
        reverse("events:transition", args=[event.pk, "cancel"]), {"reason": "场地临时检修"}, follow=True
    )

    event.refresh_from_db()
    assert (event.status, event.status_note) == (EventStatus.CANCELLED, "场地临时检修")
    assert "场地临时检修" in response.content.decode()


def test_report_after_the_event_is_held(login, organizer, agency):
    held = past_event(agency, EventStatus.HELD)
    client = login(organizer)
    assert (
        login(organizer).post(reverse("events:transition", args=[held.pk, "report"]), {"report": "太短"}).status_code
        == 302
    )
    held.refresh_from_db()
    assert held.status == EventStatus.HELD

    text = "到会企业32家、高校院所8家，现场签约意向协议5项，意向金额1200万元。"
    client.post(reverse("events:transition", args=[held.pk, "report"]), {"report": text})

    held.refresh_from_db()
    assert (held.status, held.report) == (EventStatus.REPORTED, text)


def test_mark_held_before_the_start_is_refused(login, organizer, event):
    response = login(organizer).post(reverse("events:transition", args=[event.pk, "held"]), follow=True)

    assert len(messages_of(response)) == 1
    event.refresh_from_db()
    assert event.status == EventStatus.PUBLISHED


# Export -------------------------------------------------------------------------------------


def test_export_contains_the_registrations(login, organizer, event, attendee):
    RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED, confirmed_at=None, user__name="候补王")
    attendee.checked_in_at = timezone.now()
    attendee.save(update_fields=["checked_in_at"])

    response = login(organizer).get(reverse("events:registrations-export", args=[event.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 3
    assert rows[1][:2] == (attendee.user.name, attendee.organization.name)
    assert rows[1][4] == local(attendee.checked_in_at).replace("T", " ")
    assert rows[2][0] == "候补王"
    assert rows[2][4] in (None, "")


# Check-in -----------------------------------------------------------------------------------


def test_check_in_page_shows_the_scanned_attendee(login, organizer, event, attendee):
    token = services.check_in_token(attendee)

    response = login(organizer).get(reverse("events:check-in", args=[event.pk]), {"token": token})

    assert response.status_code == 200
    assert response.context["attendee"] == attendee
    content = response.content.decode()
    assert attendee.user.name in content
    assert attendee.organization.name in content
    attendee.refresh_from_db()
    assert attendee.checked_in_at is None  # looking is not checking in


def test_check_in_sets_the_time_and_counts(login, organizer, event, attendee):
    client = login(organizer)

    response = client.post(
        reverse("events:check-in", args=[event.pk]), {"token": services.check_in_token(attendee)}, follow=True
    )

    attendee.refresh_from_db()
    assert attendee.checked_in_at is not None
    assert attendee.checked_in_by == organizer
    assert any(attendee.user.name in message for message in messages_of(response))
    assert (response.context["checked_in"], response.context["confirmed"]) == (1, 1)


def test_check_in_accepts_a_pasted_check_in_link(login, organizer, event, attendee):
    link = "https://market.example.cn" + reverse("events:check-in", args=[event.pk])
    token = services.check_in_token(attendee)

    login(organizer).post(reverse("events:check-in", args=[event.pk]), {"token": f"{link}?token={token}"})

    attendee.refresh_from_db()
    assert attendee.checked_in_at is not None


def test_check_in_refuses_a_forged_token(login, organizer, event, attendee):
    forged = signing.dumps({"r": attendee.pk, "e": event.pk}, salt="something-else")
    client = login(organizer)

    response = client.post(reverse("events:check-in", args=[event.pk]), {"token": forged})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    shown = client.get(reverse("events:check-in", args=[event.pk]), {"token": forged})
    assert shown.context["attendee"] is None
    assert shown.context["error"]

    attendee.refresh_from_db()
    assert attendee.checked_in_at is None


def test_check_in_refuses_a_ticket_of_another_event(login, organizer, agency, event, attendee):
    other = EventFactory(organizer=agency)

    response = login(organizer).post(
        reverse("events:check-in", args=[other.pk]), {"token": services.check_in_token(attendee)}
    )

    assert response.context["form"].errors["token"]
    attendee.refresh_from_db()
    assert attendee.checked_in_at is None


# Roadshow line-up ---------------------------------------------------------------------------


def test_schedule_selects_a_presentation_into_a_slot(login, organizer, event, presentation):
    start = event.starts_at + timedelta(minutes=20)

    response = login(organizer).post(
        reverse("events:presentation-schedule", args=[presentation.pk]),
        {"slot_starts_at": local(start), "slot_ends_at": local(start + timedelta(minutes=15))},
        follow=True,
    )

    presentation.refresh_from_db()
    assert (presentation.status, presentation.slot_starts_at) == (PresentationStatus.SELECTED, start)
    assert [p.pk for p in response.context["line_up"]] == [presentation.pk]


def test_schedule_outside_the_event_is_refused(login, organizer, event, presentation):
    start = event.ends_at + timedelta(hours=1)

    response = login(organizer).post(
        reverse("events:presentation-schedule", args=[presentation.pk]),
        {"slot_starts_at": local(start), "slot_ends_at": local(start + timedelta(minutes=15))},
        follow=True,
    )

    assert len(messages_of(response)) == 1
    presentation.refresh_from_db()
    assert presentation.status == PresentationStatus.APPLIED


def test_reject_needs_a_reason(login, organizer, presentation):
    client = login(organizer)
    url = reverse("events:presentation-reject", args=[presentation.pk])

    client.post(url, {"reason": ""})
    presentation.refresh_from_db()
    assert presentation.status == PresentationStatus.APPLIED

    client.post(url, {"reason": "与本场主题不符"})
    presentation.refresh_from_db()
    assert (presentation.status, presentation.status_note) == (PresentationStatus.REJECTED, "与本场主题不符")


# Letters of intent --------------------------------------------------------------------------


def test_record_an_intent_between_registered_organizations(
    login, organizer, event, attendee, university, professor, enterprise
):
    RegistrationFactory(event=event, user=professor, organization=university)

    response = login(organizer).post(
        reverse("events:intent-new", args=[event.pk]),
        {"seller": university.pk, "buyer": enterprise.pk, "title": "储能材料联合开发意向", "amount": "300000"},
    )

    assert response.status_code == 302
    intent = LetterOfIntent.objects.get()
    assert (intent.seller, intent.buyer, intent.amount, intent.recorded_by) == (
        university,
        enterprise,
        Decimal("300000"),
        organizer,
    )


def test_record_an_intent_with_another_verified_organization(login, organizer, event, attendee, enterprise):
    outsider = OrganizationFactory(name="中科院青岛能源所", kind=OrganizationKind.INSTITUTE)

    login(organizer).post(
        reverse("events:intent-new", args=[event.pk]),
        {"seller_other": outsider.uscc, "buyer": enterprise.pk, "title": "储能技术转让意向"},
    )

    assert LetterOfIntent.objects.get().seller == outsider


def test_intent_with_the_same_party_twice_is_refused(login, organizer, event, attendee, enterprise):
    response = login(organizer).post(
        reverse("events:intent-new", args=[event.pk]),
        {"seller": enterprise.pk, "buyer": enterprise.pk, "title": "自己和自己"},
        follow=True,
    )

    assert len(messages_of(response)) == 1
    assert not LetterOfIntent.objects.exists()


# Report and yearly counts -------------------------------------------------------------------


def test_report_for_the_organizer_and_bureau_staff(login, organizer, agency, enterprise, university, reviewer):
    held = past_event(agency, EventStatus.REPORTED, report="到会企业32家。")
    RegistrationFactory(event=held, checked_in_at=timezone.now())
    RegistrationFactory(event=held)
    LetterOfIntent.objects.create(
        event=held, seller=university, buyer=enterprise, title="意向", amount=Decimal("1200000")
    )

    for user in (organizer, reviewer):
        response = login(user).get(reverse("events:report", args=[held.pk]))
        assert response.status_code == 200
        figures = response.context["figures"]
        assert (figures.confirmed, figures.checked_in, figures.intents) == (2, 1, 1)
        content = response.content.decode()
        assert "到会企业32家。" in content
        assert "50%" in content
        assert "1200000" in content


def test_yearly_counts_held_events_against_the_target(login, event_staff, agency, settings):
    settings.EVENTS = {"YEARLY_TARGET": 4}
    this_year = timezone.localdate().year
    start = timezone.localtime().replace(month=1, day=2, hour=14, minute=0, second=0, microsecond=0)
    for _ in range(2):
        EventFactory(
            organizer=agency,
            starts_at=start,
            status=EventStatus.HELD,
            registration_opens_at=start - timedelta(days=9),
            registration_closes_at=start - timedelta(days=1),
        )

    response = login(event_staff).get(reverse("events:yearly"), {"year": str(this_year)})

    assert response.status_code == 200
    assert (response.context["counts"].held, response.context["progress_percent"]) == (2, 50)
    assert dict(response.context["kinds"])[EventKind.MATCHMAKING.label] == 2


@pytest.mark.parametrize("year", ["1999", "abc", ""])
def test_yearly_bad_year_shows_this_year(login, organizer, year):
    response = login(organizer).get(reverse("events:yearly"), {"year": year})

    assert response.status_code == 200
    assert response.context["year"] == timezone.localdate().year


def test_yearly_for_bureau_staff(login, reviewer):
    assert login(reviewer).get(reverse("events:yearly")).status_code == 200


def test_yearly_needs_a_staff_group_or_an_agency(login):
    user = UserFactory(username="plain")
    assert login(user).get(reverse("events:yearly")).status_code == 404
