"""Per-product model selection: the backtest picks sensible models, the output is well formed."""

import numpy as np
import pandas as pd
import pytest

from ml_models.forecasting import (
    SeasonalNaive,
    SelectionSettings,
    build_daily_demand,
    forecast_with,
    select_and_forecast,
)

from .builders import demand_frame, intermittent_pattern, weekly_pattern

END = pd.Timestamp("2024-06-28")  # a Friday; Saturdays are closed in every series below
SEASONAL_MODELS = {"AutoETS", "DynamicOptimizedTheta", "WeekdayMean8"}


@pytest.fixture(scope="module")
def result():
    """One selection run over five products with known structure."""
    rng = np.random.default_rng(7)
    sparse = np.zeros(100)
    sparse[[10, 50, 90]] = 2.0
    demand = demand_frame(
        {
            "weekly": weekly_pattern(20, end=END),
            "flat": rng.poisson(8, 120).astype(float),
            "intermittent": intermittent_pattern(150),
            "short": np.full(30, 3.0),
            "sparse": sparse,
        },
        end=END,
    )
    return select_and_forecast(demand, horizons=(7, 30), n_jobs=1)


def choice(result, unique_id):
    return result.choices.set_index("unique_id").loc[unique_id]


def test_a_strong_weekly_pattern_gets_a_seasonal_model(result):
    # Given a product selling 40 on Mondays, 25 on Fridays and ~5 otherwise
    # When models are selected
    chosen = choice(result, "weekly")
    scores = result.scores[result.scores["unique_id"] == "weekly"].set_index("model")["mase"]

    # Then a seasonal model wins, and by far: its MASE is under half the flat TSB's
    assert chosen["model"] in SEASONAL_MODELS
    assert chosen["mase"] == scores[chosen["model"]]
    assert chosen["mase"] < 0.5 * scores["TSB"]


def test_the_forecast_of_the_weekly_product_keeps_its_shape(result):
    # Given the weekly product's chosen forecast
    points = result.points[result.points["unique_id"] == "weekly"].set_index("ds")["predicted"]

    # Then Monday 1 July is forecast well above Tuesday 2 July
    assert points[pd.Timestamp("2024-07-01")] > 3 * points[pd.Timestamp("2024-07-02")]


def test_an_intermittent_product_gets_a_model_with_a_low_mase_and_a_positive_forecast(result):
    # Given a product selling a few units on ~15% of days
    # When models are selected
    chosen = choice(result, "intermittent")
    scores = result.scores[result.scores["unique_id"] == "intermittent"].set_index("model")["mase"]
    total = result.points.loc[result.points["unique_id"] == "intermittent", "predicted"].sum()

    # Then an intermittent-demand method, the weekday mean or their ensemble is kept; on the same
    # backtest windows it beats the seasonal naive; and it still expects some sales
    assert chosen["model"] in {"TSB", "ADIDA", "WeekdayMean8", "Ensemble"}
    assert chosen["mase"] < scores["SeasonalNaive"]
    assert total > 0


def test_a_short_history_is_shrunk_toward_similar_products_and_says_why(result):
    # Given a product with 30 open days of history selling 3 a day, among products that sell more
    chosen = choice(result, "short")
    points = result.points[result.points["unique_id"] == "short"]
    open_days = points[points["predicted"] > 0]

    # Then its rate is pulled from 3 toward theirs, no MASE, a wide interval, and a note
    assert chosen["model"] == "ShrunkMean"
    assert np.isnan(chosen["mase"])
    assert chosen["note"].startswith("only 30 open days of history, too little to backtest: 3.0 a day shrunk")
    assert chosen["history_days"] == 30
    (rate,) = open_days["predicted"].unique()
    assert 3.0 < rate < 8.0
    assert (open_days["lower"] == 0).all() and (open_days["upper"] > rate).all()


def one_off_world(first_day_units: float, days: int):
    rng = np.random.default_rng(3)
    return demand_frame(
        {
            "steady": rng.poisson(4, 120).astype(float),
            "steady2": rng.poisson(6, 120).astype(float),
            "newcomer": np.r_[first_day_units, np.zeros(days - 1)],
        },
        end=END,
    )


