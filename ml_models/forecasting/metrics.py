"""Accuracy measures used by the backtest and the benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_scale(demand: pd.DataFrame, season_length: int) -> pd.Series:
    """MASE denominator per series: mean absolute error of the in-sample seasonal naive.

    That is the mean of ``|y[t] - y[t - season_length]|`` over each series of ``demand``
    (``DataFrame[unique_id, ds, y]``, sorted). A series on which that error is 0 or undefined
    (constant, or shorter than a season) gets its mean demand instead, or 1 if that is 0 too,
    so MASE stays finite and still ranks models by their absolute error.
    """
    values = demand["y"].astype(float)
    previous = values.groupby(demand["unique_id"], sort=False).shift(season_length)
    errors = (values - previous).abs()
    scale = errors.groupby(demand["unique_id"], sort=True).mean()
    means = values.groupby(demand["unique_id"], sort=True).mean()
    scale = scale.where(scale > 0, means)
    return scale.where(scale > 0, 1.0)


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: MAE of the forecast divided by the seasonal-naive ``scale``.

    Below 1: better than the in-sample seasonal naive; above 1: worse.
    """
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    return float(np.mean(np.abs(actual - predicted)) / scale)


def wape(actual, predicted) -> float:
    """Weighted absolute percentage error: sum |actual - predicted| / sum actual.

    NaN when nothing was sold (the measure is undefined, not perfect).
    """
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    total = actual.sum()
    if total == 0:
        return float("nan")
    return float(np.abs(actual - predicted).sum() / total)


def total_wape(frame: pd.DataFrame, *, actual: str = "actual", predicted: str = "predicted") -> float:
    """WAPE of each series' total over the period: sum |actual_total - predicted_total| / sum actual_total."""
    totals = frame.groupby("unique_id", sort=False)[[actual, predicted]].sum()
    return wape(totals[actual].to_numpy(), totals[predicted].to_numpy())
