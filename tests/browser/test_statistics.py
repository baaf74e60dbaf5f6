"""The statistics console in a real browser: Chart.js (vendored from the npm registry) draws the
dashboard's charts under the strict CSP, and the bulletin's print page renders."""

import pytest
from playwright.sync_api import expect

from marketplace.enums import OrganizationKind, StaffGroup
from tests.browser.conftest import screenshot
from tests.browser.test_achievements import _log_in
from tests.factories.marketplace import OrganizationFactory, UserFactory
from tests.statistics.conftest import eight_contracts, others

pytestmark = [pytest.mark.heavy, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How many pixels of a canvas are painted (not transparent), as the browser sees them.
PAINTED = """(id) => {
  const canvas = document.getElementById(id);
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
  return painted;
}"""


def test_a_statistician_sees_the_charts_and_opens_the_bulletin(page):
    orgs = {
        "university": OrganizationFactory(name="青岛海洋大学", kind=OrganizationKind.UNIVERSITY),
        "enterprise": OrganizationFactory(name="青岛海工装备有限公司", kind=OrganizationKind.ENTERPRISE),
        "agency_a": OrganizationFactory(name="甲技术转移中心", kind=OrganizationKind.TRANSFER_AGENCY),
        "agency_b": OrganizationFactory(name="乙技术转移中心", kind=OrganizationKind.TRANSFER_AGENCY),
        "service_agency": OrganizationFactory(name="丙科技服务公司", kind=OrganizationKind.SERVICE_AGENCY),
    }
    eight_contracts(orgs)
    others(orgs)
    UserFactory(username="statistician", name="孙统计", staff_groups=[StaffGroup.STATISTICIAN])

    _log_in(page, "statistician")
    page.goto("/statistics/?date_from=2026-01-01&date_to=2026-12-31")
    expect(page.locator("#kpi-count")).to_have_text("8")
    expect(page.locator("#chart-periods")).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart('chart-periods') && Chart.getChart('chart-categories')"
    )

    periods = page.evaluate(
        "() => { const c = Chart.getChart('chart-periods'); return [c.config.type, c.data.labels, c.data.datasets.map(d => d.data)]; }"
    )
    assert periods == [
        "line",
        ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"],
        [
            [300000, 300000, 400000, 50000, 60000, 500000, 90000],
            [230000, 300000, 350000, 50000, 40000, 500000, 0],
        ],
    ]
    categories = page.evaluate(
        "() => { const c = Chart.getChart('chart-categories'); return [c.config.type, c.data.labels.length]; }"
    )
    assert categories == ["doughnut", 5]
    for canvas in ("chart-periods", "chart-categories"):
        size = page.locator(f"#{canvas}").bounding_box()
        assert size["width"] > 100 and size["height"] > 100, (canvas, size)
        assert page.evaluate(PAINTED, canvas) > 1000, canvas
    page.locator("#charts").scroll_into_view_if_needed()
    screenshot(page, "statistics-dashboard")

    # The bulletin's print version for the first quarter, from the dashboard's form.
    page.locator("#bulletin_period").select_option("quarter")
    page.locator("#bulletin_year").fill("2026")
    page.locator("#bulletin_number").fill("1")
    page.locator("#bulletin-html").click()
    expect(page.locator("#bulletin-title")).to_contain_text("2026")
    expect(page.locator("#figure-count")).to_contain_text("+300.00%")
    expect(page.locator("#subsidy-total")).to_have_text("10600.00")
    screenshot(page, "statistics-bulletin")

    # Its PDF, with the same session.
    pdf = page.request.get(page.locator("#bulletin-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
