"""Forecasting models behind one small interface.

Every model forecasts many series at once:

    model.forecast(demand, horizon, level=95)
        demand: DataFrame[unique_id, ds, y], open days only (see ``build_daily_demand``)
        returns DataFrame[unique_id, step, predicted, lower, upper]

``step`` counts *open* days after each series' last day (1 = the next open day); the selection
layer maps steps to calendar dates and puts 0 on closed days. Series are treated as regular
sequences of open days, so the weekly season is ``season_length`` = open days per week (6 for
a shop that never trades on Saturdays), inferred from the frame when not given.

Predictions and lower bounds are never negative and ``lower <= predicted <= upper``.
Models that have no intervals of their own (Croston-type methods, the averages) use an
empirical interval: the predicted value plus or minus z times the root-mean-square deviation
of the last 8 weeks of the series from that model's own forecast level (see
``empirical_sigma``). It is honest about how much a day's demand scatters around the
forecast, which is what safety stock needs, and costs nothing to compute.
"""

from __future__ import annotations

import functools
import logging
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from .demand import series_slices, sort_demand
from .trading_calendar import infer_closed_weekdays, next_open_days

# Prophet logs "Importing plotly failed" at ERROR on import; plots are never drawn here. Set before the
# (lazy) import so that every process that fits a model, with or without Django's logging, stays quiet.
logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)

FORECAST_COLUMNS = ["unique_id", "step", "predicted", "lower", "upper"]
BACKTEST_COLUMNS = ["unique_id", "window", "step", "predicted"]

# Residual window for empirical intervals: 8 weeks of a six-day week.
EMPIRICAL_WINDOW = 48


@functools.lru_cache(maxsize=16)
def z_value(level: float) -> float:
    """Two-sided normal quantile for a central interval of ``level`` percent (95 -> 1.96)."""
    return float(norm.ppf(0.5 + level / 200))


def season_length_of(demand: pd.DataFrame) -> int:
    """Open days per week of the business behind a demand frame."""
    return 7 - len(infer_closed_weekdays(demand))


class Model(ABC):
    """A forecasting method for many daily demand series at once.

    Subclasses implement ``forecast``. ``backtest_and_forecast`` has a generic implementation
    (one ``forecast`` call per backtest window plus one for the future); models whose fitting is
    expensive override it to fit once and reuse the parameters.
    """

    name: str

    @abstractmethod
    def forecast(self, demand: pd.DataFrame, horizon: int, level: int = 95) -> pd.DataFrame:
        """Forecast ``horizon`` open days of every series in ``demand``.

        Returns ``DataFrame[unique_id, step, predicted, lower, upper]`` with ``step`` 1..horizon.
        A series the model cannot handle gets NaN rows rather than failing the whole batch.
        """

    def backtest_and_forecast(
        self,
        demand: pd.DataFrame,
        *,
        horizon: int,
        backtest_horizon: int,
        n_windows: int,
        level: int = 95,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Rolling-origin backtest forecasts and the forecast of the future, in one go.

        Window ``w`` (1..n_windows) trains on each series without its last
        ``(n_windows - w + 1) * backtest_horizon`` days and forecasts the next ``backtest_horizon``.
        Returns ``(backtest DataFrame[unique_id, window, step, predicted], forecast frame)``.
        """
        demand = sort_demand(demand)
        from_end = demand.groupby("unique_id", sort=False).cumcount(ascending=False).to_numpy()
        windows = []
        for window in range(1, n_windows + 1):
            held_out = (n_windows - window + 1) * backtest_horizon
            past = demand[from_end >= held_out]
            backtest = self.forecast(past, backtest_horizon, level)
            backtest.insert(1, "window", window)
            windows.append(backtest[BACKTEST_COLUMNS])
        return concat_backtests(windows), self.forecast(demand, horizon, level)


def concat_backtests(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Backtest frames stacked, or an empty backtest frame."""
    if not frames:
        return pd.DataFrame({column: [] for column in BACKTEST_COLUMNS})
    return pd.concat(frames, ignore_index=True)


def forecast_frame(
    unique_ids: Sequence, predicted: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> pd.DataFrame:
    """The standard forecast frame from (series x horizon) arrays, made consistent.

    Negative values are clipped to 0 and bounds are widened to contain the point forecast.
    """
    predicted = np.clip(np.asarray(predicted, dtype=float), 0, None)
    lower = np.minimum(np.clip(np.asarray(lower, dtype=float), 0, None), predicted)
    upper = np.maximum(np.asarray(upper, dtype=float), predicted)
    count, horizon = predicted.shape if predicted.ndim == 2 else (0, 0)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(unique_ids), horizon),
            "step": np.tile(np.arange(1, horizon + 1), count),
            "predicted": predicted.ravel(),
            "lower": lower.ravel(),
            "upper": upper.ravel(),
        }
    )


