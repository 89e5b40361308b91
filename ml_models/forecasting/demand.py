"""From sales lines to daily demand series, and the robust cleaning models train on."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .trading_calendar import (
    closure_days,
    detect_closed_weekdays,
    detect_closures,
    open_days,
    to_day,
    to_days,
)

DEMAND_COLUMNS = ["unique_id", "ds", "y"]


def build_daily_demand(
    sales: pd.DataFrame,
    *,
    end_date,
    closed_weekdays: Iterable[int] | None = None,
    min_closure_days: int = 5,
    business_days: Iterable | None = None,
) -> pd.DataFrame:
    """Daily net units per product on the days the business is open.

    ``sales`` has one row per sales line: ``product_id``, ``date`` (date or datetime; the time of
    day is ignored) and ``quantity`` (returns are negative). ``end_date`` is the data's "today",
    normally the business's latest sale date; later lines are ignored.

    Returns ``DataFrame[unique_id, ds, y]`` sorted by product then day:

    * ``y`` is the day's net quantity clipped at 0: a day with more returns than sales is a day
      with no demand, not negative demand;
    * every product has one row per open day from its first sale (first positive quantity) to
      ``end_date``; days without sales are 0. Products that never sold are left out;
    * closed days are left out rather than counted as zero demand: weekdays the business does not
      trade on (``closed_weekdays``; detected with ``detect_closed_weekdays`` when None, pass
      ``()`` to keep all weekdays) and long closures, i.e. at least ``min_closure_days``
      consecutive calendar days without any sale for the whole business (``detect_closures``).
      The few lines sold on such days are dropped with them.

    When ``sales`` holds only some of the business's products (one batch of a run spread over
    workers), ``business_days`` gives the days the whole business sold anything
    (``trading_days`` of all its sales): closures are read from them, so each product's demand is
    the same as when every product is built at once.
    """
    end = to_day(end_date)
    lines = pd.DataFrame(
        {
            "unique_id": sales["product_id"].to_numpy(),
            "ds": to_days(sales["date"]).to_numpy(),
            "quantity": pd.to_numeric(sales["quantity"]).to_numpy(dtype=float),
        }
    )
    lines = lines[lines["ds"] <= end]
    calendar_sales = lines.rename(columns={"ds": "date"})
    if business_days is not None:
        days = to_days(pd.Series(list(business_days)))
        calendar_sales = pd.DataFrame({"date": days[days <= end].to_numpy(), "quantity": 1.0})
    if closed_weekdays is None:
        closed_weekdays = detect_closed_weekdays(calendar_sales)
    closures = detect_closures(
        calendar_sales,
        end_date=end,
        min_days=min_closure_days,
        closed_weekdays=closed_weekdays,
    )

    first_sale = lines[lines["quantity"] > 0].groupby("unique_id", sort=True)["ds"].min()
    if first_sale.empty:
        return pd.DataFrame({"unique_id": [], "ds": pd.DatetimeIndex([]), "y": []})
    calendar = open_days(
        first_sale.min(), end, closed_weekdays=closed_weekdays, closed_dates=closure_days(closures)
    )

    # One row per product and open day from its first sale: build the grid with index arithmetic
    # rather than a per-product loop (thousands of products).
    starts = np.searchsorted(calendar.values, first_sale.to_numpy())
    lengths = len(calendar) - starts
    positions = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths - starts, lengths)
    grid = pd.DataFrame(
        {"unique_id": np.repeat(first_sale.index.to_numpy(), lengths), "ds": calendar.values[positions]}
    )

    net = lines.groupby(["unique_id", "ds"], sort=False)["quantity"].sum().clip(lower=0).rename("y")
    demand = grid.merge(net.reset_index(), on=["unique_id", "ds"], how="left")
    demand["y"] = demand["y"].fillna(0.0).astype(float)
    return demand.reset_index(drop=True)[DEMAND_COLUMNS]


def spike_caps(
    y: np.ndarray, *, quantile: float = 0.9, multiple: float = 1.5, min_selling_days: int = 5
) -> float:
    """The level above which one day of a series counts as an exceptional spike.

    ``multiple`` times the ``quantile`` of the series' selling (non-zero) days. Returns ``inf``
    when the series has fewer than ``min_selling_days`` selling days: too little to call anything
    exceptional.
    """
    selling = y[y > 0]
    if len(selling) < min_selling_days:
        return float("inf")
    return float(np.quantile(selling, quantile) * multiple)


def cap_spikes(
    demand: pd.DataFrame, *, quantile: float = 0.9, multiple: float = 1.5, min_selling_days: int = 5
) -> pd.DataFrame:
    """Demand with each product's exceptional days capped (winsorised), for models to train on.

    Wholesale buyers make this data lumpy: one order of thousands of units for a product that
    sells tens a day. Left alone such a day drags every average-based forecast up for weeks and
    inflates every interval. A day above ``multiple`` x the ``quantile`` of the product's selling
    days (see ``spike_caps``) is lowered to that cap. Scoring always uses the raw demand.
    The defaults (1.5 x the 90th percentile) were chosen on a development split of the Online
    Retail data that ends before the benchmark's holdout (see benchmarks/forecast/README.md).
    """
    capped = demand.copy()
    values = capped["y"].to_numpy(dtype=float).copy()
    for rows in series_slices(capped["unique_id"].to_numpy()):
        cap = spike_caps(
            values[rows], quantile=quantile, multiple=multiple, min_selling_days=min_selling_days
        )
        np.minimum(values[rows], cap, out=values[rows])
    capped["y"] = values
    return capped


def series_slices(unique_ids: np.ndarray) -> list[slice]:
    """Row slices of each series in a frame sorted by ``unique_id`` (contiguous runs)."""
    if len(unique_ids) == 0:
        return []
    change = np.flatnonzero(unique_ids[1:] != unique_ids[:-1]) + 1
    bounds = np.concatenate([[0], change, [len(unique_ids)]])
    return [slice(int(start), int(stop)) for start, stop in itertools.pairwise(bounds)]


def sort_demand(demand: pd.DataFrame) -> pd.DataFrame:
    """A demand frame sorted by product then day, with a clean index (models rely on this)."""
    missing = set(DEMAND_COLUMNS) - set(demand.columns)
    if missing:
        raise ValueError(f"demand is missing columns: {sorted(missing)}")
    ordered = demand[DEMAND_COLUMNS].sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    if not pd.api.types.is_datetime64_dtype(ordered["ds"]):
        ordered["ds"] = pd.to_datetime(ordered["ds"])
    ordered["y"] = ordered["y"].astype(float)
    return ordered
