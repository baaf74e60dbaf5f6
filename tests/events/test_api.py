"""/api/v1/events/ (the public calendar; drafts for their organizers) and
/api/v1/events/{id}/registrations/ (the caller's own; all for the organizers)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from events import services
from events.enums import EventKind, EventStatus, RegistrationStatus
from events.models import Registration
from marketplace import search
from marketplace.models import IndustryField, Region
from marketplace.services.partners import partner_application_create, partner_organization
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def zh(msgid: str, **params) -> str:
    with translation.override("zh-hans"):
        message = translation.gettext(msgid)
    return message % params if params else message


def partner_client(scopes: str, name: str = "山东科技大市场") -> APIClient:
    credentials = partner_application_create(
        organization=partner_organization(name=name), name=f"{name}同步", scopes=scopes
    )
    basic = base64.b64encode(f"{credentials.client_id}:{credentials.client_secret}".encode()).decode()
    token = APIClient().post(
        "/o/token/", {"grant_type": "client_credentials"}, format=None, HTTP_AUTHORIZATION=f"Basic {basic}"
    )
    assert token.status_code == 200, token.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access_token']}")
    return client


def registrations(event) -> str:
    return f"{EVENTS}{event.pk}/registrations/"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def draft(agency):
    return EventFactory(
        organizer=agency, title="校企牵手、卡位入链·筹备中", status=EventStatus.DRAFT, published_at=None
    )


@pytest.fixture
def online(agency):
    return EventFactory(
        organizer=agency,
        title="国重面对面·线上专场",
        kind=EventKind.ROADSHOW,
        online_url="https://live.example.cn/room/42",
        venue="",
    )


# The calendar ---------------------------------------------------------------------------------


def test_everyone_reads_public_events_with_places_left(event, draft, agency):
    event.industry_fields.set(IndustryField.objects.filter(code="new-energy-batteries"))
    RegistrationFactory(event=event)

    response = api().get(EVENTS)

    assert ids(response) == [event.pk]
    row = response.json()["results"][0]
    assert row["title"] == "国重面对面·新能源专场"
    assert row["kind"] == "matchmaking" and row["status"] == "published"
    assert row["organizer"] == {"id": agency.pk, "name": "青岛技术市场服务中心"}
    assert row["region"]["code"] == "370202"
    assert row["industry_fields"] == ["new-energy-batteries"]
    assert row["capacity"] == 2 and row["confirmed_count"] == 1 and row["places_left"] == 1
    assert row["waitlist_count"] == 0 and row["registration_open"] is True
    assert row["agenda"].startswith("14:00 开幕致辞")
    assert row["my_registration"] is None
    assert row["url"] == event.get_absolute_url()
    assert api().get(f"{EVENTS}{draft.pk}/").status_code == 404


def test_organizers_read_their_drafts(draft, organizer, event_staff, stranger):
    assert draft.pk in ids(api(organizer).get(EVENTS))
    assert draft.pk in ids(api(event_staff).get(EVENTS))
    assert draft.pk not in ids(api(stranger).get(EVENTS))
    assert api(stranger).get(f"{EVENTS}{draft.pk}/").status_code == 404


def test_the_online_link_is_for_confirmed_registrants_and_organizers(online, organizer, buyer, professor, stranger):
    RegistrationFactory(event=online, user=buyer, organization=buyer.memberships.get().organization)
    RegistrationFactory(
        event=online,
        user=professor,
        organization=professor.memberships.get().organization,
        status=RegistrationStatus.WAITLISTED,
        confirmed_at=None,
    )
    url = f"{EVENTS}{online.pk}/"

    assert api().get(url).json()["online_url"] is None
    assert api(stranger).get(url).json()["online_url"] is None
    assert api(professor).get(url).json()["online_url"] is None  # waitlisted
    assert api(buyer).get(url).json()["online_url"] == "https://live.example.cn/room/42"
    assert api(organizer).get(url).json()["online_url"] == "https://live.example.cn/room/42"
    mine = api(buyer).get(url).json()["my_registration"]
    assert mine["status"] == "confirmed"


def test_filters(event, agency):
    roadshow = EventFactory(
        organizer=agency,
        kind=EventKind.ROADSHOW,
        title="氢能成果路演",
        summary="燃料电池质子交换膜成果路演",
        region=Region.objects.filter(code__startswith="2102").exclude(code="210200").order_by("code").first(),
    )
    roadshow.starts_at = timezone.now() + timedelta(days=30)
    roadshow.ends_at = roadshow.starts_at + timedelta(hours=3)
    roadshow.save()
    roadshow.industry_fields.set(IndustryField.objects.filter(code="hydrogen"))
    search.update(roadshow)
    search.update(event)
    parent = IndustryField.objects.get(code="hydrogen").parent

    assert ids(api().get(EVENTS, {"kind": "roadshow"})) == [roadshow.pk]
    assert ids(api().get(EVENTS, {"field": "hydrogen"})) == [roadshow.pk]
    if parent is not None:
        assert ids(api().get(EVENTS, {"field": parent.code})) == [roadshow.pk]
    assert ids(api().get(EVENTS, {"region": "210200"})) == [roadshow.pk]
    assert ids(api().get(EVENTS, {"region": "370000"})) == [event.pk]
    after = (timezone.now() + timedelta(days=20)).isoformat()
    assert ids(api().get(EVENTS, {"starts_after": after})) == [roadshow.pk]
    assert ids(api().get(EVENTS, {"starts_before": after})) == [event.pk]
    assert ids(api().get(EVENTS, {"q": "质子交换膜"})) == [roadshow.pk]

    bad = api().get(EVENTS, {"region": "37"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["region"] == [zh("An administrative division code has 6 digits (GB/T 2260).")]
    unknown = api().get(EVENTS, {"field": "no-such-field"})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["fields"]["field"] == [
        zh("Unknown industry field code: %(codes)s.", codes="no-such-field")
    ]


def test_a_cancelled_event_stays_in_the_sync_without_tombstones(event, organizer):
    since = (timezone.now() - timedelta(minutes=1)).isoformat()
    services.event_cancel(event=event, user=organizer, reason="场地调整，活动取消")

    rows = api().get(EVENTS, {"updated_since": since}).json()["results"]

    assert [(row["id"], row["status"], row["status_note"]) for row in rows] == [
        (event.pk, "cancelled", "场地调整，活动取消")
    ]
    assert all("deleted" not in row for row in rows)


# Registration ---------------------------------------------------------------------------------


def test_registration_past_capacity_goes_to_the_waiting_list(event, buyer, professor, stranger):
    first = api(buyer).post(f"{EVENTS}{event.pk}/register/", {"note": "希望对接储能项目"}, format="json")
    second = api(professor).post(registrations(event), {}, format="json")
    third = api(stranger).post(registrations(event), {}, format="json")

    assert first.status_code == 201, first.content
    assert first.json()["status"] == "confirmed" and first.json()["note"] == "希望对接储能项目"
    assert first.json()["organization"]["name"] == "青岛储能科技有限公司"
    assert second.status_code == 201 and second.json()["status"] == "confirmed"
    assert third.status_code == 201 and third.json()["status"] == "waitlisted"
    assert third.json()["waitlist_position"] == 1
    row = api().get(f"{EVENTS}{event.pk}/").json()
    assert row["places_left"] == 0 and row["waitlist_count"] == 1

    # The first cancels: the waiting list moves up.
    cancelled = api(buyer).post(f"{registrations(event)}{first.json()['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    promoted = api(stranger).get(f"{registrations(event)}{third.json()['id']}/").json()
    assert promoted["status"] == "confirmed" and promoted["waitlist_position"] is None


def test_registration_after_the_window_is_refused_in_chinese(agency, buyer):
    closed = EventFactory(
        organizer=agency,
        registration_opens_at=timezone.now() - timedelta(days=10),
        registration_closes_at=timezone.now() - timedelta(hours=1),
    )

    response = api(buyer).post(registrations(closed), {}, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == zh("Registration for this event is closed.")
    assert not Registration.objects.filter(event=closed).exists()


def test_no_double_registration(event, buyer):
    assert api(buyer).post(registrations(event), {}, format="json").status_code == 201

    again = api(buyer).post(f"{EVENTS}{event.pk}/register/", {}, format="json")

    assert again.status_code == 400
    assert again.json()["error"]["message"] == zh("You are registered for this event already.")
    assert Registration.objects.filter(event=event, user=buyer).count() == 1


def test_registering_for_someone_elses_organization_is_refused(event, buyer, university):
    response = api(buyer).post(registrations(event), {"organization": university.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["organization"] == [zh("Choose one of your own organizations.")]


def test_visitors_cannot_register(event):
    assert api().post(registrations(event), {}, format="json").status_code == 403
    assert api().get(registrations(event)).status_code == 403


def test_registrations_are_their_owners_and_the_organizers(event, buyer, professor, stranger, organizer):
    mine = RegistrationFactory(event=event, user=buyer, organization=buyer.memberships.get().organization)
    theirs = RegistrationFactory(event=event, user=professor, organization=professor.memberships.get().organization)

    assert ids(api(buyer).get(registrations(event))) == [mine.pk]
    assert ids(api(stranger).get(registrations(event))) == []
    assert sorted(ids(api(organizer).get(registrations(event)))) == sorted([mine.pk, theirs.pk])
    # Someone else's registration is 404, to read and to cancel.
    assert api(stranger).get(f"{registrations(event)}{mine.pk}/").status_code == 404
    assert api(stranger).post(f"{registrations(event)}{mine.pk}/cancel/").status_code == 404
    assert api(professor).get(f"{registrations(event)}{mine.pk}/").status_code == 404
    # Under another event's path it is not found either.
    other = EventFactory()
    assert api(buyer).get(f"{registrations(other)}{mine.pk}/").status_code == 404
    # The organizer cancels anyone's.
    response = api(organizer).post(f"{registrations(event)}{theirs.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


def test_registrations_of_a_draft_are_404_for_strangers(draft, stranger):
    assert api(stranger).get(registrations(draft)).status_code == 404
    assert api(stranger).post(registrations(draft), {}, format="json").status_code == 404


# Organizer actions ----------------------------------------------------------------------------


def test_organizers_publish_and_cancel(draft, organizer, stranger, buyer):
    published = api(organizer).post(f"{EVENTS}{draft.pk}/publish/")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"
    assert draft.pk in ids(api().get(EVENTS))

    assert api(stranger).post(f"{EVENTS}{draft.pk}/cancel/", {"reason": "不办了"}, format="json").status_code == 403
    assert api(organizer).post(f"{EVENTS}{draft.pk}/cancel/", {}, format="json").status_code == 400
    cancelled = api(organizer).post(f"{EVENTS}{draft.pk}/cancel/", {"reason": "主讲嘉宾行程冲突"}, format="json")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["status_note"] == "主讲嘉宾行程冲突"
    # Still in the calendar, as cancelled.
    assert draft.pk in ids(api().get(EVENTS, {"status": "cancelled"}))
    # No registration for a cancelled event.
    refused = api(buyer).post(registrations(draft), {}, format="json")
    assert refused.status_code == 400


def test_strangers_cannot_publish_a_public_event(event, stranger):
    assert api(stranger).post(f"{EVENTS}{event.pk}/publish/").status_code == 403


# Partners -------------------------------------------------------------------------------------


def test_partners_read_events_with_their_scope_but_never_registrations(event, draft, buyer):
    RegistrationFactory(event=event, user=buyer, organization=buyer.memberships.get().organization)

    reader = partner_client("events:read")
    assert ids(reader.get(EVENTS)) == [event.pk]  # no drafts
    assert reader.get(f"{EVENTS}{event.pk}/").json()["online_url"] is None

    without = partner_client("achievements:read", name="缺少权限的平台")
    refused = without.get(EVENTS)
    assert refused.status_code == 403 and "events:read" in refused.json()["error"]["message"]

    everything = partner_client("events:read achievements:read demands:read pilots:read webhooks", name="全权平台")
    for response in (
        everything.get(registrations(event)),
        everything.post(registrations(event), {}, format="json"),
        everything.post(f"{EVENTS}{event.pk}/register/", {}, format="json"),
        everything.post(f"{EVENTS}{event.pk}/cancel/", {"reason": "x"}, format="json"),
    ):
        assert response.status_code == 403, response.content
        assert response.json()["error"]["code"] == "permission_denied"


# Queries --------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_list(agency, organizer, buyer, event_staff):
    fields = list(IndustryField.objects.filter(code__in=["hydrogen", "new-energy-batteries"]))
    co = OrganizationFactory(name="青岛大学技术转移中心")

    def make(n):
        for _ in range(n):
            event = EventFactory(organizer=agency)
            event.industry_fields.set(fields)
            event.co_organizers.set([co])
            RegistrationFactory(event=event, user=buyer, organization=buyer.memberships.get().organization)
            RegistrationFactory(event=event)

    make(2)
    counts = {}
    for user in (None, buyer, organizer, event_staff):
        client = api(user)
        counts[user] = _count_queries(client, EVENTS)
    make(5)
    for user in (None, buyer, organizer, event_staff):
        client = api(user)
        assert _count_queries(client, EVENTS) == counts[user], user
    # The organizer's registrations list, too.
    event = EventFactory(organizer=agency)
    for _ in range(2):
        RegistrationFactory(event=event)
    few = _count_queries(api(organizer), registrations(event))
    for _ in range(5):
        member = MembershipFactory().user
        RegistrationFactory(event=event, user=member, organization=member.memberships.get().organization)
    assert _count_queries(api(organizer), registrations(event)) == few
