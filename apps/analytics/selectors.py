"""Analytics reads, from the daily roll-ups only (never from the sales lines): exact and fast.

Definitions (the README and the schema say the same):

- **revenue**: Σ quantity x unit price over every line of the window, sales minus returns and
  cancellations (negative quantities): net sales. Summed exactly in SQL ``numeric``; shown rounded to
  the cent, half up.
- **orders**: distinct invoices with at least one sale line (positive quantity) in the window and the
  filters; an invoice holding only returns or cancellations is not an order.
- **customers**: distinct identified customers with a sale line in the window; anonymous sales count
  toward revenue, not customers.
- **units**: net units (returns netted out). **average_order_value**: revenue / orders (null without orders).
- **categories**: each line falls in its product's category, products without one in ``uncategorised``,
  so categories add up to revenue.
- **non-product lines**: postage, fees, discounts, vouchers and manual lines (:data:`NON_PRODUCT_SKUS`,
  :data:`NON_PRODUCT_PREFIXES`) are revenue like any line, marked ``non_product`` and left out of
  top products unless asked for.

A day is a calendar day in the business's time zone; ``start`` and ``end`` are inclusive.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

UNCATEGORISED = "uncategorised"
UNKNOWN_COUNTRY = "unknown"
# Stock codes that are not goods: postage, carriage, fees, discounts, samples, adjustments, manual lines.
NON_PRODUCT_SKUS = (
    "POST",
    "DOT",
    "C2",
    "M",
    "D",
    "S",
    "B",
    "CRUK",
    "BANK CHARGES",
    "AMAZONFEE",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
)
NON_PRODUCT_PREFIXES = ("GIFT_0001_",)  # gift vouchers: money taken for goods sold later
CENT = Decimal("0.01")
GRANULARITIES = ("day", "week", "month")


def money(value) -> str:
    return str(Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP))


def is_non_product(sku: str) -> bool:
    upper = sku.upper()
    return upper in NON_PRODUCT_SKUS or upper.startswith(NON_PRODUCT_PREFIXES)


NON_PRODUCT_SQL = "(upper(p.sku) = ANY(%(non_product_skus)s) OR upper(p.sku) LIKE ANY(%(non_product_like)s))"


@dataclass(frozen=True)
class Window:
    """The filters every analytics read takes: an inclusive date window, a category, a country."""

    start: date
    end: date
    category: str | None = None
    country: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Window":
        """The window of equal length just before this one."""
        return Window(
            self.start - timedelta(days=self.days),
            self.start - timedelta(days=1),
            self.category,
            self.country,
        )


def latest_sale_day(*, business) -> date | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(day) FROM analytics_invoice_day WHERE business_id = %s",
            [getattr(business, "pk", business)],
        )
        return cursor.fetchone()[0]


def _params(business, window: Window, **extra) -> dict:
    return {
        "business": getattr(business, "pk", business),
        "start": window.start,
        "end": window.end,
        "category": "" if (window.category or "").lower() == UNCATEGORISED else window.category,
        "country": "" if (window.country or "").lower() == UNKNOWN_COUNTRY else window.country,
        "non_product_skus": list(NON_PRODUCT_SKUS),
        "non_product_like": [prefix.replace("_", "\\_") + "%" for prefix in NON_PRODUCT_PREFIXES],
        **extra,
    }


def _where(window: Window, *, category: bool = True) -> str:
    """The filters on a roll-up aliased ``r`` keyed by day (category only where the table has one)."""
    clauses = ["r.business_id = %(business)s", "r.day BETWEEN %(start)s AND %(end)s"]
    if category and window.category is not None:
        clauses.append("r.category = %(category)s")
    if window.country is not None:
        clauses.append("r.country = %(country)s")
    return " AND ".join(clauses)


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _figures(revenue, units, orders, customers) -> dict:
    revenue = Decimal(revenue or 0)
    return {
        "revenue": money(revenue),
        "orders": int(orders or 0),
        "units": int(units or 0),
        "customers": int(customers or 0),
        "average_order_value": money(revenue / orders) if orders else None,
        "_revenue": revenue,
    }


def _growth(current, previous) -> float | None:
    """(current - previous) / previous, as a ratio (0.25 is +25%); null when previous is zero."""
    if not previous:
        return None
    return float(round((Decimal(current) - Decimal(previous)) / abs(Decimal(previous)), 4))


def overview(*, business, window: Window) -> dict:
    """Revenue, orders, units, customers and AOV of the window and of the one just before it."""
    before = window.previous()
    params = _params(
        business, Window(before.start, window.end, window.category, window.country), split=window.start
    )
    ((cur_revenue, cur_units, cur_orders, prev_revenue, prev_units, prev_orders),) = _fetch(
        f"""
        SELECT sum(cur_revenue), sum(cur_units), count(*) FILTER (WHERE cur_sales > 0),
               sum(prev_revenue), sum(prev_units), count(*) FILTER (WHERE prev_sales > 0)
        FROM (
            SELECT sum(r.revenue) FILTER (WHERE r.day >= %(split)s) AS cur_revenue,
                   sum(r.units) FILTER (WHERE r.day >= %(split)s) AS cur_units,
                   sum(r.sale_lines) FILTER (WHERE r.day >= %(split)s) AS cur_sales,
                   sum(r.revenue) FILTER (WHERE r.day < %(split)s) AS prev_revenue,
                   sum(r.units) FILTER (WHERE r.day < %(split)s) AS prev_units,
                   sum(r.sale_lines) FILTER (WHERE r.day < %(split)s) AS prev_sales
            FROM analytics_invoice_day AS r WHERE {_where(window)}
            GROUP BY r.invoice
        ) AS invoices
        """,
        params,
    )
    ((cur_customers, prev_customers),) = _fetch(
        f"""
        SELECT count(*) FILTER (WHERE cur > 0), count(*) FILTER (WHERE prev > 0)
        FROM (
            SELECT sum(r.sale_lines) FILTER (WHERE r.day >= %(split)s) AS cur,
                   sum(r.sale_lines) FILTER (WHERE r.day < %(split)s) AS prev
            FROM analytics_customer_day AS r WHERE {_where(window)}
            GROUP BY r.customer_id
        ) AS customers
        """,
        params,
    )
    current = _figures(cur_revenue, cur_units, cur_orders, cur_customers)
    previous = _figures(prev_revenue, prev_units, prev_orders, prev_customers)
    growth = {
        "revenue": _growth(current["_revenue"], previous["_revenue"]),
        "orders": _growth(current["orders"], previous["orders"]),
        "units": _growth(current["units"], previous["units"]),
        "customers": _growth(current["customers"], previous["customers"]),
        "average_order_value": _growth(
            current["average_order_value"] or 0, previous["average_order_value"] or 0
        ),
    }
    for figures in (current, previous):
        figures.pop("_revenue")
    previous.update(start=before.start, end=before.end)
    return {"start": window.start, "end": window.end, **current, "previous": previous, "growth": growth}


def sales_trend(*, business, window: Window, granularity: str) -> list[dict]:
    """Revenue, orders and units per day, week (from Monday) or month; periods without sales are zeros."""
    rows = _fetch(
        f"""
        WITH periods AS (
            SELECT generate_series(date_trunc(%(unit)s, %(start)s::date), %(end)s::date,
                                   ('1 ' || %(unit)s)::interval)::date AS period
        ), invoices AS (
            SELECT date_trunc(%(unit)s, r.day)::date AS period, sum(r.revenue) AS revenue,
                   sum(r.units) AS units, sum(r.sale_lines) AS sales
            FROM analytics_invoice_day AS r WHERE {_where(window)}
            GROUP BY 1, r.invoice
        )
        SELECT p.period, sum(i.revenue), sum(i.units), count(*) FILTER (WHERE i.sales > 0)
        FROM periods AS p LEFT JOIN invoices AS i ON i.period = p.period
        GROUP BY p.period ORDER BY p.period
        """,
        _params(business, window, unit=granularity),
    )
    return [
        {"period": period, "revenue": money(revenue), "orders": orders, "units": int(units or 0)}
        for period, revenue, units, orders in rows
    ]


def _by_invoice_and(column: str, business, window: Window) -> list[tuple]:
    return _fetch(
        f"""
        SELECT key, sum(revenue), sum(units), count(*) FILTER (WHERE sales > 0)
        FROM (
            SELECT r.{column} AS key, sum(r.revenue) AS revenue, sum(r.units) AS units,
                   sum(r.sale_lines) AS sales
            FROM analytics_invoice_day AS r WHERE {_where(window)}
            GROUP BY r.{column}, r.invoice
        ) AS invoices
        GROUP BY key
        """,
        _params(business, window),
    )


def _share(revenue: Decimal, total: Decimal) -> float | None:
    return float(round(revenue / total, 4)) if total else None


def categories(*, business, window: Window) -> dict:
    """Revenue, units and orders per category; the categories add up to the window's revenue."""
    rows = _by_invoice_and("category", business, window)
    total = sum((Decimal(revenue) for _, revenue, _, _ in rows), Decimal(0))
    results = sorted(
        (
            {
                "category": category or UNCATEGORISED,
                "revenue": money(revenue),
                "units": int(units),
                "orders": orders,
                "revenue_share": _share(Decimal(revenue), total),
                "_revenue": Decimal(revenue),
            }
            for category, revenue, units, orders in rows
        ),
        key=lambda row: (-row["_revenue"], row["category"]),
    )
    for row in results:
        row.pop("_revenue")
    return {"start": window.start, "end": window.end, "revenue": money(total), "results": results}


