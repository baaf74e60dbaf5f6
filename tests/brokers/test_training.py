"""Broker training: courses, enrolment (capacity, twice, after the end), attendance, completion
certificates, training hours, the yearly counts by level, the pages, the admin and the export."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from brokers import services_training
from brokers.enums import FilingStatus, Level
from brokers.models import Course, Enrolment
from tests.concurrency import postgresql_only, run_together
from tests.factories.brokers import BrokerProfileFactory
from tests.factories.marketplace import UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def make_course(**fields) -> Course:
    """A junior 16-hour course running next week unless told otherwise."""
    start = TODAY() + timedelta(days=7)
    values = {
        "title": "技术经纪人初级培训班",
        "level": Level.JUNIOR,
        "hours": 16,
        "starts_on": start,
        "ends_on": start + timedelta(days=2),
        "provider": "青岛市技术市场服务中心",
    }
    values.update(fields)
    return Course.objects.create(**values)


def enrolled(course, profile, *, attended=False, completed=False, number=None) -> Enrolment:
    """An enrolment written directly (past courses refuse new enrolments through the service)."""
    return Enrolment.objects.create(
        course=course,
        profile=profile,
        attended=attended or completed,
        completed_on=course.ends_on if completed else None,
        certificate_number=number,
    )


def page_of(response) -> str:
    return response.content.decode()


# Courses -------------------------------------------------------------------------------------


def test_staff_create_and_update_a_course(reviewer):
    start = TODAY() + timedelta(days=10)
    course = services_training.course_create(
        user=reviewer,
        title="中级经纪人研修",
        level=Level.INTERMEDIATE,
        hours=32,
        starts_on=start,
        ends_on=start + timedelta(days=3),
        provider="常州科技大市场",
        capacity=40,
    )
    services_training.course_update(course=course, user=reviewer, capacity=50)
    course.refresh_from_db()
    assert (course.level, course.hours, course.capacity) == (Level.INTERMEDIATE, 32, 50)


def test_a_course_ending_before_it_starts_or_without_hours_is_refused_in_chinese(reviewer):
    start = date(2026, 5, 10)
    with pytest.raises(ValidationError) as ended:
        services_training.course_create(
            user=reviewer, title="甲", level="junior", hours=8, starts_on=start, ends_on=start - timedelta(days=1),
            provider="乙",
        )  # fmt: skip
    with pytest.raises(ValidationError) as no_hours:
        services_training.course_create(
            user=reviewer, title="甲", level="junior", hours=0, starts_on=start, ends_on=start, provider="乙"
        )
    assert ended.value.message_dict == {"ends_on": [_("A course ends on or after the day it starts.")]}
    assert no_hours.value.message_dict == {"hours": [_("A course lasts at least one hour.")]}
    assert not Course.objects.exists()


def test_only_staff_create_courses(broker):
    with pytest.raises(PermissionDenied):
        services_training.course_create(
            user=broker.user, title="甲", level="junior", hours=8, starts_on=TODAY(), ends_on=TODAY(), provider="乙"
        )


def test_capacity_cannot_drop_below_the_enrolments(reviewer):
    course = make_course(capacity=3)
    for profile in BrokerProfileFactory.create_batch(2):
        services_training.enrolment_create(course=course, profile=profile, user=profile.user)
    with pytest.raises(ValidationError):
        services_training.course_update(course=course, user=reviewer, capacity=1)
    assert Course.objects.get().capacity == 3


# Enrolment -----------------------------------------------------------------------------------


def test_a_filed_broker_enrols_themselves_and_staff_enrol_a_broker(reviewer):
    course = make_course()
    applied = BrokerProfileFactory(status=FilingStatus.APPLIED, approved_at=None)
    other = BrokerProfileFactory()
    services_training.enrolment_create(course=course, profile=applied, user=applied.user)
    services_training.enrolment_create(course=course, profile=other, user=reviewer)
    assert set(course.enrolments.values_list("profile", flat=True)) == {applied.pk, other.pk}


def test_a_broker_cannot_enrol_someone_else_and_suspended_brokers_cannot_enrol(broker):
    course = make_course()
    with pytest.raises(PermissionDenied):
        services_training.enrolment_create(course=course, profile=BrokerProfileFactory(), user=broker.user)
    suspended = BrokerProfileFactory(status=FilingStatus.SUSPENDED)
    with pytest.raises(ValidationError):
        services_training.enrolment_create(course=course, profile=suspended, user=suspended.user)
    assert not Enrolment.objects.exists()


def test_enrolling_twice_is_refused_with_a_clear_error(broker):
    course = make_course()
    services_training.enrolment_create(course=course, profile=broker, user=broker.user)
    with pytest.raises(ValidationError) as refused:
        services_training.enrolment_create(course=course, profile=broker, user=broker.user)
    assert refused.value.messages == [_("This broker is enrolled on the course already.")]
    assert Enrolment.objects.count() == 1


def test_a_full_course_and_an_ended_course_refuse_enrolment():
    full = make_course(capacity=1)
    first, second = BrokerProfileFactory.create_batch(2)
    services_training.enrolment_create(course=full, profile=first, user=first.user)
    with pytest.raises(ValidationError) as no_place:
        services_training.enrolment_create(course=full, profile=second, user=second.user)
    ended = make_course(starts_on=TODAY() - timedelta(days=5), ends_on=TODAY() - timedelta(days=1))
    with pytest.raises(ValidationError) as too_late:
        services_training.enrolment_create(course=ended, profile=second, user=second.user)
    assert no_place.value.messages == [_("This course is full.")]
    assert too_late.value.messages == [_("This course has ended.")]
    assert Enrolment.objects.count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_enrolments_never_exceed_the_capacity():
    course = make_course(capacity=2)
    brokers = BrokerProfileFactory.create_batch(6)
    results = run_together(
        [
            lambda profile=profile: services_training.enrolment_create(
                course=course, profile=profile, user=profile.user
            )
            for profile in brokers
        ]
    )
    winners = [result for result in results if isinstance(result, Enrolment)]
    assert len(winners) == 2
    assert [result.messages for result in results if result not in winners] == [[_("This course is full.")]] * 4
    assert Enrolment.objects.filter(course=course).count() == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_enrolment_of_one_broker_enrols_once():
    course = make_course()
    profile = BrokerProfileFactory()
    results = run_together(
        [lambda: services_training.enrolment_create(course=course, profile=profile, user=profile.user)] * 3
    )
    assert sum(isinstance(result, Enrolment) for result in results) == 1
    assert Enrolment.objects.filter(course=course, profile=profile).count() == 1


# Attendance and completion -------------------------------------------------------------------


def test_completion_requires_attendance(reviewer, broker):
    enrolment = enrolled(make_course(), broker)
    with pytest.raises(ValidationError) as refused:
        services_training.enrolment_complete(enrolment=enrolment, user=reviewer)
    enrolment.refresh_from_db()
    assert refused.value.messages == [_("Only a broker who attended completes the course.")]
    assert (enrolment.completed_on, enrolment.certificate_number) == (None, None)


def test_completion_issues_numbered_unique_certificates_and_counts_the_hours(reviewer):
    course = make_course(hours=24)
    other_course = make_course(hours=8)
    first, second = BrokerProfileFactory.create_batch(2)
    enrolments = [enrolled(course, first), enrolled(course, second), enrolled(other_course, first)]
    for enrolment in enrolments:
        services_training.attendance_record(enrolment=enrolment, attended=True, user=reviewer)
        services_training.enrolment_complete(enrolment=enrolment, user=reviewer)
    year = TODAY().year
    assert [e.certificate_number for e in enrolments] == [
        f"PX{year}-{course.pk:04d}-0001",
        f"PX{year}-{course.pk:04d}-0002",
        f"PX{year}-{other_course.pk:04d}-0001",
    ]
    assert all(e.completed_on == TODAY() for e in enrolments)
    assert (services_training.training_hours(first), services_training.training_hours(second)) == (32, 24)


def test_completing_twice_or_unattending_a_completed_enrolment_is_refused(reviewer, broker):
    enrolment = enrolled(make_course(), broker, attended=True)
    services_training.enrolment_complete(enrolment=enrolment, user=reviewer)
    number = enrolment.certificate_number
    with pytest.raises(ValidationError):
        services_training.enrolment_complete(enrolment=enrolment, user=reviewer)
    with pytest.raises(ValidationError):
        services_training.attendance_record(enrolment=enrolment, attended=False, user=reviewer)
    enrolment.refresh_from_db()
    assert (enrolment.attended, enrolment.certificate_number) == (True, number)


def test_brokers_do_not_record_their_own_attendance(broker):
    enrolment = enrolled(make_course(), broker)
    with pytest.raises(PermissionDenied):
        services_training.attendance_record(enrolment=enrolment, attended=True, user=broker.user)
    with pytest.raises(PermissionDenied):
        services_training.enrolment_complete(enrolment=enrolment, user=broker.user)


# Yearly counts -------------------------------------------------------------------------------


@pytest.fixture
def year_2025():
    """2025: two junior courses (16 h, 8 h), one senior (40 h); a 2024 junior course outside it.
    Junior: 3 + 1 enrolled, 2 + 1 completed → 2×16 + 8 = 40 h. Senior: 2 enrolled, 1 completed → 40 h."""
    a, b, c, d = BrokerProfileFactory.create_batch(4)
    junior = make_course(hours=16, starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 2))
    short = make_course(hours=8, starts_on=date(2025, 12, 30), ends_on=date(2026, 1, 2))
    senior = make_course(level=Level.SENIOR, hours=40, starts_on=date(2025, 6, 1), ends_on=date(2025, 6, 5))
    older = make_course(hours=99, starts_on=date(2024, 12, 1), ends_on=date(2024, 12, 2))
    enrolled(junior, a, completed=True, number="PX2025-A")
    enrolled(junior, b, completed=True, number="PX2025-B")
    enrolled(junior, c, attended=True)
    enrolled(short, a, completed=True, number="PX2026-C")
    enrolled(senior, c, completed=True, number="PX2025-D")
    enrolled(senior, d)
    enrolled(older, d, completed=True, number="PX2024-E")


def test_yearly_counts_by_level_match_the_hand_count(year_2025, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = services_training.yearly_counts(2025)
    assert [(r["level"], r["courses"], r["enrolled"], r["completed"], r["hours"]) for r in rows] == [
        ("junior", 2, 4, 3, 40),
        ("intermediate", 0, 0, 0, 0),
        ("senior", 1, 2, 1, 40),
    ]


def test_yearly_counts_of_a_year_without_courses_are_zeros(year_2025):
    assert [
        (r["courses"], r["enrolled"], r["completed"], r["hours"]) for r in services_training.yearly_counts(2030)
    ] == [(0, 0, 0, 0)] * 3


# Pages ---------------------------------------------------------------------------------------


def test_course_list_shows_upcoming_and_past_courses_filtered_by_level(client):
    make_course(title="初级实务班")
    make_course(title="高级研修班", level=Level.SENIOR, capacity=30)
    make_course(title="去年的初级班", starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 2))

    everything = page_of(client.get(reverse("brokers:courses")))
    juniors = page_of(client.get(reverse("brokers:courses"), {"level": "junior"}))

    upcoming, past = everything.split('id="past-courses"')
    assert "初级实务班" in upcoming and "高级研修班" in upcoming
    assert escape(_("%(enrolled)s of %(capacity)s places taken") % {"enrolled": 0, "capacity": 30}) in upcoming
    assert "去年的初级班" in past and "去年的初级班" not in upcoming
    assert "初级实务班" in juniors and "高级研修班" not in juniors


def test_course_list_queries_stay_flat(client, django_assert_num_queries):
    make_course(title="一")
    make_course(title="旧", starts_on=date(2024, 2, 1), ends_on=date(2024, 2, 2))
    client.get(reverse("brokers:courses"))  # warm caches (sessions, site settings)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("brokers:courses"))
    for index in range(3):
        enrolled(make_course(title=f"多{index}"), BrokerProfileFactory())
        make_course(title=f"旧{index}", starts_on=date(2024, 1, index + 1), ends_on=date(2024, 1, index + 2))
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(reverse("brokers:courses"))


def test_a_broker_enrols_from_the_course_page_and_sees_the_enrolment(login, broker):
    course = make_course(title="技术合同登记实务", capacity=10)
    client = login(broker.user)

    before = page_of(client.get(reverse("brokers:course", args=[course.pk])))
    response = client.post(reverse("brokers:enrol", args=[course.pk]), follow=True)
    again = client.post(reverse("brokers:enrol", args=[course.pk]), follow=True)

    assert reverse("brokers:enrol", args=[course.pk]) in before
    assert [str(m) for m in response.context["messages"]] == [
        _("You are enrolled on “%(title)s”.") % {"title": "技术合同登记实务"}
    ]
    assert escape(_("You enrolled on %(date)s.") % {"date": TODAY().isoformat()}) in page_of(response)
    assert reverse("brokers:enrol", args=[course.pk]) not in page_of(response)
    assert [str(m) for m in again.context["messages"]] == [_("This broker is enrolled on the course already.")]
    assert Enrolment.objects.filter(course=course, profile=broker).count() == 1


def test_the_course_page_offers_no_enrol_button_to_visitors_or_after_the_end(client, login):
    upcoming = make_course()
    ended = make_course(starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 2))
    visitor = page_of(client.get(reverse("brokers:course", args=[upcoming.pk])))
    late = page_of(login(BrokerProfileFactory().user).get(reverse("brokers:course", args=[ended.pk])))
    assert (
        reverse("brokers:enrol", args=[upcoming.pk]) not in visitor
        and escape(_("Brokers enrol on courses.")) in visitor
    )
    assert escape(_("This course has ended.")) in late and reverse("brokers:enrol", args=[ended.pk]) not in late


def test_enrolling_needs_a_login_and_a_broker_profile(client, login):
    course = make_course()
    anonymous = client.post(reverse("brokers:enrol", args=[course.pk]))
    nobody = login(UserFactory()).post(reverse("brokers:enrol", args=[course.pk]), follow=True)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert [str(m) for m in nobody.context["messages"]] == [_("File as a broker first, then enrol on courses.")]
    assert not Enrolment.objects.exists()


def test_the_profile_page_lists_trainings_hours_and_certificates_and_prefills_the_upgrade(login, broker):
    done = make_course(title="初级培训", hours=24, starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 3))
    enrolled(done, broker, completed=True, number="PX2025-0001-0001")
    enrolled(make_course(title="中级研修", level=Level.INTERMEDIATE), broker)

    response = login(broker.user).get(reverse("brokers:profile"))
    training = page_of(response).split('id="training"')[1].split("</table>")[0]

    assert escape(_("%(hours)s training hours completed.") % {"hours": 24}) in page_of(response)
    assert "初级培训" in training and "中级研修" in training and "PX2025-0001-0001" in training
    assert response.context["upgrade_form"]["training_hours"].value() == 24


# The bureau's report -------------------------------------------------------------------------


def test_the_training_report_shows_the_counts_to_bureau_staff_only(login, reviewer, broker, year_2025):
    response = login(reviewer).get(reverse("brokers:training-report"), {"year": "2025"})
    refused = login(broker.user).get(reverse("brokers:training-report"), {"year": "2025"})
    refused_export = login(broker.user).get(reverse("brokers:training-report-xlsx"), {"year": "2025"})

    table = page_of(response).split('id="training-report"')[1].split("</table>")[0]
    cells = [
        [cell.split(">", 1)[1] for cell in row.split("</td>")[:-1]]
        for row in table.split("<tr")[2:]  # after the header row
    ]
    assert [[c.rsplit(">", 1)[-1] for c in row] for row in cells] == [
        [str(Level.JUNIOR.label), "2", "4", "3", "40"],
        [str(Level.INTERMEDIATE.label), "0", "0", "0", "0"],
        [str(Level.SENIOR.label), "1", "2", "1", "40"],
        [_("Total"), "3", "6", "4", "80"],
    ]
    assert (refused.status_code, refused_export.status_code) == (403, 403)


def test_the_excel_export_holds_the_same_table(login, reviewer, year_2025):
    response = login(reviewer).get(reverse("brokers:training-report-xlsx"), {"year": "2025"})
    sheet = load_workbook(BytesIO(response.content)).active
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert sheet.title == "2025"
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        [_("Level"), _("Courses"), _("Enrolled"), _("Completed"), _("Training hours completed")],
        [str(Level.JUNIOR.label), 2, 4, 3, 40],
        [str(Level.INTERMEDIATE.label), 0, 0, 0, 0],
        [str(Level.SENIOR.label), 1, 2, 1, 40],
        [_("Total"), 3, 6, 4, 80],
    ]


# The admin -----------------------------------------------------------------------------------


def _act(client, action, pks):
    return client.post(
        reverse("admin:brokers_enrolment_changelist"), {"action": action, "_selected_action": pks}, follow=True
    )


def test_admin_actions_mark_attended_then_complete_with_certificates(login, reviewer):
    course = make_course()
    present, absent = [enrolled(course, profile) for profile in BrokerProfileFactory.create_batch(2)]
    client = login(reviewer)

    _act(client, "mark_attended", [present.pk])
    completed = _act(client, "complete", [present.pk, absent.pk])

    present.refresh_from_db()
    absent.refresh_from_db()
    assert present.attended and present.certificate_number == f"PX{TODAY().year}-{course.pk:04d}-0001"
    assert not absent.attended and absent.certificate_number is None
    assert any(_("Only a broker who attended completes the course.") in str(m) for m in completed.context["messages"])


def test_admin_course_add_and_attendance_inline_go_through_the_services(login, reviewer, broker):
    client = login(reviewer)
    start = TODAY() + timedelta(days=3)
    course_fields = {
        "title": "技术经纪人高级研修班",
        "level": "senior",
        "hours": "40",
        "starts_on": start.isoformat(),
        "ends_on": start.isoformat(),
        "provider": "淄博市科技局",
        "capacity": "",
        "description": "",
        "enrolments-TOTAL_FORMS": "0",
        "enrolments-INITIAL_FORMS": "0",
    }
    bad = client.post(reverse("admin:brokers_course_add"), {**course_fields, "hours": "0"})
    client.post(reverse("admin:brokers_course_add"), course_fields)
    course = Course.objects.get()
    enrolment = enrolled(course, broker)
    client.post(
        reverse("admin:brokers_course_change", args=[course.pk]),
        {
            **course_fields,
            "enrolments-TOTAL_FORMS": "1",
            "enrolments-INITIAL_FORMS": "1",
            "enrolments-0-id": str(enrolment.pk),
            "enrolments-0-course": str(course.pk),
            "enrolments-0-attended": "on",
        },
    )
    change_page = client.get(reverse("admin:brokers_course_change", args=[course.pk]))

    enrolment.refresh_from_db()
    assert bad.status_code == 200 and Course.objects.count() == 1
    assert (course.title, course.hours) == ("技术经纪人高级研修班", 40)
    assert enrolment.attended
    assert escape(str(broker)) in page_of(change_page)


def test_brokers_do_not_reach_the_training_admin(login, broker):
    client = login(broker.user)
    assert client.get(reverse("admin:brokers_course_changelist")).status_code in (302, 403)
