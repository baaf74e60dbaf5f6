"""/api/v1/stats/: contents, filters in the error envelope, who may read it."""

import pytest

from marketplace.enums import MembershipRole
from marketplace.models import TargetMetric, YearlyTarget
from tests.factories.marketplace import MembershipFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/stats/"
YEAR = "date_from=2026-01-01&date_to=2026-12-31"


def test_staff_read_the_summary(market, login, statistician, settings):
    settings.MARKET_REGION_CODE = "370200"
    YearlyTarget.objects.create(year=2026, metric=TargetMetric.CONTRACT_TURNOVER, target=2_000_000)
    body = login(statistician).get(f"{URL}?{YEAR}&granularity=quarter").json()
    assert body["totals"] == {"count": 8, "total_amount": "1700000.00", "technology_amount": "1470000.00"}
    assert body["local_conversion"]["rate_by_count"] == "0.5000"
    assert body["local_conversion"]["rate_by_amount"] == "0.3519"
    assert [(row["key"], row["count"]) for row in body["by_period"]] == [("2026Q1", 4), ("2026Q2", 3), ("2026Q3", 1)]
    assert body["by_category"][0] == {
        "count": 2,
        "total_amount": "700000.00",
        "technology_amount": "650000.00",
        "key": "development",
        "label": body["by_category"][0]["label"],
    }
    assert [row["key"] for row in body["by_field"]] == ["biomedicine", "new-energy", "marine", ""]
    assert body["year"] == 2026
    assert body["targets"] == [
        {
            "metric": "contract_turnover",
            "label": body["targets"][0]["label"],
            "target": "2000000.00",
            "actual": "1700000.00",
            "share": "0.8500",
        }
    ]
    assert body["granularity"] == "quarter"


def test_filters_apply(market, login, statistician):
    body = login(statistician).get(f"{URL}?region=370100&category=development").json()
    assert body["totals"]["count"] == 1  # #4: seller in Jinan, development


@pytest.mark.parametrize(
    ("query", "name", "message"),
    [
        ("date_from=2026-03-01&date_to=2026-02-01", "date_to", "期间止不能早于期间起。"),
        ("field=no-such-field", "field", "选择一个有效的选项"),
        ("region=999999", "region", "选择一个有效的选项"),
        ("date_to=31.12.2026", "date_to", "输入一个有效的日期。"),
        ("granularity=week", "granularity", ""),
        ("date_to=9999-12-31", "date_to", "确保该值小于或等于"),
        ("region=%00", "region", "选择一个有效的选项"),
    ],
)
def test_bad_filters_are_400_in_the_error_envelope(login, statistician, query, name, message):
    response = login(statistician).get(f"{URL}?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert message in error["fields"][name][0]


def test_who_may_read(market, client, login, partner_client):
    assert client.get(URL).status_code in (401, 403)
    member = MembershipFactory(organization__kind="enterprise", role=MembershipRole.ADMIN).user
    refused = login(member).get(URL)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    partner = partner_client("contracts:read")
    response = partner.get(f"{URL}?{YEAR}")
    assert response.status_code == 200
    assert response.json()["totals"]["count"] == 8
    without = partner_client("achievements:read demands:read", name="另一平台").get(URL)
    assert without.status_code == 403
    assert "contracts:read" in without.json()["error"]["message"]
    assert partner.post(URL, {}, format="json").status_code in (403, 405)
