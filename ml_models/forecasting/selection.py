"""Per-product model selection by rolling-origin backtest, and the forecast the app stores.

``select_and_forecast(demand)`` answers "what will sell" for every product of a business:

1. Spikes are capped (``cap_spikes``) in everything the models train on; scoring uses raw demand.
2. Products are sorted into groups by their history:
   * *fallback*: too short to backtest (fewer than ``min_train_days + backtest_horizon`` open
     days, i.e. 8 weeks by default) or too sparse to model (fewer than ``min_selling_days``
     selling days): the mean of the last 28 open days, and a ``note`` that says why. A product
     too short to backtest is then shrunk (``shrinkage``): toward the median rate of the products
     that could be backtested, or toward zero when its history is one selling day, with a wide
     interval (model ``ShrunkMean``);
   * *regular*: sells on at least ``regular_share`` of its last 48 open days. Candidates:
     AutoETS and DynamicOptimizedTheta (weekly season of open days), TSB and ADIDA
     (Croston-type), the 8-week weekday mean, and their ensemble;
   * *intermittent*: the rest (most of a wholesale catalogue). Candidates: TSB, ADIDA, the
     8-week weekday mean and their ensemble. ETS and Theta are not offered: they cost 20-40 ms
     per series and a weekly season cannot be told from noise when most days are zero.
   Prophet is a candidate only for the ``prophet_top_n`` best sellers with at least a year of
   history (``prophet_min_history_days``): its ~0.2 s per fit (x3 with the backtest) buys a
   yearly season no other model here has, and nothing AutoETS does not do for 1/20th of the
   cost on shorter histories. 30 products cost ~10 s of the 90-second refresh budget.
3. Each candidate is backtested per product on ``backtest_windows`` rolling origins of
   ``backtest_horizon`` open days (2 x 24 by default: two 4-week windows, the horizon a merchant
   orders for) and scored by MASE: its mean absolute error over the windows divided by the
   in-sample error of the seasonal naive (``metrics.seasonal_scale``).
   The seasonal naive itself (the last week repeated) is backtested as a reference but never
   chosen: on intermittent series its mostly-zero forecasts win on absolute error while saying
   "nothing will sell", which is the wrong answer to "what should I order".
4. Each product keeps its group's ensemble (the mean of ``regular_ensemble`` or
   ``intermittent_ensemble``) unless a challenger beat it on that product's own backtest by
   more than ``challenger_margin`` (10%). Two 4-week windows of lumpy demand are a noisy judge;
   plain "lowest MASE wins" swaps to whichever model got lucky, and lost accuracy on a
   development split, the margin does not.

The work is spread over ``n_jobs`` processes (``concurrent.futures.ProcessPoolExecutor``).
Inside a daemonic process (a Celery prefork worker) child processes are not allowed, so it then
runs in-process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from .demand import cap_spikes, sort_demand
from .metrics import seasonal_scale
from .models import (
    Ensemble,
    Model,
    ProphetModel,
    RecentMean,
    SeasonalNaive,
    WeekdayMean,
    auto_ets,
    dynamic_theta,
    intermittent,
)
from .shrinkage import SHRUNK, apply_shrinkage, shrinkage_note, shrunk_rates
from .trading_calendar import (
    closures_in_demand,
    future_dates,
    infer_closed_weekdays,
    next_open_days,
    to_day,
    yearly_repeats,
)

logger = logging.getLogger(__name__)

POINT_COLUMNS = ["unique_id", "ds", "predicted", "lower", "upper"]
CHOICE_COLUMNS = ["unique_id", "model", "mase", "note", "history_days"]
ENSEMBLE = "Ensemble"
FALLBACK = RecentMean(days=28)


def build_model(name: str, season_length: int) -> Model:
    """A fresh model by name (models travel to worker processes by name, not by pickle)."""
    builders = {
        "SeasonalNaive": SeasonalNaive,
        "WeekdayMean8": lambda: WeekdayMean(weeks=8),
        "AutoETS": lambda: auto_ets(season_length),
        "DynamicOptimizedTheta": lambda: dynamic_theta(season_length),
        "TSB": lambda: intermittent("TSB"),
        "ADIDA": lambda: intermittent("ADIDA"),
        "IMAPA": lambda: intermittent("IMAPA"),
        "CrostonOptimized": lambda: intermittent("CrostonOptimized"),
        "Prophet": ProphetModel,
        FALLBACK.name: lambda: RecentMean(days=28),
    }
    if name not in builders:
        raise ValueError(f"unknown model {name!r}; known: {sorted(builders)}")
    return builders[name]()


@dataclass(frozen=True)
class SelectionSettings:
    """Knobs of ``select_and_forecast``; the defaults are the benchmarked configuration."""

    backtest_horizon: int = 24
    backtest_windows: int = 2
    min_train_days: int = 24
    min_selling_days: int = 5
    regular_share: float = 0.5
    challenger_margin: float = 0.1
    common_models: tuple[str, ...] = ("TSB", "ADIDA", "WeekdayMean8")
    # Backtested and scored for comparison, never chosen (see the module docstring).
    reference_models: tuple[str, ...] = ("SeasonalNaive",)
    regular_models: tuple[str, ...] = ("AutoETS", "DynamicOptimizedTheta")
    intermittent_ensemble: tuple[str, ...] = ("TSB", "ADIDA", "WeekdayMean8")
    regular_ensemble: tuple[str, ...] = ("AutoETS", "DynamicOptimizedTheta", "TSB", "ADIDA")
    prophet_top_n: int = 30
    prophet_min_history_days: int = 365
    cap_spikes: bool = True
    repeat_yearly_closures: bool = True
    chunk_size: int = 100
    prophet_chunk_size: int = 4


@dataclass
class ForecastResult:
    """What ``select_and_forecast`` returns.

    * ``points``: DataFrame[unique_id, ds, predicted, lower, upper], one row per product and
      calendar day from the day after ``end_date`` for ``max(horizons)`` days; closed days are 0
      with a zero-width interval. Shorter horizons are prefixes.
    * ``choices``: DataFrame[unique_id, model, mase, note, history_days], one row per product:
      the model used, its backtest MASE (NaN for fallbacks), why, and the open days of history.
    * ``scores``: DataFrame[unique_id, model, mase], every candidate's backtest MASE.
    * ``candidates`` (only with ``keep_candidates``): every candidate's forecast,
      DataFrame[unique_id, step, predicted, lower, upper, model, ds], open days only.
    """

    points: pd.DataFrame
    choices: pd.DataFrame
    scores: pd.DataFrame
    horizons: tuple[int, ...]
    end_date: pd.Timestamp
    level: int = 95
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    candidates: pd.DataFrame | None = None

    def totals(self) -> pd.DataFrame:
        """Units per product over each horizon: DataFrame[unique_id, horizon, predicted, lower, upper].

        Days are treated as independent: the total's sigma is the root of the summed daily
        variances, each daily sigma being the interval's upper half-width / z (as in ``reorder_plan``).
        """
        z = float(norm.ppf(0.5 + self.level / 200))
        frames = []
        for horizon in self.horizons:
            window = self.points[self.points["ds"] <= self.end_date + pd.Timedelta(days=horizon)]
            sigma = (window["upper"] - window["predicted"]) / z
            summary = (
                window.assign(variance=sigma**2)
                .groupby("unique_id", sort=True)
                .agg(predicted=("predicted", "sum"), variance=("variance", "sum"))
                .reset_index()
            )
            spread = z * np.sqrt(summary.pop("variance"))
            summary["lower"] = (summary["predicted"] - spread).clip(lower=0)
            summary["upper"] = summary["predicted"] + spread
            summary.insert(1, "horizon", horizon)
            frames.append(summary)
        return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class WorkUnit:
    """A chunk of products and the models to run on them, shipped to a worker process."""

    demand: pd.DataFrame
    models: tuple[str, ...]
    ensemble: tuple[str, ...]
    season_length: int
    horizon: int
    backtest_horizon: int
    n_windows: int
    level: int


def run_unit(unit: WorkUnit) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """Backtest and forecast every model of a unit; returns (model name, backtest, forecast)."""
    results = {}
    for name in unit.models:
        model = build_model(name, unit.season_length)
        results[name] = model.backtest_and_forecast(
            unit.demand,
            horizon=unit.horizon,
            backtest_horizon=unit.backtest_horizon,
            n_windows=unit.n_windows,
            level=unit.level,
        )
    if unit.ensemble:
        # The ensemble reuses its members' runs instead of fitting them twice.
        members = [results[name] for name in unit.ensemble]
        backtest = Ensemble.combine([member[0] for member in members], ["predicted"])
        future = Ensemble.combine([member[1] for member in members], ["predicted", "lower", "upper"])
        results[ENSEMBLE] = (backtest, future)
    return [(name, backtest, future) for name, (backtest, future) in results.items()]


def resolve_jobs(n_jobs: int) -> int:
    """Worker processes to use: ``-1`` means every core; 1 inside daemonic processes."""
    jobs = (os.cpu_count() or 1) if n_jobs == -1 else max(1, n_jobs)
    if jobs > 1 and multiprocessing.current_process().daemon:
        logger.info("running in-process: daemonic processes cannot start worker processes")
        return 1
    return jobs


def run_units(units: list[WorkUnit], n_jobs: int) -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """Run work units in ``n_jobs`` processes (in-process for 1), biggest first for balance."""
    units = sorted(units, key=unit_cost, reverse=True)
    outputs: list[tuple[str, pd.DataFrame, pd.DataFrame]] = []
    if n_jobs == 1 or len(units) <= 1:
        for unit in units:
            outputs.extend(run_unit(unit))
        return outputs
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=process_context()) as pool:
        for result in pool.map(run_unit, units):
            outputs.extend(result)
    return outputs


def process_context():
    """A fork server with this module preloaded: workers start from a clean, already-imported process.

    Plain fork would copy the caller whole, and the caller may be a web or Celery process holding open
    database and Redis connections (a forked child touching a shared socket hangs both); spawn would
    re-import pandas and statsforecast in every worker, several seconds each. The fork server is started
    once per process, imports this module once, and forks workers from itself.

    The model libraries (statsforecast, Prophet) are imported lazily by the models, so they are
    preloaded too; otherwise every worker of every refresh would import them again. The first
    refresh in a process pays for starting the server once (a few seconds), later ones do not.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The fork server skips a module that fails to import, so Prophet stays optional.
    context.set_forkserver_preload([__name__, "statsforecast.models", "prophet"])
    return context


