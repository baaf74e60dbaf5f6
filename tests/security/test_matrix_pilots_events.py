"""Permission matrix, part: pilot bases (directory, service requests, operator workspace) and
matchmaking events (calendar, attendees, organizers).

The home organization (owner, member) operates one base in draft and one filed, and asks a third
operator's filed base for a service; it is registered for an event run by the event-organizer staff.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from events.enums import EventKind, MeetingStatus, PresentationStatus
from events.models import LetterOfIntent, Meeting, Presentation
from marketplace.enums import OrganizationKind
from marketplace.services.files import private_file_store
from pilots.enums import FilingStatus, RequestStatus
from pilots.models import PilotBase
from tests.factories.achievements import AchievementFactory
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.marketplace import OrganizationFactory
from tests.factories.pilots import (
    BookingFactory,
    EquipmentFactory,
    PilotBaseFactory,
    PilotServiceFactory,
    ServiceRequestFactory,
)
from tests.files import pdf_upload
from tests.security.matrix import LOGIN, PUBLIC, SIGNED_IN, Row, assert_rows, expect, thing

pytestmark = pytest.mark.django_db

# Records -----------------------------------------------------------------------------------------------


@thing
def pe_third_operator(w):
    return OrganizationFactory(name="矩阵第三方中试公司", kind=OrganizationKind.PILOT_OPERATOR)


@thing
def pe_third_enterprise(w):
    return OrganizationFactory(name="矩阵第三方制造企业", kind=OrganizationKind.ENTERPRISE)


@thing
def pe_draft_base(w):
    """The home organization's base, not filed yet: only its operator and staff see it."""
    return PilotBaseFactory(
        operator=w.home, name="矩阵化工中试基地（草稿）", status=FilingStatus.DRAFT, approved_at=None, filing_number=""
    )


@thing
def pe_filed_own_base(w):
    return PilotBaseFactory(operator=w.home, name="矩阵新材料中试基地")


@thing
def pe_filed_other_base(w):
    return PilotBaseFactory(operator=w.pe_third_operator, name="矩阵第三方中试基地")


@thing
def pe_own_equipment(w):
    return EquipmentFactory(base=w.pe_filed_own_base, name="矩阵反应釜")


@thing
def pe_own_service(w):
    return PilotServiceFactory(base=w.pe_filed_own_base, name="矩阵放大服务")


@thing
def pe_base_file(w):
    return private_file_store(
        uploaded=pdf_upload("备案材料.pdf"), uploaded_by=w.actor_owner, organization=w.home, parent=w.pe_draft_base
    )


@thing
def pe_request_asked(w):
    """The home organization asks a third operator's base: owner and member are the requester."""
    return ServiceRequestFactory(base=w.pe_filed_other_base, organization=w.home, requested_by=w.actor_owner)


@thing
def pe_request_operated(w):
    """A third enterprise asks the home organization's filed base: owner and member are the operator."""
    return ServiceRequestFactory(base=w.pe_filed_own_base, organization=w.pe_third_enterprise)


@thing
def pe_request_accepted(w):
    return ServiceRequestFactory(
        base=w.pe_filed_own_base, organization=w.pe_third_enterprise, status=RequestStatus.ACCEPTED
    )


@thing
def pe_booking(w):
    return BookingFactory(equipment=w.pe_own_equipment, request=w.pe_request_accepted)


@thing
def pe_event(w):
    """An open event run by the bureau's event organizers; the home organization is registered."""
    return EventFactory(
        title="矩阵新能源路演", kind=EventKind.ROADSHOW, organizer=OrganizationFactory(name="矩阵科技局", kind="bureau")
    )


@thing
def pe_registration(w):
    return RegistrationFactory(event=w.pe_event, user=w.actor_owner, organization=w.home)


@thing
def pe_third_registration(w):
    return RegistrationFactory(event=w.pe_event, organization=w.pe_third_enterprise)


@thing
def pe_meeting(w):
    """The third enterprise asks the home organization for a 1:1 meeting."""
    start = w.pe_event.starts_at + timedelta(hours=2)
    return Meeting.objects.create(
        event=w.pe_event,
        requester=w.pe_third_registration,
        invitee=w.pe_registration,
        starts_at=start,
        ends_at=start + timedelta(minutes=20),
        topic="电解液添加剂合作",
        status=MeetingStatus.REQUESTED,
    )


