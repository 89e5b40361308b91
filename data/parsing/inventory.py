"""Reading stock-count ("inventory") files into normalised chunks."""

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd

from data.parsing.bounds import MAX_LEAD_TIME_DAYS, MAX_UNITS, PRICE_PLACES
from data.parsing.headers import HeaderMatch, match_inventory_header
from data.parsing.reading import CsvSource, FileReader, RecordBatch, RowProblems
from data.parsing.results import Chunk
from data.parsing.values import (
    MAX_LENGTHS,
    cents_to_text,
    convert_distinct,
    money_converter,
    text_converter,
    whole_number_converter,
)

INVENTORY_COLUMNS = (
    "line",
    "sku",
    "product_name",
    "category",
    "unit_price",
    "unit_cost",
    "stock_quantity",
    "reorder_point",
    "lead_time_days",
)
_MONEY_LABELS = {"unit_price": "Unit price", "unit_cost": "Unit cost"}
_COUNT_LABELS = {
    "stock_quantity": "Stock quantity",
    "reorder_point": "Reorder point",
    "lead_time_days": "Lead time",
}


class InventoryFileReader(FileReader):
    """An open stock-count file. Iterate it for :class:`~data.parsing.results.Chunk` values whose ``rows``
    have every column of :data:`INVENTORY_COLUMNS`.

    A column the file lacks is all-null, as is a blank cell: both mean "not given, keep what you have".
    ``fields`` tells which fields the file has at all. Attributes as for the sales reader: ``encoding``,
    ``delimiter``, ``layout`` ("ours" or "custom"), ``header``, ``columns``, ``rows_total``,
    ``errors_total``.
    """

    def __init__(self, source: CsvSource, match: HeaderMatch, *, chunk_size: int) -> None:
        super().__init__(source, match, chunk_size=chunk_size)
        self._decimal_comma = self.delimiter == ";"

    def _normalise(self, batch: RecordBatch) -> Chunk:
        table, lines = batch.table, batch.lines
        count = len(lines)
        columns = self.columns
        problems = RowProblems(count, len(self.header))
        values: dict[str, object] = {}
        blank: dict[str, np.ndarray] = {}

        for field, label, truncate in (
            ("sku", "SKU", False),
            ("product_name", "Product name", True),
            ("category", "Category", True),
        ):
            if field not in columns:
                values[field] = np.full(count, None, dtype=object)
                blank[field] = np.ones(count, dtype=bool)
                continue
            converted = convert_distinct(
                table[:, columns[field]],
                text_converter(label, max_length=MAX_LENGTHS[field], truncate=truncate, key=field == "sku"),
            )
            problems.add(columns[field], converted.messages)
            values[field] = converted.values
            blank[field] = converted.empty if converted.empty is not None else np.zeros(count, dtype=bool)

        missing_product = blank["sku"] & blank["product_name"]
        if "sku" in columns:
            message = (
                "SKU and product name are both missing." if "product_name" in columns else "SKU is missing."
            )
            problems.add_where(columns["sku"], missing_product, message)
        else:
            problems.add_where(columns["product_name"], missing_product, "Product name is missing.")

        for field, label in _MONEY_LABELS.items():
            if field not in columns:
                values[field] = np.full(count, None, dtype=object)
                continue
            converted = convert_distinct(
                table[:, columns[field]],
                money_converter(
                    label, decimal_comma=self._decimal_comma, required=False, places=PRICE_PLACES
                ),
                np.int64,
            )
            problems.add(columns[field], converted.messages)
            texts = cents_to_text(converted.values, PRICE_PLACES)
            if converted.empty is not None:
                texts[converted.empty] = None
            values[field] = texts

        for field, label in _COUNT_LABELS.items():
            if field not in columns:
                values[field] = pd.array([None] * count, dtype="Int64")
                continue
            converted = convert_distinct(
                table[:, columns[field]],
                whole_number_converter(
                    label,
                    decimal_comma=self._decimal_comma,
                    required=False,
                    allow_negative=False,
                    allow_zero=True,
                    maximum=MAX_UNITS if field != "lead_time_days" else MAX_LEAD_TIME_DAYS,
                ),
                np.int64,
            )
            problems.add(columns[field], converted.messages)
            empty = converted.empty if converted.empty is not None else np.zeros(count, dtype=bool)
            values[field] = pd.arrays.IntegerArray(converted.values, empty)

        ok = problems.ok
        rows = pd.DataFrame(
            {"line": lines[ok], **{field: values[field][ok] for field in INVENTORY_COLUMNS[1:]}},
            columns=list(INVENTORY_COLUMNS),
            # The arrays are fresh; keeping them as separate blocks saves a 2-D copy per chunk.
            copy=False,
        )
        return batch.chunk(rows, problems, self.header)


def open_inventory_file(
    path: str | os.PathLike, *, column_map: Mapping[str, str] | None = None, chunk_size: int = 20_000
) -> InventoryFileReader:
    """Open a stock-count CSV file: detect its encoding and delimiter and match its header (a sku or a
    product name column is required). Raises :class:`~data.parsing.errors.HeaderError` when neither is
    there and :class:`~data.parsing.errors.ParsingError` when the file is empty or not text."""
    source = CsvSource(path)
    try:
        match = match_inventory_header(source.header, column_map)
        return InventoryFileReader(source, match, chunk_size=chunk_size)
    except BaseException:
        source.close()
        raise
