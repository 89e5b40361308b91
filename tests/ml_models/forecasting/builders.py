"""Synthetic sales and demand with known structure, for the forecasting tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

SATURDAY = 5


def open_days_ending(end: pd.Timestamp, count: int, closed_weekdays=(SATURDAY,)) -> pd.DatetimeIndex:
    """The last ``count`` days up to ``end`` that are not on a closed weekday."""
    span = pd.date_range(end=end, periods=count * 2 + 14, freq="D")
    return span[~np.isin(span.dayofweek, list(closed_weekdays))][-count:]


def demand_frame(
    series: dict[str, np.ndarray], *, end: pd.Timestamp, closed_weekdays=(SATURDAY,)
) -> pd.DataFrame:
    """DataFrame[unique_id, ds, y] with every series ending on the open day ``end``."""
    frames = []
    for unique_id, values in series.items():
        days = open_days_ending(end, len(values), closed_weekdays)
        frames.append(
            pd.DataFrame({"unique_id": unique_id, "ds": days, "y": np.asarray(values, dtype=float)})
        )
    return pd.concat(frames, ignore_index=True)


# Units by weekday of a strongly weekly product: Monday 40, Friday 25, other open days ~5.
WEEKLY_SHAPE = {0: 40.0, 1: 5.0, 2: 6.0, 3: 5.0, 4: 25.0, 6: 4.0}


def weekly_pattern(weeks: int, *, end: pd.Timestamp, seed: int = 1, noise: float = 1.0) -> np.ndarray:
    """``weeks`` six-day weeks up to ``end`` following ``WEEKLY_SHAPE``, plus a little noise."""
    days = open_days_ending(end, 6 * weeks)
    shape = np.array([WEEKLY_SHAPE[day] for day in days.dayofweek])
    rng = np.random.default_rng(seed)
    return np.clip(shape + rng.normal(0, noise, len(days)), 0, None).round()


def intermittent_pattern(days: int, *, seed: int = 2, probability: float = 0.15) -> np.ndarray:
    """Mostly zeros: a sale of 1 to 6 units on about ``probability`` of the days."""
    rng = np.random.default_rng(seed)
    sells = rng.random(days) < probability
    return np.where(sells, rng.integers(1, 7, days), 0).astype(float)


def sales_lines(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """Sales lines from (product_id, date, quantity) tuples."""
    return pd.DataFrame(rows, columns=["product_id", "date", "quantity"])
