"""Turning raw text columns into typed values.

Each converter works on the *distinct* values of a column: the column is factorised (a C hash pass), the
few distinct strings are converted in Python, and the results are spread back to the rows with ``take``.
Real files repeat their values heavily (a 20,000-row chunk of the UCI file holds about 150 distinct
quantities, 250 prices, 900 invoices and dates and 2,400 products), so this costs a fraction of per-row
Python while keeping exact, readable conversion rules (``Decimal`` for money instead of binary floats).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

# numeric(14, 2) holds up to 999,999,999,999.99, i.e. fewer than 10**14 cents.
CENTS_LIMIT = 10**14
# PostgreSQL ``integer``, the type of quantities and stock counts.
INTEGER_LIMIT = 2**31 - 1
# Column widths of the ``data`` tables (``data.models``), which COPY would refuse to overflow.
MAX_LENGTHS = {
    "invoice": 64,
    "sku": 64,
    "product_name": 255,
    "category": 120,
    "customer_id": 128,
    "customer_email": 254,
    "country": 80,
    "payment_method": 40,
}
# A sale is dated from 1970 to one day after now (a till clock a little fast, a zone east of UTC).
# The API and uploads refuse other dates; forecast and scoring runs read only these from what is
# stored, so a sale that slipped in earlier cannot blank or break them.
SALE_TIME_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SALE_TIME_AHEAD = timedelta(days=1)


def sale_time_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The earliest and latest timestamp a sale may have when ``now`` is the current time."""
    return SALE_TIME_EARLIEST, now + SALE_TIME_AHEAD


# Raw values quoted in error messages are cut to this length.
QUOTED_VALUE_LIMIT = 40

_CURRENCY = r"(?:£|\$|€|¥|RM|GBP|USD|EUR|MYR)"
_LEADING_CURRENCY = re.compile(rf"^([+-]?)\s*{_CURRENCY}\s*", re.IGNORECASE)
_TRAILING_CURRENCY = re.compile(rf"\s*{_CURRENCY}$", re.IGNORECASE)
# Digit-group separators: spaces (also no-break ones) and apostrophes, as in "1 234,50" or "1'234.50".
_DIGIT_GROUPING = re.compile("[\\s'\u2019]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_THOUSANDS_WITH_COMMAS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+")
_WHOLE_FLOAT = re.compile(r"[+-]?\d+\.0+")
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Converted:
    """A converted column. ``messages`` holds, per row, the complaint about a bad value or None, and is
    None itself when every row is fine. ``empty`` marks blank cells of an optional field (None if none).
    ``codes`` and ``distinct`` (the converted distinct values) let :meth:`map` derive more columns
    without factorising again."""

    values: np.ndarray
    codes: np.ndarray
    distinct: np.ndarray
    messages: np.ndarray | None = None
    empty: np.ndarray | None = None

    def map(self, function: Callable[[object], object], dtype: type | str = object) -> np.ndarray:
        """``function`` of each row's converted value, computed once per distinct value."""
        results = np.empty(len(self.distinct), dtype=dtype)
        for position, value in enumerate(self.distinct):
            results[position] = function(value)
        return results.take(self.codes)


