"""Reorder arithmetic: safety stock, reorder point, order quantity, days of cover.

Pure arithmetic on one product's daily forecast (``ForecastResult.points`` filtered to the
product): no model runs here, so every number can be checked by hand.

Conventions (days are calendar days; day 1 is the day after ``today``):

* daily sigma = (upper - predicted) / z(interval level), i.e. the 95% interval's half-width
  / 1.96. The *upper* half is used because the lower bound is clipped at zero demand;
* lead-time sigma = sqrt(sum of the daily variances over days 1..lead_time_days) (independent days);
* safety stock = z(service_level) x lead-time sigma (never below 0);
* reorder point = forecast demand over the lead time + safety stock;
* order quantity = forecast demand over lead time + review period + safety stock - stock on hand,
  at least 0, rounded up to whole units;
* days of cover = whole days the stock fully covers: the number of days before the first day on
  which cumulative forecast demand exceeds the stock on hand. ``None`` when that never happens
  within the forecast (cover at least as long as the forecast);
* stock-out date = the first day demand can no longer be fully met = today + days_of_cover + 1;
  ``None`` with days_of_cover. (``today + days_of_cover`` would be the last fully covered day.)
* order by = the last day an order can be placed and still arrive (lead time later) before the
  projected end-of-day stock falls below the safety stock: that day minus the lead time, but not
  before today (already late: order today). ``None`` when the stock stays above the safety stock
  over the whole forecast.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from .trading_calendar import to_day

# Cumulative sums of floats: 0.1 + 0.2 must not count as exceeding 0.3 units.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class ReorderPlan:
    """What to order, by when, and how long the stock lasts (see the module docstring)."""

    reorder_point: float
    safety_stock: float
    order_quantity: int
    order_by: dt.date | None
    days_of_cover: int | None
    stockout_date: dt.date | None
    lead_time_demand: float
    lead_time_days: int
    review_days: int
    horizon_days: int
    horizon_demand: float


@functools.lru_cache(maxsize=32)
def _z(probability: float) -> float:
    """The standard normal quantile; cached because a summary page asks for the same few hundreds of times."""
    return float(norm.ppf(probability))


def daily_sigmas(points: pd.DataFrame, interval_level: float = 95) -> np.ndarray:
    """Each day's standard deviation implied by its interval: (upper - predicted) / z."""
    return _sigmas(points["predicted"].to_numpy(float), points["upper"].to_numpy(float), interval_level)


def _sigmas(predicted: np.ndarray, upper: np.ndarray, interval_level: float) -> np.ndarray:
    return np.clip((upper - predicted) / _z(0.5 + interval_level / 200), 0, None)


def forecast_days(points: pd.DataFrame, today) -> pd.DataFrame:
    """The forecast days after ``today``, checked to run day by day from the day after today."""
    future = points[pd.to_datetime(points["ds"]) > to_day(today)].copy()
    future["ds"] = pd.to_datetime(future["ds"])
    future = future.sort_values("ds")
    expected = pd.date_range(to_day(today) + pd.Timedelta(days=1), periods=len(future), freq="D")
    if len(future) == 0 or not (future["ds"].to_numpy() == expected.to_numpy()).all():
        raise ValueError("points must hold one row per calendar day, starting the day after today")
    return future.reset_index(drop=True)


def reorder_plan(
    points: pd.DataFrame,
    *,
    stock_on_hand: float,
    lead_time_days: int,
    review_days: int = 7,
    service_level: float = 0.95,
    today,
    interval_level: float = 95,
) -> ReorderPlan:
    """The reorder plan of one product from its daily forecast.

    ``points`` is DataFrame[ds, predicted, lower, upper] for one product, one row per calendar
    day from the day after ``today`` (closed days included, as 0). ``interval_level`` is the
    level of its interval (95 for ``select_and_forecast``'s default). The forecast must cover at
    least ``lead_time_days + review_days``. See the module docstring for every formula.
    """
    days = forecast_days(points, today)
    return reorder_plan_of_days(
        days["predicted"].to_numpy(float),
        days["upper"].to_numpy(float),
        stock_on_hand=stock_on_hand,
        lead_time_days=lead_time_days,
        review_days=review_days,
        service_level=service_level,
        today=today,
        interval_level=interval_level,
    )


