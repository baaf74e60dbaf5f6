"""The statistical bulletin (统计简报): its periods, its figures against the hand-made contracts
of conftest.py, the Chinese PDF and its print page, staff-only access and bad input; and the
dashboard's charts data.

Quarter 1 of 2026 holds contracts 1–4 (turnover 1,000,000.00, technology 880,000.00); the
quarter before (2025 Q4) the one of 2025 (70,000.00 / 70,000.00); 2025 Q1 nothing. Quarter 2
holds contracts 5–7 (610,000.00 / 590,000.00).
"""

import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
from django.utils import translation
from django.utils.translation import gettext

from marketplace.enums import MembershipRole
from marketplace.models import Region, TargetMetric, YearlyTarget
from marketplace.statistics_bulletin import Period, bulletin, change, last_complete_month, percent_text
from tests.factories.marketplace import MembershipFactory

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
PDF = "/statistics/bulletin/"
HTML = "/statistics/bulletin/print/"
Q1 = "period=quarter&year=2026&number=1"


def zh(msgid: str, **values) -> str:
    """The Chinese text of a msgid (the catalogue may be compiled after these tests are written)."""
    with translation.override("zh-hans"):
        return gettext(msgid) % values if values else gettext(msgid)


def title(period: Period) -> str:
    with translation.override("zh-hans"):
        return gettext("%(period)s technology contract statistical bulletin") % {"period": period.label}


@pytest.fixture
def targets(db):
    YearlyTarget.objects.create(year=2026, metric=TargetMetric.REGISTERED_CONTRACTS, target=Decimal(10))


@pytest.fixture
def enterprise_member(db):
    return MembershipFactory(organization__kind="enterprise", role=MembershipRole.ADMIN).user


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


# Periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "first", "last", "previous", "year_before"),
    [
        (Period("month", 2026, 1), date(2026, 1, 1), date(2026, 1, 31), Period("month", 2025, 12), Period("month", 2025, 1)),
        (Period("month", 2024, 2), date(2024, 2, 1), date(2024, 2, 29), Period("month", 2024, 1), Period("month", 2023, 2)),
        (Period("month", 2026, 12), date(2026, 12, 1), date(2026, 12, 31), Period("month", 2026, 11), Period("month", 2025, 12)),
        (Period("quarter", 2026, 1), date(2026, 1, 1), date(2026, 3, 31), Period("quarter", 2025, 4), Period("quarter", 2025, 1)),
        (Period("quarter", 2026, 3), date(2026, 7, 1), date(2026, 9, 30), Period("quarter", 2026, 2), Period("quarter", 2025, 3)),
        (Period("quarter", 2026, 4), date(2026, 10, 1), date(2026, 12, 31), Period("quarter", 2026, 3), Period("quarter", 2025, 4)),
    ],
)  # fmt: skip
def test_a_period_knows_its_days_the_previous_one_and_the_year_before(period, first, last, previous, year_before):
    assert (period.first_day, period.last_day) == (first, last)
    assert period.previous() == previous
    assert period.a_year_before() == year_before


def test_without_a_choice_the_bulletin_is_last_months():
    assert last_complete_month(date(2026, 1, 15)) == Period("month", 2025, 12)
    assert last_complete_month(date(2026, 11, 1)) == Period("month", 2026, 10)


def test_changes_and_percentages():
    assert change(4, 1) == Decimal("3.0000")
    assert change(Decimal("590000"), Decimal("880000")) == Decimal("-0.3295")
    assert change(5, 0) is None
    assert percent_text(Decimal("3")) == "300.00%"
    assert percent_text(Decimal("-0.3295"), signed=True) == "-32.95%"
    assert percent_text(Decimal("0.3043"), signed=True) == "+30.43%"
    assert percent_text(Decimal("0"), signed=True) == "0.00%"
    assert percent_text(None) == "—"


# Figures -------------------------------------------------------------------------------------


def figures(result) -> dict:
    return {
        figure.key: (figure.current, figure.previous, figure.year_before, figure.against_previous, figure.against_year_before)
        for figure in result.figures
    }  # fmt: skip