# A converter turns one distinct raw string into (value, complaint or None, whether the cell was blank).
Converter = Callable[[str], tuple[object, str | None, bool]]


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(codes, distinct values)`` of an array, the distinct values as Python objects; None
    counts as a value of its own."""
    # Asking pandas to keep None as a value adds a null scan that makes factorising 2.5 times slower, so
    # None gets pandas' -1 code and is moved to a slot of its own afterwards.
    codes, uniques = pd.factorize(values)
    uniques = np.asarray(uniques, dtype=object)
    if len(codes) and codes.min() < 0:
        uniques = np.append(uniques, None)
        codes = np.where(codes < 0, len(uniques) - 1, codes)
    return codes, uniques


def convert_distinct(raw: np.ndarray, converter: Converter, dtype: type | str = object) -> Converted:
    """Apply ``converter`` to each distinct value of ``raw`` and spread the results back to every row."""
    codes, uniques = factorize(raw)
    values = np.empty(len(uniques), dtype=dtype)
    messages = np.empty(len(uniques), dtype=object)
    empty = np.zeros(len(uniques), dtype=bool)
    for position, text in enumerate(uniques):
        values[position], messages[position], empty[position] = converter(text)
    has_messages = any(message is not None for message in messages)
    return Converted(
        values=values.take(codes),
        codes=codes,
        distinct=values,
        messages=messages.take(codes) if has_messages else None,
        empty=empty.take(codes) if empty.any() else None,
    )


def map_distinct(
    values: np.ndarray, function: Callable[[object], object], dtype: type | str = object
) -> np.ndarray:
    """``function`` applied to each row of ``values``, computed once per distinct value."""
    codes, uniques = factorize(values)
    results = np.empty(len(uniques), dtype=dtype)
    for position, value in enumerate(uniques):
        results[position] = function(value)
    return results.take(codes)


def quote(text: str) -> str:
    """``text`` in double quotes for an error message, shortened when long."""
    text = text.strip()
    if len(text) > QUOTED_VALUE_LIMIT:
        text = text[: QUOTED_VALUE_LIMIT - 1] + "…"
    return f'"{text}"'


def text_converter(
    label: str, *, max_length: int | None = None, truncate: bool = False, lower: bool = False
) -> Converter:
    """Strip surrounding whitespace (and NUL characters, which PostgreSQL text cannot hold); blank becomes
    None. Longer than ``max_length`` is cut when ``truncate`` is set, else a complaint."""

    def convert(text: str) -> tuple[str | None, str | None, bool]:
        value = text.strip()
        if "\x00" in value:
            value = value.replace("\x00", "").strip()
        if not value:
            return None, None, True
        if lower:
            value = value.lower()
        if max_length is not None and len(value) > max_length:
            if truncate:
                return value[:max_length].rstrip(), None, False
            return value, f"{label} is longer than {max_length} characters.", False
        return value, None, False

    return convert


def customer_id_converter(label: str, *, max_length: int) -> Converter:
    """Like :func:`text_converter`, but ids that a spreadsheet turned into floats ("17850.0") lose the
    ".0" so that they match the same customer written as an integer."""
    as_text = text_converter(label, max_length=max_length)

    def convert(text: str) -> tuple[str | None, str | None, bool]:
        value, message, empty = as_text(text)
        if value is not None and _WHOLE_FLOAT.fullmatch(value):
            value = value[: value.index(".")]
        return value, message, empty

    return convert


def plain_number(text: str, *, decimal_comma: bool, currency: bool = False) -> str | None:
    """Rewrite a number as written by a person or a spreadsheet into plain ``-1234.56`` form.

    Returns ``""`` for a blank cell and None when the text is not a number. Accepted: surrounding spaces,
    a sign, digit grouping with spaces or apostrophes, and, with ``currency``, a leading or trailing
    currency sign or code (£ $ € ¥ RM GBP USD EUR MYR). Separators: when both a comma and a dot appear,
    the later one is the decimal separator ("1.234,56" and "1,234.56"). A lone comma is a decimal comma
    when ``decimal_comma`` (semicolon-delimited files) or when it does not look like digit grouping
    ("1,50" is 1.5 but "1,500" is 1500 in a comma or tab separated file).
    """
    value = text.strip()
    if not value:
        return ""
    if currency:
        value = _TRAILING_CURRENCY.sub("", _LEADING_CURRENCY.sub(r"\1", value, count=1), count=1)
    value = _DIGIT_GROUPING.sub("", value)
    if "," in value:
        if "." in value:
            if value.rfind(",") > value.rfind("."):
                value = value.replace(".", "").replace(",", ".")
            else:
                value = value.replace(",", "")
        elif not decimal_comma and _THOUSANDS_WITH_COMMAS.fullmatch(value):
            value = value.replace(",", "")
        else:
            value = value.replace(",", ".")
    return value if _PLAIN_NUMBER.fullmatch(value) else None


def money_converter(
    label: str, *, decimal_comma: bool, required: bool, allow_negative: bool = False
) -> Converter:
    """Money to whole cents, rounding half away from zero (as PostgreSQL rounds into numeric(14, 2)).

    A blank cell is a complaint when ``required``, else it is marked empty. Negative amounts are a
    complaint unless ``allow_negative``.
    """

    def convert(text: str) -> tuple[int, str | None, bool]:
        number = plain_number(text, decimal_comma=decimal_comma, currency=True)
        if number == "":
            return 0, (f"{label} is missing." if required else None), not required
        if number is None:
            return 0, f"{label} {quote(text)} is not a number.", False
        cents = (Decimal(number) * 100).quantize(_ONE, rounding=ROUND_HALF_UP)
        if cents < 0 and not allow_negative:
            return 0, f"{label} cannot be negative.", False
        if abs(cents) >= CENTS_LIMIT:
            return 0, f"{label} {quote(text)} is too large.", False
        return int(cents), None, False

    return convert


def whole_number_converter(
    label: str, *, decimal_comma: bool, required: bool, allow_negative: bool, allow_zero: bool
) -> Converter:
    """Whole numbers ("6", " -2 ", "6.0") that fit a PostgreSQL integer. "1.5" is a complaint, as are a
    blank cell when ``required``, negatives unless ``allow_negative`` and zero unless ``allow_zero``."""

    def convert(text: str) -> tuple[int, str | None, bool]:
        number = plain_number(text, decimal_comma=decimal_comma)
        if number == "":
            return 0, (f"{label} is missing." if required else None), not required
        if number is None:
            return 0, f"{label} {quote(text)} is not a number.", False
        value = Decimal(number)
        if value != value.to_integral_value():
            return 0, f"{label} {quote(text)} is not a whole number.", False
        if abs(value) > INTEGER_LIMIT:
            return 0, f"{label} {quote(text)} is too large.", False
        if value < 0 and not allow_negative:
            return 0, f"{label} cannot be negative.", False
        if value == 0 and not allow_zero:
            return 0, f"{label} cannot be zero.", False
        return int(value), None, False

    return convert


def format_cents(cents: int) -> str:
    """Whole cents as decimal text with two places: 255 → "2.55", -5 → "-0.05"."""
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(int(cents)), 100)
    return f"{sign}{units}.{hundredths:02d}"


def cents_to_text(cents: np.ndarray) -> np.ndarray:
    """Whole cents as exact decimal text with two places: 255 → "2.55", -5 → "-0.05"."""
    return map_distinct(cents, format_cents)