def reorder_plan_of_days(
    predicted: np.ndarray,
    upper: np.ndarray,
    *,
    stock_on_hand: float,
    lead_time_days: int,
    review_days: int = 7,
    service_level: float = 0.95,
    today,
    interval_level: float = 95,
) -> ReorderPlan:
    """:func:`reorder_plan` on arrays already known to run day by day from the day after ``today``
    (a stored forecast's points): the same arithmetic without building a DataFrame per product."""
    if lead_time_days < 0 or review_days < 0:
        raise ValueError("lead time and review period cannot be negative")
    if not 0 < service_level < 1:
        raise ValueError("service_level is a probability strictly between 0 and 1")
    if lead_time_days + review_days > len(predicted) or len(predicted) == 0:
        raise ValueError(
            f"the forecast covers {len(predicted)} days; "
            f"lead time + review period need {lead_time_days + review_days}"
        )
    sigmas = _sigmas(predicted, upper, interval_level)

    lead_time_demand = float(predicted[:lead_time_days].sum())
    lead_time_sigma = math.sqrt(float((sigmas[:lead_time_days] ** 2).sum()))
    safety_stock = max(0.0, _z(service_level) * lead_time_sigma)
    reorder_point = lead_time_demand + safety_stock
    needed = float(predicted[: lead_time_days + review_days].sum()) + safety_stock - stock_on_hand
    # Round before ceil so float noise (12.000000000001) does not order an extra unit.
    order_quantity = max(0, math.ceil(round(needed, 6)))

    start = dt.date.fromordinal(to_day(today).toordinal())
    cumulative = np.cumsum(predicted)
    short = np.flatnonzero(cumulative > stock_on_hand + TOLERANCE)
    days_of_cover = int(short[0]) if len(short) else None
    stockout_date = start + dt.timedelta(days=days_of_cover + 1) if len(short) else None

    below_safety = np.flatnonzero(stock_on_hand - cumulative < safety_stock - TOLERANCE)
    order_by = None
    if len(below_safety):
        day_below = int(below_safety[0]) + 1  # 1-based day on which the stock dips below
        order_by = max(start, start + dt.timedelta(days=day_below - lead_time_days))

    return ReorderPlan(
        reorder_point=reorder_point,
        safety_stock=safety_stock,
        order_quantity=order_quantity,
        order_by=order_by,
        days_of_cover=days_of_cover,
        stockout_date=stockout_date,
        lead_time_demand=lead_time_demand,
        lead_time_days=lead_time_days,
        review_days=review_days,
        horizon_days=len(predicted),
        horizon_demand=float(predicted.sum()),
    )


def stock_position(
    plan: ReorderPlan, stock_on_hand: float, *, over_days: int = 90
) -> Literal["under", "ok", "over"]:
    """Is the stock on hand too low, fine, or too high?

    * ``under``: below the reorder point (order now);
    * ``over``: stock with no forecast demand at all, or days of cover beyond lead time +
      review period + ``over_days`` (90: a quarter's worth of dead stock). When the stock outlasts
      the forecast (``days_of_cover`` is None) the cover is extrapolated at the forecast's
      average daily demand;
    * ``ok`` otherwise.
    """
    if stock_on_hand < plan.reorder_point - TOLERANCE:
        return "under"
    if plan.horizon_demand <= 0:
        return "over" if stock_on_hand > 0 else "ok"
    if plan.days_of_cover is not None:
        cover = float(plan.days_of_cover)
    else:
        cover = stock_on_hand / (plan.horizon_demand / plan.horizon_days)
    return "over" if cover > plan.lead_time_days + plan.review_days + over_days else "ok"