def test_a_one_day_wholesale_order_is_shrunk_toward_zero_not_repeated_every_day():
    """The real file's first 300 lines: 458 units to one buyer on a product's only day of history."""
    result = select_and_forecast(one_off_world(458.0, 1), horizons=(7, 30, 90), n_jobs=1)

    chosen = choice(result, "newcomer")
    totals = result.points[result.points["unique_id"] == "newcomer"][["predicted", "upper"]].sum()

    assert chosen["model"] == "ShrunkMean"
    assert "toward zero (one selling day: a one-off order)" in chosen["note"]
    assert totals["predicted"] < 458 * 90 / 20  # was 41,220: the one day repeated for 90 days
    assert totals["predicted"] == pytest.approx(458 / 29 * 77, rel=0.02)  # 77 open days in 90
    assert totals["upper"] > 458 * 0.9 * 77  # the interval still reaches the day it saw


def test_a_spike_among_a_few_days_is_a_one_off_and_quiet_days_do_not_count_as_selling():
    result = select_and_forecast(one_off_world(300.0, 5), horizons=(7, 30, 90), n_jobs=1)

    chosen = choice(result, "newcomer")
    (rate,) = result.points.loc[
        (result.points["unique_id"] == "newcomer") & (result.points["predicted"] > 0), "predicted"
    ].unique()

    assert chosen["model"] == "ShrunkMean"
    assert rate == pytest.approx(300 / (5 + 28))


def test_a_product_with_very_few_selling_days_falls_back_and_says_why(result):
    chosen = choice(result, "sparse")

    assert chosen["model"] == "RecentMean28"
    assert chosen["note"] == "only 3 selling days, too sparse to model: mean of the last 28 open days"


def test_points_cover_the_calendar_days_after_end_date_with_closed_days_at_zero(result):
    # Given the points of every product
    points = result.points
    saturdays = points[points["ds"].dt.dayofweek == 5]

    # Then each product has the 30 calendar days from 29 June, closed Saturdays are 0 with a
    # zero-width interval, and nothing is negative or inconsistent
    expected = pd.date_range("2024-06-29", periods=30, freq="D")
    for _, days in points.groupby("unique_id"):
        assert days["ds"].tolist() == expected.tolist()
    assert len(saturdays) == 5 * 5
    assert (saturdays[["predicted", "lower", "upper"]] == 0).all().all()
    assert (points["lower"] >= 0).all()
    assert (points["lower"] <= points["predicted"]).all()
    assert (points["predicted"] <= points["upper"]).all()
    assert result.choices.columns.tolist() == ["unique_id", "model", "mase", "note", "history_days"]


def test_totals_sum_each_horizon_as_a_prefix_of_the_points(result):
    # Given the totals per horizon
    totals = result.totals().set_index(["unique_id", "horizon"])
    points = result.points[result.points["unique_id"] == "weekly"]

    # Then the 7-day total of the weekly product is the sum of its first 7 days, and so on
    assert totals.loc[("weekly", 7), "predicted"] == pytest.approx(points["predicted"].iloc[:7].sum())
    assert totals.loc[("weekly", 30), "predicted"] == pytest.approx(points["predicted"].sum())
    assert (totals["lower"] <= totals["predicted"]).all()
    assert len(totals) == 5 * 2


def test_worker_processes_give_the_same_answer_as_one_process():
    # Given two products
    demand = demand_frame(
        {"weekly": weekly_pattern(12, end=END), "intermittent": intermittent_pattern(80)}, end=END
    )
    settings = SelectionSettings(chunk_size=1)

    # When selected in-process and over 2 worker processes
    alone = select_and_forecast(demand, horizons=(14,), n_jobs=1, settings=settings)
    pooled = select_and_forecast(demand, horizons=(14,), n_jobs=2, settings=settings)

    # Then choices and points are identical
    pd.testing.assert_frame_equal(alone.choices, pooled.choices)
    pd.testing.assert_frame_equal(alone.points, pooled.points)


