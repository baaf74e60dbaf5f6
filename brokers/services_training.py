"""Broker training (技术经纪人培训): courses, enrolment, attendance, completion certificates, and
the bureau's yearly counts by level."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from brokers.enums import FilingStatus, Level
from brokers.models import BrokerProfile, Course, Enrolment
from marketplace import rules as market_rules
from marketplace.models import User

COURSE_FIELDS = ("title", "level", "hours", "starts_on", "ends_on", "provider", "capacity", "description")
# Brokers whose filing is under way or approved take courses (training often precedes approval).
ENROLLING_STATUSES = (FilingStatus.APPLIED, FilingStatus.CONFIRMED, FilingStatus.ACTIVE)


def _require(user, permission: str, obj=None) -> None:
    if not user.has_perm(permission, obj):
        raise PermissionDenied


def _check_course(course: Course) -> None:
    """The model's check constraints, as field errors in Chinese before the database sees them."""
    errors = {}
    if course.hours is not None and course.hours <= 0:
        errors["hours"] = _("A course lasts at least one hour.")
    if course.starts_on and course.ends_on and course.ends_on < course.starts_on:
        errors["ends_on"] = _("A course ends on or after the day it starts.")
    if errors:
        raise ValidationError(errors)
    course.full_clean()


@transaction.atomic
def course_create(*, user: User, **fields) -> Course:
    """Bureau staff publish a course."""
    _require(user, "brokers.add_course")
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    course = Course(**fields)
    _check_course(course)
    course.save()
    return course


@transaction.atomic
def course_update(*, course: Course, user: User, **fields) -> Course:
    """Bureau staff change a course. Capacity may not drop below the enrolments taken."""
    _require(user, "brokers.change_course", course)
    unknown = set(fields) - set(COURSE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(course, name, value)
    _check_course(course)
    if course.capacity is not None and course.enrolments.count() > course.capacity:
        raise ValidationError({"capacity": _("More brokers are enrolled than this number of places.")})
    course.save()
    return course


@transaction.atomic
def enrolment_create(*, course: Course, profile: BrokerProfile, user: User) -> Enrolment:
    """A broker (filed or active) enrols themselves, or bureau staff enrol a broker.

    The course row is locked while places are counted, so concurrent enrolments never exceed
    the capacity and the same broker cannot be enrolled twice."""
    is_staff = market_rules.is_bureau_staff(user)
    if not is_staff and not (user.is_authenticated and profile.user_id == user.pk):
        raise PermissionDenied(_("You enrol yourself only."))
    if profile.status not in ENROLLING_STATUSES:
        raise ValidationError(_("Only brokers with a filing under way or approved enrol on courses."))
    course = Course.objects.select_for_update().get(pk=course.pk)
    if course.ends_on < timezone.localdate():
        raise ValidationError(_("This course has ended."))
    if Enrolment.objects.filter(course=course, profile=profile).exists():
        raise ValidationError(_("This broker is enrolled on the course already."))
    if course.capacity is not None and course.enrolments.count() >= course.capacity:
        raise ValidationError(_("This course is full."))
    return Enrolment.objects.create(course=course, profile=profile)


@transaction.atomic
def attendance_record(*, enrolment: Enrolment, attended: bool, user: User) -> Enrolment:
    """Bureau staff record whether the broker attended. A completed enrolment keeps its attendance."""
    _require(user, "brokers.change_enrolment", enrolment)
    if enrolment.completed_on is not None and not attended:
        raise ValidationError(_("A completed enrolment keeps its attendance."))
    enrolment.attended = attended
    enrolment.save(update_fields=["attended"])
    return enrolment


@transaction.atomic
def enrolment_complete(*, enrolment: Enrolment, user: User) -> Enrolment:
    """Bureau staff complete an attended enrolment and issue the completion certificate,
    numbered PX{year}-{course id:04d}-{sequence in the course:04d}.

    The course row is locked while the next number is taken, so concurrent completions on a
    course never share a number (the column is also unique)."""
    _require(user, "brokers.change_enrolment", enrolment)
    Course.objects.select_for_update().filter(pk=enrolment.course_id).get()
    enrolment.refresh_from_db()
    if enrolment.completed_on is not None:
        raise ValidationError(_("This enrolment is completed already."))
    if not enrolment.attended:
        raise ValidationError(_("Only a broker who attended completes the course."))
    today = timezone.localdate()
    sequence = Enrolment.objects.filter(course_id=enrolment.course_id, certificate_number__isnull=False).count() + 1
    enrolment.completed_on = today
    enrolment.certificate_number = f"PX{today.year}-{enrolment.course_id:04d}-{sequence:04d}"
    enrolment.save(update_fields=["completed_on", "certificate_number"])
    return enrolment


def training_hours(profile: BrokerProfile) -> int:
    """The hours of the courses the broker completed (evidence for a level upgrade)."""
    return profile.enrolments.filter(completed_on__isnull=False).aggregate(hours=Sum("course__hours"))["hours"] or 0


def yearly_counts(year: int) -> list[dict]:
    """Per level (junior, intermediate, senior), for the courses starting in `year`: courses,
    enrolments, completions and the training hours completed (course hours × completions).
    One aggregate query; levels without courses show zeros."""
    completed = Q(enrolments__completed_on__isnull=False)
    rows = {
        row["level"]: row
        for row in Course.objects.filter(starts_on__year=year)
        .order_by()
        .values("level")
        .annotate(
            courses=Count("pk", distinct=True),
            enrolled=Count("enrolments"),
            completed=Count("enrolments", filter=completed),
            hours=Sum("hours", filter=completed),
        )
    }
    return [
        {
            "level": level,
            "label": label,
            "courses": rows.get(level, {}).get("courses", 0),
            "enrolled": rows.get(level, {}).get("enrolled", 0),
            "completed": rows.get(level, {}).get("completed", 0),
            "hours": rows.get(level, {}).get("hours") or 0,
        }
        for level, label in Level.choices
    ]
