"""The monthly institution report (月度通报) as an Excel workbook."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def _sheet(workbook, title: str, header: list[str], rows: list[list]) -> None:
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for index, name in enumerate(header, start=1):
        width = max([len(str(name)), *(len(str(row[index - 1] or "")) for row in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width * 1.6, 10), 60)


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def month_report_workbook(organization, report: dict) -> bytes:
    """An .xlsx with one sheet per section of the report (summary first)."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = pgettext("report sheet", "Summary")
    summary.append([_("Organization"), organization.name])
    summary.append([_("Month"), report["month"].strftime("%Y-%m")])
    summary.append([_("New achievements"), len(report["new"])])
    summary.append([_("Published this month"), len(report["published"])])
    summary.append([_("Transferred this month"), len(report["transferred"])])
    summary.append([_("Open problems"), len(report["open_problems"])])
    summary.append([_("Inquiries received"), len(report["inquiries"])])
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 40

    achievement_header = [_("Title"), _("Category"), _("TRL"), _("Status"), _("Created"), _("Published at")]

    def achievement_rows(items):
        return [
            [
                a.title,
                a.get_category_display(),
                a.trl,
                a.get_status_display(),
                _local(a.created_at),
                _local(a.published_at),
            ]
            for a in items
        ]

    _sheet(workbook, _("New this month"), achievement_header, achievement_rows(report["new"]))
    _sheet(workbook, _("Published this month"), achievement_header, achievement_rows(report["published"]))
    _sheet(workbook, _("Transferred this month"), achievement_header, achievement_rows(report["transferred"]))
    _sheet(
        workbook,
        _("Open problems"),
        [_("Achievement"), _("Obstacle"), _("Owning department"), _("Status"), _("Raised")],
        [
            [p.achievement.title, p.obstacle, p.department, p.get_status_display(), _local(p.created_at)]
            for p in report["open_problems"]
        ],
    )
    _sheet(
        workbook,
        _("Inquiries"),
        [_("Achievement"), _("From"), _("Subject"), _("Status"), _("Decline reason"), _("Received at")],
        [
            [
                i.achievement.title,
                i.organization.name,
                i.subject,
                i.get_status_display(),
                i.get_decline_reason_display(),
                _local(i.created_at),
            ]
            for i in report["inquiries"]
        ],
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