def regions(*, business, window: Window) -> dict:
    """Revenue, units, orders and customers per country of the sale lines."""
    rows = _by_invoice_and("country", business, window)
    customers = dict(
        _fetch(
            f"""
            SELECT key, count(*) FROM (
                SELECT r.country AS key FROM analytics_customer_day AS r WHERE {_where(window)}
                GROUP BY r.country, r.customer_id HAVING sum(r.sale_lines) > 0
            ) AS buyers GROUP BY key
            """,
            _params(business, window),
        )
    )
    total = sum((Decimal(revenue) for _, revenue, _, _ in rows), Decimal(0))
    results = sorted(
        (
            {
                "country": country or UNKNOWN_COUNTRY,
                "revenue": money(revenue),
                "units": int(units),
                "orders": orders,
                "customers": customers.get(country, 0),
                "revenue_share": _share(Decimal(revenue), total),
                "_revenue": Decimal(revenue),
            }
            for country, revenue, units, orders in rows
        ),
        key=lambda row: (-row["_revenue"], row["country"]),
    )
    for row in results:
        row.pop("_revenue")
    return {"start": window.start, "end": window.end, "revenue": money(total), "results": results}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def top_products(
    *, business, window: Window, by: str = "revenue", limit: int = 10, include_non_product: bool = False
) -> list[dict]:
    """The best products of the window by net revenue or net units.

    Whole calendar months inside the window are read from the monthly roll-up, the days of the partial
    months at either end from the daily one: a year's window reads about 13 x products rows, not 365 x.
    """
    full_start = window.start if window.start.day == 1 else _next_month(window.start)
    full_end = _month_start(window.end + timedelta(days=1))  # exclusive
    country = " AND r.country = %(country)s" if window.country is not None else ""
    day_rows = f"""
            SELECT r.product_id, r.revenue, r.units, r.lines FROM analytics_product_day AS r
            WHERE r.business_id = %(business)s{country} AND r.day >= %({{0}})s AND r.day <= %({{1}})s
    """
    if full_start < full_end:
        # Two plain day ranges, not one OR: each is an index range scan.
        parts = f"""
            SELECT r.product_id, r.revenue, r.units, r.lines FROM analytics_product_month AS r
            WHERE r.business_id = %(business)s{country}
              AND r.month >= %(full_start)s AND r.month < %(full_end)s
            UNION ALL {day_rows.format("start", "head_end")}
            UNION ALL {day_rows.format("full_end", "end")}
        """
    else:
        parts = day_rows.format("start", "end")
    filters = []
    if window.category is not None:
        filters.append("p.category = %(category)s")
    if not include_non_product:
        filters.append(f"NOT {NON_PRODUCT_SQL}")
    where = f"WHERE {' AND '.join(filters)}" if filters else ""
    order = "revenue DESC, units DESC" if by == "revenue" else "units DESC, revenue DESC"
    rows = _fetch(
        f"""
        SELECT p.id, p.sku, p.name, p.category, totals.revenue, totals.units, totals.lines,
               {NON_PRODUCT_SQL} AS non_product
        FROM (
            SELECT product_id, sum(revenue) AS revenue, sum(units) AS units, sum(lines) AS lines
            FROM ({parts}) AS r GROUP BY product_id HAVING sum(lines) <> 0
        ) AS totals
        JOIN data_product AS p ON p.id = totals.product_id
        {where}
        ORDER BY {order}, p.sku
        LIMIT %(limit)s
        """,
        _params(
            business,
            window,
            full_start=full_start,
            full_end=full_end,
            head_end=full_start - timedelta(days=1),
            limit=limit,
        ),
    )
    return [
        {
            "product": product_id,
            "sku": sku,
            "name": name,
            "category": category or UNCATEGORISED,
            "revenue": money(revenue),
            "units": int(units),
            "lines": int(lines),
            "non_product": non_product,
        }
        for product_id, sku, name, category, revenue, units, lines, non_product in rows
    ]


def revenue_forecast(*, business) -> dict | None:
    """The next 30 days' revenue with its bounds, as the last forecast run fitted it."""
    from apps.forecasting.selectors import revenue_forecast as stored

    forecast = stored(business=business)
    if forecast is None:
        return None
    return {
        "days": 30,
        "first_date": forecast.first_date,
        "revenue": money(forecast.revenue_30),
        "lower": money(forecast.revenue_30_lower),
        "upper": money(forecast.revenue_30_upper),
        "model": forecast.model,
    }