@thing
def pe_achievement(w):
    return AchievementFactory(organization=w.home, title="矩阵固态电池隔膜")


@thing
def pe_presentation(w):
    return Presentation.objects.create(
        event=w.pe_event,
        achievement=w.pe_achievement,
        organization=w.home,
        applied_by=w.actor_owner,
        presenter_name="张教授",
        status=PresentationStatus.APPLIED,
    )


@thing
def pe_intent(w):
    return LetterOfIntent.objects.create(
        event=w.pe_event,
        seller=w.home,
        buyer=w.pe_third_enterprise,
        achievement=w.pe_achievement,
        title="固态电池隔膜许可意向",
        amount=300_000,
        recorded_by=w.actor_organizer,
    )


def _base(name):
    return lambda w: {"pk": getattr(w, name).pk}


# The table ---------------------------------------------------------------------------------------------

# The home organization's own non-public base: its members and bureau staff; everyone else 404.
OWN_BASE_VIEW = expect(404, org=200, staff=200)
# Pages and actions of the operator's workspace: the operator's members only (staff review in the admin).
OPERATOR_PAGE = expect(404, anon=LOGIN, partners=LOGIN, org=200)
OPERATOR_ACTION = expect(404, anon=LOGIN, partners=LOGIN, org=302)
# A request seen by its parties and staff; an action of the other side is refused (403), others 404.
# Posted empty, the side's forms come back with errors (200); a one-click step redirects (302).
REQUESTER_SIDE = expect(404, anon=LOGIN, partners=LOGIN, org=200, staff=403)
OPERATOR_SIDE = expect(404, anon=LOGIN, partners=LOGIN, org=200, staff=403)
OPERATOR_STEP = expect(404, anon=LOGIN, partners=LOGIN, org=302, staff=403)
# Pages that need a membership: people without one (broker, expert, staff actors) are sent to join one.
WITH_ORGANIZATION = expect(302, anon=LOGIN, partners=LOGIN, org=200, foreign=200)
# An event's management pages: the event-organizer staff and administrators.
ORGANIZER_PAGE = expect(404, anon=LOGIN, partners=LOGIN, organizer=200, administrator=200)
ORGANIZER_ACTION = expect(404, anon=LOGIN, partners=LOGIN, organizer=302, administrator=302)
STAFF_PAGE = expect(404, anon=LOGIN, partners=LOGIN, staff=200)
# Steps of the attendee's own (a meeting they were invited to): the person, not their colleagues.
ATTENDEE_ACTION = expect(404, anon=LOGIN, partners=LOGIN, owner=302)