def unit_cost(unit: WorkUnit) -> float:
    """Rough relative cost of a unit, to start the expensive ones first."""
    per_series = {"Prophet": 60.0, "AutoETS": 2.0, "DynamicOptimizedTheta": 3.0}
    series = unit.demand["unique_id"].nunique()
    return series * sum(per_series.get(name, 0.2) for name in unit.models)


def product_profiles(demand: pd.DataFrame, settings: SelectionSettings) -> pd.DataFrame:
    """One row per product: history length, selling days, recent selling share, volume, span."""
    grouped = demand.groupby("unique_id", sort=True)
    recent = demand.groupby("unique_id", sort=True).tail(48)
    profiles = pd.DataFrame(
        {
            "history_days": grouped.size(),
            "selling_days": (demand["y"] > 0).groupby(demand["unique_id"], sort=True).sum().astype(int),
            "volume": grouped["y"].sum(),
            "span_days": (grouped["ds"].max() - grouped["ds"].min()).dt.days,
            "recent_share": (recent["y"] > 0).groupby(recent["unique_id"], sort=True).mean(),
        }
    )
    needed = settings.min_train_days + settings.backtest_horizon
    profiles["n_windows"] = np.minimum(
        settings.backtest_windows,
        (profiles["history_days"] - settings.min_train_days) // settings.backtest_horizon,
    ).clip(lower=0)
    profiles["group"] = np.where(
        profiles["recent_share"] >= settings.regular_share, "regular", "intermittent"
    )
    short = profiles["history_days"] < needed
    sparse = profiles["selling_days"] < settings.min_selling_days
    profiles.loc[short | sparse, "group"] = "fallback"
    profiles["note"] = ""
    profiles.loc[sparse, "note"] = profiles.loc[sparse, "selling_days"].map(
        lambda days: f"only {days} selling days, too sparse to model: mean of the last 28 open days"
    )
    profiles.loc[short, "note"] = profiles.loc[short, "history_days"].map(
        lambda days: (
            f"short history ({days} open days, {needed} needed to backtest): mean of the last 28 open days"
        )
    )
    eligible = profiles[
        (profiles["group"] != "fallback") & (profiles["span_days"] >= settings.prophet_min_history_days)
    ]
    top = eligible["volume"].sort_values(ascending=False, kind="stable").index[: settings.prophet_top_n]
    profiles["prophet"] = profiles.index.isin(top)
    return profiles


