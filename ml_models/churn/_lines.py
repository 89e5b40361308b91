"""Validation and preparation of sale lines, shared by every public function of the package.

A sale line is one row of ``[customer_id, invoice, timestamp, amount]``: ``amount`` is the line total,
negative for a return. Lines whose ``customer_id`` is null (or an empty string) are anonymous sales; they
are dropped here because every figure this package computes is per customer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("customer_id", "invoice", "timestamp", "amount")
DAY = pd.Timedelta(days=1)


def normalise_timestamp(value) -> pd.Timestamp:
    """Return ``value`` as a timezone-naive UTC ``pd.Timestamp``.

    Aware timestamps are converted to UTC; naive ones are taken to be UTC already, so that data from a
    Django ``DateTimeField`` (aware) can be compared with a naive ``as_of`` and the other way round.
    """
    timestamp = pd.Timestamp(value)
    if pd.isna(timestamp):
        raise ValueError("as_of must be a timestamp, not null")
    if timestamp.tzinfo is not None:
        timestamp = timestamp.tz_convert("UTC").tz_localize(None)
    return timestamp.as_unit("ns")


def _normalise_timestamps(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("ns")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.dt.as_unit("ns")
    # Strings or Python datetimes, possibly with mixed offsets: utc=True copes with both.
    converted = pd.to_datetime(values, utc=True, format="mixed")
    return converted.dt.tz_localize(None).dt.as_unit("ns")


def _anonymous_mask(customer_ids: pd.Series) -> np.ndarray:
    mask = customer_ids.isna().to_numpy()
    if customer_ids.dtype == object or pd.api.types.is_string_dtype(customer_ids.dtype):
        # A blank id is no id. Test the distinct values, not every line: there are far fewer.
        codes, uniques = pd.factorize(customer_ids)
        if len(uniques):
            blank = pd.Index(uniques).astype(str).str.strip() == ""
            mask |= (codes >= 0) & blank[np.clip(codes, 0, None)]
    return mask


def _tidy_customer_ids(customer_ids: pd.Series) -> pd.Series:
    # A nullable integer key becomes float64 as soon as one anonymous row is present (17850 -> 17850.0),
    # or a nullable Int64; once the anonymous rows are gone, give the ids a plain integer type back.
    if pd.api.types.is_integer_dtype(customer_ids.dtype):
        return customer_ids.astype("int64")
    if pd.api.types.is_float_dtype(customer_ids.dtype) and len(customer_ids):
        values = customer_ids.to_numpy(dtype=np.float64)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return customer_ids.astype("int64")
    return customer_ids


@dataclass(frozen=True)
class PreparedLines:
    """Identified sale lines, summed into *invoice pieces*: the lines of one invoice at one timestamp.

    Lines with the same invoice and timestamp are on the same side of any cutoff, so summing them once
    loses nothing, and every later cutoff only re-aggregates a few pieces per invoice instead of all the
    lines. ``customer_ids[customer_code[i]]`` is the customer of piece ``i``. Invoice codes are unique per
    ``(customer, invoice)`` pair, so the same invoice number used by two customers stays two invoices.
    """

    customer_ids: pd.Index
    customer_code: np.ndarray
    invoice_code: np.ndarray
    timestamp: np.ndarray
    net: np.ndarray
    gross: np.ndarray
    returned: np.ndarray

    @property
    def first_timestamp(self) -> pd.Timestamp | None:
        """The earliest identified line, or ``None`` when there are none."""
        if not len(self.timestamp):
            return None
        return pd.Timestamp(self.timestamp.min())


def validate_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Check the columns and types of ``lines`` and return a typed copy of the four required columns.

    ``timestamp`` becomes naive UTC ``datetime64[ns]``; ``amount`` becomes ``float64`` (``Decimal`` is
    accepted). Raises ``ValueError`` on missing columns, null or non-numeric amounts and null timestamps:
    silently dropping such rows would silently change every figure.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in lines.columns]
    if missing:
        raise ValueError(f"sale lines are missing column(s) {missing}; expected {list(REQUIRED_COLUMNS)}")
    typed = lines.loc[:, list(REQUIRED_COLUMNS)].copy()
    typed["amount"] = pd.to_numeric(typed["amount"], errors="raise").astype("float64")
    if typed["amount"].isna().any():
        raise ValueError(f"{int(typed['amount'].isna().sum())} sale line(s) have no amount")
    typed["timestamp"] = _normalise_timestamps(typed["timestamp"])
    if typed["timestamp"].isna().any():
        raise ValueError(f"{int(typed['timestamp'].isna().sum())} sale line(s) have no timestamp")
    return typed


def _invoice_number_codes(invoices: pd.Series, timestamps: pd.Series) -> tuple[np.ndarray, int]:
    """An integer code per line for its invoice number, and the number of distinct codes.

    Numbers are compared as stripped strings (``" 536365"``, ``"536365"`` and ``536365`` are one
    invoice). A line without an invoice number is taken to be its own receipt: its code depends on its
    timestamp, so that (with the customer) it forms one invoice per customer and time.
    """
    if invoices.empty:
        return np.zeros(0, dtype=np.int64), 0
    codes, numbers = pd.factorize(invoices)
    # Strip the distinct numbers rather than every line: there are far fewer of them.
    stripped_codes, stripped = pd.factorize(pd.Index(numbers.astype(str)).str.strip())
    codes = np.where(codes >= 0, stripped_codes[np.clip(codes, 0, None)], -1).astype(np.int64)
    blank = codes < 0
    if "" in stripped:
        blank |= codes == stripped.get_loc("")
    count = len(stripped)
    if blank.any():
        receipt_codes, receipts = pd.factorize(timestamps.to_numpy()[blank])
        codes[blank] = count + receipt_codes
        count += len(receipts)
    return codes, count


def prepare_lines(lines: pd.DataFrame) -> PreparedLines:
    """Validate ``lines``, drop anonymous sales and encode customers and invoices as integers."""
    typed = validate_lines(lines)
    typed = typed.loc[~_anonymous_mask(typed["customer_id"])]
    customer_ids = _tidy_customer_ids(typed["customer_id"])
    customer_code, customer_index = pd.factorize(customer_ids, sort=True)
    invoice_number_code, invoice_count = _invoice_number_codes(typed["invoice"], typed["timestamp"])
    # One code per (customer, invoice number) pair: combine the two codes into one integer key.
    invoice_code, _ = pd.factorize(
        customer_code.astype(np.int64) * max(invoice_count, 1) + invoice_number_code
    )
    amount = typed["amount"].to_numpy(dtype=np.float64)
    lines_frame = pd.DataFrame(
        {
            "invoice": np.asarray(invoice_code, dtype=np.int64),
            "timestamp": typed["timestamp"].to_numpy(dtype="datetime64[ns]"),
            "customer": np.asarray(customer_code, dtype=np.int64),
            "net": amount,
            "gross": np.where(amount > 0, amount, 0.0),
            "returned": np.where(amount < 0, -amount, 0.0),
        }
    )
    pieces = lines_frame.groupby(["invoice", "timestamp"], sort=False).agg(
        customer=("customer", "first"),
        net=("net", "sum"),
        gross=("gross", "sum"),
        returned=("returned", "sum"),
    )
    return PreparedLines(
        customer_ids=pd.Index(customer_index, name="customer_id"),
        customer_code=pieces["customer"].to_numpy(dtype=np.int64),
        invoice_code=pieces.index.get_level_values("invoice").to_numpy(dtype=np.int64),
        timestamp=pieces.index.get_level_values("timestamp").to_numpy(dtype="datetime64[ns]"),
        net=pieces["net"].to_numpy(dtype=np.float64),
        gross=pieces["gross"].to_numpy(dtype=np.float64),
        returned=pieces["returned"].to_numpy(dtype=np.float64),
    )


def invoice_table(prepared: PreparedLines, cutoff: pd.Timestamp, *, after: pd.Timestamp | None = None):
    """One row per ``(customer, invoice)`` built only from the lines with ``after < timestamp <= cutoff``.

    Filtering lines before aggregating is what keeps features free of leakage: a line dated after the
    cutoff cannot change an invoice's net amount or timestamp, even when it shares the invoice number.

    Columns: ``customer`` (code), ``timestamp`` (the invoice's first line), ``net`` (sum of amounts),
    ``gross`` (sum of positive amounts), ``returned`` (minus the sum of negative amounts) and
    ``is_purchase`` (net > 0: a cancellation or a pure return is not a purchase).
    """
    mask = prepared.timestamp <= np.datetime64(cutoff)
    if after is not None:
        mask &= prepared.timestamp > np.datetime64(after)
    frame = pd.DataFrame(
        {
            "invoice": prepared.invoice_code[mask],
            "customer": prepared.customer_code[mask],
            "timestamp": prepared.timestamp[mask],
            "net": prepared.net[mask],
            "gross": prepared.gross[mask],
            "returned": prepared.returned[mask],
        }
    )
    invoices = frame.groupby("invoice", sort=False).agg(
        customer=("customer", "first"),
        timestamp=("timestamp", "min"),
        net=("net", "sum"),
        gross=("gross", "sum"),
        returned=("returned", "sum"),
    )
    # Sums of float line totals carry rounding noise (0.1 + 0.2 - 0.3 != 0): round to a 1/10,000 of the
    # currency unit so that a fully cancelled invoice nets to exactly zero.
    invoices["net"] = invoices["net"].round(4)
    invoices["is_purchase"] = invoices["net"] > 0
    return invoices.reset_index(drop=True)
