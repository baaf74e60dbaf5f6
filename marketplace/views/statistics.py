"""The bureau's statistics console: the dashboard of registered technology contracts (KPIs,
cuts, yearly targets, the transfer-agency subsidy report) and the Excel export of each table.

Bureau staff only (statisticians and administrators are the audience; other staff may read);
anyone else signed in gets 404, visitors the login page. Everything is read through
marketplace.statistics, a fixed number of queries whatever the number of contracts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import wraps
from io import BytesIO
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from marketplace import rules as market_rules
from marketplace import statistics, statistics_bulletin
from marketplace.enums import PartyRole
from marketplace.statistics import GRANULARITIES, StatsFilter, StatsFilterForm

GRANULARITY_LABELS = {
    "month": gettext_lazy("By month"),
    "quarter": gettext_lazy("By quarter"),
    "year": gettext_lazy("By year"),
}


def statistics_staff_required(view):
    """Bureau staff only; other signed-in users get 404 (the console is not theirs to find)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not market_rules.is_bureau_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@dataclass
class Table:
    """One table of the console: its headers and rows, as shown and as exported."""

    key: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    numeric_from: int = 1  # columns from here on are figures (right-aligned)
    export_url: str = ""
    # Drill-down: the filter a row's first cell sets ("period", "category", "field" or "region")
    # and each row's key for it; `links` are filled in by the dashboard.
    drill: str = ""
    keys: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    @property
    def linked_rows(self):
        return zip(self.rows, self.links or [""] * len(self.rows), strict=True)


def percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else (value * 100).quantize(Decimal("0.01"))


def _amount_headers(first: str) -> list[str]:
    return [
        first,
        _("Registered contracts"),
        _("contract amount (yuan)"),
        _("technology transaction amount (yuan)"),
    ]


def _amount_rows(rows: list[statistics.Row]) -> list[list]:
    return [[row.label, row.count, row.total_amount, row.technology_amount] for row in rows]


def _drilled(table: Table, drill: str, rows: list[statistics.Row]) -> Table:
    table.drill, table.keys = drill, [row.key for row in rows]
    return table


def _period_table(f: StatsFilter, granularity: str, year: int) -> Table:
    rows = statistics.by_period(f, granularity)
    table = Table("period", str(GRANULARITY_LABELS[granularity]), _amount_headers(_("Period")), _amount_rows(rows))
    return _drilled(table, "period", rows)


def _category_table(f, granularity, year) -> Table:
    rows = statistics.by_category(f)
    table = Table("category", _("By contract category"), _amount_headers(_("contract category")), _amount_rows(rows))
    return _drilled(table, "category", rows)


def _field_table(f, granularity, year) -> Table:
    rows = statistics.by_field(f)
    table = Table("field", _("By industry field"), _amount_headers(_("industry field")), _amount_rows(rows))
    return _drilled(table, "field", rows)


def _region_table(role: str):
    def build(f, granularity, year) -> Table:
        buyer = role == PartyRole.BUYER
        rows = statistics.by_region(f, role)
        table = Table(
            f"{role}_region",
            _("By buyer's city") if buyer else _("By seller's city"),
            _amount_headers(_("City")),
            _amount_rows(rows),
        )
        return _drilled(table, "region", rows)

    return build


def _kind_table(role: str):
    def build(f, granularity, year) -> Table:
        buyer = role == PartyRole.BUYER
        rows = [
            [
                row.label,
                row.count,
                row.total_amount,
                row.technology_amount,
                "、".join(f"{kind} {count}" for kind, count in row.extra["organization_kinds"].items()),
            ]
            for row in statistics.by_kind(f, role)
        ]
        return Table(
            f"{role}_kind",
            _("By buyer's legal form") if buyer else _("By seller's legal form"),
            [*_amount_headers(_("legal form")), _("Organization kinds on the platform")],
            rows,
        )

    return build


def _targets_table(f, granularity, year) -> Table:
    rows = [
        [progress.label, progress.target.target, progress.actual, percent(progress.share)]
        for progress in statistics.targets_progress(year)
    ]
    return Table(
        "targets",
        _("Yearly targets %(year)s") % {"year": year},
        [_("Metric"), _("Target"), _("Actual"), _("Share reached (per cent)")],
        rows,
    )


def _subsidies_table(f, granularity, year) -> Table:
    rows = [
        [row.organization.name, row.contracts, row.technology_amount, percent(row.rate), row.subsidy]
        for row in statistics.agency_subsidies(f)
    ]
    return Table(
        "subsidies",
        _("Transfer-agency subsidies"),
        [
            _("Transfer agency"),
            _("Registered contracts"),
            _("technology transaction amount (yuan)"),
            _("Subsidy rate (per cent)"),
            _("Subsidy (yuan)"),
        ],
        rows,
    )


TABLES: dict[str, Callable[[StatsFilter, str, int], Table]] = {
    "period": _period_table,
    "category": _category_table,
    "field": _field_table,
    "buyer_region": _region_table(PartyRole.BUYER),
    "seller_region": _region_table(PartyRole.SELLER),
    "buyer_kind": _kind_table(PartyRole.BUYER),
    "seller_kind": _kind_table(PartyRole.SELLER),
    "targets": _targets_table,
    "subsidies": _subsidies_table,
}


def _granularity(request) -> str:
    value = request.GET.get("granularity", "")
    return value if value in GRANULARITIES else "month"


