"""The demand board as an Excel sheet, built from presentations (so it masks like the page)."""

from __future__ import annotations

from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

MAX_ROWS = 5000


def board_workbook(items) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Demands")
    header = [
        _("Title"), _("Enterprise"), _("Region"), _("Demand type"), _("Industry fields"), _("Summary"),
        _("Budget"), _("Deadline"), _("Published"), _("Link"),
    ]  # fmt: skip
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    from django.conf import settings

    for view in items:
        demand = view.demand
        sheet.append(
            [
                demand.title,
                view.enterprise_name,
                view.region_name,
                demand.get_demand_type_display(),
                "、".join(field.name for field in demand.industry_fields.all()),
                demand.summary,
                view.budget_text if view.details else "—",
                demand.deadline.isoformat() if demand.deadline else "",
                timezone.localtime(demand.published_at).strftime("%Y-%m-%d") if demand.published_at else "",
                settings.SITE_URL + demand.get_absolute_url(),
            ]
        )
    for column, width in zip("ABCDEFGHIJ", (40, 30, 20, 12, 24, 50, 16, 12, 12, 40), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
