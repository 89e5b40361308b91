"""The model interface: shapes, non-negative forecasts, consistent intervals, baseline arithmetic."""

import numpy as np
import pandas as pd
import pytest

from ml_models.forecasting import (
    Ensemble,
    ProphetModel,
    RecentMean,
    SeasonalNaive,
    WeekdayMean,
    auto_ets,
    dynamic_theta,
    intermittent,
)

from .builders import demand_frame, intermittent_pattern, weekly_pattern

END = pd.Timestamp("2024-06-28")  # a Friday
MODELS = [
    SeasonalNaive(),
    WeekdayMean(weeks=8),
    RecentMean(days=28),
    auto_ets(),
    dynamic_theta(),
    intermittent("TSB"),
    intermittent("ADIDA"),
    intermittent("IMAPA"),
    intermittent("CrostonOptimized"),
    Ensemble([intermittent("TSB"), WeekdayMean(weeks=8)]),
]


@pytest.fixture(scope="module")
def demand():
    """A weekly-seasonal series, an intermittent one and one that dropped to zero sales."""
    return demand_frame(
        {
            "weekly": weekly_pattern(20, end=END),
            "sparse": intermittent_pattern(120),
            "dead": np.concatenate([np.full(60, 5.0), np.zeros(60)]),
        },
        end=END,
    )


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.name)
def test_every_model_forecasts_every_series_with_consistent_non_negative_values(model, demand):
    # Given three differently shaped series
    # When the model forecasts 10 open days
    forecast = model.forecast(demand, horizon=10, level=95)

    # Then there is one row per series and step, nothing negative, and lower <= predicted <= upper
    assert forecast.columns.tolist() == ["unique_id", "step", "predicted", "lower", "upper"]
    assert sorted(forecast["unique_id"].unique()) == ["dead", "sparse", "weekly"]
    assert forecast.groupby("unique_id")["step"].apply(list).tolist() == [list(range(1, 11))] * 3
    assert forecast[["predicted", "lower", "upper"]].notna().all().all()
    assert (forecast["lower"] >= 0).all()
    assert (forecast["lower"] <= forecast["predicted"]).all()
    assert (forecast["predicted"] <= forecast["upper"]).all()


@pytest.mark.parametrize(
    "model", [auto_ets(), intermittent("TSB"), WeekdayMean(weeks=8)], ids=lambda m: m.name
)
def test_backtest_windows_hold_out_the_last_days(model, demand):
    # Given the same series
    # When the model is backtested on 2 windows of 6 open days
    backtest, forecast = model.backtest_and_forecast(demand, horizon=12, backtest_horizon=6, n_windows=2)

    # Then each series has 2 x 6 backtest points and a 12-step forecast
    assert backtest.columns.tolist() == ["unique_id", "window", "step", "predicted"]
    assert backtest.groupby("unique_id").size().tolist() == [12, 12, 12]
    assert backtest.groupby(["unique_id", "window"])["step"].max().unique().tolist() == [6]
    assert forecast.groupby("unique_id").size().tolist() == [12, 12, 12]


def test_seasonal_naive_repeats_the_last_week_on_the_right_weekdays():
    # Given 3 weeks of a six-day week where the last week sold 1..6 (Monday..Sunday, no Saturday)
    values = np.concatenate([np.full(12, 9.0), np.arange(1.0, 7.0)])
    demand = demand_frame({"mug": values}, end=pd.Timestamp("2024-06-30"))  # a Sunday

    # When the seasonal naive forecasts 8 open days (Monday 1 July onwards)
    forecast = SeasonalNaive().forecast(demand, horizon=8)

    # Then it repeats last week: Mon 1, Tue 2, Wed 3, Thu 4, Fri 5, Sun 6, then Mon 1, Tue 2
    assert forecast["predicted"].tolist() == [1, 2, 3, 4, 5, 6, 1, 2]


def test_weekday_mean_averages_each_weekday_over_its_last_eight_weeks():
    # Given 10 weeks where Mondays sold 10 for the first 2 weeks and 2 afterwards, other days 1
    days = 60
    values = np.ones(days)
    values[0::6] = [10, 10, 2, 2, 2, 2, 2, 2, 2, 2]
    demand = demand_frame({"mug": values}, end=pd.Timestamp("2024-06-30"))  # series starts on a Monday

    # When the weekday mean forecasts the next 6 open days
    forecast = WeekdayMean(weeks=8).forecast(demand, horizon=6)

    # Then Monday is the mean of its last 8 values (all 2) and other days 1
    assert demand["ds"].iloc[0].dayofweek == 0
    assert forecast["predicted"].tolist() == [2, 1, 1, 1, 1, 1]


def test_weekday_models_keep_weekdays_aligned_across_a_dropped_closure():
    # Given a series where Mondays sell 10 and other days 1, with 9 open days (a closure)
    # missing in the middle so that positions no longer line up with weekdays
    days = pd.date_range("2024-04-01", "2024-06-30", freq="D")
    days = days[(days.dayofweek != 5) & ~days.isin(pd.date_range("2024-05-13", "2024-05-23"))]
    demand = pd.DataFrame({"unique_id": "mug", "ds": days, "y": np.where(days.dayofweek == 0, 10.0, 1.0)})

    # When both weekday models forecast the week after Sunday 30 June
    naive = SeasonalNaive().forecast(demand, horizon=6)
    means = WeekdayMean(weeks=8).forecast(demand, horizon=6)

    # Then Monday 1 July gets 10 and the other days 1
    assert naive["predicted"].tolist() == [10, 1, 1, 1, 1, 1]
    assert means["predicted"].tolist() == [10, 1, 1, 1, 1, 1]


def test_croston_type_intervals_come_from_the_recent_spread_of_demand():
    # Given a series alternating 0 and 4 units (mean 2, deviation 2 around it)
    demand = demand_frame({"mug": np.tile([0.0, 4.0], 40)}, end=END)

    # When the ADIDA forecast is made at the 95% level
    forecast = intermittent("ADIDA").forecast(demand, horizon=3, level=95)

    # Then the upper bound is the forecast plus 1.96 x the root-mean-square deviation of the last
    # 48 days from it
    predicted = forecast["predicted"].iloc[0]
    recent = np.tile([0.0, 4.0], 40)[-48:]
    sigma = np.sqrt(np.mean((recent - predicted) ** 2))
    assert forecast["upper"].iloc[0] == pytest.approx(predicted + 1.959963984540054 * sigma)


def test_prophet_fits_offline_and_follows_the_weekly_pattern():
    # Given one strongly weekly series of 16 weeks
    demand = demand_frame({"weekly": weekly_pattern(16, end=END)}, end=END)

    # When Prophet forecasts the next 6 open days (Sunday 30 June to Friday 5 July)
    forecast = ProphetModel(uncertainty_samples=100).forecast(demand, horizon=6)

    # Then Monday (step 2, 40 units a week) is forecast far above Sunday (step 1, 4 units)
    # and nothing is negative
    by_step = forecast.set_index("step")["predicted"]
    assert by_step[2] > 25
    assert by_step[1] < 15
    assert (forecast[["predicted", "lower"]] >= 0).all().all()
