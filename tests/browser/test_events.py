from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from events import services
from events.enums import EventKind, MeetingStatus, RegistrationStatus
from events.models import Meeting, Presentation, Registration
from events.views_attendee import check_in_url
from marketplace.enums import MembershipRole, OrganizationKind
from marketplace.models import OutgoingMail, User
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in, _log_out
from tests.factories.achievements import AchievementFactory
from tests.factories.events import EventFactory
from tests.factories.marketplace import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_enterprise_registers_receives_the_ticket_and_is_checked_in_at_the_door(page):
    agency = OrganizationFactory(name="青岛技术市场服务中心", kind=OrganizationKind.SERVICE_AGENCY)
    MembershipFactory(organization=agency, user__username="organizer", user__name="周主任", role=MembershipRole.ADMIN)
    event = EventFactory(organizer=agency, title="国重面对面·新能源专场", capacity=30)
    enterprise = OrganizationFactory(name="青岛储能科技有限公司", kind=OrganizationKind.ENTERPRISE)
    MembershipFactory(organization=enterprise, user__username="buyer", user__name="李经理", role=MembershipRole.ADMIN)

    # The enterprise finds the event in the calendar and registers.
    _log_in(page, "buyer")
    page.goto("/events/")
    expect(page.locator("#events")).to_contain_text("国重面对面·新能源专场")
    expect(page.locator("#events")).to_contain_text("青岛技术市场服务中心")
    screenshot(page, "events-list")
    page.locator("#events").get_by_role("link", name="国重面对面·新能源专场").click()
    expect(page.locator("#event")).to_contain_text("青岛国际创新园 A 座报告厅")
    expect(page.locator("#agenda")).to_contain_text("14:20 成果路演")
    page.locator("#register_note").fill("希望对接储能电池项目")
    screenshot(page, "events-detail")
    page.locator("#register-form button[type=submit]").click()

    # The ticket: confirmed, with the QR code for the door.
    expect(page.locator(".alert-success")).to_contain_text("国重面对面·新能源专场")
    expect(page.locator("#ticket-attendee")).to_contain_text("青岛储能科技有限公司")
    qr = page.locator("#qr img")
    expect(qr).to_be_visible()
    qr_response = page.request.get(qr.get_attribute("src"))
    assert qr_response.ok and qr_response.headers["content-type"] == "image/svg+xml"
    expect(qr).to_have_js_property("complete", True)
    assert qr.evaluate("img => img.naturalWidth") > 0
    screenshot(page, "events-ticket")
    registration = Registration.objects.get()
    assert (registration.status, registration.note) == (RegistrationStatus.CONFIRMED, "希望对接储能电池项目")

    # The confirmation e-mail went out with the event's .ics.
    mail = OutgoingMail.objects.get(to=registration.user.email, purpose="event.confirmed")
    assert mail.attachments[0]["name"] == f"event-{event.pk}.ics"
    assert "BEGIN:VEVENT" in mail.attachments[0]["content"]
    assert "国重面对面·新能源专场" in mail.subject or "国重面对面·新能源专场" in mail.body_text

    page.goto("/events/my/")
    expect(page.locator("#upcoming")).to_contain_text("国重面对面·新能源专场")
    screenshot(page, "events-mine")
    _log_out(page)

    # At the door the organizer scans the code: it opens the check-in page with the token.
    _log_in(page, "organizer")
    page.goto(check_in_url(registration).removeprefix(settings.SITE_URL))
    expect(page.locator("#attendee")).to_contain_text("李经理")
    expect(page.locator("#attendee")).to_contain_text("青岛储能科技有限公司")
    screenshot(page, "events-check-in-scanned")
    page.locator("#confirm-check-in").click()
    expect(page.locator(".alert-success")).to_contain_text("李经理")
    screenshot(page, "events-checked-in")
    registration.refresh_from_db()
    assert registration.checked_in_at is not None
    assert registration.checked_in_by.username == "organizer"
    _log_out(page)

    # The attendee's ticket now shows the time of the check-in.
    _log_in(page, "buyer")
    page.goto(f"/events/registrations/{registration.pk}/")
    expect(page.locator("#checked-in")).to_be_visible()


