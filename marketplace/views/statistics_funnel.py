"""The statistics console's funnel page: views → inquiries and responses → matches →
engagements → deals → registered contracts, per achievement, demand, institution and broker,
and the share of stale listings; an Excel export per table.

Same audience and rules as the dashboard (marketplace.views.statistics): bureau staff only,
other signed-in users 404, visitors the login page. Read through
marketplace.statistics_funnel, a fixed number of queries whatever the number of listings."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from marketplace import statistics_funnel as funnel
from marketplace.statistics import StatsFilter, StatsFilterForm
from marketplace.views.statistics import Table, percent, statistics_staff_required, xlsx_response


def _date(moment) -> str:
    return timezone.localtime(moment).date().isoformat() if moment else ""


def _stage_headers(first: str) -> list[str]:
    return [
        _("Views"),
        first,
        _("Matches"),
        _("Contacted matches"),
        _("Broker engagements"),
        _("Deals"),
        _("Registered contracts"),
    ]


def _stage_cells(stages: funnel.Stages) -> list:
    return [
        stages.views,
        stages.first,
        stages.matches,
        stages.contacted,
        stages.engagements,
        stages.deals,
        stages.registered,
    ]


def _listing_rows(rows: list[funnel.ListingFunnel]) -> list[list]:
    return [
        [
            row.title,
            row.organization,
            _date(row.published_at),
            row.status,
            _("Yes") if row.is_stale else _("No"),
            *_stage_cells(row.stages),
        ]
        for row in rows
    ]


def _achievements_table(f: StatsFilter, limit: int | None) -> Table:
    return Table(
        "achievements",
        _("Funnel per achievement"),
        [
            _("Achievement"),
            _("Institution"),
            _("Published"),
            _("Status"),
            _("Stale"),
            *_stage_headers(_("Inquiries")),
        ],
        _listing_rows(funnel.achievement_funnel(f, limit)),
        numeric_from=5,
    )


def _demands_table(f: StatsFilter, limit: int | None) -> Table:
    return Table(
        "demands",
        _("Funnel per demand"),
        [_("Demand"), _("Enterprise"), _("Published"), _("Status"), _("Stale"), *_stage_headers(_("Responses"))],
        _listing_rows(funnel.demand_funnel(f, limit)),
        numeric_from=5,
    )


def _institutions_table(f: StatsFilter, limit: int | None) -> Table:
    rows = [
        [
            row.name,
            row.achievements,
            *_stage_cells(row.stages),
            *[percent(value) for value in row.stages.shares()],
        ]
        for row in funnel.institution_funnel(f, limit)
    ]
    return Table(
        "institutions",
        _("Funnel per institution"),
        [
            _("Institution"),
            _("Achievements"),
            *_stage_headers(_("Inquiries")),
            _("Inquiries per view (per cent)"),
            _("Matches per inquiry (per cent)"),
            _("Engagements per match (per cent)"),
            _("Deals per engagement (per cent)"),
            _("Registered per deal (per cent)"),
        ],
        rows,
    )


def _brokers_table(f: StatsFilter, limit: int | None) -> Table:
    rows = [
        [
            row.name,
            row.agency,
            row.engagements,
            row.deals,
            row.registered,
            percent(row.deal_share),
            percent(row.registered_share),
        ]
        for row in funnel.broker_funnel(f, limit)
    ]
    return Table(
        "brokers",
        _("Funnel per broker"),
        [
            _("Broker"),
            _("Agency"),
            _("Broker engagements"),
            _("Deals"),
            _("Registered contracts"),
            _("Deals per engagement (per cent)"),
            _("Registered per deal (per cent)"),
        ],
        rows,
        numeric_from=2,
    )


def _stale_table(f: StatsFilter, limit: int | None) -> Table:
    overall, per_organization = funnel.stale_shares(f)
    if limit is not None:
        per_organization = per_organization[:limit]
    rows = [
        [
            row.label,
            row.public_achievements,
            row.stale_achievements,
            percent(row.achievement_share),
            row.public_demands,
            row.stale_demands,
            percent(row.demand_share),
            percent(row.overall_share),
        ]
        for row in [overall, *per_organization]
    ]
    return Table(
        "stale",
        _("Stale listings"),
        [
            _("Institution"),
            _("Public achievements"),
            _("Stale achievements"),
            _("Stale achievements (per cent)"),
            _("Public demands"),
            _("Stale demands"),
            _("Stale demands (per cent)"),
            _("Stale listings (per cent)"),
        ],
        rows,
    )


TABLES: dict[str, Callable[[StatsFilter, int | None], Table]] = {
    "achievements": _achievements_table,
    "demands": _demands_table,
    "institutions": _institutions_table,
    "brokers": _brokers_table,
    "stale": _stale_table,
}


@statistics_staff_required
@require_GET
def funnel_page(request):
    form = StatsFilterForm(data=StatsFilter.params(request.GET))
    # Here the dates select listings by their publication (brokers: each stage by its date).
    form.fields["date_from"].label = _("Published from")
    form.fields["date_to"].label = _("Published until")
    context = {"form": form, "limit": funnel.LISTING_LIMIT}
    try:
        f = StatsFilter.from_form(form)
    except ValidationError:  # the form shows the messages; no figures for a bad filter
        return render(request, "statistics/funnel.html", context)
    query = f.as_query()
    tables = [build(f, funnel.LISTING_LIMIT) for build in TABLES.values()]
    for table in tables:
        table.export_url = "?" + urlencode({**query, "table": table.key})
    achievement_count, achievement_stages = funnel.achievement_totals(f)
    demand_count, demand_stages = funnel.demand_totals(f)
    context.update(
        {
            "filter": f,
            "tables": tables,
            "summary": [
                {
                    "key": "achievements",
                    "label": _("Achievements"),
                    "count": achievement_count,
                    "headers": _stage_headers(_("Inquiries")),
                    "cells": _stage_cells(achievement_stages),
                },
                {
                    "key": "demands",
                    "label": _("Demands"),
                    "count": demand_count,
                    "headers": _stage_headers(_("Responses")),
                    "cells": _stage_cells(demand_stages),
                },
            ],
            "query": urlencode(query),
        }
    )
    return render(request, "statistics/funnel.html", context)


@statistics_staff_required
@require_GET
def funnel_export(request):
    build = TABLES.get(request.GET.get("table", ""))
    if build is None:
        raise Http404
    try:
        f = StatsFilter.from_query(request.GET)
    except ValidationError as exc:
        return HttpResponseBadRequest(" ".join(exc.messages), content_type="text/plain; charset=utf-8")
    return xlsx_response(build(f, funnel.EXPORT_LIMIT), prefix="funnel")
