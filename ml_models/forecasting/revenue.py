"""Business-level revenue forecast: how much money comes in over the next 30 and 90 days."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .demand import spike_caps
from .trading_calendar import (
    closure_days,
    detect_closed_weekdays,
    detect_closures,
    future_dates,
    open_days,
    to_days,
    yearly_repeats,
)

REVENUE_COLUMNS = ["horizon_days", "start", "end", "open_days", "predicted", "lower", "upper", "model"]
# Below this many open days a seasonal model has too little to work with: fall back to the mean.
MIN_MODEL_DAYS = 28


def forecast_revenue(
    daily_revenue: pd.DataFrame,
    horizons: Iterable[int] = (30, 90),
    *,
    end_date=None,
    level: int = 95,
    closed_weekdays: Iterable[int] | None = None,
    min_closure_days: int = 5,
    spike_multiple: float = 3.0,
    n_paths: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Total revenue expected over each horizon (calendar days after ``end_date``), with bounds.

    ``daily_revenue`` is DataFrame[ds, y]: revenue per day (several rows per day are summed; a
    day with net refunds counts as 0; missing days as 0). ``end_date`` defaults to its last day.

    Closed days are handled as for product demand: weekdays without trading (detected, or
    ``closed_weekdays``) and closures of at least ``min_closure_days`` days without revenue are
    dropped from the series and expected to bring nothing, as are the days ahead that fell in a
    long closure one year earlier (the Christmas break comes back). Days above ``spike_multiple`` x the
    90th percentile (one-off giant orders) are capped before fitting.

    Model: statsforecast AutoETS (automatic choice of error/trend/season, weekly season of open
    days) on the last year of open days. The bounds come from 2,000 simulated sample paths of the
    fitted model, summed over each horizon: the total's uncertainty includes the level drifting,
    which adding up daily intervals would miss. With fewer than 28 open days the forecast is the
    mean day times the open days, bounds from the daily spread.

    Returns DataFrame[horizon_days, start, end, open_days, predicted, lower, upper, model].
    """
    horizons = tuple(sorted({int(horizon) for horizon in horizons}))
    if not horizons or horizons[0] < 1:
        raise ValueError("horizons must be positive numbers of days")
    frame = pd.DataFrame({"ds": to_days(daily_revenue["ds"]), "y": pd.to_numeric(daily_revenue["y"])})
    daily = frame.groupby("ds")["y"].sum().clip(lower=0)
    if daily.empty:
        raise ValueError("daily_revenue is empty")
    end = pd.Timestamp(end_date).normalize() if end_date is not None else daily.index.max()
    daily = daily[daily.index <= end]
    trading = pd.DataFrame({"date": daily.index, "quantity": daily.to_numpy()})
    closed = frozenset(closed_weekdays) if closed_weekdays is not None else detect_closed_weekdays(trading)
    closures = detect_closures(trading, end_date=end, min_days=min_closure_days, closed_weekdays=closed)
    first_day = daily[daily > 0].index.min()
    calendar = open_days(first_day, end, closed_weekdays=closed, closed_dates=closure_days(closures))
    series = daily.reindex(calendar, fill_value=0.0).to_numpy(float)[-365:]
    series = np.minimum(series, spike_caps(series, multiple=spike_multiple))

    ahead = future_dates(end, horizons[-1])
    # Closed ahead: the closed weekdays, and last year's long closures again (Christmas).
    is_open = ~np.isin(ahead.dayofweek, list(closed)) & ~yearly_repeats(closures, ahead)
    steps = int(is_open.sum())
    season = 7 - len(closed)
    predicted, paths, model_name = _forecast(series, steps, season, n_paths, seed)

    rows = []
    for horizon in horizons:
        open_count = int(is_open[:horizon].sum())
        totals = paths[:, :open_count].sum(axis=1)
        tail = (100 - level) / 2
        rows.append(
            (
                horizon,
                ahead[0],
                ahead[horizon - 1],
                open_count,
                float(predicted[:open_count].sum()),
                float(np.percentile(totals, tail)),
                float(np.percentile(totals, 100 - tail)),
                model_name,
            )
        )
    result = pd.DataFrame(rows, columns=REVENUE_COLUMNS)
    result["lower"] = np.minimum(result["lower"], result["predicted"]).clip(lower=0)
    result["upper"] = np.maximum(result["upper"], result["predicted"])
    return result


def _forecast(series: np.ndarray, steps: int, season: int, n_paths: int, seed: int):
    """(point forecast per open day, simulated paths (n_paths x steps), model name)."""
    rng = np.random.default_rng(seed)
    if len(series) >= MIN_MODEL_DAYS and steps > 0:
        from statsforecast.models import AutoETS

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = AutoETS(season_length=season).fit(series)
                predicted = np.asarray(model.predict(h=steps)["mean"], dtype=float)
                paths = np.asarray(model.simulate(h=steps, n_paths=n_paths, seed=seed), dtype=float)
            if np.isfinite(predicted).all() and np.isfinite(paths).all():
                return np.clip(predicted, 0, None), np.clip(paths, 0, None), "AutoETS"
        except Exception:  # a degenerate series falls through to the mean below
            pass
    recent = series[-MIN_MODEL_DAYS:] if len(series) else np.zeros(1)
    mean, spread = float(recent.mean()), float(recent.std())
    predicted = np.full(steps, mean)
    paths = np.clip(rng.normal(mean, spread, size=(n_paths, steps)), 0, None)
    return predicted, paths, "mean of recent open days"
