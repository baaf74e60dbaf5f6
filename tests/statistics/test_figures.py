"""Every figure of the statistics console against hand-computed fixtures (conftest.py).

The eight registered contracts of 2026 (amounts in 元; regions of the FIRST party in the role):

| # | registered (Shanghai) | category    | field (top)             | total   | technology | seller          | buyer(s)               | intermediary |
|---|-----------------------|-------------|-------------------------|---------|------------|-----------------|------------------------|--------------|
| 1 | 2026-01-01 00:30      | transfer    | marine-equipment (海洋)  | 100 000 |  80 000    | 370202 PI, 大学  | 370211 ent., 企业       | A            |
| 2 | 2026-01-20            | license     | marine-biology (海洋)     | 200 000 | 150 000    | 370202 PI, 大学  | 370102 ent.            | A            |
| 3 | 2026-02-01 07:00      | development | innovative-drugs (生物医药)| 300 000 | 300 000    | 370211 ent.     | 370202 ent., 企业; 210202 | B          |
| 4 | 2026-03-01 00:30      | development | biomedicine (生物医药)     | 400 000 | 350 000    | 370102 PI       | 370202 ent., 企业       | —            |
| 5 | 2026-04-20            | consulting  | hydrogen (新能源)         |  50 000 |  50 000    | 370202 ent.     | 210202 ent.            | service agency |
| 6 | 2026-05-05            | service     | —                       |  60 000 |  40 000    | 320402 social   | 370211 PI              | A, A         |
| 7 | 2026-06-30            | transfer    | new-energy-batteries    | 500 000 | 500 000    | 370211 PI, 大学  | 110101 ent.            | —            |
| 8 | 2026-07-01            | license     | marine-equipment (海洋)  |  90 000 |       0    | 370202 ent.     | 370202 government      | B            |

Plus one registered 2025-12-31 23:00 (70 000 / 70 000) and a submitted and a returned
registration (never counted).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from marketplace import statistics
from marketplace.enums import OrganizationKind
from marketplace.models import IndustryField, Region
from marketplace.statistics import StatsFilter

pytestmark = pytest.mark.django_db

YEAR_2026 = StatsFilter(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))


def D(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def figures(rows):
    return [(row.key, row.count, row.total_amount, row.technology_amount) for row in rows]


def test_totals_count_registered_contracts_only(market):
    assert statistics.totals(YEAR_2026) == statistics.Totals(8, D(1_700_000), D(1_470_000))
    # Without dates: the 2025 contract too; the submitted and the returned ones never.
    assert statistics.totals(StatsFilter()) == statistics.Totals(9, D(1_770_000), D(1_540_000))


def test_by_month_reads_registration_times_in_shanghai(market):
    assert figures(statistics.by_period(YEAR_2026, "month")) == [
        ("2026-01", 2, D(300_000), D(230_000)),
        ("2026-02", 1, D(300_000), D(300_000)),
        ("2026-03", 1, D(400_000), D(350_000)),
        ("2026-04", 1, D(50_000), D(50_000)),
        ("2026-05", 1, D(60_000), D(40_000)),
        ("2026-06", 1, D(500_000), D(500_000)),
        ("2026-07", 1, D(90_000), D(0)),
    ]


def test_by_quarter_and_year(market):
    assert figures(statistics.by_period(YEAR_2026, "quarter")) == [
        ("2026Q1", 4, D(1_000_000), D(880_000)),
        ("2026Q2", 3, D(610_000), D(590_000)),
        ("2026Q3", 1, D(90_000), D(0)),
    ]
    assert figures(statistics.by_period(StatsFilter(), "year")) == [
        ("2025", 1, D(70_000), D(70_000)),
        ("2026", 8, D(1_700_000), D(1_470_000)),
    ]
    with pytest.raises(ValidationError):
        statistics.by_period(YEAR_2026, "week")


def test_by_category_lists_every_category(market):
    assert figures(statistics.by_category(YEAR_2026)) == [
        ("development", 2, D(700_000), D(650_000)),
        ("transfer", 2, D(600_000), D(580_000)),
        ("license", 2, D(290_000), D(150_000)),
        ("consulting", 1, D(50_000), D(50_000)),
        ("service", 1, D(60_000), D(40_000)),
    ]


def test_by_field_rolls_children_up_to_their_top_level_field(market):
    rows = statistics.by_field(YEAR_2026)
    assert figures(rows) == [
        ("biomedicine", 2, D(700_000), D(650_000)),
        ("new-energy", 2, D(550_000), D(550_000)),
        ("marine", 3, D(390_000), D(230_000)),
        ("", 1, D(60_000), D(40_000)),
    ]
    assert [row.label for row in rows] == ["生物医药", "新能源", "海洋", str(_("Not classified"))]


def test_by_buyer_city_counts_each_contract_once_by_its_first_buyer(market):
    rows = statistics.by_region(YEAR_2026, "buyer")
    assert figures(rows) == [
        ("370200", 5, D(950_000), D(770_000)),
        ("110100", 1, D(500_000), D(500_000)),
        ("370100", 1, D(200_000), D(150_000)),
        ("210200", 1, D(50_000), D(50_000)),
    ]
    assert rows[0].label == "山东省青岛市"
    assert rows[3].label == "辽宁省大连市"


def test_by_seller_city(market):
    assert figures(statistics.by_region(YEAR_2026, "seller")) == [
        ("370200", 6, D(1_240_000), D(1_080_000)),
        ("370100", 1, D(400_000), D(350_000)),
        ("320400", 1, D(60_000), D(40_000)),
    ]


def test_by_buyer_kind_is_the_legal_form_split_by_platform_kind(market):
    rows = statistics.by_kind(YEAR_2026, "buyer")
    assert figures(rows) == [
        ("enterprise", 6, D(1_550_000), D(1_430_000)),
        ("public_institution", 1, D(60_000), D(40_000)),
        ("government", 1, D(90_000), D(0)),
    ]
    off_platform = str(_("Not on the platform"))
    assert rows[0].extra["organization_kinds"] == {str(OrganizationKind.ENTERPRISE.label): 3, off_platform: 3}
    assert rows[1].extra["organization_kinds"] == {off_platform: 1}


def test_by_seller_kind(market):
    rows = statistics.by_kind(YEAR_2026, "seller")
    assert figures(rows) == [
        ("enterprise", 3, D(440_000), D(350_000)),
        ("public_institution", 4, D(1_200_000), D(1_080_000)),
        ("social_organization", 1, D(60_000), D(40_000)),
    ]
    assert rows[1].extra["organization_kinds"] == {
        str(OrganizationKind.UNIVERSITY.label): 3,
        str(_("Not on the platform")): 1,
    }


def test_local_conversion_by_count_and_by_amount(market, settings):
    settings.MARKET_REGION_CODE = "370200"
    conversion = statistics.local_conversion(YEAR_2026)
    # Local sellers: #1 #2 #3 #5 #7 #8; of those with a local buyer: #1 #3 #8.
    assert (conversion.local_sellers, conversion.local_buyers) == (6, 3)
    assert conversion.rate_by_count == Decimal("0.5000")
    assert (conversion.seller_amount, conversion.local_amount) == (D(1_080_000), D(380_000))
    assert conversion.rate_by_amount == Decimal("0.3519")  # 380 000 / 1 080 000


def test_local_conversion_follows_the_market_region_level(market, settings):
    settings.MARKET_REGION_CODE = "370000"  # the whole province: every seller but #6 (Changzhou)
    conversion = statistics.local_conversion(YEAR_2026)
    # Buyers in Shandong among #1–#5, #7, #8: #1 #2 #3 #4 #8.
    assert (conversion.local_sellers, conversion.local_buyers) == (7, 5)
    assert conversion.rate_by_count == Decimal("0.7143")
    settings.MARKET_REGION_CODE = "650100"  # nobody there
    empty = statistics.local_conversion(YEAR_2026)
    assert (empty.local_sellers, empty.rate_by_count, empty.rate_by_amount) == (0, None, None)


def test_agency_subsidies_at_the_default_two_percent(market):
    rows = statistics.agency_subsidies(YEAR_2026)
    assert [(row.organization, row.contracts, row.technology_amount, row.subsidy) for row in rows] == [
        (market.agency_b, 2, D(300_000), D(6_000)),
        (market.agency_a, 3, D(270_000), D(5_400)),  # #6 counted once although A is named twice
    ]
    assert all(row.rate == Decimal("0.02") for row in rows)


def test_agency_subsidies_at_a_configured_rate(market, settings):
    settings.STATISTICS = {"AGENCY_SUBSIDY_RATE": Decimal("0.035")}
    assert [row.subsidy for row in statistics.agency_subsidies(YEAR_2026)] == [D(10_500), D(9_450)]
    assert [row.subsidy for row in statistics.agency_subsidies(YEAR_2026, rate=Decimal("0.0333"))] == [
        D(9_990),
        D(8_991),
    ]


def test_filters_narrow_every_figure(market):
    def count(**params):
        return statistics.totals(StatsFilter.from_query(params)).count

    assert count(category="development") == 2
    assert count(field="biomedicine") == 2  # the top-level field takes in its children
    assert count(field="innovative-drugs") == 1
    assert count(field="marine", date_from="2026-01-01") == 3
    assert count(region="370100") == 2  # a seller or a buyer in Jinan: #2, #4
    assert count(region="370102") == 2
    assert count(region="370000", date_from="2026-01-01") == 8
    assert count(region="210202") == 2  # #5, and #3 through its second buyer
    assert count(date_from="2026-02-01", date_to="2026-03-01") == 2  # #3 and #4, in Shanghai time
    assert count(date_to="2025-12-31") == 1
    assert count(date_from="2026-01-01", date_to="2026-01-01") == 1
    f = StatsFilter.from_query({"region": "370100", "category": "development"})
    assert f.region == Region.objects.get(code="370100")
    assert f.as_query() == {"category": "development", "region": "370100"}
    assert StatsFilter.from_query({"field": "marine"}).field == IndustryField.objects.get(code="marine")


@pytest.mark.parametrize(
    ("params", "name", "message"),
    [
        ({"date_from": "2026-03-01", "date_to": "2026-02-01"}, "date_to", "期间止不能早于期间起。"),
        ({"date_from": "2026-13-01"}, "date_from", "输入一个有效的日期。"),
        ({"category": "barter"}, "category", "选择一个有效的选项"),
        ({"field": "no-such-field"}, "field", "选择一个有效的选项"),
        ({"region": "999999"}, "region", "选择一个有效的选项"),
        ({"region": "37\x0000"}, "region", "选择一个有效的选项"),
        ({"field": "marine\x00"}, "field", "选择一个有效的选项"),
        ({"date_to": "9999-12-31"}, "date_to", "确保该值小于或等于"),
        ({"date_from": "0001-01-01"}, "date_from", "确保该值大于或等于"),
    ],
)
def test_bad_filters_are_validation_errors_in_chinese(db, params, name, message):
    with pytest.raises(ValidationError) as caught:
        StatsFilter.from_query(params)
    assert message in " ".join(caught.value.message_dict[name])
