"""What a record of the books may say: the one set of bounds for the API, uploads and runs.

A sale dated before 1970 or more than a day after now, or a line of ten million units, is a typing
mistake, not history: stored, it would poison every forecast and score. The API's serializers, the CSV
readers and the runs that read stored data all import these names, so the three can never disagree.
Pure Python: no Django, no ORM.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

# Sales may be dated from the start of 1970 (UTC) up to a day after now: a till whose clock or time zone is
# a few hours ahead is not refused, a sale typed as 2099 is.
EARLIEST_SALE = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_ALLOWANCE = timedelta(days=1)
# One line, one stock count, one reorder point: at most a million units.
MAX_UNITS = 1_000_000
# A supplier's lead time.
MAX_LEAD_TIME_DAYS = 365
# A unit price or cost: at most a million, kept to four decimal places (sub-cent wholesale prices).
MAX_UNIT_PRICE = Decimal(1_000_000)
PRICE_PLACES = 4
# Amounts (line totals, revenue, lifetime value) are shown with two places: project.common.numbers.

SALE_TIME_TOO_EARLY = "is before 1970"
SALE_TIME_TOO_LATE = "is more than a day in the future"


def latest_sale_time(now: datetime | None = None) -> datetime:
    """The latest moment a sale may be dated (aware, UTC)."""
    return (now or datetime.now(UTC)) + FUTURE_ALLOWANCE


def sale_time_problem(moment: datetime, *, now: datetime | None = None) -> str | None:
    """Why an (aware) sale time is refused, as the end of a sentence ("is before 1970"), or None."""
    if moment < EARLIEST_SALE:
        return SALE_TIME_TOO_EARLY
    if moment > latest_sale_time(now):
        return SALE_TIME_TOO_LATE
    return None


def sale_time_window(zone: str = "UTC", *, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and latest sale times as naive wall-clock times in ``zone`` (what files hold)."""
    tz = ZoneInfo(zone)
    return (
        EARLIEST_SALE.astimezone(tz).replace(tzinfo=None),
        latest_sale_time(now).astimezone(tz).replace(tzinfo=None),
    )