def plan_units(
    demand: pd.DataFrame,
    profiles: pd.DataFrame,
    settings: SelectionSettings,
    *,
    season_length: int,
    horizon: int,
    level: int,
) -> list[WorkUnit]:
    """Split the products into work units by group, backtest windows and chunk size."""
    specs: list[tuple[tuple[str, ...], tuple[str, ...], int]] = []
    plain: dict = {}  # unique_id -> index into specs
    for (group, n_windows), members in profiles.groupby(["group", "n_windows"], sort=True):
        if group == "fallback":
            models: tuple[str, ...] = (FALLBACK.name,)
            ensemble: tuple[str, ...] = ()
            windows = 0
        else:
            extra = settings.regular_models if group == "regular" else ()
            ensemble = settings.regular_ensemble if group == "regular" else settings.intermittent_ensemble
            models = tuple(
                dict.fromkeys(settings.common_models + extra + settings.reference_models + ensemble)
            )
            windows = int(n_windows)
        for start in range(0, len(members), settings.chunk_size):
            plain.update(dict.fromkeys(members.index[start : start + settings.chunk_size], len(specs)))
            specs.append((models, ensemble, windows))
    prophet: dict = {}
    for n_windows, members in profiles[profiles["prophet"]].groupby("n_windows", sort=True):
        for start in range(0, len(members), settings.prophet_chunk_size):
            prophet.update(
                dict.fromkeys(members.index[start : start + settings.prophet_chunk_size], len(specs))
            )
            specs.append((("Prophet",), (), int(n_windows)))

    units = []
    # One pass over the frame per mapping rather than one filter per chunk.
    for unit_of in (plain, prophet):
        if not unit_of:
            continue
        keys = demand["unique_id"].map(unit_of)
        present = keys.notna().to_numpy()
        for key, chunk in demand[present].groupby(keys[present].astype(int), sort=False):
            models, ensemble, windows = specs[key]
            units.append(
                WorkUnit(
                    chunk, models, ensemble, season_length, horizon, settings.backtest_horizon, windows, level
                )
            )
    return units


