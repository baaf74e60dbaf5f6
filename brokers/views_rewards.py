"""Service-team workspaces, the bureau's broker performance page (ranking, rewards, Excel export,
the excellent-broker selection) and the public list of excellent brokers."""

from __future__ import annotations

from functools import wraps
from io import BytesIO

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook
from openpyxl.styles import Font

from brokers import services_rewards
from brokers.models import ServiceTeam
from marketplace import rules as market_rules
from marketplace.permissions import object_or_404

YEARS_SHOWN = 6


def bureau_staff_required(view):
    """Bureau staff only (anyone else signed in: 403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not market_rules.is_bureau_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _years() -> list[int]:
    this_year = timezone.localdate().year
    return list(range(this_year, this_year - YEARS_SHOWN, -1))


def _year(value: str | None) -> int:
    years = _years()
    return int(value) if value and value.isdigit() and int(value) in years else years[0]


class ExcellentSelectionForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"))
    top = forms.IntegerField(label=gettext_lazy("Top N"), min_value=1, max_value=100, required=False)
    profiles = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Chosen brokers"), coerce=int, required=False, choices=()
    )
    citation = forms.CharField(label=gettext_lazy("Citation"), max_length=1000, required=False)

    def __init__(self, *args, ranking, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profiles"].choices = [(row.profile.pk, str(row.profile)) for row in ranking]
        self.ranking = ranking

    def clean(self):
        data = super().clean()
        chosen = set(data.get("profiles") or [])
        if chosen:
            data["ranked"] = [row.profile for row in self.ranking if row.profile.pk in chosen]
        elif data.get("top"):
            data["ranked"] = [row.profile for row in self.ranking[: data["top"]]]
        else:
            raise ValidationError(_("Give a number N or choose brokers."))
        return data


@bureau_staff_required
@require_GET
def performance(request):
    year = _year(request.GET.get("year"))
    report = services_rewards.broker_rewards(year)
    excellent = dict(services_rewards.excellent_by_year(year=year)).get(year, [])
    context = {
        "year": year,
        "years": _years(),
        "report": report,
        "excellent": excellent,
        "can_select": request.user.has_perm("brokers.add_excellentbroker"),
    }
    return render(request, "brokers/rewards/performance.html", context)


def performance_workbook(report) -> bytes:
    """The year's ranking (sheet 1) and agency roll-up (sheet 2) as an Excel workbook."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Brokers")
    sheet.append(
        [
            _("Rank"), _("Broker"), _("Transfer agency"), _("Demands mined"), _("Engagements"), _("Deals"),
            _("Registered contracts"), _("Registered technology transaction amount (yuan)"), _("Reward (yuan)"),
        ]
    )  # fmt: skip
    for row in report.brokers:
        sheet.append(
            [
                row.rank, str(row.profile), row.profile.agency.name, row.demands_mined, row.engagements, row.deals,
                row.registered_deals, row.registered_amount, row.reward,
            ]
        )  # fmt: skip
    agencies = workbook.create_sheet(_("Agencies"))
    agencies.append(
        [
            _("Transfer agency"), _("Brokers"), _("Demands mined"), _("Engagements"), _("Deals"),
            _("Registered contracts"), _("Registered technology transaction amount (yuan)"), _("Reward (yuan)"),
        ]
    )  # fmt: skip
    for row in report.agencies:
        agencies.append(
            [
                row.agency.name, row.brokers, row.demands_mined, row.engagements, row.deals, row.registered_deals,
                row.registered_amount, row.reward,
            ]
        )  # fmt: skip
    for worksheet in (sheet, agencies):
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@bureau_staff_required
@require_GET
def performance_export(request):
    year = _year(request.GET.get("year"))
    response = HttpResponse(
        performance_workbook(services_rewards.broker_rewards(year)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="broker-performance-{year}.xlsx"'
    return response


@bureau_staff_required
@require_POST
def excellent_select(request):
    year = _year(request.POST.get("year"))
    target = f"{reverse('brokers:performance')}?year={year}"
    if not request.user.has_perm("brokers.add_excellentbroker"):
        raise PermissionDenied
    form = ExcellentSelectionForm(request.POST, ranking=services_rewards.broker_rewards(year).brokers)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(target)
    try:
        chosen = services_rewards.excellent_select(
            year=year, user=request.user, profiles=form.cleaned_data["ranked"], citation=form.cleaned_data["citation"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(count)d excellent brokers named for %(year)d.") % {"count": len(chosen), "year": year}
        )
    return redirect(target)


@require_GET
def excellent(request):
    return render(request, "brokers/rewards/excellent.html", {"years": services_rewards.excellent_by_year()})


# Service teams -------------------------------------------------------------------------------


@login_required
@require_GET
def teams(request):
    return render(request, "brokers/teams/list.html", {"teams": services_rewards.teams_of(request.user)})


@login_required
@require_GET
def team(request, pk: int):
    team = object_or_404(
        request.user, "brokers.view_serviceteam", ServiceTeam.objects.select_related("institution", "office"), pk=pk
    )
    achievements, matches = services_rewards.team_workspace(team, request.user)
    context = {
        "team": team,
        "brokers": team.brokers.select_related("user").order_by("pk"),
        "achievements": achievements,
        "matches": matches,
    }
    return render(request, "brokers/teams/detail.html", context)
