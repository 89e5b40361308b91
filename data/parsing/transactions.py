"""Reading sales ("transactions") files into normalised chunks ready for loading."""

import os
from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from data.parsing.bounds import MAX_UNITS, PRICE_PLACES
from data.parsing.dates import DATE_ORDERS, DEFAULT_ORDER, day_month_order_evidence, parse_timestamps
from data.parsing.headers import HeaderMatch, match_transaction_header
from data.parsing.line_keys import OccurrenceCounter, line_digests, line_keys
from data.parsing.reading import CsvSource, FileReader, RecordBatch, RowProblems
from data.parsing.results import Chunk
from data.parsing.values import (
    LINE_TOTAL_LIMIT,
    MAX_LENGTHS,
    PRICE_SCALE,
    Converted,
    cents_to_text,
    convert_distinct,
    customer_id_converter,
    map_distinct,
    money_converter,
    normalise_key,
    price_to_cents,
    text_converter,
    whole_number_converter,
)

# Identifiers that do not fit their column are row errors (cutting them would merge different invoices or
# products); descriptive text is cut to fit.
TRUNCATED_FIELDS = frozenset({"product_name", "category", "country", "payment_method"})

TRANSACTION_COLUMNS = (
    "line",
    "invoice",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "total",
    "timestamp",
    "customer_id",
    "customer_email",
    "country",
    "payment_method",
    "is_return",
    "line_key",
)
# UCI cancellations are invoices "C" + number; only those layouts use the prefix, since a merchant's own
# invoice numbers may well start with a C.
CANCELLATION_LAYOUTS = frozenset({"uci", "uci2"})
POS_INVOICE_PREFIX = "POS-"
ANONYMOUS_CUSTOMER = "anon"
# Rows of the date column read per step while looking ahead for a date that settles day/month order.
DATE_SCAN_BATCH = 20_000

_LABELS = {
    "invoice": "Invoice",
    "sku": "SKU",
    "product_name": "Product name",
    "category": "Category",
    "customer_id": "Customer",
    "customer_email": "Customer email",
    "country": "Country",
    "payment_method": "Payment method",
}


def _normalised_name(name: str) -> str:
    return " ".join(normalise_key(name).casefold().split())


def _pos_minute(iso_minute: str) -> str:
    # "2024-01-05T14:32" → "20240105-1432"
    return iso_minute.replace("-", "").replace(":", "").replace("T", "-")