def test_the_first_quarter_against_the_last_quarter_of_2025(market, targets, settings):
    settings.MARKET_REGION_CODE = "370200"
    result = bulletin(Period("quarter", 2026, 1))

    assert figures(result) == {
        "count": (4, 1, 0, Decimal("3.0000"), None),
        "total_amount": (Decimal("1000000.00"), Decimal("70000.00"), Decimal("0.00"), Decimal("13.2857"), None),
        "technology_amount": (Decimal("880000.00"), Decimal("70000.00"), Decimal("0.00"), Decimal("11.5714"), None),
    }
    categories = {row.key: (row.count, row.total_amount) for row in result.by_category}
    assert categories == {
        "development": (2, Decimal("700000.00")),
        "transfer": (1, Decimal("100000.00")),
        "license": (1, Decimal("200000.00")),
        "consulting": (0, Decimal("0.00")),
        "service": (0, Decimal("0.00")),
    }
    assert [(row.label, row.count, row.total_amount, row.technology_amount) for row in result.by_field] == [
        ("生物医药", 2, Decimal("700000.00"), Decimal("650000.00")),
        ("海洋", 2, Decimal("300000.00"), Decimal("230000.00")),
    ]
    # Contract 3's first buyer is in Qingdao (its second, in Dalian, is not counted).
    assert [(row.key, row.count, row.total_amount) for row in result.top_cities] == [
        ("370200", 3, Decimal("800000.00")),
        ("370100", 1, Decimal("200000.00")),
    ]
    # Local sellers: contracts 1, 2, 3; of these, 1 and 3 went to Qingdao buyers.
    assert (result.conversion.local_sellers, result.conversion.local_buyers) == (3, 2)
    assert (result.conversion_by_count, result.conversion_by_amount) == ("66.67%", "71.70%")
    assert [(row.organization.name, row.contracts, row.technology_amount, row.subsidy) for row in result.subsidies] == [
        ("乙技术转移中心", 1, Decimal("300000.00"), Decimal("6000.00")),
        ("甲技术转移中心", 2, Decimal("230000.00"), Decimal("4600.00")),
    ]
    assert result.subsidy_total == Decimal("10600.00")
    # The year's targets count the whole year (8 contracts registered in 2026).
    assert [(p.metric, p.actual, p.share) for p in result.targets] == [
        (TargetMetric.REGISTERED_CONTRACTS, Decimal(8), Decimal("0.8000"))
    ]


def test_the_second_quarter_falls_against_the_first(market):
    result = bulletin(Period("quarter", 2026, 2))

    assert figures(result) == {
        "count": (3, 4, 0, Decimal("-0.2500"), None),
        "total_amount": (Decimal("610000.00"), Decimal("1000000.00"), Decimal("0.00"), Decimal("-0.3900"), None),
        "technology_amount": (Decimal("590000.00"), Decimal("880000.00"), Decimal("0.00"), Decimal("-0.3295"), None),
    }
    assert [figure.against_previous_text for figure in result.figures] == ["-25.00%", "-39.00%", "-32.95%"]


def test_months_count_by_the_shanghai_calendar(market):
    # Contract 1 (1 January 00:30 in Shanghai) is January's, contract 3 (1 February 07:00) February's.
    january = bulletin(Period("month", 2026, 1))
    assert figures(january)["count"] == (2, 1, 0, Decimal("1.0000"), None)
    assert figures(january)["technology_amount"][3] == Decimal("2.2857")
    february = bulletin(Period("month", 2026, 2))
    assert figures(february) == {
        "count": (1, 2, 0, Decimal("-0.5000"), None),
        "total_amount": (Decimal("300000.00"), Decimal("300000.00"), Decimal("0.00"), Decimal("0.0000"), None),
        "technology_amount": (Decimal("300000.00"), Decimal("230000.00"), Decimal("0.00"), Decimal("0.3043"), None),
    }


def test_the_same_period_last_year_is_compared(market):
    # December 2026 has nothing; December 2025 holds the 2025 contract.
    result = bulletin(Period("month", 2026, 12))
    assert figures(result)["count"] == (0, 0, 1, None, Decimal("-1.0000"))
    assert result.figures[0].against_year_before_text == "-100.00%"
    assert result.top_cities == [] and result.subsidies == []


# The PDF and the print page ------------------------------------------------------------------


def test_the_pdf_has_the_chinese_title_and_the_figures(market, targets, login, statistician, settings):
    settings.MARKET_REGION_CODE = "370200"
    response = login(statistician).get(f"{PDF}?{Q1}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="statistics-bulletin-2026Q1.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "statistics-bulletin.pdf").write_bytes(response.content)  # to look at (pdftoppm)
    text = pdf_text(response.content)
    qingdao, jinan = (Region.objects.get(code=code).full_name for code in ("370200", "370100"))
    for expected in (
        title(Period("quarter", 2026, 1)).replace(" ", ""),
        "1000000.00",  # turnover
        "880000.00",  # technology amount
        "70000.00",  # the quarter before
        "+300.00%",  # contracts against the quarter before
        "+1328.57%",  # turnover
        "+1157.14%",  # technology amount
        "生物医药",
        "700000.00",
        "650000.00",
        "海洋",
        qingdao,
        "800000.00",
        jinan,
        "66.67%",
        "71.70%",
        "80.00%",  # 8 of 10 contracts
        "乙技术转移中心",
        "6000.00",
        "甲技术转移中心",
        "4600.00",
        "10600.00",
        "2026-01-01",
        "2026-03-31",
    ):
        assert expected in text, expected
    for msgid in ("By contract category", "By industry field", "Local conversion rate", "Transfer-agency subsidies"):
        assert zh(msgid).replace(" ", "") in text, msgid
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
        if "/BaseFont" in font.get_object()
    }
    assert any(re.search(r"Noto-?(Sans|Serif)-?CJK", font) for font in fonts), fonts


