"""Event services: lifecycle, registration with capacity and waiting list (racing on PostgreSQL),
check-in tokens, roadshow slots, 1:1 meetings that never clash, letters of intent and deals,
the post-event figures and the yearly count."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events import selectors, services
from events.enums import EventStatus, MeetingStatus, PresentationStatus, RegistrationStatus
from events.models import Event, Registration
from marketplace.enums import DealOrigin, MembershipRole, StaffGroup
from marketplace.models import IndustryField, Notification, OutgoingMail, Region, TransitionLog
from tests.concurrency import postgresql_only, run_together
from tests.factories.achievements import AchievementFactory
from tests.factories.events import EventFactory, RegistrationFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def later(days=10, hour=14):
    return timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)


def event_fields(**overrides):
    fields = {
        "title": "校企牵手、卡位入链·智能制造专场",
        "kind": "matchmaking",
        "region": Region.objects.get(code="370202"),
        "summary": "高校院所智能制造成果与链主企业对接",
        "starts_at": later(),
        "ends_at": later() + timedelta(hours=3),
        "venue": "青岛国际会议中心",
        "capacity": 100,
        "registration_opens_at": timezone.now(),
        "registration_closes_at": later() - timedelta(days=1),
    }
    fields.update(overrides)
    return fields


# Lifecycle ----------------------------------------------------------------------------------


def test_an_agency_publishes_its_own_event_without_review(agency, organizer, stranger):
    event = services.event_create(
        user=organizer,
        organizer=agency,
        industry_fields=IndustryField.objects.filter(code="intelligent-manufacturing"),
        **event_fields(),
    )
    assert event.status == EventStatus.DRAFT and not event.is_public
    services.event_publish(event=event, user=organizer)
    assert event.status == EventStatus.PUBLISHED and event.published_at
    assert list(selectors.public_events()) == [event]
    with pytest.raises(PermissionDenied):  # not its event
        services.event_update(event=event, user=stranger, title="改名")
    with pytest.raises(PermissionDenied):  # an enterprise does not organize market events
        services.event_create(user=stranger, organizer=stranger.memberships.get().organization, **event_fields())


def test_event_organizer_staff_organize_for_any_organizer(event_staff, enterprise):
    event = services.event_create(user=event_staff, organizer=enterprise, **event_fields())
    services.event_publish(event=event, user=event_staff)
    assert event.is_public


def test_an_unverified_agency_cannot_organize(db):
    agency = OrganizationFactory(kind="service_agency", unverified=True)
    user = MembershipFactory(organization=agency).user
    with pytest.raises(PermissionDenied):
        services.event_create(user=user, organizer=agency, **event_fields())


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"ends_at": later() - timedelta(hours=1)}, "ends_at"),
        ({"registration_closes_at": timezone.now() - timedelta(days=1)}, "registration_closes_at"),
        ({"registration_closes_at": later() + timedelta(days=2)}, "registration_closes_at"),
        ({"venue": "", "online_url": ""}, "venue"),
    ],
)
def test_bad_times(agency, organizer, overrides, field):
    with pytest.raises(ValidationError) as error:
        services.event_create(user=organizer, organizer=agency, **event_fields(**overrides))
    assert field in error.value.message_dict
    assert not Event.objects.exists()


def test_cancellation_tells_everyone_registered(event, organizer, buyer, enterprise):
    services.register(event=event, user=buyer, organization=enterprise)
    with pytest.raises(ValidationError):
        services.event_cancel(event=event, user=organizer, reason="")
    services.event_cancel(event=event, user=organizer, reason="台风预警，活动取消")
    assert event.status == EventStatus.CANCELLED
    assert Notification.objects.filter(user=buyer, kind="events.cancelled").exists()
    assert OutgoingMail.objects.filter(to=buyer.email, purpose="event.cancelled").exists()
    with pytest.raises(ValidationError):
        services.register(event=event, user=buyer, organization=enterprise)


def test_held_and_reported(event, organizer):
    with pytest.raises(ValidationError):  # not started
        services.event_mark_held(event=event, user=organizer)
    Event.objects.filter(pk=event.pk).update(
        starts_at=timezone.now() - timedelta(hours=2),
        registration_closes_at=timezone.now() - timedelta(hours=3),
        registration_opens_at=timezone.now() - timedelta(days=3),
    )
    event.refresh_from_db()
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED)
    services.event_mark_held(event=event, user=organizer)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CANCELLED
    services.event_report(event=event, user=organizer, report="到场 80 人，达成意向 5 项，现场签约 2 项。")
    assert event.status == EventStatus.REPORTED
    assert list(
        TransitionLog.objects.filter(object_id=event.pk, field="status")
        .order_by("pk")
        .values_list("to_status", flat=True)
    ) == ["held", "reported"]


# Registration -------------------------------------------------------------------------------


def test_capacity_then_waiting_list_then_promotion(event, buyer, enterprise, professor, university):
    third_user = MembershipFactory(organization=enterprise).user
    first = services.register(event=event, user=buyer, organization=enterprise)
    second = services.register(event=event, user=professor, organization=university)
    third = services.register(event=event, user=third_user, organization=enterprise)
    assert [r.status for r in (first, second, third)] == ["confirmed", "confirmed", "waitlisted"]
    assert selectors.waitlist_position(third) == 1
    # the confirmation e-mail carries the .ics file
    confirmation = OutgoingMail.objects.get(to=buyer.email, purpose="event.confirmed")
    assert confirmation.attachments[0]["mimetype"] == "text/calendar"
    assert "BEGIN:VEVENT" in confirmation.attachments[0]["content"]
    assert "国重面对面·新能源专场" in confirmation.attachments[0]["content"]
    assert not OutgoingMail.objects.filter(to=third_user.email, purpose="event.confirmed").exists()

    with pytest.raises(ValidationError, match="已报名"):
        services.register(event=event, user=buyer, organization=enterprise)

    services.registration_cancel(registration=first, user=buyer)
    third.refresh_from_db()
    assert third.status == RegistrationStatus.CONFIRMED
    assert OutgoingMail.objects.filter(to=third_user.email, purpose="event.confirmed").exists()
    # cancelled people may register again (at the end of the queue)
    again = services.register(event=event, user=buyer, organization=enterprise)
    assert again.status == RegistrationStatus.WAITLISTED


def test_the_confirmation_mail_is_sent_with_its_attachment(
    event, buyer, enterprise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.register(event=event, user=buyer, organization=enterprise)
    message = next(m for m in mail.outbox if buyer.email in m.to)
    name, content, mimetype = message.attachments[0]
    assert (name, mimetype) == (f"event-{event.pk}.ics", "text/calendar")
    assert "DTSTART" in content


def test_a_larger_capacity_confirms_the_waiting_list(event, organizer, enterprise):
    registrations = [RegistrationFactory(event=event, organization=enterprise) for _ in range(2)]
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED, confirmed_at=None)
    with pytest.raises(ValidationError):
        services.event_update(event=event, user=organizer, capacity=1)
    services.event_update(event=event, user=organizer, capacity=3)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED and len(registrations) == 2


def test_outside_the_window(event, buyer, enterprise):
    Event.objects.filter(pk=event.pk).update(registration_opens_at=timezone.now() + timedelta(days=1))
    event.refresh_from_db()
    with pytest.raises(ValidationError, match="报名将于"):
        services.register(event=event, user=buyer, organization=enterprise)
    Event.objects.filter(pk=event.pk).update(
        registration_opens_at=timezone.now() - timedelta(days=3),
        registration_closes_at=timezone.now() - timedelta(days=1),
    )
    event.refresh_from_db()
    with pytest.raises(ValidationError, match="报名已截止"):
        services.register(event=event, user=buyer, organization=enterprise)
    with pytest.raises(PermissionDenied):  # only for one's own organization
        services.register(event=event, user=buyer, organization=OrganizationFactory())
    assert not Registration.objects.exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ups_never_exceed_the_capacity():
    event = EventFactory(capacity=3)
    people = [MembershipFactory() for _ in range(8)]
    results = run_together(
        [lambda m=m: services.register(event=event, user=m.user, organization=m.organization) for m in people]
    )
    statuses = sorted(r.status for r in results if isinstance(r, Registration))
    assert statuses.count("confirmed") == 3 and statuses.count("waitlisted") == 5
    assert Registration.objects.filter(event=event, status="confirmed").count() == 3


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_cancellations_promote_each_waiting_person_once():
    event = EventFactory(capacity=2)
    confirmed = [RegistrationFactory(event=event) for _ in range(2)]
    waiting = [RegistrationFactory(event=event, status="waitlisted", confirmed_at=None) for _ in range(3)]
    run_together([lambda r=r: services.registration_cancel(registration=r, user=r.user) for r in confirmed])
    assert Registration.objects.filter(event=event, status="confirmed").count() == 2
    assert set(Registration.objects.filter(event=event, status="confirmed").values_list("pk", flat=True)) == {
        waiting[0].pk,
        waiting[1].pk,
    }


# Check-in -----------------------------------------------------------------------------------


def test_check_in_by_signed_token(event, organizer, buyer, enterprise, stranger):
    registration = services.register(event=event, user=buyer, organization=enterprise)
    token = services.check_in_token(registration)
    with pytest.raises(PermissionDenied):
        services.check_in(event=event, token=token, user=stranger)
    checked = services.check_in(event=event, token=token, user=organizer)
    first_time = checked.checked_in_at
    assert first_time is not None and checked.checked_in_by == organizer
    assert services.check_in(event=event, token=token, user=organizer).checked_in_at == first_time  # scanned twice
    forged = signing.dumps({"r": registration.pk, "e": event.pk}, salt="something-else")
    for bad in (forged, token[:-2] + "xx", "nonsense"):
        with pytest.raises(ValidationError, match="有效入场凭证"):
            services.check_in(event=event, token=bad, user=organizer)
    other_event = EventFactory(organizer=event.organizer)
    with pytest.raises(ValidationError, match="其他活动"):
        services.check_in(event=other_event, token=token, user=organizer)


def test_a_waiting_ticket_does_not_check_in(event, organizer, enterprise):
    waiting = RegistrationFactory(event=event, status=RegistrationStatus.WAITLISTED, confirmed_at=None)
    with pytest.raises(ValidationError):
        services.check_in(event=event, token=services.check_in_token(waiting), user=organizer)


# Roadshow line-up -----------------------------------------------------------------------------


def test_presentations_are_selected_into_slots_that_never_overlap(event, organizer, professor, university):
    one = AchievementFactory(organization=university, title="固态电解质界面调控技术")
    two = AchievementFactory(organization=university, title="钠离子电池正极材料")
    applied = services.presentation_apply(event=event, user=professor, achievement=one, presenter_name="张教授")
    with pytest.raises(ValidationError):
        services.presentation_apply(event=event, user=professor, achievement=one, presenter_name="张教授")
    second = services.presentation_apply(event=event, user=professor, achievement=two, presenter_name="李教授")
    start = event.starts_at + timedelta(minutes=20)
    services.presentation_schedule(
        presentation=applied, user=organizer, starts_at=start, ends_at=start + timedelta(minutes=15)
    )
    with pytest.raises(ValidationError, match="重叠"):
        services.presentation_schedule(
            presentation=second,
            user=organizer,
            starts_at=start + timedelta(minutes=10),
            ends_at=start + timedelta(minutes=25),
        )
    with pytest.raises(ValidationError):  # outside the event
        services.presentation_schedule(
            presentation=second, user=organizer, starts_at=event.ends_at, ends_at=event.ends_at + timedelta(minutes=15)
        )
    services.presentation_schedule(
        presentation=second,
        user=organizer,
        starts_at=start + timedelta(minutes=15),
        ends_at=start + timedelta(minutes=30),
    )
    assert [p.achievement.title for p in selectors.line_up(event)] == ["固态电解质界面调控技术", "钠离子电池正极材料"]
    with pytest.raises(PermissionDenied):
        services.presentation_apply(event=event, user=organizer, achievement=one, presenter_name="冒名")
    services.presentation_reject(presentation=second, user=organizer, reason="时间有限")
    assert second.status == PresentationStatus.REJECTED and second.slot_starts_at is None


# Meetings -----------------------------------------------------------------------------------


def test_meetings_never_clash_for_either_side(event, buyer, enterprise, professor, university):
    event.capacity = 10
    event.save()
    mine = services.register(event=event, user=buyer, organization=enterprise)
    theirs = services.register(event=event, user=professor, organization=university)
    third_person = MembershipFactory(organization=OrganizationFactory(kind="institute"))
    third = services.register(event=event, user=third_person.user, organization=third_person.organization)
    slot = event.starts_at + timedelta(hours=2)
    meeting = services.meeting_request(
        event=event, user=buyer, invitee=theirs, starts_at=slot, topic="电池热失控预警合作"
    )
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=20)
    # the professor is busy then, whoever asks
    with pytest.raises(ValidationError, match=f"{professor}在"):
        services.meeting_request(
            event=event,
            user=third_person.user,
            invitee=theirs,
            starts_at=slot + timedelta(minutes=10),
            topic="另一个话题",
        )
    # and so is the buyer
    with pytest.raises(ValidationError, match="您在"):
        services.meeting_request(
            event=event, user=buyer, invitee=third, starts_at=slot + timedelta(minutes=5), topic="又一个"
        )
    with pytest.raises(PermissionDenied):  # only the invitee answers
        services.meeting_accept(meeting=meeting, user=buyer)
    meeting = services.meeting_accept(meeting=meeting, user=professor)
    assert meeting.status == MeetingStatus.ACCEPTED
    assert [m.topic for m in selectors.agenda(event, mine)] == ["电池热失控预警合作"]
    services.meeting_cancel(meeting=meeting, user=buyer)
    # the slot is free again
    services.meeting_request(event=event, user=third_person.user, invitee=theirs, starts_at=slot, topic="再约")


def test_meeting_bad_input(event, buyer, enterprise, professor, university):
    theirs = services.register(event=event, user=professor, organization=university)
    with pytest.raises(ValidationError, match="报名并确认"):  # not registered
        services.meeting_request(event=event, user=buyer, invitee=theirs, starts_at=event.starts_at, topic="t")
    services.register(event=event, user=buyer, organization=enterprise)
    with pytest.raises(ValidationError):  # before the event
        services.meeting_request(
            event=event, user=buyer, invitee=theirs, starts_at=event.starts_at - timedelta(hours=1), topic="t"
        )
    with pytest.raises(ValidationError):
        services.meeting_request(
            event=event,
            user=buyer,
            invitee=theirs,
            starts_at=event.starts_at,
            ends_at=event.starts_at - timedelta(minutes=5),
            topic="t",
        )
    with pytest.raises(ValidationError):  # with oneself
        services.meeting_request(
            event=event,
            user=buyer,
            invitee=selectors.registration_of(event, buyer),
            starts_at=event.starts_at,
            topic="t",
        )


# Outcomes -----------------------------------------------------------------------------------


def test_intents_and_deals_count_in_the_report(event, organizer, buyer, enterprise, professor, university, stranger):
    achievement = AchievementFactory(organization=university, title="钠离子电池正极材料")
    registration = services.register(event=event, user=buyer, organization=enterprise)
    services.check_in(event=event, token=services.check_in_token(registration), user=organizer)
    with pytest.raises(PermissionDenied):
        services.intent_record(event=event, user=stranger, seller=university, buyer=enterprise, title="x")
    with pytest.raises(ValidationError):  # the achievement is the seller's
        services.intent_record(
            event=event, user=organizer, seller=enterprise, buyer=university, title="x", achievement=achievement
        )
    intent = services.intent_record(
        event=event,
        user=organizer,
        seller=university,
        buyer=enterprise,
        achievement=achievement,
        title="",
        amount=Decimal("1200000"),
    )
    assert intent.title == "钠离子电池正极材料"
    with pytest.raises(PermissionDenied):  # the organizer records, the parties deal
        services.intent_start_deal(intent=intent, user=organizer)
    deal = services.intent_start_deal(intent=intent, user=buyer)
    assert (deal.origin, deal.seller, deal.buyer) == (DealOrigin.EVENT, university, enterprise)
    with pytest.raises(ValidationError):
        services.intent_start_deal(intent=intent, user=professor)

    figures = selectors.report_figures(event)
    assert (figures.registered, figures.confirmed, figures.checked_in) == (1, 1, 1)
    assert (figures.intents, figures.intended_amount, figures.deals, figures.deals_signed) == (
        1,
        Decimal("1200000"),
        1,
        0,
    )
    assert figures.attendance_rate == 1.0


def test_yearly_counts_against_the_target(settings, agency):
    settings.EVENTS = {"YEARLY_TARGET": 4}
    year = timezone.localdate().year
    moment = timezone.make_aware(timezone.datetime(year, 3, 1, 14))
    for kind, status in [
        ("roadshow", "held"),
        ("matchmaking", "reported"),
        ("matchmaking", "held"),
        ("matchmaking", "cancelled"),
        ("training", "published"),
    ]:
        EventFactory(
            organizer=agency,
            kind=kind,
            status=status,
            starts_at=moment,
            ends_at=moment + timedelta(hours=2),
            registration_opens_at=moment - timedelta(days=9),
            registration_closes_at=moment - timedelta(days=1),
        )
    counts = selectors.yearly_counts(year)
    assert (counts.held, counts.target, counts.progress) == (3, 4, 0.75)
    assert counts.by_kind == {"roadshow": 1, "matchmaking": 2}
    assert selectors.yearly_counts(year - 1).held == 0


def test_only_staff_groups_are_event_organizers(event, buyer):
    staff = UserFactory(staff_groups=[StaffGroup.REVIEWER])
    assert not staff.has_perm("events.change_event", event)
    organizer_staff = UserFactory(staff_groups=[StaffGroup.EVENT_ORGANIZER])
    assert organizer_staff.has_perm("events.change_event", event)
    member = MembershipFactory(organization=event.organizer, role=MembershipRole.MEMBER).user
    assert member.has_perm("events.change_event", event)
    assert not buyer.has_perm("events.change_event", event)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_meeting_requests_for_one_slot_book_it_once():
    event = EventFactory(capacity=20)
    presenter = RegistrationFactory(event=event)
    asking = [RegistrationFactory(event=event) for _ in range(5)]
    slot = event.starts_at + timedelta(hours=1)
    results = run_together(
        [
            lambda r=r: services.meeting_request(
                event=event, user=r.user, invitee=presenter, starts_at=slot, topic="合作"
            )
            for r in asking
        ]
    )
    assert sum(1 for r in results if not isinstance(r, ValidationError)) == 1
    assert presenter.meetings_invited.filter(status=MeetingStatus.REQUESTED).count() == 1


def test_the_public_calendar_never_carries_the_online_link(agency):
    from events.calendar import calendar_for

    event = EventFactory(organizer=agency, venue="", online_url="https://meeting.example.cn/j/123456")
    public = calendar_for([event]).to_ical().decode()
    assert "meeting.example.cn" not in public
    assert "meeting.example.cn" in services.ics(event)  # a confirmed registrant's own file


def test_an_enterprise_named_organizer_does_not_manage_the_event(event_staff, enterprise, buyer):
    event = services.event_create(user=event_staff, organizer=enterprise, **event_fields())
    assert not buyer.has_perm("events.change_event", event)
    assert event_staff.has_perm("events.change_event", event)


def test_an_edit_does_not_undo_a_cancellation_taken_meanwhile(event, organizer):
    stale = Event.objects.get(pk=event.pk)
    services.event_cancel(event=event, user=organizer, reason="场地临时关闭")
    with pytest.raises(ValidationError):
        services.event_update(event=stale, user=organizer, title="改名")
    event.refresh_from_db()
    assert event.status == EventStatus.CANCELLED


def test_no_meeting_with_someone_who_cancelled_meanwhile(event, buyer, enterprise, professor, university):
    services.register(event=event, user=buyer, organization=enterprise)
    theirs = services.register(event=event, user=professor, organization=university)
    stale = Registration.objects.get(pk=theirs.pk)
    services.registration_cancel(registration=theirs, user=professor)
    with pytest.raises(ValidationError):
        services.meeting_request(event=event, user=buyer, invitee=stale, starts_at=event.starts_at, topic="合作")
