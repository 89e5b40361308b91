"""Reading sale dates the way shops, tills and spreadsheets write them.

Accepted: ISO dates (``2010-12-01 08:26:00``, ``2010-12-01T08:26``, ``2010/12/01``), and day-month dates
with ``/``, ``-`` or ``.`` (``12/1/2010 8:26``, ``25/12/2018 14:03``, ``25.12.18``), each with an optional
time (``8:26``, ``08:26:00``, ``08:26:00.250``, ``8:26 PM``). Two-digit years are 2000-2069 and 1970-1999,
as POSIX ``strptime`` reads them. An ISO time may carry ``Z`` or an offset (``2026-08-01T09:23:00+01:00``,
what the API answers): it is converted to the business's wall-clock time. Every value comes out as a
naive wall-clock time in that zone, which the caller localises. Sales dated outside
:func:`data.parsing.bounds.sale_time_window` (before 1970, more than a day ahead) are refused.
"""

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from data.parsing.bounds import SALE_TIME_TOO_EARLY, SALE_TIME_TOO_LATE, sale_time_window
from data.parsing.values import Converted, factorize, quote

MONTH_FIRST = "mdy"
DAY_FIRST = "dmy"
DATE_ORDERS = (MONTH_FIRST, DAY_FIRST)
ORDER_NAMES = {MONTH_FIRST: "month/day/year", DAY_FIRST: "day/month/year"}
# What an undecided file falls back to when the business's country says nothing: the UCI exports (the
# commonest public sample) are month-first.
DEFAULT_ORDER = MONTH_FIRST
# Countries that write the month first (ISO 3166 codes); the rest of the world writes the day first.
MONTH_FIRST_COUNTRIES = frozenset({"US", "PH", "PR", "GU", "AS", "VI", "UM", "MP", "FM", "MH", "PW", "BZ"})
# Tried with pandas' C parser first; only values it rejects go through the general pattern below.
FAST_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_EXAMPLES = "write e.g. 2024-01-31 14:05 or 31/01/2024 14:05"

_DATE = re.compile(
    r"""
    (?:
        (?P<year>\d{4})[-/.](?P<year_month>\d{1,2})[-/.](?P<year_day>\d{1,2})
      | (?P<first>\d{1,2})[-/.](?P<second>\d{1,2})[-/.](?P<last>\d{4}|\d{2})
    )
    (?:
        (?:\s+|T)
        (?P<hour>\d{1,2}):(?P<minute>\d{2})
        (?::(?P<seconds>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?
        \s*(?P<meridiem>[AaPp]\.?[Mm]\.?)?
        \s*(?P<offset>Z|[+-]\d{2}(?::?\d{2})?)?
    )?
    """,
    re.VERBOSE,
)
_DAY_MONTH_START = re.compile(r"\s*(\d{1,2})[-/.](\d{1,2})[-/.]\d")


def date_order_for(*, country: str = "", setting: str = "") -> str:
    """A business's own day/month order: its setting, else what its country writes, else the default."""
    if setting in DATE_ORDERS:
        return setting
    country = country.strip().upper()
    if not country:
        return DEFAULT_ORDER
    return MONTH_FIRST if country in MONTH_FIRST_COUNTRIES else DAY_FIRST


def day_month_order_evidence(texts: Iterable[str]) -> str | None:
    """The order that the first telling date implies: a first part above 12 can only be a day
    (``"dmy"``), a second part above 12 only a day in month-first order (``"mdy"``). None when no date
    tells."""
    for text in texts:
        match = _DAY_MONTH_START.match(text)
        if match is None:
            continue
        first, second = int(match[1]), int(match[2])
        if first > 12 >= second:
            return DAY_FIRST
        if second > 12 >= first:
            return MONTH_FIRST
    return None


def _two_digit_year(year: int) -> int:
    return year + (2000 if year < 70 else 1900)