def score_backtests(
    raw: pd.DataFrame,
    backtests: pd.DataFrame,
    profiles: pd.DataFrame,
    settings: SelectionSettings,
    season: int,
) -> pd.DataFrame:
    """MASE of every (product, model) over its backtest windows: DataFrame[unique_id, model, mase]."""
    if backtests.empty:
        return pd.DataFrame({"unique_id": [], "model": [], "mase": []})
    windows = profiles["n_windows"]
    # Position of each raw row counted from the series' end (0 = the last day).
    from_end = raw.groupby("unique_id", sort=False).cumcount(ascending=False)
    actuals = pd.DataFrame({"unique_id": raw["unique_id"], "from_end": from_end, "actual": raw["y"]})
    frame = backtests.copy()
    total_windows = frame["unique_id"].map(windows)
    frame["from_end"] = (total_windows - frame["window"] + 1) * settings.backtest_horizon - frame["step"]
    frame = frame.merge(actuals, on=["unique_id", "from_end"], how="left")
    frame["error"] = (frame["predicted"] - frame["actual"]).abs()
    errors = (
        frame.groupby(["unique_id", "model", "window"], sort=False)["error"]
        .mean()
        .rename("mae")
        .reset_index()
    )

    scales = []
    for window in range(1, settings.backtest_windows + 1):
        held_out = (windows - window + 1) * settings.backtest_horizon
        training = raw[from_end.to_numpy() >= raw["unique_id"].map(held_out).to_numpy()]
        scale = seasonal_scale(training, season)
        scales.append(pd.DataFrame({"unique_id": scale.index, "window": window, "scale": scale.to_numpy()}))
    errors = errors.merge(pd.concat(scales, ignore_index=True), on=["unique_id", "window"], how="left")
    errors["mase"] = errors["mae"] / errors["scale"]
    grouped = errors.groupby(["unique_id", "model"], sort=True)["mase"]
    # A model that failed on any window (NaN forecast) gets NaN and cannot be chosen.
    mase = grouped.mean().where(grouped.count() == grouped.size())
    return mase.reset_index()


