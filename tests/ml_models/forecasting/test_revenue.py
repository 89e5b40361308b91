"""Business revenue forecast: totals with bounds over 30 and 90 days, closed days handled."""

import numpy as np
import pandas as pd
import pytest

from ml_models.forecasting import forecast_revenue

END = pd.Timestamp("2024-06-28")  # a Friday


def daily_revenue(start: str, end: pd.Timestamp, *, closed=()) -> pd.DataFrame:
    """About 1,000 a day with a weekly shape, nothing on Saturdays or on the ``closed`` days."""
    days = pd.date_range(start, end, freq="D")
    days = days[(days.dayofweek != 5) & ~days.isin(pd.DatetimeIndex(closed))]
    rng = np.random.default_rng(3)
    shape = np.where(days.dayofweek == 0, 1400.0, 900.0)
    return pd.DataFrame({"ds": days, "y": shape + rng.normal(0, 50, len(days))})


def test_revenue_totals_for_30_and_90_days_with_bounds():
    # Given six months of daily revenue, closed on Saturdays
    revenue = daily_revenue("2024-01-01", END)

    # When the next 30 and 90 days are forecast
    forecast = forecast_revenue(revenue, horizons=(30, 90))

    # Then there is one row per horizon starting tomorrow; Saturdays are not counted as open;
    # the 30-day total is about 26 open days x ~1,000, inside its bounds, and smaller than 90 days'
    assert forecast.columns.tolist() == [
        "horizon_days",
        "start",
        "end",
        "open_days",
        "predicted",
        "lower",
        "upper",
        "model",
    ]
    assert forecast["horizon_days"].tolist() == [30, 90]
    assert forecast["start"].tolist() == [pd.Timestamp("2024-06-29")] * 2
    assert forecast["end"].tolist() == [pd.Timestamp("2024-07-28"), pd.Timestamp("2024-09-26")]
    assert forecast["open_days"].tolist() == [25, 77]
    assert forecast["model"].tolist() == ["AutoETS", "AutoETS"]
    thirty, ninety = forecast.itertuples(index=False)
    expected_thirty = 25 * (1400 + 5 * 900) / 6
    assert thirty.predicted == pytest.approx(expected_thirty, rel=0.05)
    assert thirty.lower < thirty.predicted < thirty.upper
    assert ninety.predicted > 2.5 * thirty.predicted


def test_last_years_christmas_closure_brings_no_revenue_this_year():
    # Given 18 months of revenue with a closure from 24 December 2023 to 3 January 2024
    end = pd.Timestamp("2024-12-10")
    revenue = daily_revenue("2023-06-01", end, closed=pd.date_range("2023-12-24", "2024-01-03"))

    # When the next 30 days are forecast
    forecast = forecast_revenue(revenue, horizons=(30,))

    # Then of the 30 days from 11 December, 4 are Saturdays and 10 more fall in last year's
    # closure again (24 December to 3 January, 11 days with Saturday 28 December among them)
    assert forecast["open_days"].tolist() == [30 - 4 - 10]


def test_a_short_history_falls_back_to_the_mean_day():
    # Given 2 weeks of revenue
    revenue = daily_revenue("2024-06-15", END)

    # When forecast
    forecast = forecast_revenue(revenue, horizons=(30,))

    # Then the model says so; two weeks are too few to call Saturday closed, so all 30 days are
    # open and the total is 30 x the mean day since the first sale (16 June, Saturday 22 June
    # counting as a day without revenue)
    days = pd.date_range("2024-06-16", END, freq="D")
    mean_day = revenue.set_index("ds")["y"].reindex(days, fill_value=0.0).mean()
    assert forecast["model"].iloc[0] == "mean of recent open days"
    assert forecast["open_days"].iloc[0] == 30
    assert forecast["predicted"].iloc[0] == pytest.approx(30 * mean_day)