def empty_forecast(unique_ids: Sequence, horizon: int) -> np.ndarray:
    """A (series x horizon) array of NaN."""
    return np.full((len(unique_ids), horizon), np.nan)


def empirical_sigma(history: np.ndarray, level: float) -> float:
    """Root-mean-square deviation of the last 8 weeks of a series from a flat forecast level."""
    recent = history[-EMPIRICAL_WINDOW:]
    return float(np.sqrt(np.mean((recent - level) ** 2))) if len(recent) else 0.0


def iter_series(demand: pd.DataFrame):
    """(unique_id, ds values, y values) per series of a sorted demand frame."""
    ids = demand["unique_id"].to_numpy()
    days = demand["ds"].to_numpy()
    values = demand["y"].to_numpy(dtype=float)
    for rows in series_slices(ids):
        yield ids[rows.start], days[rows], values[rows]


# --- baselines ------------------------------------------------------------------------------


class WeekdayModel(Model):
    """Shared machinery for models that forecast each future weekday from the same past weekday.

    Weekdays come from the dates, not from positions, so a long closure (dropped days) does not
    shift the pattern.
    """

    @abstractmethod
    def _weekday_values(self, weekdays: np.ndarray, values: np.ndarray) -> tuple[dict[int, float], float]:
        """Per-weekday forecast values and the value for a weekday missing from the history."""

    @abstractmethod
    def _sigmas(self, weekdays: np.ndarray, values: np.ndarray, horizon: int) -> np.ndarray:
        """Standard deviation of each of the ``horizon`` forecast days."""

    def forecast(self, demand: pd.DataFrame, horizon: int, level: int = 95) -> pd.DataFrame:
        demand = sort_demand(demand)
        closed = infer_closed_weekdays(demand)
        all_ids = demand["unique_id"].to_numpy()
        all_days = demand["ds"].to_numpy()
        all_weekdays = demand["ds"].dt.dayofweek.to_numpy()
        all_values = demand["y"].to_numpy(dtype=float)
        future_weekdays: dict[np.datetime64, np.ndarray] = {}
        ids, rows_predicted, rows_sigma = [], [], []
        for rows in series_slices(all_ids):
            last_day = all_days[rows.stop - 1]
            if last_day not in future_weekdays:
                future_weekdays[last_day] = next_open_days(last_day, horizon, closed).dayofweek.to_numpy()
            weekdays, values = all_weekdays[rows], all_values[rows]
            by_weekday, default = self._weekday_values(weekdays, values)
            ids.append(all_ids[rows.start])
            rows_predicted.append([by_weekday.get(int(day), default) for day in future_weekdays[last_day]])
            rows_sigma.append(self._sigmas(weekdays, values, horizon))
        predicted = np.array(rows_predicted, dtype=float).reshape(len(ids), horizon)
        spread = z_value(level) * np.array(rows_sigma, dtype=float).reshape(len(ids), horizon)
        return forecast_frame(ids, predicted, predicted - spread, predicted + spread)