def choose_models(
    scores: pd.DataFrame, forecast_ok: pd.DataFrame, margin: float, *, not_selectable: Iterable[str] = ()
) -> pd.DataFrame:
    """Per product: the ensemble unless a challenger's MASE beats it by more than ``margin``.

    ``forecast_ok`` lists (unique_id, model) pairs whose final forecast has no NaN; a model that
    failed on the future cannot be chosen whatever its backtest.
    """
    usable = scores.merge(forecast_ok, on=["unique_id", "model"], how="inner").dropna(subset=["mase"])
    usable = usable[~usable["model"].isin(list(not_selectable))]
    rows = []
    for unique_id, candidates in usable.groupby("unique_id", sort=True):
        mase = dict(zip(candidates["model"], candidates["mase"], strict=True))
        best = min(mase, key=mase.get)
        if ENSEMBLE in mase and best != ENSEMBLE and mase[best] >= mase[ENSEMBLE] * (1 - margin):
            note = f"ensemble kept: best challenger {best} (MASE {mase[best]:.2f}) not {margin:.0%} better"
            rows.append((unique_id, ENSEMBLE, mase[ENSEMBLE], note))
        elif best == ENSEMBLE:
            rows.append((unique_id, ENSEMBLE, mase[ENSEMBLE], "ensemble won the backtest"))
        else:
            against = f" vs ensemble {mase[ENSEMBLE]:.2f}" if ENSEMBLE in mase else ""
            rows.append((unique_id, best, mase[best], f"won the backtest (MASE {mase[best]:.2f}{against})"))
    return pd.DataFrame(rows, columns=["unique_id", "model", "mase", "note"])


def step_calendar(last_day: pd.Timestamp, end_date: pd.Timestamp, horizon_days: int, closed: frozenset[int]):
    """Open-day steps after ``last_day`` that fall inside the forecast window, with their dates.

    Returns (number of steps models must forecast, DataFrame[step, ds]).
    """
    window_end = end_date + pd.Timedelta(days=horizon_days)
    span = pd.date_range(last_day + pd.Timedelta(days=1), window_end, freq="D")
    open_count = int((~np.isin(span.dayofweek, list(closed))).sum())
    dates = next_open_days(last_day, max(open_count, 1), closed)[:open_count]
    steps = pd.DataFrame({"step": np.arange(1, open_count + 1), "ds": dates})
    return open_count, steps[steps["ds"] > end_date]