def _components(match: re.Match, order: str) -> tuple[int, int, int, int, int, int, int]:
    if match["year"]:
        year, month, day = int(match["year"]), int(match["year_month"]), int(match["year_day"])
    else:
        last = match["last"]
        year = int(last) if len(last) == 4 else _two_digit_year(int(last))
        first, second = int(match["first"]), int(match["second"])
        month, day = (first, second) if order == MONTH_FIRST else (second, first)
    hour = int(match["hour"] or 0)
    if match["meridiem"]:
        if not 1 <= hour <= 12:
            raise ValueError("hour out of range for AM/PM")
        hour = hour % 12 + (12 if match["meridiem"][0] in "Pp" else 0)
    microsecond = int((match["fraction"] or "0")[:6].ljust(6, "0"))
    return year, month, day, hour, int(match["minute"] or 0), int(match["seconds"] or 0), microsecond


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0)))


def parse_timestamps(
    raw: np.ndarray,
    *,
    label: str,
    order: str | None,
    resolve_order: Callable[[list[str]], str],
    zone: str = "UTC",
    now: datetime | None = None,
) -> Converted:
    """Parse a column of date(-time) text into naive ``datetime64[ns]`` wall-clock values in ``zone`` (NaT
    where rejected).

    ``order`` is ``"mdy"``, ``"dmy"`` or None while the file's order is unknown; then ``resolve_order`` is
    called once with the day-month values (distinct, in file order) and must return the order to use.
    Values with an offset are converted to ``zone``; values outside the sale-time window (see
    :mod:`data.parsing.bounds`, measured from ``now``) are refused with a message.
    """
    earliest, latest = sale_time_window(zone, now=now)
    tz = ZoneInfo(zone)
    codes, uniques = factorize(raw)
    values = pd.to_datetime(pd.Series(uniques, dtype=object), format=FAST_FORMAT, errors="coerce").to_numpy(
        dtype="datetime64[ns]"
    )
    messages = np.full(len(uniques), None, dtype=object)
    pending = list(np.flatnonzero(np.isnat(values)))
    matches = {position: _DATE.fullmatch(uniques[position].strip()) for position in pending}
    day_month = [
        uniques[position] for position, match in matches.items() if match is not None and match["first"]
    ]
    if day_month and order is None:
        order = resolve_order(day_month)
    for position, match in matches.items():
        text = uniques[position]
        if match is None:
            messages[position] = (
                f"{label} {quote(text)} is not a date we recognise ({DATE_EXAMPLES})."
                if text.strip()
                else f"{label} is missing."
            )
            continue
        try:
            moment = datetime(*_components(match, order or DEFAULT_ORDER))
            if match["offset"]:
                moment = moment.replace(tzinfo=_offset(match["offset"])).astimezone(tz).replace(tzinfo=None)
        except (ValueError, OverflowError):
            reading = f" when read as {ORDER_NAMES[order or DEFAULT_ORDER]}" if match["first"] else ""
            messages[position] = f"{label} {quote(text)} is not a valid date{reading}."
            continue
        if earliest <= moment <= latest:
            values[position] = np.datetime64(moment, "ns")
        else:
            problem = SALE_TIME_TOO_EARLY if moment < earliest else SALE_TIME_TOO_LATE
            messages[position] = f"{label} {quote(text)} {problem}."
    # Values the fast path read are checked against the same window, in one vector comparison.
    fast = ~np.isnat(values)
    outside = fast & ((values < np.datetime64(earliest, "ns")) | (values > np.datetime64(latest, "ns")))
    for position in np.flatnonzero(outside):
        problem = (
            SALE_TIME_TOO_EARLY if values[position] < np.datetime64(earliest, "ns") else SALE_TIME_TOO_LATE
        )
        messages[position] = f"{label} {quote(uniques[position])} {problem}."
    values[outside] = np.datetime64("NaT")
    has_messages = any(message is not None for message in messages)
    return Converted(
        values=values.take(codes),
        codes=codes,
        distinct=values,
        messages=messages.take(codes) if has_messages else None,
    )