class SeasonalNaive(WeekdayModel):
    """Baseline: the last week repeated (each weekday's most recent value).

    Interval: the classic seasonal-naive one, the root-mean-square week-on-week difference
    times sqrt(number of weeks ahead).
    """

    name = "SeasonalNaive"

    def _weekday_values(self, weekdays, values):
        last = {int(day): float(values[weekdays == day][-1]) for day in np.unique(weekdays)}
        return last, float(values[-1])

    def _sigmas(self, weekdays, values, horizon):
        season = max(len(np.unique(weekdays)), 1)
        differences = values[season:] - values[:-season] if len(values) > season else np.zeros(1)
        weeks_ahead = np.ceil(np.arange(1, horizon + 1) / season)
        return float(np.sqrt(np.mean(differences**2))) * np.sqrt(weeks_ahead)


class WeekdayMean(WeekdayModel):
    """Baseline: each weekday's mean over its last ``weeks`` occurrences (8 weeks by default).

    Interval: empirical (root-mean-square deviation of those weeks from their weekday means).
    """

    def __init__(self, weeks: int = 8):
        self.weeks = weeks
        self.name = f"WeekdayMean{weeks}"

    def _recent_means(self, weekdays, values):
        means, fitted = {}, np.full(len(values), np.nan)
        for day in np.unique(weekdays):
            rows = np.flatnonzero(weekdays == day)[-self.weeks :]
            means[int(day)] = float(values[rows].mean())
            fitted[rows] = means[int(day)]
        return means, fitted

    def _weekday_values(self, weekdays, values):
        means, fitted = self._recent_means(weekdays, values)
        return means, float(values[~np.isnan(fitted)].mean())

    def _sigmas(self, weekdays, values, horizon):
        _, fitted = self._recent_means(weekdays, values)
        recent = ~np.isnan(fitted)
        return np.full(horizon, float(np.sqrt(np.mean((values[recent] - fitted[recent]) ** 2))))


class RecentMean(Model):
    """The mean of the last ``days`` open days, flat. The fallback for short histories.

    Interval: empirical.
    """

    def __init__(self, days: int = 28):
        self.days = days
        self.name = f"RecentMean{days}"

    def forecast(self, demand: pd.DataFrame, horizon: int, level: int = 95) -> pd.DataFrame:
        demand = sort_demand(demand)
        z = z_value(level)
        ids, means, sigmas = [], [], []
        for unique_id, _, values in iter_series(demand):
            mean = float(values[-self.days :].mean())
            ids.append(unique_id)
            means.append(mean)
            sigmas.append(empirical_sigma(values, mean))
        predicted = np.repeat(np.array(means, dtype=float)[:, None], horizon, axis=1)
        spread = z * np.repeat(np.array(sigmas, dtype=float)[:, None], horizon, axis=1)
        return forecast_frame(ids, predicted, predicted - spread, predicted + spread)


# --- statsforecast ---------------------------------------------------------------------------