def assemble_points(
    forecasts: pd.DataFrame,
    steps: pd.DataFrame,
    ids: Sequence,
    end_date: pd.Timestamp,
    horizon_days: int,
    closed_dates: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Calendar-day points: chosen forecasts on open days, zeros on closed days.

    ``closed_dates`` are extra closed days ahead (repeated yearly closures): zero as well.
    """
    dated = forecasts.merge(steps, on="step", how="inner")
    calendar = pd.DataFrame(
        {
            "unique_id": np.repeat(np.asarray(ids), horizon_days),
            "ds": np.tile(future_dates(end_date, horizon_days).to_numpy(), len(ids)),
        }
    )
    points = calendar.merge(dated[POINT_COLUMNS], on=["unique_id", "ds"], how="left")
    values = ["predicted", "lower", "upper"]
    points[values] = points[values].fillna(0.0)
    if closed_dates is not None and len(closed_dates):
        points.loc[points["ds"].isin(closed_dates), values] = 0.0
    return points


@dataclass(frozen=True)
class ForecastCalendar:
    """How model steps (open days after the data's last day) map to the calendar days ahead."""

    end_date: pd.Timestamp
    closed_weekdays: frozenset[int]
    season_length: int
    step_count: int
    steps: pd.DataFrame
    closed_dates: pd.DatetimeIndex

    @classmethod
    def of(
        cls, raw: pd.DataFrame, end_date, closed_weekdays, horizon_days: int, *, repeat_closures: bool = True
    ) -> ForecastCalendar:
        """Validate a sorted demand frame and lay out its forecast calendar.

        With ``repeat_closures``, days that were inside a long closure one year earlier (read off
        the days missing from the frame, see ``closures_in_demand``) are closed days ahead too.
        """
        if raw.empty:
            raise ValueError("demand is empty: nothing to forecast")
        last_days = raw.groupby("unique_id", sort=False)["ds"].max()
        if last_days.nunique() > 1:
            raise ValueError(
                "every demand series must end on the same day (build_daily_demand fills each product "
                "up to end_date); got last days from "
                f"{last_days.min():%Y-%m-%d} to {last_days.max():%Y-%m-%d}"
            )
        last_day = last_days.iloc[0]
        end = to_day(end_date) if end_date is not None else last_day
        if end < last_day:
            raise ValueError(f"end_date {end:%Y-%m-%d} is before the last demand day {last_day:%Y-%m-%d}")
        closed = frozenset(closed_weekdays) if closed_weekdays is not None else infer_closed_weekdays(raw)
        step_count, steps = step_calendar(last_day, end, horizon_days, closed)
        ahead = future_dates(end, horizon_days)
        repeated = (
            ahead[yearly_repeats(closures_in_demand(raw, closed), ahead)] if repeat_closures else ahead[:0]
        )
        return cls(end, closed, max(7 - len(closed), 1), step_count, steps, repeated)


def forecast_chunk(job: tuple[Model, pd.DataFrame, int, int]) -> pd.DataFrame:
    """Worker entry point of ``forecast_with``: one model on one chunk of series."""
    model, demand, horizon, level = job
    return model.forecast(demand, horizon, level)


def forecast_with(
    model: Model,
    demand: pd.DataFrame,
    horizon_days: int = 90,
    *,
    end_date=None,
    closed_weekdays: Iterable[int] | None = None,
    n_jobs: int = 1,
    level: int = 95,
    chunk_size: int = 50,
) -> pd.DataFrame:
    """One model for every product, no selection: DataFrame[unique_id, ds, predicted, lower, upper].

    The same calendar-day layout as ``ForecastResult.points`` (closed days 0). A series the model
    fails on gets the fallback (mean of the last 28 open days). With ``n_jobs > 1`` the model is
    pickled to worker processes in chunks of ``chunk_size`` series. Used by the benchmark for the
    baselines and "Prophet alone"; also handy to run one specific model for the app.
    """
    raw = sort_demand(demand)
    calendar = ForecastCalendar.of(raw, end_date, closed_weekdays, horizon_days)
    horizon = max(calendar.step_count, 1)
    ids = raw["unique_id"].unique()
    jobs = [
        (model, raw[raw["unique_id"].isin(ids[start : start + chunk_size])], horizon, level)
        for start in range(0, len(ids), chunk_size)
    ]
    n_jobs = resolve_jobs(n_jobs)
    if n_jobs == 1 or len(jobs) == 1:
        frames = [forecast_chunk(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=process_context()) as pool:
            frames = list(pool.map(forecast_chunk, jobs))
    forecasts = pd.concat(frames, ignore_index=True)
    failed = forecasts.loc[forecasts["predicted"].isna(), "unique_id"].unique()
    if len(failed):
        rescue = FALLBACK.forecast(raw[raw["unique_id"].isin(failed)], horizon, level)
        forecasts = pd.concat([forecasts[~forecasts["unique_id"].isin(failed)], rescue], ignore_index=True)
    return assemble_points(
        forecasts, calendar.steps, list(ids), calendar.end_date, horizon_days, calendar.closed_dates
    )


def select_and_forecast(
    demand: pd.DataFrame,
    horizons: Iterable[int] = (7, 30, 90),
    *,
    end_date=None,
    closed_weekdays: Iterable[int] | None = None,
    n_jobs: int = 2,
    level: int = 95,
    settings: SelectionSettings | None = None,
    keep_candidates: bool = False,
) -> ForecastResult:
    """Backtest the candidate models per product, keep each product's winner, forecast.

    ``demand`` is ``DataFrame[unique_id, ds, y]`` as built by ``build_daily_demand``: open days
    only, every series running to the same last day. ``horizons`` are in calendar days; the
    points cover the longest. ``end_date`` (default: the last day in ``demand``) is "today":
    points start the day after. ``closed_weekdays`` default: the weekdays absent from ``demand``.
    ``n_jobs`` worker processes (-1: all cores). ``keep_candidates`` also returns every
    candidate's forecast (``ForecastResult.candidates``), for diagnostics. See the module
    docstring for the method.
    """
    started = time.perf_counter()
    settings = settings or SelectionSettings()
    horizons = tuple(sorted({int(horizon) for horizon in horizons}))
    if not horizons or horizons[0] < 1:
        raise ValueError("horizons must be positive numbers of days")
    raw = sort_demand(demand)
    horizon_days = horizons[-1]
    calendar = ForecastCalendar.of(
        raw, end_date, closed_weekdays, horizon_days, repeat_closures=settings.repeat_yearly_closures
    )
    end, season, step_count, steps = (
        calendar.end_date,
        calendar.season_length,
        calendar.step_count,
        calendar.steps,
    )
    timings = {}

    profiles = product_profiles(raw, settings)
    model_input = cap_spikes(raw) if settings.cap_spikes else raw
    units = plan_units(
        model_input, profiles, settings, season_length=season, horizon=max(step_count, 1), level=level
    )
    timings["prepare"] = time.perf_counter() - started
    outputs = run_units(units, resolve_jobs(n_jobs))
    timings["models"] = time.perf_counter() - started - timings["prepare"]

    backtest_frames = [backtest.assign(model=name) for name, backtest, _ in outputs if len(backtest)]
    backtests = pd.concat(backtest_frames) if backtest_frames else pd.DataFrame()
    futures = pd.concat([future.assign(model=name) for name, _, future in outputs], ignore_index=True)
    scores = score_backtests(raw, backtests, profiles, settings, season)
    failed_any = (
        futures["predicted"].isna().groupby([futures["unique_id"], futures["model"]], sort=False).any()
    )
    forecast_ok = failed_any[~failed_any].reset_index()[["unique_id", "model"]]
    chosen = choose_models(
        scores, forecast_ok, settings.challenger_margin, not_selectable=settings.reference_models
    )

    # Say which ensemble: its members differ between regular and intermittent products.
    members = {
        "regular": ", ".join(settings.regular_ensemble),
        "intermittent": ", ".join(settings.intermittent_ensemble),
    }
    is_ensemble = chosen["model"] == ENSEMBLE
    chosen.loc[is_ensemble, "note"] = (
        "mean of "
        + chosen.loc[is_ensemble, "unique_id"].map(profiles["group"]).map(members)
        + "; "
        + chosen.loc[is_ensemble, "note"]
    )

    fallback_ids = profiles.index[profiles["group"] == "fallback"]
    # A product whose every candidate failed falls back too, and says so.
    failed = profiles.index.difference(fallback_ids).difference(chosen["unique_id"])
    if len(failed):
        rescue = FALLBACK.forecast(
            model_input[model_input["unique_id"].isin(failed)], max(step_count, 1), level
        )
        futures = pd.concat([futures, rescue.assign(model=FALLBACK.name)], ignore_index=True)
    fallback_notes = profiles.loc[fallback_ids, "note"].tolist() + [
        "every candidate model failed: mean of the last 28 open days"
    ] * len(failed)
    fallback_choices = pd.DataFrame(
        {
            "unique_id": list(fallback_ids) + list(failed),
            "model": FALLBACK.name,
            "mase": np.nan,
            "note": fallback_notes,
        }
    )
    choices = pd.concat([frame for frame in (chosen, fallback_choices) if len(frame)], ignore_index=True)
    # Keep the caller's id type (an empty part of the concatenation would turn ints into floats).
    choices["unique_id"] = choices["unique_id"].astype(profiles.index.dtype)
    choices["history_days"] = choices["unique_id"].map(profiles["history_days"]).astype(int)
    choices = choices.sort_values("unique_id", kind="stable").reset_index(drop=True)[CHOICE_COLUMNS]

    selected = futures.merge(choices[["unique_id", "model"]], on=["unique_id", "model"], how="inner")
    # Too little history to backtest: shrink toward similar products (or zero for a one-off order).
    short = profiles.index[profiles["history_days"] < settings.min_train_days + settings.backtest_horizon]
    if len(short):
        peers = profiles.index.difference(short)
        recent = raw[raw["unique_id"].isin(peers)].groupby("unique_id", sort=False).tail(FALLBACK.days)
        rates = shrunk_rates(profiles, short, recent.groupby("unique_id")["y"].mean())
        selected = apply_shrinkage(selected, rates)
        is_short = choices["unique_id"].isin(short)
        choices.loc[is_short, "model"] = SHRUNK
        choices.loc[is_short, "note"] = [
            shrinkage_note(rates.loc[uid]) for uid in choices.loc[is_short, "unique_id"]
        ]
    points = assemble_points(
        selected, steps, choices["unique_id"].tolist(), end, horizon_days, calendar.closed_dates
    )
    timings["select"] = time.perf_counter() - started - timings["prepare"] - timings["models"]
    return ForecastResult(
        points=points,
        choices=choices,
        scores=scores,
        horizons=horizons,
        end_date=end,
        level=level,
        seconds=time.perf_counter() - started,
        timings=timings,
        candidates=futures.merge(steps, on="step", how="inner") if keep_candidates else None,
    )
