"""When the business trades: closed weekdays, long closures and the open days ahead.

Demand series only contain *open* days. A day the shop is shut says nothing about demand, so
it must not enter a series as a zero: the weekly season becomes "open days per week" (6 for a
shop that never trades on Saturdays) and forecasts put 0 on closed days.

Weekdays are numbered like ``pandas.Timestamp.dayofweek``: Monday = 0 ... Sunday = 6.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

ALL_WEEKDAYS = frozenset(range(7))


@dataclass(frozen=True)
class Closure:
    """A run of consecutive calendar days on which the whole business sold nothing."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> int:
        """Length of the closure in calendar days, both ends included."""
        return (self.end - self.start).days + 1


def to_day(value) -> pd.Timestamp:
    """A date-like value as a timezone-naive midnight ``Timestamp``."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        # Keep the local wall-clock date the merchant sees, not the UTC one.
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def to_days(values: pd.Series) -> pd.Series:
    """A column of date-likes (dates, datetimes, ISO strings with or without a time of day) as
    timezone-naive midnight timestamps."""
    values = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values
    else:
        try:
            stamps = pd.to_datetime(values, format="ISO8601")
        except (ValueError, TypeError):
            stamps = pd.to_datetime(values, format="mixed")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    return stamps.dt.normalize()


def trading_days(sales: pd.DataFrame) -> pd.DatetimeIndex:
    """Distinct days on which the business sold something (a row with a positive quantity).

    Returns-only days do not count: refunds are processed on days the shop may not be selling.
    """
    sold = sales.loc[sales["quantity"] > 0, "date"]
    return pd.DatetimeIndex(to_days(sold).unique()).sort_values()


def detect_closed_weekdays(
    sales: pd.DataFrame, *, max_trading_share: float = 0.2, min_weeks: int = 4
) -> frozenset[int]:
    """Weekdays on which the business (almost) never trades, across all products.

    ``sales`` needs ``date`` and ``quantity`` columns. A weekday is closed when the business sold
    something on at most ``max_trading_share`` of the occurrences of that weekday between its
    first and last trading day (0.2: a shop that opens on its December Saturdays only is still
    "closed on Saturdays"; the few sales of such days are then left out of the series). With
    fewer than ``min_weeks`` weeks of data no weekday can be told apart from a quiet day, so
    none is reported closed.
    """
    days = trading_days(sales)
    if days.empty:
        return frozenset()
    span = pd.date_range(days[0], days[-1], freq="D")
    if len(span) < 7 * min_weeks:
        return frozenset()
    occurrences = pd.Series(span.dayofweek).value_counts()
    traded = pd.Series(days.dayofweek).value_counts()
    share = traded.reindex(occurrences.index, fill_value=0) / occurrences
    return frozenset(int(weekday) for weekday, value in share.items() if value <= max_trading_share)


def detect_closures(
    sales: pd.DataFrame, *, end_date=None, min_days: int = 5, closed_weekdays: Iterable[int] = ()
) -> list[Closure]:
    """Runs of at least ``min_days`` consecutive calendar days with no sales for the whole business.

    Closed weekdays count towards a run (a shop shut on Saturdays that also closes Sunday to
    Wednesday has a 5-day closure), but a reported closure is trimmed of ``closed_weekdays`` at
    both ends: it starts and ends on days the shop would normally have opened. Only gaps between
    the first trading day and ``end_date`` (default: the last trading day) are considered; a gap
    reaching ``end_date`` is reported too, because "nothing sold for a week up to today" is
    better treated as unknown than as zero demand.
    """
    days = trading_days(sales)
    if days.empty:
        return []
    last = to_day(end_date) if end_date is not None else days[-1]
    days = days[days <= last]
    if days.empty:
        return []
    # Sentinel one day after the end so a gap running up to end_date is measured too.
    bounds = days.append(pd.DatetimeIndex([last + pd.Timedelta(days=1)]))
    gaps = (bounds[1:] - bounds[:-1]).days - 1
    closed_weekdays = frozenset(closed_weekdays)
    closures = []
    for before, missing in zip(bounds[:-1], gaps, strict=True):
        if missing < min_days:
            continue
        run = pd.date_range(before + pd.Timedelta(days=1), periods=int(missing), freq="D")
        usual = run[~np.isin(run.dayofweek, list(closed_weekdays))]
        if len(usual):
            closures.append(Closure(start=usual[0], end=usual[-1]))
    return closures


def closure_days(closures: Iterable[Closure]) -> pd.DatetimeIndex:
    """Every calendar day inside the given closures."""
    ranges = [pd.date_range(closure.start, closure.end, freq="D") for closure in closures]
    if not ranges:
        return pd.DatetimeIndex([])
    return ranges[0].append(ranges[1:]) if len(ranges) > 1 else ranges[0]


def open_days(
    start, end, *, closed_weekdays: Iterable[int] = (), closed_dates: Iterable = ()
) -> pd.DatetimeIndex:
    """Calendar days from ``start`` to ``end`` (both included) on which the business trades."""
    span = pd.date_range(to_day(start), to_day(end), freq="D")
    closed_weekdays = frozenset(closed_weekdays)
    keep = ~np.isin(span.dayofweek, list(closed_weekdays))
    closed = pd.DatetimeIndex([to_day(day) for day in closed_dates])
    if len(closed):
        keep &= ~span.isin(closed)
    return span[keep]


def infer_closed_weekdays(demand: pd.DataFrame) -> frozenset[int]:
    """Weekdays absent from every series of a demand frame built by ``build_daily_demand``.

    Series are gap-filled on open days, so a weekday that never appears is a closed weekday.
    A frame spanning less than a week cannot show all weekdays; then none is reported closed.
    """
    if demand.empty:
        return frozenset()
    dates = pd.DatetimeIndex(demand["ds"].unique())
    if (dates.max() - dates.min()).days < 7:
        return frozenset()
    return ALL_WEEKDAYS - frozenset(int(weekday) for weekday in np.unique(dates.dayofweek))


def future_dates(end_date, calendar_days: int) -> pd.DatetimeIndex:
    """The ``calendar_days`` calendar days that follow ``end_date``."""
    return pd.date_range(to_day(end_date) + pd.Timedelta(days=1), periods=calendar_days, freq="D")


def next_open_days(last_day, count: int, closed_weekdays: Iterable[int] = ()) -> pd.DatetimeIndex:
    """The first ``count`` open days after ``last_day``."""
    closed_weekdays = frozenset(closed_weekdays)
    if closed_weekdays >= ALL_WEEKDAYS:
        raise ValueError("every weekday is closed: there is no open day to forecast")
    open_per_week = 7 - len(closed_weekdays)
    # Enough calendar days to hold `count` open days, whatever the pattern.
    span = future_dates(last_day, (count // open_per_week + 2) * 7)
    return span[~np.isin(span.dayofweek, list(closed_weekdays))][:count]


def closures_in_demand(demand: pd.DataFrame, closed_weekdays: Iterable[int]) -> list[Closure]:
    """The long closures a demand frame had dropped, recovered from its dates.

    ``build_daily_demand`` leaves closure days out of every series, so an open weekday missing
    from all series is a closure day. A closure runs from the first to the last missing open
    day of a stretch without trading, closed weekdays inside it included (Christmas 2010 in the
    Online Retail data: Friday 24 December to Monday 3 January, Saturday 25 December too).
    """
    if demand.empty:
        return []
    present = pd.DatetimeIndex(demand["ds"].unique())
    span = pd.date_range(present.min(), present.max(), freq="D")
    traded = span.isin(present)
    weekday_closed = np.isin(span.dayofweek, list(frozenset(closed_weekdays)))
    closures, first_missing, last_missing = [], None, None
    for index in range(len(span)):
        if traded[index]:
            if first_missing is not None:
                closures.append(Closure(start=span[first_missing], end=span[last_missing]))
            first_missing = last_missing = None
        elif not weekday_closed[index]:
            first_missing = index if first_missing is None else first_missing
            last_missing = index
    return closures


def yearly_repeats(closures: Iterable[Closure], days: pd.DatetimeIndex) -> np.ndarray:
    """Which of ``days`` fall on a date that was inside a closure exactly one year earlier.

    Long closures are mostly annual (Christmas to New Year), so a forecast spanning that season
    expects the shop to be shut again rather than selling as usual.
    """
    closed_before = closure_days(closures)
    if len(closed_before) == 0 or len(days) == 0:
        return np.zeros(len(days), dtype=bool)
    return np.asarray((days - pd.DateOffset(years=1)).isin(closed_before))