class StatsForecastModel(Model):
    """A statsforecast model applied series by series.

    ``factory(season_length)`` builds a fresh statsforecast model (picklable, see
    ``statsforecast_model``). Only the last ``max_history``
    open days feed the fit: half a year is plenty for a weekly season and keeps fitting cheap.

    With ``native_intervals`` the model's own intervals are used, otherwise empirical ones.
    With ``fit_once`` the backtest fits the model once, at the first backtest origin, and moves
    the fitted model forward (statsforecast's ``forward``: same parameters, states updated on the
    longer history) to the later origins and to the final forecast. That is roughly four times
    cheaper than refitting for ETS and Theta, and the parameters barely move over a few weeks.
    """

    def __init__(
        self,
        name: str,
        factory: Callable[[int], object],
        *,
        season_length: int | None = None,
        native_intervals: bool = True,
        fit_once: bool = False,
        max_history: int | None = 156,
    ):
        self.name = name
        self.factory = factory
        self.season_length = season_length
        self.native_intervals = native_intervals
        self.fit_once = fit_once
        self.max_history = max_history

    def _season(self, demand: pd.DataFrame) -> int:
        return self.season_length or season_length_of(demand)

    def _trim(self, values: np.ndarray, extra: int = 0) -> np.ndarray:
        if self.max_history is None:
            return values
        return values[-(self.max_history + extra) :]

    def _predict(self, model, values: np.ndarray, horizon: int, level: int | None, *, forward: bool):
        """(predicted, lower, upper) arrays of one series; ``forward`` reuses a fitted model.

        ``level=None`` skips the interval (backtests only need the point forecast, and Theta's
        intervals are simulated, which is slow).
        """
        levels = [level] if self.native_intervals and level is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if forward:
                result = model.forward(y=values, h=horizon, level=levels)
            else:
                result = model.forecast(y=values, h=horizon, level=levels)
        predicted = np.asarray(result["mean"], dtype=float)
        if level is None:
            return predicted, predicted, predicted
        if self.native_intervals:
            return predicted, np.asarray(result[f"lo-{level}"]), np.asarray(result[f"hi-{level}"])
        spread = z_value(level) * empirical_sigma(values, predicted[0])
        return predicted, predicted - spread, predicted + spread

    def forecast(self, demand: pd.DataFrame, horizon: int, level: int = 95) -> pd.DataFrame:
        demand = sort_demand(demand)
        season = self._season(demand)
        ids = demand["unique_id"].unique()
        predicted, lower, upper = (empty_forecast(ids, horizon) for _ in range(3))
        for index, (_, _, values) in enumerate(iter_series(demand)):
            try:
                model = self.factory(season)
                result = self._predict(model, self._trim(values), horizon, level, forward=False)
            except Exception:  # one odd series must not sink the batch
                continue
            predicted[index], lower[index], upper[index] = result
        return forecast_frame(ids, predicted, lower, upper)

    def backtest_and_forecast(self, demand, *, horizon, backtest_horizon, n_windows, level=95):
        if not self.fit_once or n_windows == 0:
            return super().backtest_and_forecast(
                demand, horizon=horizon, backtest_horizon=backtest_horizon, n_windows=n_windows, level=level
            )
        demand = sort_demand(demand)
        season = self._season(demand)
        ids = demand["unique_id"].unique()
        held_out = n_windows * backtest_horizon
        backtest = np.full((len(ids), n_windows, backtest_horizon), np.nan)
        predicted, lower, upper = (empty_forecast(ids, horizon) for _ in range(3))
        for index, (_, _, values) in enumerate(iter_series(demand)):
            values = self._trim(values, extra=held_out)
            first_origin = len(values) - held_out
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = self.factory(season).fit(values[:first_origin])
                for window in range(n_windows):
                    origin = first_origin + window * backtest_horizon
                    backtest[index, window] = self._predict(
                        model, values[:origin], backtest_horizon, None, forward=True
                    )[0]
                predicted[index], lower[index], upper[index] = self._predict(
                    model, values, horizon, level, forward=True
                )
            except Exception:  # one odd series must not sink the batch
                continue
        backtest_frame = pd.DataFrame(
            {
                "unique_id": np.repeat(np.asarray(ids), n_windows * backtest_horizon),
                "window": np.tile(np.repeat(np.arange(1, n_windows + 1), backtest_horizon), len(ids)),
                "step": np.tile(np.arange(1, backtest_horizon + 1), len(ids) * n_windows),
                "predicted": np.clip(backtest.ravel(), 0, None),
            }
        )
        return backtest_frame, forecast_frame(ids, predicted, lower, upper)


def statsforecast_model(class_name: str, season_length: int | None = None, **params):
    """A fresh ``statsforecast.models`` instance; ``season_length`` is passed when given.

    A module-level builder (used through ``functools.partial``) keeps the wrappers picklable,
    so they can be shipped to worker processes.
    """
    from statsforecast import models

    if season_length is not None:
        params["season_length"] = season_length
    return getattr(models, class_name)(**params)