def test_a_monthly_pdf_renders(market, login, statistician):
    response = login(statistician).get(f"{PDF}?period=month&year=2026&number=2")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert title(Period("month", 2026, 2)).replace(" ", "") in text
    assert "+30.43%" in text and "-50.00%" in text


def test_the_print_page_is_plain_with_its_stylesheet_and_no_inline_code(market, login, statistician):
    response = login(statistician).get(f"{HTML}?{Q1}")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 id="bulletin-title">{title(Period("quarter", 2026, 1))}</h1>' in html
    assert re.search(r'<tr id="figure-count">\s*<td>[^<]+</td>\s*<td class="num">4</td>\s*<td class="num">1</td>', html)
    assert "+1328.57%" in html and "10600.00" in html
    assert 'href="/static/css/statistics-bulletin.css"' in html
    assert f'href="/statistics/bulletin/?{Q1}"' in html.replace("&amp;", "&")
    assert "style=" not in html and "<style" not in html
    assert all(re.search(r'\bsrc="', tag) for tag in re.findall(r"<script[^>]*>", html))


def test_without_parameters_the_print_page_shows_last_month(login, statistician):
    html = login(statistician).get(HTML).content.decode()
    assert title(last_complete_month()) in html


# Access and bad input ------------------------------------------------------------------------


def test_only_bureau_staff_get_the_bulletin(client, login, enterprise_member, statistician, reviewer, bureau_admin):
    for url in (f"{PDF}?{Q1}", f"{HTML}?{Q1}"):
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        assert login(enterprise_member).get(url).status_code == 404
    for user in (statistician, reviewer, bureau_admin):
        assert login(user).get(f"{HTML}?{Q1}").status_code == 200
    assert login(statistician).post(f"{HTML}?{Q1}").status_code == 405


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=week&year=2026&number=1", "选择一个有效的选项"),
        ("period=month&year=abc&number=1", "输入整数。"),
        ("period=month&year=2026", "该字段是必填项。"),
        ("period=month&year=2026&number=13", None),
        ("period=quarter&year=2026&number=5", None),
        ("period=quarter&year=2026&number=0", "1"),
        ("period=month&year=99999&number=1", "2999"),
        ("period=month&year=1900&number=1", "1901"),
        ("period=month&year=2026&number=%00", "输入整数。"),
        ("period=month&year=2026&number=99999999999999999999999", None),
    ],
)
def test_a_bad_period_is_a_chinese_400_never_a_500(login, statistician, query, message):
    client = login(statistician)
    for url in (PDF, HTML):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, (url, query)
        html = response.content.decode()
        assert 'id="bulletin-errors"' in html
        assert zh("No bulletin for this period:") in html
        if message:
            assert message in html
    if "number=13" in query:
        assert zh("A month is numbered 1 to 12.") in html
    if "number=5" in query:
        assert zh("A quarter is numbered 1 to 4.") in html


# The dashboard: charts data and the bulletin's form ------------------------------------------


def test_the_dashboard_gives_the_charts_their_data_and_links_the_bulletin(market, login, statistician):
    html = login(statistician).get("/statistics/?date_from=2026-01-01&date_to=2026-06-30").content.decode()

    periods = json.loads(re.search(r'<script id="chart-periods-data" type="application/json">(.*?)</script>', html)[1])
    assert periods["labels"] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    assert periods["series"][0]["data"] == [300000, 300000, 400000, 50000, 60000, 500000]
    assert periods["series"][1]["data"] == [230000, 300000, 350000, 50000, 40000, 500000]
    categories = json.loads(
        re.search(r'<script id="chart-categories-data" type="application/json">(.*?)</script>', html)[1]
    )
    assert categories["series"][0]["data"] == [700000, 600000, 200000, 50000, 60000]
    assert '<canvas id="chart-periods"' in html and '<canvas id="chart-categories"' in html
    assert '<script src="/static/vendor/chart.js/chart.umd.min.js" defer></script>' in html
    assert '<script src="/static/js/statistics-charts.js" defer></script>' in html
    assert 'action="/statistics/bulletin/print/"' in html and 'formaction="/statistics/bulletin/"' in html
    assert 'style="' not in html.split("<main", 1)[-1]


def test_a_bad_filter_draws_no_chart_but_keeps_the_bulletin_form(login, statistician):
    html = login(statistician).get("/statistics/?date_from=yesterday").content.decode()
    assert "chart-periods" not in html and "chart.umd.min.js" not in html
    assert 'id="bulletin-form"' in html
