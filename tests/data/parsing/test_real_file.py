"""The first 20,000 sales of the UCI Online Retail file, checked against counts taken with ``csv`` here."""

import csv
import gzip
from collections import Counter
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest

from data.parsing import open_transaction_file
from project.common.datasets import online_retail_path
from tests.data.parsing.helpers import read_everything

DATASET = online_retail_path()
ROWS = 20_000


@pytest.fixture(scope="module")
def uci_head(tmp_path_factory):
    if not DATASET.exists():
        pytest.skip(f"{DATASET} is not available")
    path = tmp_path_factory.mktemp("uci") / "online_retail_head.csv"
    with gzip.open(DATASET, "rb") as source, path.open("wb") as target:
        for _ in range(ROWS + 1):
            target.write(source.readline())
    return path


@pytest.fixture(scope="module")
def expected(uci_head):
    """Counts taken from the slice with the csv module, independently of the parser."""
    with uci_head.open(newline="", encoding="utf-8") as stream:
        records = list(csv.DictReader(stream))

    def price(text):
        return str(Decimal(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

    def customer(text):
        return text[: -len(".0")] if text.endswith(".0") else text

    lines = Counter(
        (
            record["InvoiceNo"],
            record["StockCode"],
            int(record["Quantity"]),
            price(record["UnitPrice"]),
            record["InvoiceDate"],
            customer(record["CustomerID"]),
        )
        for record in records
    )
    return {
        "records": len(records),
        "returns": sum(
            record["InvoiceNo"].startswith("C") or int(record["Quantity"]) < 0 for record in records
        ),
        "cancellations": sum(record["InvoiceNo"].startswith("C") for record in records),
        "anonymous": sum(record["CustomerID"] == "" for record in records),
        "without_description": sum(record["Description"].strip() == "" for record in records),
        "quantity": sum(int(record["Quantity"]) for record in records),
        "takings": sum(
            Decimal(record["Quantity"]) * Decimal(price(record["UnitPrice"])) for record in records
        ),
        "repeats": sum(count - 1 for count in lines.values()),
        "first_time": datetime.fromisoformat(records[0]["InvoiceDate"]),
        "last_time": datetime.fromisoformat(records[-1]["InvoiceDate"]),
        "customers": {customer(record["CustomerID"]) for record in records} - {""},
    }


def test_the_first_20000_uci_rows_are_all_read_with_their_returns_and_anonymous_sales(uci_head, expected):
    with open_transaction_file(uci_head, chunk_size=7_000) as reader:
        rows, errors, chunks = read_everything(reader)

    assert expected["records"] == ROWS
    assert (reader.layout, reader.encoding, reader.delimiter) == ("uci", "utf-8", ",")
    assert (len(rows), errors, reader.rows_total) == (ROWS, [], ROWS)
    assert [chunk.rows_total for chunk in chunks] == [7_000, 7_000, 6_000]
    assert (rows["line"].iloc[0], rows["line"].iloc[-1]) == (2, ROWS + 1)
    assert int(rows["is_return"].sum()) == expected["returns"]
    assert int(rows["invoice"].str.startswith("C").sum()) == expected["cancellations"]
    assert int(rows["customer_id"].isna().sum()) == expected["anonymous"]
    assert int(rows["product_name"].isna().sum()) == expected["without_description"]
    assert int(rows["quantity"].sum()) == expected["quantity"]
    assert sum(Decimal(total) for total in rows["total"]) == expected["takings"]
    assert (rows["timestamp"].iloc[0], rows["timestamp"].iloc[-1]) == (
        expected["first_time"],
        expected["last_time"],
    )
    assert set(rows["customer_id"].dropna()) == expected["customers"]


def test_repeated_uci_lines_keep_distinct_keys(uci_head, expected):
    with open_transaction_file(uci_head, chunk_size=7_000) as reader:
        rows, _, _ = read_everything(reader)

    assert rows["line_key"].is_unique
    assert int((~rows["line_key"].str.endswith(":1")).sum()) == expected["repeats"]
