"""Reorder arithmetic on hand-worked examples.

Most examples use a forecast of 4 units a day with a daily sigma of exactly 2: the interval's
upper bound is 4 + z95 x 2, z95 = norm.ppf(0.975) = 1.959963984540054, and the service-level
z is norm.ppf(0.95) = 1.6448536269514722.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ml_models.forecasting import reorder_plan, stock_position

TODAY = dt.date(2024, 3, 1)
Z95_INTERVAL = 1.959963984540054
Z95_SERVICE = 1.6448536269514722


def daily_points(predicted, sigma=2.0) -> pd.DataFrame:
    """One row per day from the day after TODAY with the given forecasts and daily sigmas."""
    predicted = np.asarray(predicted, dtype=float)
    spread = Z95_INTERVAL * np.broadcast_to(np.asarray(sigma, dtype=float), predicted.shape)
    return pd.DataFrame(
        {
            "ds": pd.date_range(TODAY + dt.timedelta(days=1), periods=len(predicted), freq="D"),
            "predicted": predicted,
            "lower": np.clip(predicted - spread, 0, None),
            "upper": predicted + spread,
        }
    )


def test_the_worked_example_four_units_a_day():
    # Given 4 units a day (sigma 2) for 14 days, 30 in stock, 4 days lead time, weekly review
    points = daily_points([4.0] * 14)

    # When the plan is made at a 95% service level
    plan = reorder_plan(
        points, stock_on_hand=30, lead_time_days=4, review_days=7, service_level=0.95, today=TODAY
    )

    # Then, by hand:
    #   lead-time demand = 4 x 4 = 16; lead-time sigma = sqrt(4 x 2^2) = 4
    #   safety stock = 1.6448536 x 4 = 6.5794145; reorder point = 22.5794145
    #   order = ceil(4 x 11 + 6.5794145 - 30) = ceil(20.5794145) = 21
    #   cover: 7 days use 28 of the 30 units, day 8 would need 32 -> 7 days, stock-out on 9 March
    #   end-of-day stock falls below the safety stock on day 6 (30 - 24 = 6 < 6.58):
    #   order by today + (6 - 4) days = 3 March
    assert plan.lead_time_demand == 16.0
    assert plan.safety_stock == pytest.approx(Z95_SERVICE * 4)
    assert plan.reorder_point == pytest.approx(16 + Z95_SERVICE * 4)
    assert plan.order_quantity == 21
    assert plan.days_of_cover == 7
    assert plan.stockout_date == dt.date(2024, 3, 9)
    assert plan.order_by == dt.date(2024, 3, 3)
    assert stock_position(plan, 30) == "ok"


def test_stock_below_the_reorder_point_is_under_and_the_order_is_due_today():
    # Given the same forecast but only 10 units in stock
    points = daily_points([4.0] * 14)

    # When the plan is made
    plan = reorder_plan(points, stock_on_hand=10, lead_time_days=4, review_days=7, today=TODAY)

    # Then: order = ceil(44 + 6.5794145 - 10) = 41; the stock covers 2 days (8 of 10 units);
    # it is below the safety stock after day 1 already, so the order is late: order today
    assert plan.order_quantity == 41
    assert plan.days_of_cover == 2
    assert plan.stockout_date == dt.date(2024, 3, 4)
    assert plan.order_by == TODAY
    assert stock_position(plan, 10) == "under"


def test_closed_days_count_as_calendar_days_without_demand():
    # Given 5 units a day but closed (0) on days 2 and 5, no uncertainty, 12 in stock
    points = daily_points([5.0, 0.0, 5.0, 5.0, 0.0, 5.0, 5.0], sigma=0.0)

    # When the plan is made with a 2-day lead time and no review period
    plan = reorder_plan(points, stock_on_hand=12, lead_time_days=2, review_days=0, today=TODAY)

    # Then cumulative demand is 5, 5, 10, 15: day 4 is the first it exceeds 12, so 3 days are
    # covered; no uncertainty means no safety stock, so the stock dips below it on day 4 too
    # and the order must go out by today + (4 - 2) days = 3 March; the lead time needs 5 units,
    # the stock holds 12: nothing to order
    assert plan.safety_stock == 0.0
    assert plan.reorder_point == 5.0
    assert plan.days_of_cover == 3
    assert plan.stockout_date == dt.date(2024, 3, 5)
    assert plan.order_by == dt.date(2024, 3, 3)
    assert plan.order_quantity == 0


def test_stock_that_outlasts_the_forecast_has_no_stockout_and_is_over():
    # Given 4 a day for 14 days and 1,000 units in stock
    points = daily_points([4.0] * 14)

    # When the plan is made
    plan = reorder_plan(points, stock_on_hand=1000, lead_time_days=4, review_days=7, today=TODAY)

    # Then nothing runs out within the forecast: no cover figure, no dates, nothing to order;
    # at 4 a day 1,000 units last 250 days, beyond 4 + 7 + 90 days: over-stocked
    assert plan.days_of_cover is None
    assert plan.stockout_date is None
    assert plan.order_by is None
    assert plan.order_quantity == 0
    assert stock_position(plan, 1000) == "over"


def test_stock_of_a_product_nobody_buys_is_over():
    # Given a forecast of zero demand and 5 units in stock
    points = daily_points([0.0] * 14, sigma=0.0)

    # When the plan is made
    plan = reorder_plan(points, stock_on_hand=5, lead_time_days=4, today=TODAY)

    # Then there is nothing to order and the stock is dead weight
    assert plan.order_quantity == 0
    assert plan.days_of_cover is None
    assert stock_position(plan, 5) == "over"
    assert stock_position(plan, 0) == "ok"


def test_float_noise_neither_ends_the_cover_early_nor_orders_an_extra_unit():
    # Given 0.1 units a day and 0.3 in stock (0.1 + 0.1 + 0.1 = 0.30000000000000004 in floats)
    points = daily_points([0.1] * 10, sigma=0.0)

    # When the plan is made with 3 days lead time, no review, and 0.3 units in stock
    plan = reorder_plan(points, stock_on_hand=0.3, lead_time_days=3, review_days=0, today=TODAY)

    # Then 3 full days are covered and the lead time needs exactly what is there: 0 to order
    assert plan.days_of_cover == 3
    assert plan.order_quantity == 0


def test_a_lead_time_beyond_the_forecast_is_refused():
    points = daily_points([4.0] * 10)

    with pytest.raises(ValueError, match="lead time \\+ review period need 12"):
        reorder_plan(points, stock_on_hand=10, lead_time_days=5, review_days=7, today=TODAY)


def test_points_must_start_the_day_after_today():
    points = daily_points([4.0] * 10)

    with pytest.raises(ValueError, match="starting the day after today"):
        reorder_plan(points, stock_on_hand=10, lead_time_days=3, today=TODAY - dt.timedelta(days=1))
