"""The analytics reads: every figure equals a sum computed here from the hand-built lines."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.forecasting.models import RevenueForecast
from data.models import Transaction
from tests.apps.analytics.helpers import cents, local_day
from tests.factories import CustomerFactory, ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("America/New_York")
SUB_CENT = Transaction._meta.get_field("unit_price").decimal_places >= 3


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=ZONE)


@pytest.fixture
def shop(business):
    """A week of a shop in New York: returns, an anonymous invoice, three countries and categories, a
    postage line, a sub-cent price where prices keep four places, and no sales on 2 March."""
    business.timezone = "America/New_York"
    business.save(update_fields=["timezone"])
    mugs = ProductFactory(
        business=business, sku="MUG", name="Mug", category="Mugs", unit_price=Decimal("10.00")
    )
    tea = ProductFactory(business=business, sku="TEA", name="Tea", category="Tea", unit_price=Decimal("2.50"))
    plain = ProductFactory(business=business, sku="BOX", name="Box", category="", unit_price=Decimal("19.99"))
    post = ProductFactory(
        business=business, sku="POST", name="Postage", category="", unit_price=Decimal("5.00")
    )
    pads = ProductFactory(business=business, sku="PADS", name="Pads", category="", unit_price=Decimal("0.01"))
    alice = CustomerFactory(business=business, external_id="ALICE", country="United Kingdom")
    bruno = CustomerFactory(business=business, external_id="BRUNO", country="France")
    pad_price = Decimal("0.001") if SUB_CENT else Decimal("0.01")
    specs = [
        # invoice, product, quantity, unit price, when (New York), customer, country
        ("INV0", mugs, 1, "10.00", at("2024-02-28", 12), bruno, "United Kingdom"),  # the previous window
        ("INV1", mugs, 2, "10.00", at("2024-03-01", 10), alice, "United Kingdom"),
        ("INV1", post, 1, "5.00", at("2024-03-01", 10), alice, "United Kingdom"),
        # 22:30 in New York is 03:30 UTC on 2 March: still 1 March for the shop
        ("INV2", tea, 3, "2.50", at("2024-03-01", 22, 30), None, "France"),
        ("INV2", pads, 7, pad_price, at("2024-03-01", 22, 30), None, "France"),
        ("C-INV3", mugs, -1, "10.00", at("2024-03-03", 9), alice, "United Kingdom"),  # a cancellation only
        ("INV4", plain, 1, "19.99", at("2024-03-03", 15), bruno, "France"),
        ("INV4", tea, -1, "2.50", at("2024-03-03", 15), bruno, "France"),
        ("INV5", mugs, 1, "10.00", at("2024-03-04", 11), alice, "Germany"),
    ]
    for invoice, product, quantity, price, when, customer, country in specs:
        TransactionFactory(
            product=product,
            invoice=invoice,
            quantity=quantity,
            unit_price=Decimal(price),
            total=(Decimal(price) * quantity).quantize(Decimal("0.0001")),
            timestamp=when,
            customer=customer,
            country=country,
        )
    return business


def window_lines(business, start, end, **match):
    found = []
    for line in Transaction.objects.for_business(business).select_related("product", "customer"):
        day = local_day(line, business)
        category = line.product.category or "uncategorised"
        if start <= day <= end and all(
            {"category": category, "country": line.country}[key] == value for key, value in match.items()
        ):
            found.append(line)
    return found


def figures(found) -> dict:
    revenue = sum((line.quantity * line.unit_price for line in found), Decimal(0))
    orders = {line.invoice for line in found if line.quantity > 0}
    return {
        "revenue": cents(revenue),
        "orders": len(orders),
        "units": sum(line.quantity for line in found),
        "customers": len({line.customer_id for line in found if line.quantity > 0 and line.customer_id}),
        "average_order_value": cents(revenue / len(orders)) if orders else None,
    }


MARCH = {"start": "2024-03-01", "end": "2024-03-04"}


def test_overview_equals_the_sums_of_the_lines_and_of_the_window_before(api, shop):
    RevenueForecast.objects.for_business(shop).create(
        business=shop,
        first_date=date(2024, 3, 5),
        model="auto_ets",
        revenue_30=Decimal("300.004"),
        revenue_30_lower=Decimal("250"),
        revenue_30_upper=Decimal("350.5"),
        revenue_90=0,
        revenue_90_lower=0,
        revenue_90_upper=0,
    )

    body = api.get("/api/analytics/overview/", MARCH).json()

    current = figures(window_lines(shop, date(2024, 3, 1), date(2024, 3, 4)))
    previous = figures(window_lines(shop, date(2024, 2, 26), date(2024, 2, 29)))
    assert {key: body[key] for key in current} == current
    assert {key: body["previous"][key] for key in previous} == previous
    assert body["previous"]["start"] == "2024-02-26" and body["previous"]["end"] == "2024-02-29"
    # Spelled out: 20 + 5 + 7.50 + 7 x the pad price - 10 + 19.99 - 2.50 + 10; four orders (C-INV3
    # holds only a return), two customers (INV2 is anonymous), units netted.
    assert body["revenue"] == ("50.00" if SUB_CENT else "50.06")
    assert (body["orders"], body["customers"], body["units"]) == (4, 2, 13)
    assert body["growth"]["orders"] == 3.0  # 1 order before
    assert body["forecast"] == {
        "days": 30,
        "first_date": "2024-03-05",
        "revenue": "300.00",
        "lower": "250.00",
        "upper": "350.50",
        "model": "auto_ets",
    }


@pytest.mark.parametrize(
    "match",
    [
        {"category": "Mugs"},
        {"category": "uncategorised"},
        {"country": "France"},
        {"country": "United Kingdom", "category": "Mugs"},
        {"country": "Nowhere"},
    ],
)
def test_overview_filters_equal_the_sums_of_the_matching_lines(api, shop, match):
    body = api.get("/api/analytics/overview/", {**MARCH, **match}).json()

    expected = figures(window_lines(shop, date(2024, 3, 1), date(2024, 3, 4), **match))
    assert {key: body[key] for key in expected} == expected


def test_the_trend_has_every_day_including_one_without_sales(api, shop):
    body = api.get("/api/analytics/sales-trend/", {**MARCH, "granularity": "day"}).json()

    days = [date(2024, 3, 1) + timedelta(days=offset) for offset in range(4)]
    assert [row["period"] for row in body["results"]] == [day.isoformat() for day in days]
    for row, day in zip(body["results"], days, strict=True):
        expected = figures(window_lines(shop, day, day))
        assert (row["revenue"], row["orders"], row["units"]) == (
            expected["revenue"],
            expected["orders"],
            expected["units"],
        )
    assert body["results"][1] == {"period": "2024-03-02", "revenue": "0.00", "orders": 0, "units": 0}


def test_weeks_and_months_count_an_order_once(api, shop):
    weeks = api.get(
        "/api/analytics/sales-trend/", {"start": "2024-02-26", "end": "2024-03-04", "granularity": "week"}
    ).json()["results"]
    months = api.get(
        "/api/analytics/sales-trend/", {"start": "2024-02-26", "end": "2024-03-04", "granularity": "month"}
    ).json()["results"]

    assert [(row["period"], row["orders"]) for row in weeks] == [("2024-02-26", 4), ("2024-03-04", 1)]
    assert [(row["period"], row["orders"]) for row in months] == [("2024-02-01", 1), ("2024-03-01", 4)]
    total = figures(window_lines(shop, date(2024, 2, 26), date(2024, 3, 4)))["revenue"]
    assert cents(sum(Decimal(row["revenue"]) for row in months)) == total


def test_categories_add_up_to_revenue_with_an_uncategorised_bucket(api, shop):
    body = api.get("/api/analytics/categories/", MARCH).json()

    by_name = {row["category"]: row for row in body["results"]}
    assert set(by_name) == {"Mugs", "Tea", "uncategorised"}
    for name, row in by_name.items():
        expected = figures(window_lines(shop, date(2024, 3, 1), date(2024, 3, 4), category=name))
        assert (row["revenue"], row["units"], row["orders"]) == (
            expected["revenue"],
            expected["units"],
            expected["orders"],
        )
    assert body["revenue"] == figures(window_lines(shop, date(2024, 3, 1), date(2024, 3, 4)))["revenue"]
    assert by_name["Mugs"]["revenue"] == "20.00" and by_name["Tea"]["revenue"] == "5.00"


def test_regions_give_each_country_its_revenue_orders_and_customers(api, shop):
    body = api.get("/api/analytics/regions/", MARCH).json()

    by_country = {row["country"]: row for row in body["results"]}
    assert set(by_country) == {"United Kingdom", "France", "Germany"}
    for country, row in by_country.items():
        expected = figures(window_lines(shop, date(2024, 3, 1), date(2024, 3, 4), country=country))
        assert (row["revenue"], row["units"], row["orders"], row["customers"]) == (
            expected["revenue"],
            expected["units"],
            expected["orders"],
            expected["customers"],
        )
    assert by_country["United Kingdom"]["orders"] == 1  # C-INV3 is a cancellation, not an order


def test_top_products_leave_non_product_lines_out_unless_asked(api, shop):
    default = api.get("/api/analytics/top-products/", MARCH).json()["results"]
    everything = api.get("/api/analytics/top-products/", {**MARCH, "include_non_product": "true"}).json()[
        "results"
    ]
    by_units = api.get("/api/analytics/top-products/", {**MARCH, "by": "units", "limit": 2}).json()["results"]

    assert [row["sku"] for row in default] == ["MUG", "BOX", "TEA", "PADS"]
    assert [row["revenue"] for row in default[:3]] == ["20.00", "19.99", "5.00"]
    assert not any(row["non_product"] for row in default)
    postage = next(row for row in everything if row["sku"] == "POST")
    assert postage["non_product"] is True and postage["revenue"] == "5.00"
    assert [row["sku"] for row in by_units] == ["PADS", "MUG"]  # MUG and TEA tie on 2: revenue decides


def test_top_products_over_whole_months_and_partial_ones_agree_with_the_lines(api, shop):
    body = api.get("/api/analytics/top-products/", {"start": "2024-02-10", "end": "2024-03-03"}).json()

    mugs = next(row for row in body["results"] if row["sku"] == "MUG")
    expected = window_lines(shop, date(2024, 2, 10), date(2024, 3, 3), category="Mugs")
    assert mugs["revenue"] == figures(expected)["revenue"]
    assert mugs["units"] == sum(line.quantity for line in expected)


def test_the_default_window_is_the_thirty_days_to_the_latest_sale(api, shop):
    body = api.get("/api/analytics/overview/").json()

    assert (body["start"], body["end"]) == ("2024-02-04", "2024-03-04")


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("overview", {"start": "yesterday"}, "start"),
        ("overview", {"start": "2024-03-02", "end": "2024-03-01"}, "end"),
        ("overview", {"end": "0001-01-01"}, "end"),
        ("categories", {"category": "x" * 121}, "category"),
        ("regions", {"country": "y" * 81}, "country"),
        ("sales-trend", {"granularity": "hour"}, "granularity"),
        ("sales-trend", {"start": "1970-01-01", "end": "2999-12-31"}, "granularity"),
        ("top-products", {"limit": "0"}, "limit"),
        ("top-products", {"limit": "many"}, "limit"),
        ("top-products", {"by": "profit"}, "by"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api, shop, url, params, field):
    response = api.get(f"/api/analytics/{url}/", params)

    assert response.status_code == 400
    assert field in response.json()


def test_a_business_without_sales_gets_zeros(api, business):
    body = api.get("/api/analytics/overview/").json()

    assert (body["revenue"], body["orders"], body["average_order_value"], body["forecast"]) == (
        "0.00",
        0,
        None,
        None,
    )