class TransactionFileReader(FileReader):
    """An open sales file. Iterate it for :class:`~data.parsing.results.Chunk` values whose ``rows`` have
    the columns of :data:`TRANSACTION_COLUMNS`.

    Attributes: ``encoding``, ``delimiter``, ``layout`` ("ours", "uci", "uci2", "pos" or "custom"),
    ``header`` (the file's header names), ``columns`` (our field → column index), ``date_order`` ("mdy"
    or "dmy" once day-month dates were met and the order settled, else None), and running totals
    ``rows_total`` and ``errors_total``.

    Day/month order ("auto"): the whole file gets one order. When the first chunk with day-month dates
    (like 05/01/2024) arrives, its first telling date decides (a first part above 12 means day-first, a
    second part above 12 month-first). When none of its dates tells, the date column is read ahead through
    a second file handle up to the first telling date, so earlier chunks are never read with the wrong
    order. A file where no date tells is read in ``fallback_order``: the business's own date order (from its
    country), month-first by default, the convention of the UCI exports. ISO dates (2024-01-05) never
    need an order.

    Times are wall-clock times in ``zone`` (the business's time zone); ISO times with an offset are
    converted to it. Sales dated before 1970 or more than a day after ``now`` are row errors.
    """

    def __init__(
        self,
        source: CsvSource,
        match: HeaderMatch,
        *,
        date_order: str,
        chunk_size: int,
        fallback_order: str = DEFAULT_ORDER,
        zone: str = "UTC",
        now: datetime | None = None,
    ) -> None:
        if date_order not in ("auto", *DATE_ORDERS):
            raise ValueError(f'date_order must be "auto", "mdy" or "dmy", not {date_order!r}.')
        if fallback_order not in DATE_ORDERS:
            raise ValueError(f'fallback_order must be "mdy" or "dmy", not {fallback_order!r}.')
        super().__init__(source, match, chunk_size=chunk_size)
        self.date_order: str | None = None if date_order == "auto" else date_order
        self.fallback_order = fallback_order
        self.zone = zone
        self.now = now
        self._decimal_comma = self.delimiter == ";"
        self._occurrences = OccurrenceCounter()

    def _resolve_date_order(self, day_month_dates: list[str]) -> str:
        """Settle day/month order for the whole file: from the first telling date of this chunk, else from
        the first telling date further on (read ahead through a second handle, stopping at the first
        one), else the fallback order (the business's own date order)."""
        self.date_order = (
            day_month_order_evidence(day_month_dates) or self._scan_date_order() or self.fallback_order
        )
        return self.date_order

    def _scan_date_order(self) -> str | None:
        scan = CsvSource(self.path, self._source.format)
        try:
            for values in scan.column_values(self.columns["timestamp"], DATE_SCAN_BATCH):
                if order := day_month_order_evidence(dict.fromkeys(values)):
                    return order
        finally:
            scan.close()
        return None

    def _text(self, table: np.ndarray, field: str, problems: RowProblems, **options) -> Converted | None:
        if field not in self.columns:
            return None
        converted = convert_distinct(
            table[:, self.columns[field]],
            text_converter(
                _LABELS[field],
                max_length=MAX_LENGTHS[field],
                truncate=field in TRUNCATED_FIELDS,
                **options,
            ),
        )
        problems.add(self.columns[field], converted.messages)
        return converted

    def _normalise(self, batch: RecordBatch) -> Chunk:
        table, lines = batch.table, batch.lines
        count = len(lines)
        columns = self.columns
        problems = RowProblems(count, len(self.header))

        invoice = self._text(table, "invoice", problems)
        sku = self._text(table, "sku", problems, key=True)
        product_name = self._text(table, "product_name", problems)
        category = self._text(table, "category", problems)
        country = self._text(table, "country", problems)
        payment_method = self._text(table, "payment_method", problems)
        customer_email = self._text(table, "customer_email", problems, lower=True)
        customer_id = None
        if "customer_id" in columns:
            customer_id = convert_distinct(
                table[:, columns["customer_id"]],
                customer_id_converter(_LABELS["customer_id"], max_length=MAX_LENGTHS["customer_id"]),
            )
            problems.add(columns["customer_id"], customer_id.messages)

        if invoice is not None:
            problems.add_where(columns["invoice"], _blank(invoice, count), "Invoice is missing.")
        product_missing = _blank(product_name, count)
        if sku is not None:
            both = "SKU and product name are both missing." if product_name is not None else "SKU is missing."
            problems.add_where(columns["sku"], _blank(sku, count) & product_missing, both)
        else:
            problems.add_where(columns["product_name"], product_missing, "Product name is missing.")

        quantity = convert_distinct(
            table[:, columns["quantity"]],
            whole_number_converter(
                "Quantity",
                decimal_comma=self._decimal_comma,
                required=True,
                allow_negative=True,
                allow_zero=False,
                maximum=MAX_UNITS,
            ),
            np.int64,
        )
        problems.add(columns["quantity"], quantity.messages)
        unit_price, total = self._money(table, quantity.values, problems)

        dates = table[:, columns["timestamp"]]
        if "time" in columns:
            time = convert_distinct(table[:, columns["time"]], text_converter("Time"))
            with_time = ~_blank(time, count)
            dates = dates.copy()
            dates[with_time] = dates[with_time] + " " + time.values[with_time]
        timestamp = parse_timestamps(
            dates,
            label="Date",
            order=self.date_order,
            resolve_order=self._resolve_date_order,
            zone=self.zone,
            now=self.now,
        )
        problems.add(columns["timestamp"], timestamp.messages)

        ok = problems.ok
        kept = int(ok.sum())
        timestamps = timestamp.values[ok]
        quantities = quantity.values[ok]
        customers = _column(customer_id, ok, kept)
        skus = _column(sku, ok, kept)
        names = _column(product_name, ok, kept)
        invoices = invoice.values[ok] if invoice is not None else self._pos_invoices(timestamps, customers)
        is_return = quantities < 0
        if invoice is not None and self.layout in CANCELLATION_LAYOUTS:
            is_return |= invoice.map(lambda number: number is not None and number.startswith("C"), bool)[ok]
        unit_prices = cents_to_text(unit_price[ok], PRICE_PLACES)

        items = skus.copy()
        without_sku = np.equal(items, None)
        items[without_sku] = map_distinct(names[without_sku], _normalised_name)
        digests = line_digests(
            [
                invoices,
                items,
                quantity.map(str)[ok],
                # Keys were made from prices in cents before prices kept four places: keying on the cents
                # keeps every line already imported recognised when its file comes again.
                cents_to_text(price_to_cents(unit_price[ok])),
                np.datetime_as_string(timestamp.distinct, unit="s").astype(object).take(timestamp.codes)[ok],
                np.where(np.equal(customers, None), "", customers).astype(object),
            ]
        )
        keys = line_keys(digests, self._occurrences.number(digests))

        rows = pd.DataFrame(
            {
                "line": lines[ok],
                "invoice": invoices,
                "sku": skus,
                "product_name": names,
                "category": _column(category, ok, kept),
                "quantity": quantities,
                "unit_price": unit_prices,
                "total": cents_to_text(total[ok], PRICE_PLACES),
                "timestamp": timestamps,
                "customer_id": customers,
                "customer_email": _column(customer_email, ok, kept),
                "country": _column(country, ok, kept),
                "payment_method": _column(payment_method, ok, kept),
                "is_return": is_return,
                "line_key": keys,
            },
            columns=list(TRANSACTION_COLUMNS),
            # The arrays are fresh; keeping them as separate blocks saves a 2-D copy per chunk.
            copy=False,
        )
        return batch.chunk(rows, problems, self.header)

    def _money(
        self, table: np.ndarray, quantities: np.ndarray, problems: RowProblems
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unit prices and line totals in ten-thousandths (four places, so sub-cent prices survive).

        The unit price comes from its column; failing that (POS exports, or a custom map with an amount)
        from the amount divided by the quantity, rounded half away from zero to the fourth place. The
        total is the amount when the file has one (what the customer really paid) and quantity times unit
        price otherwise (exact).
        """
        columns = self.columns
        count = len(quantities)
        unit_price = np.zeros(count, dtype=np.int64)
        price_known = np.zeros(count, dtype=bool)
        if "unit_price" in columns:
            price = convert_distinct(
                table[:, columns["unit_price"]],
                money_converter(
                    "Unit price",
                    decimal_comma=self._decimal_comma,
                    required="amount" not in columns,
                    places=PRICE_PLACES,
                ),
                np.int64,
            )
            problems.add(columns["unit_price"], price.messages)
            unit_price = price.values
            price_known = ~_blank(price, count)
        if "amount" not in columns:
            product = quantities.astype(np.float64) * unit_price
            too_large = np.abs(product) >= LINE_TOTAL_LIMIT
            problems.add_where(
                columns["unit_price"], too_large, "The line total (quantity times unit price) is too large."
            )
            return unit_price, np.where(too_large, 0, quantities) * unit_price

        amount = convert_distinct(
            table[:, columns["amount"]],
            money_converter(
                "Amount",
                decimal_comma=self._decimal_comma,
                required="unit_price" not in columns,
                allow_negative=True,
            ),
            np.int64,
        )
        problems.add(columns["amount"], amount.messages)
        amount_known = ~_blank(amount, count)
        amounts = amount.values * (PRICE_SCALE // 100)
        problems.add_where(columns["amount"], ~price_known & ~amount_known, "Amount is missing.")
        opposite = ((amounts > 0) & (quantities < 0)) | ((amounts < 0) & (quantities > 0))
        derive = ~price_known & amount_known
        problems.add_where(columns["amount"], derive & opposite, "Amount and quantity have opposite signs.")
        divisor = np.where(quantities == 0, 1, np.abs(quantities))
        # Integer arithmetic keeps the division exact: round(|a| / |q|) half away from zero.
        derived = (2 * np.abs(amounts) + divisor) // (2 * divisor)
        unit_price = np.where(derive, derived, unit_price)
        product = quantities.astype(np.float64) * unit_price
        too_large = ~amount_known & (np.abs(product) >= LINE_TOTAL_LIMIT)
        problems.add_where(
            columns.get("unit_price", columns["amount"]),
            too_large,
            "The line total (quantity times unit price) is too large.",
        )
        total = np.where(amount_known, amounts, np.where(too_large, 0, quantities) * unit_price)
        return unit_price, total

    def _pos_invoices(self, timestamps: np.ndarray, customers: np.ndarray) -> np.ndarray:
        """A stable invoice per till basket: ``POS-<yyyymmdd>-<hhmm>-<customer or "anon">``."""
        minutes = map_distinct(np.datetime_as_string(timestamps, unit="m").astype(object), _pos_minute)
        room = MAX_LENGTHS["invoice"] - len(POS_INVOICE_PREFIX) - len("yyyymmdd-hhmm-")
        who = map_distinct(
            customers, lambda customer: ANONYMOUS_CUSTOMER if customer is None else customer[:room]
        )
        return POS_INVOICE_PREFIX + minutes + "-" + who


def _blank(converted: Converted | None, count: int) -> np.ndarray:
    """True where the field is absent from the file or its cell is blank."""
    if converted is None:
        return np.ones(count, dtype=bool)
    if converted.empty is None:
        return np.zeros(count, dtype=bool)
    return converted.empty


def _column(converted: Converted | None, ok: np.ndarray, kept: int) -> np.ndarray:
    if converted is None:
        return np.full(kept, None, dtype=object)
    return converted.values[ok]


def open_transaction_file(
    path: str | os.PathLike,
    *,
    column_map: Mapping[str, str] | None = None,
    date_order: str = "auto",
    chunk_size: int = 20_000,
    fallback_order: str = DEFAULT_ORDER,
    zone: str = "UTC",
    now: datetime | None = None,
) -> TransactionFileReader:
    """Open a sales CSV file: detect its encoding and delimiter, read its header and match a layout.

    ``column_map`` maps our field names to the file's header names (layout "custom"); columns already
    named like our fields need not be mapped. ``date_order`` is "auto", "mdy" or "dmy" (see
    :class:`TransactionFileReader`), ``fallback_order`` the order used when no date tells, ``zone`` the
    business's time zone and ``now`` the moment sale dates are bounded from. Raises
    :class:`~data.parsing.errors.HeaderError` when the header fits no layout and
    :class:`~data.parsing.errors.ParsingError` when the file is empty or not text. A file holding only a
    header opens fine and yields no chunks.
    """
    source = CsvSource(path)
    try:
        match = match_transaction_header(source.header, column_map)
        return TransactionFileReader(
            source,
            match,
            date_order=date_order,
            chunk_size=chunk_size,
            fallback_order=fallback_order,
            zone=zone,
            now=now,
        )
    except BaseException:
        source.close()
        raise