def seasonless(class_name: str, season_length: int | None = None, **params):
    """Like ``statsforecast_model`` for methods that have no season parameter."""
    return statsforecast_model(class_name, None, **params)


def auto_ets(season_length: int | None = None, *, model: str = "ANA") -> StatsForecastModel:
    """statsforecast AutoETS, by default restricted to additive error, no trend, additive season.

    Why restricted: the full ``ZZZ`` search is ~10x slower (it alone would blow the 90-second
    refresh budget), multiplicative components break on the zeros of daily retail demand, and
    extrapolating a trend 90 days ahead on lumpy series does more harm than good.
    """
    return StatsForecastModel(
        "AutoETS",
        functools.partial(statsforecast_model, "AutoETS", model=model),
        season_length=season_length,
        fit_once=True,
    )


def dynamic_theta(season_length: int | None = None) -> StatsForecastModel:
    """statsforecast DynamicOptimizedTheta (the best of the Theta family in the M4 results)."""
    return StatsForecastModel(
        "DynamicOptimizedTheta",
        functools.partial(statsforecast_model, "DynamicOptimizedTheta"),
        season_length=season_length,
        fit_once=True,
    )


INTERMITTENT_METHODS = {
    # TSB needs its smoothing constants: 0.1 for demand size and probability, the textbook values.
    "TSB": {"alpha_d": 0.1, "alpha_p": 0.1},
    "ADIDA": {},
    "IMAPA": {},
    "CrostonOptimized": {},
}


def intermittent(method: str = "TSB") -> StatsForecastModel:
    """A Croston-type method for intermittent demand: ``TSB``, ``ADIDA``, ``IMAPA`` or ``CrostonOptimized``.

    None of them has intervals of its own; the interval is empirical (module docstring). They
    are cheap, so they are simply refitted at every backtest origin and use the whole history.
    """
    if method not in INTERMITTENT_METHODS:
        raise ValueError(
            f"unknown intermittent method {method!r}; choose from {sorted(INTERMITTENT_METHODS)}"
        )
    return StatsForecastModel(
        method,
        functools.partial(seasonless, method, **INTERMITTENT_METHODS[method]),
        native_intervals=False,
        max_history=None,
    )


# --- Prophet ---------------------------------------------------------------------------------


def quiet_prophet() -> None:
    """Silence cmdstanpy and Prophet's chatty INFO logging (one line per fit otherwise)."""
    import cmdstanpy

    cmdstanpy.disable_logging()
    logging.getLogger("prophet").setLevel(logging.ERROR)
    logging.getLogger("cmdstanpy").setLevel(logging.ERROR)