PILOT_ROWS: list[Row] = [
    # Directory and public base pages
    Row("pilots:list", PUBLIC),
    Row("pilots:detail", PUBLIC, kwargs=_base("pe_filed_other_base")),
    Row("pilots:detail", OWN_BASE_VIEW, kwargs=_base("pe_draft_base"), note="a draft base is not public"),
    Row("pilots:calendar", PUBLIC, kwargs=_base("pe_filed_other_base")),
    Row("pilots:calendar", OWN_BASE_VIEW, kwargs=_base("pe_draft_base")),
    Row(
        "pilots:request-new",
        SIGNED_IN,
        kwargs=_base("pe_filed_other_base"),
        note="people without an organization (expert, staff) are told to join one first",
    ),
    Row(
        "pilots:request-new",
        SIGNED_IN,
        method="POST",
        kwargs=_base("pe_filed_other_base"),
        note="empty form: errors",
    ),
    Row(
        "pilots:request-new",
        expect(404, anon=LOGIN, partners=LOGIN),
        kwargs=_base("pe_draft_base"),
        note="only filed bases take requests, even from their own operator",
    ),
    # Service requests: the two sides
    Row("pilots:requests", SIGNED_IN),
    Row(
        "pilots:request",
        expect(404, anon=LOGIN, partners=LOGIN, org=200, staff=200),
        kwargs=_base("pe_request_asked"),
    ),
    Row("pilots:request-withdraw", REQUESTER_SIDE, method="POST", kwargs=_base("pe_request_asked")),
    Row(
        "pilots:request-accept",
        OPERATOR_SIDE,
        method="POST",
        kwargs=_base("pe_request_operated"),
        note="the operator accepts at the list price: a request without a service needs a quote first",
    ),
    Row("pilots:request-quote", OPERATOR_SIDE, method="POST", kwargs=_base("pe_request_operated")),
    Row("pilots:request-decline", OPERATOR_SIDE, method="POST", kwargs=_base("pe_request_operated")),
    Row("pilots:request-book", OPERATOR_SIDE, method="POST", kwargs=_base("pe_request_accepted")),
    Row("pilots:request-start", OPERATOR_STEP, method="POST", kwargs=_base("pe_request_accepted")),
    Row("pilots:request-complete", OPERATOR_SIDE, method="POST", kwargs=_base("pe_request_accepted")),
    Row(
        "pilots:request-quote",
        expect(404, anon=LOGIN, partners=LOGIN, org=403, staff=403),
        method="POST",
        kwargs=_base("pe_request_asked"),
        note="the requester may not quote its own request",
    ),
    # The operator's workspace
    Row("pilots:mine", SIGNED_IN),
    Row("pilots:create", WITH_ORGANIZATION),
    Row("pilots:create", WITH_ORGANIZATION, method="POST", note="empty form: errors"),
    Row("pilots:edit", OPERATOR_PAGE, kwargs=_base("pe_draft_base")),
    Row("pilots:edit", OPERATOR_PAGE, method="POST", kwargs=_base("pe_draft_base"), note="empty form: errors"),
    Row("pilots:apply", OPERATOR_ACTION, method="POST", kwargs=_base("pe_draft_base")),
    Row("pilots:file-upload", OPERATOR_ACTION, method="POST", kwargs=_base("pe_draft_base")),
    Row(
        "pilots:file-delete",
        OPERATOR_ACTION,
        method="POST",
        kwargs=lambda w: {"pk": w.pe_draft_base.pk, "file_id": w.pe_base_file.pk},
    ),
    Row("pilots:equipment-new", OPERATOR_PAGE, kwargs=_base("pe_filed_own_base")),
    Row("pilots:equipment-new", OPERATOR_PAGE, method="POST", kwargs=_base("pe_filed_own_base")),
    Row("pilots:equipment-edit", OPERATOR_PAGE, kwargs=_base("pe_own_equipment")),
    Row("pilots:equipment-edit", OPERATOR_PAGE, method="POST", kwargs=_base("pe_own_equipment")),
    Row("pilots:equipment-delete", OPERATOR_ACTION, method="POST", kwargs=_base("pe_own_equipment")),
    Row("pilots:equipment-block", OPERATOR_ACTION, method="POST", kwargs=_base("pe_own_equipment")),
    Row("pilots:booking-cancel", OPERATOR_ACTION, method="POST", kwargs=_base("pe_booking")),
    Row("pilots:service-new", OPERATOR_PAGE, kwargs=_base("pe_filed_own_base")),
    Row("pilots:service-new", OPERATOR_PAGE, method="POST", kwargs=_base("pe_filed_own_base")),
    Row("pilots:service-edit", OPERATOR_PAGE, kwargs=_base("pe_own_service")),
    Row("pilots:service-edit", OPERATOR_PAGE, method="POST", kwargs=_base("pe_own_service")),
    Row("pilots:service-delete", OPERATOR_ACTION, method="POST", kwargs=_base("pe_own_service")),
]

