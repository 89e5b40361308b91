"""Sums computed from the sales lines in Python, independently of the roll-ups and their SQL."""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from data.models import Transaction


def lines(business) -> list[Transaction]:
    return list(Transaction.objects.for_business(business).select_related("product"))


def local_day(line, business):
    return line.timestamp.astimezone(ZoneInfo(business.timezone)).date()


def cents(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_rollups(business) -> dict:
    """What each roll-up must hold, keyed as it is, computed line by line; rows adding nothing left out."""
    tables = {
        name: defaultdict(lambda: [Decimal(0), 0, 0, 0])
        for name in ("product_day", "product_month", "invoice_day", "customer_day")
    }
    for line in lines(business):
        day = local_day(line, business)
        revenue = line.quantity * line.unit_price
        sale = 1 if line.quantity > 0 else 0
        keys = {
            "product_day": (day, line.product_id, line.country),
            "product_month": (day.replace(day=1), line.product_id, line.country),
            "invoice_day": (day, line.invoice, line.product.category, line.country),
        }
        if line.customer_id is not None:
            keys["customer_day"] = (day, line.customer_id, line.product.category, line.country)
        for name, key in keys.items():
            row = tables[name][key]
            row[0] += revenue
            row[1] += line.quantity
            row[2] += 1
            row[3] += sale
    shaped = {}
    for name, rows in tables.items():
        shaped[name] = {
            key: (
                (lines_, sales)
                if name == "customer_day"
                else (revenue, units, lines_, sales)
                if name == "invoice_day"
                else (revenue, units, lines_)
            )
            for key, (revenue, units, lines_, sales) in rows.items()
        }
    return shaped


ROLLUP_SQL = {
    "product_day": "SELECT day, product_id, country, sum(revenue), sum(units), sum(lines) "
    "FROM analytics_product_day WHERE business_id = %s GROUP BY 1, 2, 3",
    "product_month": "SELECT month, product_id, country, sum(revenue), sum(units), sum(lines) "
    "FROM analytics_product_month WHERE business_id = %s GROUP BY 1, 2, 3",
    "invoice_day": "SELECT day, invoice, category, country, sum(revenue), sum(units), sum(lines), "
    "sum(sale_lines) FROM analytics_invoice_day WHERE business_id = %s GROUP BY 1, 2, 3, 4",
    "customer_day": "SELECT day, customer_id, category, country, sum(lines), sum(sale_lines) "
    "FROM analytics_customer_day WHERE business_id = %s GROUP BY 1, 2, 3, 4",
}
KEY_WIDTH = {"product_day": 3, "product_month": 3, "invoice_day": 4, "customer_day": 4}


def stored_rollups(business) -> dict:
    """The roll-ups as stored, summed over writers, rows that add up to nothing left out."""
    shaped = {}
    with connection.cursor() as cursor:
        for name, sql in ROLLUP_SQL.items():
            cursor.execute(sql, [business.pk])
            width = KEY_WIDTH[name]
            shaped[name] = {
                tuple(row[:width]): tuple(row[width:])
                for row in cursor.fetchall()
                if any(value != 0 for value in row[width:])
            }
    return shaped


def assert_rollups_match(business) -> None:
    expected, stored = expected_rollups(business), stored_rollups(business)
    for name in expected:
        assert stored[name] == expected[name], name
