"""Broker training pages: the public course list and course page (brokers enrol there), and the
bureau's yearly report by level with its Excel export."""

from __future__ import annotations

from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from brokers import services_training
from brokers.enums import Level
from brokers.models import BrokerProfile, Course, Enrolment
from marketplace import rules as market_rules

PAGE_SIZE = 20


def _courses():
    return Course.objects.annotate(enrolled=Count("enrolments"))


@require_GET
def course_list(request):
    """Upcoming and running courses (soonest first), then past ones (latest first), by level."""
    level = request.GET.get("level", "")
    level = level if level in Level.values else ""
    courses = _courses().filter(level=level) if level else _courses()
    today = timezone.localdate()
    past = Paginator(courses.filter(ends_on__lt=today).order_by("-starts_on", "-pk"), PAGE_SIZE)
    context = {
        "upcoming": courses.filter(ends_on__gte=today).order_by("starts_on", "pk"),
        "past": past.get_page(request.GET.get("page")),
        "level": level,
        "levels": Level.choices,
        "querystring": f"level={level}" if level else "",
    }
    return render(request, "brokers/training/list.html", context)


@require_GET
def course_detail(request, pk: int):
    course = get_object_or_404(_courses(), pk=pk)
    profile = BrokerProfile.objects.filter(user=request.user).first() if request.user.is_authenticated else None
    enrolment = Enrolment.objects.filter(course=course, profile=profile).first() if profile else None
    context = {
        "course": course,
        "profile": profile,
        "enrolment": enrolment,
        "ended": course.ends_on < timezone.localdate(),
        "full": course.capacity is not None and course.enrolled >= course.capacity,
    }
    return render(request, "brokers/training/detail.html", context)


@login_required
@require_POST
def enrol(request, pk: int):
    """The signed-in broker enrols on the course; a refusal comes back as a message."""
    course = get_object_or_404(Course, pk=pk)
    profile = BrokerProfile.objects.filter(user=request.user).first()
    if profile is None:
        messages.error(request, _("File as a broker first, then enrol on courses."))
        return redirect("brokers:course", pk=course.pk)
    try:
        services_training.enrolment_create(course=course, profile=profile, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("You are enrolled on “%(title)s”.") % {"title": course.title})
    return redirect("brokers:course", pk=course.pk)


# The bureau's report -------------------------------------------------------------------------


def _report_year(request) -> int:
    year = request.GET.get("year", "")
    return int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else timezone.localdate().year


def _report(request) -> tuple[int, list[dict], dict]:
    if not market_rules.is_bureau_staff(request.user):
        raise PermissionDenied
    year = _report_year(request)
    rows = services_training.yearly_counts(year)
    total = {key: sum(row[key] for row in rows) for key in ("courses", "enrolled", "completed", "hours")}
    return year, rows, total


@login_required
@require_GET
def training_report(request):
    year, rows, total = _report(request)
    this_year = timezone.localdate().year
    context = {"year": year, "rows": rows, "total": total, "years": range(this_year + 1, this_year - 6, -1)}
    return render(request, "brokers/training/report.html", context)


@login_required
@require_GET
def training_report_xlsx(request):
    year, rows, total = _report(request)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(year)
    sheet.append([_("Level"), _("Courses"), _("Enrolled"), _("Completed"), _("Training hours completed")])
    for row in rows:
        sheet.append([str(row["label"]), row["courses"], row["enrolled"], row["completed"], row["hours"]])
    sheet.append([_("Total"), total["courses"], total["enrolled"], total["completed"], total["hours"]])
    for cell in (*sheet[1], *sheet[sheet.max_row]):
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["E"].width = 20
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = _("Broker training %(year)s.xlsx") % {"year": year}
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
