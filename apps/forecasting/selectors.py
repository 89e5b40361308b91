"""Reads of stored forecasts. Nothing here fits a model."""

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db.models import QuerySet

from apps.forecasting.models import ForecastRun, ProductForecast, RevenueForecast
from data.stock import stock_is_low

REVIEW_DAYS = 7
SERVICE_LEVEL = 0.95


@dataclass
class Reorder:
    reorder_point: float
    safety_stock: float
    order_quantity: int
    order_by: date | None
    days_of_cover: int | None
    stockout_date: date | None
    reorder_now: bool
    position: str  # under, ok or over
    advice: str = ""  # why no reorder advice is given, when none is


def points_frame(forecast: ProductForecast, horizon: int = 90) -> pd.DataFrame:
    values = forecast.points[:horizon]
    frame = pd.DataFrame(values, columns=["predicted", "lower", "upper"])
    frame.insert(0, "ds", pd.date_range(forecast.first_date, periods=len(values), freq="D"))
    return frame


def reorder_for(forecast: ProductForecast) -> Reorder:
    """Reorder advice from the stored forecast and the product's stock now (cheap: no fitting).

    Stored points run day by day from ``first_date``, so they go to the arithmetic as arrays: a summary
    page computes this for every row, and a DataFrame per row once cost most of its time.
    """
    from ml_models.forecasting import reorder as ml  # pure arithmetic; no model library is loaded

    product = forecast.product
    today = forecast.first_date - timedelta(days=1)
    points = np.asarray(forecast.points, dtype=float).reshape(-1, 3)
    plan = ml.reorder_plan_of_days(
        points[:, 0],
        points[:, 2],
        stock_on_hand=product.stock_quantity,
        lead_time_days=product.lead_time_days,
        review_days=REVIEW_DAYS,
        service_level=SERVICE_LEVEL,
        today=today,
    )
    position = ml.stock_position(plan, product.stock_quantity)
    if not forecast_advises_reorder(forecast):
        # Too little history to backtest: the forecast is a shrunk guess, too unsure to order on.
        return Reorder(
            reorder_point=plan.reorder_point,
            safety_stock=plan.safety_stock,
            order_quantity=0,
            order_by=None,
            days_of_cover=plan.days_of_cover,
            stockout_date=plan.stockout_date,
            reorder_now=False,
            position="ok" if position == "under" else position,
            advice=f"No reorder advice: {forecast.note}",
        )
    # One rule with the stock status and the alerts (data.stock): reorder when stock is at or under the
    # forecast's reorder point in whole units, the figure the run stores on the product.
    point = whole_units(plan.reorder_point)
    low = product.stock_quantity <= 0 or stock_is_low(product.stock_quantity, point)
    return Reorder(
        reorder_point=plan.reorder_point,
        safety_stock=plan.safety_stock,
        order_quantity=int(plan.order_quantity),
        order_by=plan.order_by,
        days_of_cover=plan.days_of_cover,
        stockout_date=plan.stockout_date,
        reorder_now=low and plan.order_quantity > 0,
        position=position,
    )


def forecast_advises_reorder(forecast: ProductForecast) -> bool:
    """Whether the forecast is sure enough to order on: not one shrunk for too little history."""
    from ml_models.forecasting.shrinkage import SHRUNK

    return forecast.model != SHRUNK


def whole_units(reorder_point: float) -> int:
    """A reorder point in whole units, as stock is counted (rounded up: 12.2 units means 13)."""
    return max(0, math.ceil(round(float(reorder_point), 6)))


def forecast_list(*, business) -> QuerySet[ProductForecast]:
    return (
        ProductForecast.objects.for_business(business)
        .select_related("product")
        .order_by("-predicted_30", "pk")
    )


def forecast_for_product(*, business, product_id: int) -> ProductForecast | None:
    return forecast_list(business=business).filter(product_id=product_id).first()


def run_list(*, business) -> QuerySet[ForecastRun]:
    return ForecastRun.objects.for_business(business).order_by("-created_at", "-pk")


def revenue_forecast(*, business) -> RevenueForecast | None:
    return RevenueForecast.objects.for_business(business).first()