def test_a_professor_presents_at_a_roadshow_and_an_enterprise_books_a_meeting(page):
    agency = OrganizationFactory(name="青岛技术市场服务中心", kind=OrganizationKind.SERVICE_AGENCY)
    MembershipFactory(organization=agency, user__username="organizer", user__name="周主任", role=MembershipRole.ADMIN)
    roadshow = EventFactory(organizer=agency, kind=EventKind.ROADSHOW, title="钠电池成果路演", capacity=None)
    university = OrganizationFactory(name="青岛大学", kind=OrganizationKind.UNIVERSITY)
    professor = MembershipFactory(
        organization=university, user__username="professor", user__name="王教授", role=MembershipRole.ADMIN
    ).user
    AchievementFactory(organization=university, title="钠离子电池正极材料")
    enterprise = OrganizationFactory(name="青岛储能科技有限公司", kind=OrganizationKind.ENTERPRISE)
    buyer = MembershipFactory(
        organization=enterprise, user__username="buyer", user__name="李经理", role=MembershipRole.ADMIN
    ).user

    # The professor applies to present the achievement and registers.
    _log_in(page, "professor")
    page.goto(f"/events/{roadshow.pk}/")
    page.locator("#apply-to-present").click()
    page.locator("#id_achievement").select_option(label="钠离子电池正极材料")
    page.locator("#id_pitch").fill("能量密度提升 20%，寻求中试合作伙伴。")
    page.locator("#present-form button[type=submit]").click()
    expect(page.locator("#applications")).to_contain_text("钠离子电池正极材料")
    screenshot(page, "events-present")
    presentation = Presentation.objects.get()
    services.presentation_schedule(
        presentation=presentation,
        user=User.objects.get(username="organizer"),
        starts_at=roadshow.starts_at + timedelta(minutes=20),
        ends_at=roadshow.starts_at + timedelta(minutes=35),
    )
    services.register(event=roadshow, user=professor, organization=university)
    _log_out(page)

    # The enterprise sees the line-up, registers and asks the presenter for a meeting.
    services.register(event=roadshow, user=buyer, organization=enterprise)
    _log_in(page, "buyer")
    page.goto(f"/events/{roadshow.pk}/")
    expect(page.locator("#line-up")).to_contain_text("钠离子电池正极材料")
    screenshot(page, "events-roadshow")
    page.goto(f"/events/{roadshow.pk}/agenda/")
    meeting_at = timezone.localtime(roadshow.starts_at + timedelta(hours=2))
    page.locator("#meeting_invitee").select_option(index=1)
    page.locator("#meeting_starts_at").fill(meeting_at.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#meeting_topic").fill("正极材料技术许可")
    page.locator("#meeting-form button[type=submit]").click()
    expect(page.locator("#meetings")).to_contain_text("正极材料技术许可")
    expect(page.locator("#meetings")).to_contain_text(meeting_at.strftime("%H:%M"))
    screenshot(page, "events-agenda")
    _log_out(page)

    # The presenter accepts it on their agenda.
    _log_in(page, "professor")
    page.goto(f"/events/{roadshow.pk}/agenda/")
    expect(page.locator("#meetings")).to_contain_text("青岛储能科技有限公司")
    screenshot(page, "events-agenda-invited")
    page.locator("#meetings form[action$='/accept/'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert Meeting.objects.get().status == MeetingStatus.ACCEPTED

    page.goto(f"/events/month/{meeting_at.year}/{meeting_at.month}/")
    expect(page.locator("#month-grid")).to_contain_text("钠电池成果路演")
    screenshot(page, "events-month")