def test_last_years_long_closure_is_expected_again():
    # Given a product with history from June 2023 and a Christmas closure 24 Dec 2023 - 3 Jan 2024
    days = pd.date_range("2023-06-01", "2024-12-10", freq="D")
    days = days[(days.dayofweek != 5) & ~days.isin(pd.date_range("2023-12-24", "2024-01-03"))]
    demand = pd.DataFrame({"unique_id": "mug", "ds": days, "y": 5.0})

    # When forecasting 30 days from 10 December 2024 (Prophet left out to keep the test fast)
    result = select_and_forecast(
        demand, horizons=(30,), n_jobs=1, settings=SelectionSettings(prophet_top_n=0)
    )
    points = result.points.set_index("ds")["predicted"]

    # Then 24 December to 3 January are closed again, while the days around them are not
    assert (points[pd.date_range("2024-12-24", "2025-01-03")] == 0).all()
    assert points[pd.Timestamp("2024-12-23")] == pytest.approx(5.0)
    assert points[pd.Timestamp("2025-01-06")] == pytest.approx(5.0)


def test_series_that_end_on_different_days_are_refused():
    # Given two series, one ending a week before the other
    demand = pd.concat(
        [
            demand_frame({"a": np.ones(60)}, end=END),
            demand_frame({"b": np.ones(60)}, end=END - pd.Timedelta(days=7)),
        ]
    )

    # When / Then
    with pytest.raises(ValueError, match="must end on the same day"):
        select_and_forecast(demand, horizons=(7,), n_jobs=1)


def test_a_business_with_only_new_products_gets_fallbacks_for_all():
    # Given two products with three weeks of history each
    demand = demand_frame({"new-a": np.full(18, 2.0), "new-b": np.full(18, 1.0)}, end=END)

    # When models are selected
    result = select_and_forecast(demand, horizons=(7,), n_jobs=1)

    # Then both are shrunk toward zero (no product to compare with), and nothing was backtested
    assert result.choices["model"].tolist() == ["ShrunkMean", "ShrunkMean"]
    assert result.scores.empty
    assert result.points.groupby("unique_id")["predicted"].max().tolist() == pytest.approx(
        [2.0 * 18 / 46, 1.0 * 18 / 46]
    )


def test_integer_product_ids_from_the_database_go_through_unchanged():
    # Given sales lines keyed by integer product ids, as the app stores them
    days = pd.date_range("2024-01-01", END, freq="D")
    days = days[days.dayofweek != 5]
    rng = np.random.default_rng(11)
    sales = pd.DataFrame(
        {
            "product_id": np.repeat([101, 202], len(days)),
            "date": np.tile(days, 2),
            "quantity": np.concatenate([rng.poisson(6, len(days)), rng.poisson(1, len(days))]),
        }
    )

    # When demand is built and models are selected
    demand = build_daily_demand(sales, end_date=END)
    result = select_and_forecast(demand, horizons=(7,), n_jobs=1)

    # Then both products come back under their integer ids, with a backtested model
    assert result.choices["unique_id"].tolist() == [101, 202]
    assert result.choices["mase"].notna().all()
    assert result.points["unique_id"].dtype == np.int64


def test_one_model_for_every_product_uses_the_same_calendar_layout():
    # Given a weekly product and a product with a single day of history
    demand = pd.concat(
        [
            demand_frame({"weekly": weekly_pattern(10, end=END)}, end=END),
            demand_frame({"new": [4.0]}, end=END),
        ]
    )

    # When the seasonal naive alone forecasts 9 days
    points = forecast_with(SeasonalNaive(), demand, 9).set_index(["unique_id", "ds"])["predicted"]

    # Then Saturday 29 June is closed (0), Monday 1 July repeats last Monday, and the product with
    # one day of history repeats that day on every open day
    last_monday = demand[(demand["unique_id"] == "weekly") & (demand["ds"] == "2024-06-24")]["y"].iloc[0]
    assert points[("weekly", pd.Timestamp("2024-06-29"))] == 0.0
    assert points[("weekly", pd.Timestamp("2024-07-01"))] == last_monday
    assert points.loc["new"].tolist() == [0.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 0.0, 4.0]