def _charts(tables: list[Table]) -> dict:
    """The charts' data, read by static/js/statistics-charts.js from json_script blocks: the
    period and category tables' amounts as numbers of yuan, labelled as in the tables."""
    rows = {table.key: table.rows for table in tables}
    turnover, technology = _("contract amount (yuan)"), _("technology transaction amount (yuan)")
    return {
        "periods": {
            "labels": [str(row[0]) for row in rows["period"]],
            "series": [
                {"label": turnover, "data": [float(row[2]) for row in rows["period"]]},
                {"label": technology, "data": [float(row[3]) for row in rows["period"]]},
            ],
        },
        "categories": {
            "labels": [str(row[0]) for row in rows["category"]],
            "series": [{"label": turnover, "data": [float(row[2]) for row in rows["category"]]}],
        },
    }


@statistics_staff_required
@require_GET
def dashboard(request):
    form = StatsFilterForm(data=StatsFilter.params(request.GET))
    granularity = _granularity(request)
    context = {
        "form": form,
        "granularity": granularity,
        "granularities": GRANULARITY_LABELS.items(),
        "bulletin_form": statistics_bulletin.BulletinForm(
            initial=statistics_bulletin.last_complete_month().as_query(), auto_id="bulletin_%s"
        ),
    }
    try:
        f = StatsFilter.from_form(form)
    except ValidationError:  # the form shows the messages; no figures for a bad filter
        return render(request, "statistics/dashboard.html", context)
    year = f.year
    conversion = statistics.local_conversion(f)
    tables = [build(f, granularity, year) for key, build in TABLES.items() if key != "targets"]
    query = f.as_query()
    for table in tables:
        table.export_url = "?" + urlencode({**query, "granularity": granularity, "table": table.key})
        table.links = [_drill_link(query, granularity, table.drill, key) for key in table.keys]
    context.update(
        {
            "filter": f,
            "year": year,
            "totals": statistics.totals(f),
            "conversion": conversion,
            "conversion_by_count": percent(conversion.rate_by_count),
            "conversion_by_amount": percent(conversion.rate_by_amount),
            "tables": tables,
            "targets": statistics.targets_progress(year),
            "targets_export": "?" + urlencode({**query, "table": "targets"}),
            "query": urlencode(query),
            "charts": _charts(tables),
        }
    )
    return render(request, "statistics/dashboard.html", context)


def _period_dates(key: str) -> tuple[date, date] | None:
    """The first and last day of a period row's key: 2026-03, 2026Q1 or 2026."""
    try:
        if "Q" in key:
            year, quarter = key.split("Q")
            first = date(int(year), 3 * int(quarter) - 2, 1)
            months = 3
        elif "-" in key:
            year, month = key.split("-")
            first, months = date(int(year), int(month), 1), 1
        else:
            first, months = date(int(key), 1, 1), 12
    except ValueError:
        return None
    following = date(first.year + (first.month + months - 1) // 12, (first.month + months - 1) % 12 + 1, 1)
    return first, following - timedelta(days=1)


def _drill_link(query: dict, granularity: str, drill: str, key: str) -> str:
    """The dashboard narrowed to one row: its period, category, field or city."""
    if not drill or not key:
        return ""
    narrowed = {**query, "granularity": granularity}
    if drill == "period":
        dates = _period_dates(key)
        if dates is None:
            return ""
        narrowed["date_from"], narrowed["date_to"] = (day.isoformat() for day in dates)
        narrowed["granularity"] = {"year": "quarter", "quarter": "month"}.get(granularity, "month")
    else:
        narrowed[drill] = key
    return "?" + urlencode(narrowed)


def table_workbook(table: Table) -> bytes:
    """One table as an Excel workbook: a bold header row, then the rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([str(value) if isinstance(value, Promise) else value for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@statistics_staff_required
@require_GET
def export(request):
    build = TABLES.get(request.GET.get("table", ""))
    if build is None:
        raise Http404
    try:
        f = StatsFilter.from_query(request.GET)
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages), content_type="text/plain; charset=utf-8")
    return xlsx_response(build(f, _granularity(request), f.year), prefix="statistics")


def xlsx_response(table: Table, *, prefix: str) -> HttpResponse:
    """A table downloaded as `<prefix>-<table>.xlsx`."""
    response = HttpResponse(
        table_workbook(table), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{prefix}-{table.key}.xlsx"'
    return response


# The statistical bulletin --------------------------------------------------------------------


def _bulletin_context(request):
    """(context, None) for a valid choice of period, else (None, the 400 page)."""
    form = statistics_bulletin.bulletin_form(request.GET)
    if not form.is_valid():
        context = {"form": form, "for_pdf": False}
        return None, render(request, "statistics/bulletin.html", context, status=400)
    period = form.chosen
    query = urlencode(period.as_query())
    return {"form": form, "bulletin": statistics_bulletin.bulletin(period), "query": query}, None


@statistics_staff_required
@require_GET
def bulletin_html(request):
    """The bulletin as a print-friendly page (period=month|quarter, year, number)."""
    context, error = _bulletin_context(request)
    if error is not None:
        return error
    return render(request, "statistics/bulletin.html", {**context, "for_pdf": False})


@statistics_staff_required
@require_GET
def bulletin(request):
    """The bulletin as a Chinese PDF (period=month|quarter, year, number)."""
    context, error = _bulletin_context(request)
    if error is not None:
        return error
    html = render_to_string("statistics/bulletin.html", {**context, "for_pdf": True}, request=request)
    response = HttpResponse(statistics_bulletin.html_to_pdf(html), content_type="application/pdf")
    filename = f"statistics-bulletin-{context['bulletin'].period.slug}.pdf"
    response["Content-Disposition"] = content_disposition_header(False, filename)
    response["Cache-Control"] = "private, no-store"
    return response
