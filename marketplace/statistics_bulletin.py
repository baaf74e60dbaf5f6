"""The statistical bulletin (统计简报): one month's or one quarter's registered technology
contracts, as a Chinese PDF (WeasyPrint) and a print-friendly page.

It gathers the figures of marketplace.statistics for the period: the registered contracts,
contract turnover and technology transaction amount, with the change against the previous
period (环比) and the same period of the year before (同比); the cuts by category and industry
field; the buyers' top cities; the local conversion rate; the progress of the year's targets
(to date); the transfer-agency subsidies earned in the period.

The print stylesheet (static css/statistics-bulletin.css, the one the print page links) is
read from the static files and handed to WeasyPrint; no URL of the document is followed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketplace import statistics
from marketplace.enums import PartyRole
from marketplace.forms.base import MarketForm
from marketplace.statistics import FIRST_DAY, LAST_DAY, StatsFilter

PRINT_STYLESHEET = "css/statistics-bulletin.css"
KINDS = ("month", "quarter")
TOP_CITIES = 5
# The bulletin compares with the year before, which must stay inside the dates the filters take.
MIN_YEAR, MAX_YEAR = FIRST_DAY.year + 1, LAST_DAY.year

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


# The period ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month (number 1–12) or quarter (1–4) of a year, in Asia/Shanghai."""

    kind: str
    year: int
    number: int

    @property
    def months(self) -> int:
        return 1 if self.kind == "month" else 3

    @property
    def first_day(self) -> date:
        return date(self.year, (self.number - 1) * self.months + 1, 1)

    @property
    def last_day(self) -> date:
        following = self.first_day.month + self.months
        if following > 12:
            return date(self.year, 12, 31)
        return date(self.year, following, 1) - timedelta(days=1)

    def previous(self) -> Period:
        if self.number > 1:
            return Period(self.kind, self.year, self.number - 1)
        return Period(self.kind, self.year - 1, 12 if self.kind == "month" else 4)

    def a_year_before(self) -> Period:
        return Period(self.kind, self.year - 1, self.number)

    def as_filter(self) -> StatsFilter:
        return StatsFilter(date_from=self.first_day, date_to=self.last_day)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(month)s/%(year)s") % {"year": self.year, "month": self.number}
        return _("Q%(quarter)s %(year)s") % {"year": self.year, "quarter": self.number}

    @property
    def slug(self) -> str:
        return f"{self.year}-{self.number:02d}" if self.kind == "month" else f"{self.year}Q{self.number}"

    def as_query(self) -> dict[str, str]:
        return {"period": self.kind, "year": str(self.year), "number": str(self.number)}


def last_complete_month(today: date | None = None) -> Period:
    today = today or timezone.localdate()
    before = today.replace(day=1) - timedelta(days=1)
    return Period("month", before.year, before.month)


