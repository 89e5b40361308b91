"""Hand-built situations for the advice tests: sales that set the data's today, stored forecasts, scores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from apps.forecasting.models import ProductForecast
from tests.factories import CustomerFactory, ProductFactory, TransactionFactory

TODAY = date(2026, 11, 26)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def sell(product, *, day: date = TODAY, quantity: int = 1, customer=None, unit_price=None):
    """A sale line of ``product`` on ``day`` (the latest sale sets the data's today)."""
    return TransactionFactory(
        product=product,
        quantity=quantity,
        customer=customer,
        unit_price=product.unit_price if unit_price is None else unit_price,
        timestamp=at(day),
    )


def forecast(product, *, daily: float, spread: float = 1.0, today: date = TODAY) -> ProductForecast:
    """A stored forecast of ``daily`` units a day for 90 days from the day after ``today``."""
    return ProductForecast.objects.for_business(product.business).update_or_create(
        business=product.business,
        product=product,
        defaults={
            "model": "test",
            "first_date": today + timedelta(days=1),
            "points": [[daily, max(daily - spread, 0.0), daily + spread]] * 90,
            "predicted_7": daily * 7,
            "predicted_30": daily * 30,
            "predicted_90": daily * 90,
        },
    )[0]


def short_product(business, *, stock: int = 14, daily: float = 31 / 7, name: str = "Tea towel"):
    """A product that runs out within its lead time: a reorder situation."""
    product = ProductFactory(business=business, name=name, stock_quantity=stock, lead_time_days=7)
    sell(product)
    forecast(product, daily=daily)
    return product


def overstocked_product(business, *, stock: int = 1000, daily: float = 1.0, name: str = "Doormat"):
    product = ProductFactory(
        business=business,
        name=name,
        stock_quantity=stock,
        unit_price=Decimal("10.00"),
        unit_cost=Decimal("6.00"),
    )
    sell(product)
    forecast(product, daily=daily)
    return product


def dead_product(business, *, stock: int = 50, idle_days: int = 120, name: str = "Snow globe"):
    """Stock that has not sold for ``idle_days`` (some other sale sets the data's today)."""
    product = ProductFactory(business=business, name=name, stock_quantity=stock, unit_cost=Decimal("4.00"))
    sell(product, day=TODAY - timedelta(days=idle_days))
    return product


def slipping_customer(
    business, *, segment: str = "at_risk", clv: str = "450.00", external_id: str = "C-LAPSING"
):
    """A customer who used to buy every 21 days and stopped: worth winning back."""
    last = TODAY - timedelta(days=80)
    return CustomerFactory(
        business=business,
        external_id=external_id,
        segment=segment,
        churn_probability=0.8,
        predicted_clv=Decimal(clv),
        frequency=8,
        monetary=Decimal("1230.00"),
        first_purchase_at=at(last - timedelta(days=21 * 7)),
        last_purchase_at=at(last),
        recency_days=80,
    )


def cheap_customer(business, *, external_id: str = "C-SMALL", clv: str = "5.00", segment: str = "regular"):
    return CustomerFactory(
        business=business, external_id=external_id, segment=segment, predicted_clv=Decimal(clv)
    )