EVENT_ROWS: list[Row] = [
    # The public calendar
    Row("events:list", PUBLIC),
    Row("events:month", PUBLIC, kwargs=lambda w: {"year": w.pe_event.starts_at.year, "month": 1}),
    Row("events:feed", PUBLIC),
    Row("events:detail", PUBLIC, kwargs=_base("pe_event")),
    Row("events:event-ics", PUBLIC, kwargs=_base("pe_event")),
    Row(
        "events:register",
        expect(302, anon=LOGIN, partners=LOGIN),
        method="POST",
        kwargs=_base("pe_event"),
        note="one organization: registered for it (to the ticket); none: back to the event with a message",
    ),
    # Attendees
    Row("events:mine", SIGNED_IN),
    Row(
        "events:ticket",
        expect(404, anon=LOGIN, partners=LOGIN, owner=200, organizer=200, administrator=200),
        kwargs=_base("pe_registration"),
        note="a ticket is the person's own: a colleague gets 404",
    ),
    Row(
        "events:ticket-qr",
        expect(404, anon=LOGIN, partners=LOGIN, owner=200, organizer=200, administrator=200),
        kwargs=_base("pe_registration"),
        note="the attendee's QR code, which the organizers may show at the door too",
    ),
    Row(
        "events:registration-cancel",
        expect(404, anon=LOGIN, partners=LOGIN, owner=302, organizer=302, administrator=302),
        method="POST",
        kwargs=_base("pe_registration"),
    ),
    Row(
        "events:agenda",
        expect(404, anon=LOGIN, partners=LOGIN, owner=200, organizer=200, administrator=200),
        kwargs=_base("pe_event"),
        note="the attendee's personal agenda; organizers see the event's",
    ),
    Row(
        "events:meeting-request",
        expect(404, anon=LOGIN, partners=LOGIN, owner=400, organizer=302, administrator=302),
        method="POST",
        kwargs=_base("pe_event"),
        note="empty form: 400 with errors for the attendee; organizers are sent to the agenda",
    ),
    Row("events:meeting-accept", ATTENDEE_ACTION, method="POST", kwargs=_base("pe_meeting")),
    Row("events:meeting-decline", ATTENDEE_ACTION, method="POST", kwargs=_base("pe_meeting")),
    Row("events:meeting-cancel", ATTENDEE_ACTION, method="POST", kwargs=_base("pe_meeting")),
    Row("events:present", SIGNED_IN, kwargs=_base("pe_event")),
    Row("events:present", SIGNED_IN, method="POST", kwargs=_base("pe_event"), note="empty form: errors"),
    Row("events:presentation-withdraw", OPERATOR_ACTION, method="POST", kwargs=_base("pe_presentation")),
    Row("events:intent-deal", OPERATOR_ACTION, method="POST", kwargs=_base("pe_intent")),
    # Organizers
    Row("events:organized", ORGANIZER_PAGE),
    Row("events:create", ORGANIZER_PAGE),
    Row("events:create", ORGANIZER_PAGE, method="POST", note="empty form: errors"),
    Row("events:yearly", STAFF_PAGE, note="every bureau staff group reads the yearly count"),
    Row("events:manage", ORGANIZER_PAGE, kwargs=_base("pe_event")),
    Row("events:edit", ORGANIZER_PAGE, kwargs=_base("pe_event")),
    Row("events:edit", ORGANIZER_PAGE, method="POST", kwargs=_base("pe_event"), note="empty form: errors"),
    Row(
        "events:transition",
        ORGANIZER_ACTION,
        method="POST",
        kwargs=lambda w: {"pk": w.pe_event.pk, "action": "close"},
    ),
    Row("events:registrations-export", ORGANIZER_PAGE, kwargs=_base("pe_event")),
    Row("events:check-in", ORGANIZER_PAGE, kwargs=_base("pe_event")),
    Row("events:check-in", ORGANIZER_PAGE, method="POST", kwargs=_base("pe_event"), note="no token: error"),
    Row("events:presentation-schedule", ORGANIZER_ACTION, method="POST", kwargs=_base("pe_presentation")),
    Row("events:presentation-reject", ORGANIZER_ACTION, method="POST", kwargs=_base("pe_presentation")),
    Row("events:intent-new", expect(405, anon=LOGIN, partners=LOGIN), kwargs=_base("pe_event")),
    Row(
        "events:intent-new",
        ORGANIZER_ACTION,
        method="POST",
        kwargs=_base("pe_event"),
        note="empty form: back to the event's intents with the errors",
    ),
    Row("events:report", STAFF_PAGE, kwargs=_base("pe_event"), note="every bureau staff group reads reports"),
]

ROWS = PILOT_ROWS + EVENT_ROWS


def test_matrix_pilot_bases(world):
    assert_rows(world, PILOT_ROWS)


def test_matrix_events(world):
    assert_rows(world, EVENT_ROWS)


def test_the_base_file_belongs_to_the_draft_base(world):
    """The file-delete row points at a real file of the base (else its 404s would prove nothing)."""
    file = world.pe_base_file
    assert (file.parent_type, file.parent_id) == (ContentType.objects.get_for_model(PilotBase), world.pe_draft_base.pk)
    assert world.pe_registration.organization == world.home
    assert timezone.now() < world.pe_event.starts_at