class BulletinForm(MarketForm):
    """Which bulletin: a month or a quarter, its year and its number (Django's own messages are
    already in Chinese)."""

    period = forms.ChoiceField(
        label=gettext_lazy("Bulletin period"),
        choices=[("month", gettext_lazy("Monthly bulletin")), ("quarter", gettext_lazy("Quarterly bulletin"))],
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    number = forms.IntegerField(
        label=gettext_lazy("Month or quarter"),
        min_value=1,
        help_text=gettext_lazy("The month (1 to 12) or the quarter (1 to 4)."),
    )

    def clean(self):
        data = super().clean()
        kind, number = data.get("period"), data.get("number")
        if kind == "month" and number is not None and number > 12:
            self.add_error("number", _("A month is numbered 1 to 12."))
        if kind == "quarter" and number is not None and number > 4:
            self.add_error("number", _("A quarter is numbered 1 to 4."))
        return data

    @property
    def chosen(self) -> Period:
        """The period of a valid form."""
        data = self.cleaned_data
        return Period(data["period"], data["year"], data["number"])


def bulletin_form(params) -> BulletinForm:
    """The bound form for the query parameters; without any of them, last month's bulletin."""
    names = BulletinForm.base_fields
    if not any(params.get(name) for name in names):
        return BulletinForm(data=last_complete_month().as_query())
    return BulletinForm(data={name: params.get(name, "") for name in names})


# The figures -----------------------------------------------------------------------------------


def percent_text(fraction: Decimal | None, *, signed: bool = False) -> str:
    """0.4523 → "45.23%" ("+45.23%" when signed); None → "—"."""
    if fraction is None:
        return "—"
    value = (fraction * 100).quantize(statistics.CENT)
    return f"{value:+}%" if signed and value else f"{value}%"


def change(current, previous) -> Decimal | None:
    """(current − previous) / previous as a fraction to four places; None without a base."""
    if not previous:
        return None
    return statistics.share(Decimal(current) - Decimal(previous), previous)


@dataclass
class Figure:
    """One headline figure of the period, the previous period and the year before."""

    key: str
    label: str
    current: Decimal | int
    previous: Decimal | int
    year_before: Decimal | int

    @property
    def against_previous(self) -> Decimal | None:
        return change(self.current, self.previous)

    @property
    def against_year_before(self) -> Decimal | None:
        return change(self.current, self.year_before)

    @property
    def against_previous_text(self) -> str:
        return percent_text(self.against_previous, signed=True)

    @property
    def against_year_before_text(self) -> str:
        return percent_text(self.against_year_before, signed=True)


@dataclass
class Bulletin:
    period: Period
    previous: Period
    year_before: Period
    figures: list[Figure]
    by_category: list[statistics.Row]
    by_field: list[statistics.Row]
    top_cities: list[statistics.Row]
    conversion: statistics.LocalConversion
    targets: list[statistics.TargetProgress]
    subsidies: list[statistics.AgencySubsidy]
    subsidy_rate: Decimal
    issued_on: date

    @property
    def title(self) -> str:
        return _("%(period)s technology contract statistical bulletin") % {"period": self.period.label}

    @property
    def totals(self) -> Figure:
        return self.figures[0]

    @property
    def conversion_by_count(self) -> str:
        return percent_text(self.conversion.rate_by_count)

    @property
    def conversion_by_amount(self) -> str:
        return percent_text(self.conversion.rate_by_amount)

    @property
    def subsidy_rate_text(self) -> str:
        return percent_text(self.subsidy_rate)

    @property
    def targets_shares(self) -> list[tuple[statistics.TargetProgress, str]]:
        return [(progress, percent_text(progress.share)) for progress in self.targets]

    @property
    def subsidy_total(self) -> Decimal:
        return sum((row.subsidy for row in self.subsidies), Decimal("0.00"))


def bulletin(period: Period) -> Bulletin:
    """Every figure of the period's bulletin (a fixed number of queries)."""
    f = period.as_filter()
    now = statistics.totals(f)
    before = statistics.totals(period.previous().as_filter())
    last_year = statistics.totals(period.a_year_before().as_filter())
    figures = [
        Figure("count", _("Registered contracts"), now.count, before.count, last_year.count),
        Figure(
            "total_amount",
            _("contract amount (yuan)"),
            now.total_amount,
            before.total_amount,
            last_year.total_amount,
        ),
        Figure(
            "technology_amount",
            _("technology transaction amount (yuan)"),
            now.technology_amount,
            before.technology_amount,
            last_year.technology_amount,
        ),
    ]
    cities = [row for row in statistics.by_region(f, PartyRole.BUYER) if row.key][:TOP_CITIES]
    return Bulletin(
        period=period,
        previous=period.previous(),
        year_before=period.a_year_before(),
        figures=figures,
        by_category=statistics.by_category(f),
        by_field=statistics.by_field(f),
        top_cities=cities,
        conversion=statistics.local_conversion(f),
        targets=statistics.targets_progress(period.year),
        subsidies=statistics.agency_subsidies(f),
        subsidy_rate=statistics.subsidy_rate(),
        issued_on=timezone.localdate(),
    )


# The PDF ---------------------------------------------------------------------------------------


def _stylesheet_text() -> str:
    path = finders.find(PRINT_STYLESHEET)
    if path is None:  # pragma: no cover - a packaging error
        raise FileNotFoundError(PRINT_STYLESHEET)
    return Path(path).read_text(encoding="utf-8")


def html_to_pdf(html: str) -> bytes:
    """The PDF of the bulletin's page rendered for print (without its stylesheet link)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    # data: only; every other URL — file:, http: … — is refused.
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
    stylesheet = CSS(string=_stylesheet_text(), url_fetcher=fetcher)
    document = HTML(string=html, base_url=settings.SITE_URL + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet])