class ProphetModel(Model):
    """Prophet, one fit per series, on the open days' real dates.

    Weekly seasonality always; yearly seasonality only when the series spans at least
    ``yearly_after_days`` calendar days (a year): with less, Prophet would invent a yearly shape
    from a fragment of one. Intervals are Prophet's own (``uncertainty_samples`` draws).
    At ~0.2 s per fit it is by far the most expensive model here; ``select_and_forecast`` only
    offers it to the products where it can use a yearly season (see there).
    """

    name = "Prophet"

    def __init__(self, *, uncertainty_samples: int = 300, yearly_after_days: int = 365):
        self.uncertainty_samples = uncertainty_samples
        self.yearly_after_days = yearly_after_days

    def forecast(self, demand: pd.DataFrame, horizon: int, level: int = 95) -> pd.DataFrame:
        return self._forecast(demand, horizon, level, self.uncertainty_samples)

    def _forecast(self, demand, horizon, level, uncertainty_samples) -> pd.DataFrame:
        from prophet import Prophet

        quiet_prophet()
        demand = sort_demand(demand)
        closed = infer_closed_weekdays(demand)
        ids = demand["unique_id"].unique()
        predicted, lower, upper = (empty_forecast(ids, horizon) for _ in range(3))
        for index, (_, days, values) in enumerate(iter_series(demand)):
            history = pd.DataFrame({"ds": days, "y": values})
            span_days = (history["ds"].iloc[-1] - history["ds"].iloc[0]).days
            model = Prophet(
                weekly_seasonality=True,
                yearly_seasonality=span_days >= self.yearly_after_days,
                daily_seasonality=False,
                interval_width=level / 100,
                uncertainty_samples=uncertainty_samples,
            )
            try:
                model.fit(history)
                future = pd.DataFrame({"ds": next_open_days(history["ds"].iloc[-1], horizon, closed)})
                result = model.predict(future)
            except Exception:  # one odd series must not sink the batch
                continue
            predicted[index] = result["yhat"].to_numpy()
            if uncertainty_samples:
                lower[index] = result["yhat_lower"].to_numpy()
                upper[index] = result["yhat_upper"].to_numpy()
            else:
                lower[index] = upper[index] = predicted[index]
        return forecast_frame(ids, predicted, lower, upper)

    def backtest_and_forecast(self, demand, *, horizon, backtest_horizon, n_windows, level=95):
        # Backtest windows only need point forecasts: skip the (slow) uncertainty sampling there.
        demand = sort_demand(demand)
        from_end = demand.groupby("unique_id", sort=False).cumcount(ascending=False).to_numpy()
        windows = []
        for window in range(1, n_windows + 1):
            past = demand[from_end >= (n_windows - window + 1) * backtest_horizon]
            backtest = self._forecast(past, backtest_horizon, level, 0)
            backtest.insert(1, "window", window)
            windows.append(backtest[BACKTEST_COLUMNS])
        return concat_backtests(windows), self.forecast(demand, horizon, level)


# --- combination -----------------------------------------------------------------------------


class Ensemble(Model):
    """The mean of several models' forecasts (and of their bounds).

    Averaging the bounds (rather than re-deriving an interval) is the usual quantile-averaging
    combination; it is slightly conservative. Combining methods with different failure modes
    (a seasonal smoother, an intermittent-demand method, a weekday average) is more robust on
    lumpy series than betting on any one of them, so the selection uses an ensemble as the
    default each challenger has to beat.
    """

    def __init__(self, members: Sequence[Model], name: str = "Ensemble"):
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = list(members)
        self.name = name

    @property
    def member_names(self) -> list[str]:
        """Names of the member models, in order."""
        return [member.name for member in self.members]

    @staticmethod
    def combine(frames: Sequence[pd.DataFrame], value_columns: Sequence[str]) -> pd.DataFrame:
        """Average the ``value_columns`` of several frames that share the same key rows.

        A member that failed on a series (NaN) is left out of that series' average.
        """
        keys = [column for column in frames[0].columns if column not in value_columns]
        stacked = pd.concat(frames, ignore_index=True)
        return stacked.groupby(keys, sort=False, as_index=False)[list(value_columns)].mean()

    def forecast(self, demand: pd.DataFrame, horizon: int, level: int = 95) -> pd.DataFrame:
        frames = [member.forecast(demand, horizon, level) for member in self.members]
        return self.combine(frames, ["predicted", "lower", "upper"])[FORECAST_COLUMNS]

    def backtest_and_forecast(self, demand, *, horizon, backtest_horizon, n_windows, level=95):
        results = [
            member.backtest_and_forecast(
                demand, horizon=horizon, backtest_horizon=backtest_horizon, n_windows=n_windows, level=level
            )
            for member in self.members
        ]
        backtest = self.combine([result[0] for result in results], ["predicted"])[BACKTEST_COLUMNS]
        future = self.combine([result[1] for result in results], ["predicted", "lower", "upper"])
        return backtest, future[FORECAST_COLUMNS]
