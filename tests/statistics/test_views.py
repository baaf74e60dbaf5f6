"""The statistics console pages: staff only, filters with Chinese messages, Excel exports,
a constant number of queries."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from marketplace.enums import MembershipRole
from marketplace.models import ContractRegistration, TargetMetric, YearlyTarget
from tests.factories.marketplace import MembershipFactory

from .conftest import eight_contracts

pytestmark = pytest.mark.django_db

URL = "/statistics/"
EXPORT = "/statistics/export/"
YEAR = "date_from=2026-01-01&date_to=2026-12-31"


@pytest.fixture
def enterprise_member(db):
    return MembershipFactory(organization__kind="enterprise", role=MembershipRole.ADMIN).user


def test_only_bureau_staff_see_the_console(client, login, enterprise_member, statistician, reviewer, bureau_admin):
    anonymous = client.get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert login(enterprise_member).get(URL).status_code == 404
    assert login(enterprise_member).get(f"{EXPORT}?table=category").status_code == 404
    for user in (statistician, bureau_admin, reviewer):
        assert login(user).get(URL).status_code == 200
    assert client.get(f"{EXPORT}?table=category").status_code == 302


def test_the_navigation_shows_the_console_to_staff_only(login, statistician, enterprise_member):
    assert 'href="/statistics/"' in login(statistician).get("/workspace/notifications/").content.decode()
    assert 'href="/statistics/"' not in login(enterprise_member).get("/workspace/").content.decode()


def test_dashboard_shows_the_figures(market, login, statistician, settings):
    settings.MARKET_REGION_CODE = "370200"
    YearlyTarget.objects.create(year=2026, metric=TargetMetric.REGISTERED_CONTRACTS, target=Decimal(10))
    page = login(statistician).get(f"{URL}?{YEAR}")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<div class="fs-3 fw-bold" id="kpi-count">8</div>' in html
    assert "1700000.00" in html and "1470000.00" in html
    assert '<div class="fs-3 fw-bold" id="kpi-conversion">50.00%</div>' in html
    assert '<progress class="w-100" value="8" max="10.00"' in html
    assert "山东省青岛市" in html and "甲技术转移中心" in html and "2026-07" in html
    assert 'style="' not in html.split("<main", 1)[-1]  # strict CSP: no inline styles
    quarters = login(statistician).get(f"{URL}?{YEAR}&granularity=quarter").content.decode()
    assert "2026Q1" in quarters and ">2026-07<" not in quarters


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-03-01&date_to=2026-02-01", "期间止不能早于期间起。"),
        ("date_from=yesterday", "输入一个有效的日期。"),
        ("field=no-such-field", "选择一个有效的选项"),
        ("region=999999", "选择一个有效的选项"),
    ],
)
def test_bad_filters_show_a_chinese_message(login, statistician, query, message):
    page = login(statistician).get(f"{URL}?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    assert message in html
    assert 'id="kpis"' not in html
    export = login(statistician).get(f"{EXPORT}?table=category&{query}")
    assert export.status_code == 400
    assert message in export.content.decode()


def test_each_table_exports_to_excel_with_the_filters(market, login, statistician):
    client = login(statistician)
    response = client.get(f"{EXPORT}?table=field&{YEAR}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(rows) == 5
    assert rows[1] == ["生物医药", 2, 700000, 650000]
    assert rows[3] == ["海洋", 3, 390000, 230000]
    narrowed = client.get(f"{EXPORT}?table=category&category=license&{YEAR}")
    rows = list(load_workbook(BytesIO(narrowed.content)).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == [0, 0, 2, 0, 0]
    subsidies = list(load_workbook(BytesIO(client.get(f"{EXPORT}?table=subsidies&{YEAR}").content)).active.values)
    assert subsidies[1] == ("乙技术转移中心", 2, 300000, 2, 6000)
    for table in ("period", "buyer_region", "seller_region", "buyer_kind", "seller_kind", "targets"):
        assert client.get(f"{EXPORT}?table={table}&{YEAR}").status_code == 200, table
    assert client.get(f"{EXPORT}?table=salaries").status_code == 404
    assert client.get(EXPORT).status_code == 404
    page = client.get(f"{URL}?{YEAR}").content.decode()
    assert (
        "/statistics/export/?date_from=2026-01-01&amp;date_to=2026-12-31&amp;granularity=month&amp;table=field" in page
    )


def test_the_dashboard_runs_the_same_queries_for_3_and_8_contracts(
    orgs, login, statistician, django_assert_num_queries
):
    for metric in TargetMetric.values:
        YearlyTarget.objects.create(year=2026, metric=metric, target=Decimal(100))
    client = login(statistician)
    url = f"{URL}?{YEAR}&region=370000&field=marine"
    contracts = eight_contracts(orgs)
    ContractRegistration.objects.filter(pk__in=[c.pk for c in contracts[3:]]).update(status="submitted")
    client.get(url)  # warm the session and the caches
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    ContractRegistration.objects.filter(pk__in=[c.pk for c in contracts]).update(status="registered")
    with django_assert_num_queries(len(three)):
        assert client.get(url).status_code == 200


def test_rows_drill_down_to_the_dashboard_narrowed_to_them(market, login, statistician):
    import html as html_lib
    import re
    from urllib.parse import parse_qs

    client = login(statistician)
    page = client.get(f"{URL}?{YEAR}&granularity=quarter").content.decode()
    links = {
        html_lib.unescape(label): parse_qs(html_lib.unescape(query))
        for query, label in re.findall(r'<a href="\?([^"]+)" class="drill-down">([^<]+)</a>', page)
    }
    # a quarter opens that quarter, by month
    assert links["2026Q1"]["date_from"] == ["2026-01-01"] and links["2026Q1"]["date_to"] == ["2026-03-31"]
    assert links["2026Q1"]["granularity"] == ["month"]
    # a category, a field and a city set that filter, keeping the year
    assert links["技术开发"]["category"] == ["development"] and links["技术开发"]["date_from"] == ["2026-01-01"]
    assert links["山东省青岛市"]["region"] == ["370200"]
    field_link = next(query for label, query in links.items() if "field" in query)
    narrowed = client.get(URL, {key: values[0] for key, values in field_link.items()})
    assert narrowed.status_code == 200 and "kpi-count" in narrowed.content.decode()
