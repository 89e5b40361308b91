"""Accuracy measures on hand-computed numbers."""

import math

import pandas as pd

from ml_models.forecasting import mase, total_wape, wape
from ml_models.forecasting.metrics import seasonal_scale


def test_wape_is_total_absolute_error_over_total_actual():
    # Given actuals 10, 0, 5 and forecasts 8, 1, 5: errors 2 + 1 + 0 = 3 over 15 units
    assert wape([10, 0, 5], [8, 1, 5]) == 0.2


def test_wape_of_nothing_sold_is_undefined():
    assert math.isnan(wape([0, 0], [1, 0]))


def test_total_wape_compares_each_series_total():
    # Given product a: actual 10 + 0, forecast 5 + 5 (totals match); b: actual 4, forecast 2
    frame = pd.DataFrame(
        {"unique_id": ["a", "a", "b"], "actual": [10.0, 0.0, 4.0], "predicted": [5.0, 5.0, 2.0]}
    )

    # Then only b's total is off, by 2 units out of 14
    assert total_wape(frame) == 2 / 14


def test_mase_divides_the_mean_absolute_error_by_the_scale():
    assert mase([3, 5], [4, 3], scale=1.5) == 1.0


def test_seasonal_scale_is_the_in_sample_seasonal_naive_error_with_a_floor():
    # Given series a with season 2: 1, 3, 2, 5 -> |2 - 1| and |5 - 3| -> mean 1.5; series b
    # constant 4 (no seasonal error: its mean 4 is used); series c all zero (scale 1)
    demand = pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
            "ds": list(pd.date_range("2024-01-01", periods=4)) * 3,
            "y": [1, 3, 2, 5, 4, 4, 4, 4, 0, 0, 0, 0],
        }
    )

    scale = seasonal_scale(demand, season_length=2)

    assert scale.to_dict() == {"a": 1.5, "b": 4.0, "c": 1.0}
