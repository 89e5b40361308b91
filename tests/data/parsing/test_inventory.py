"""Stock-count files."""

import pandas as pd
import pytest

from data.parsing import INVENTORY_COLUMNS, HeaderError, RowError, open_inventory_file
from tests.data.parsing.helpers import write_csv

STOCK_COUNT = """SKU,Name,Category,Price,Cost,On Hand,Reorder Level,Lead Time
MUG-1,Mug,Kitchen,£3.50,1.20,10,4,7
TEA-1,Tea,,2.00,,0,,
,Kettle,Kitchen,25.00,12.00,3,1,14
,,Kitchen,1,1,1,1,1
BAD-1,Bad,,1.00,,-2,,
BAD-2,Bad,,-1.00,,2,,
BAD-3,Bad,,1.00,,2.5,,
"""


def test_a_stock_count_is_normalised_and_bad_rows_reported(tmp_path):
    path = write_csv(tmp_path, STOCK_COUNT)

    with open_inventory_file(path) as reader:
        (chunk,) = list(reader)

    assert (reader.layout, reader.fields) == ("ours", frozenset(INVENTORY_COLUMNS[1:]))
    assert chunk.rows.astype(object).where(chunk.rows.notna(), None).values.tolist() == [
        [2, "MUG-1", "Mug", "Kitchen", "3.5000", "1.2000", 10, 4, 7],
        [3, "TEA-1", "Tea", None, "2.0000", None, 0, None, None],
        [4, None, "Kettle", "Kitchen", "25.0000", "12.0000", 3, 1, 14],
    ]
    assert chunk.errors == [
        RowError(5, "SKU", "SKU and product name are both missing."),
        RowError(6, "On Hand", "Stock quantity cannot be negative."),
        RowError(7, "Price", "Unit price cannot be negative."),
        RowError(8, "On Hand", 'Stock quantity "2.5" is not a whole number.'),
    ]
    assert chunk.rows_total == 7


def test_inventory_rows_have_every_column_with_nullable_counts(tmp_path):
    path = write_csv(tmp_path, "sku,stock_quantity\nMUG-1,4\nTEA-1,\n")

    with open_inventory_file(path) as reader:
        (chunk,) = list(reader)

    assert reader.fields == frozenset({"sku", "stock_quantity"})
    assert dict(chunk.rows.dtypes.astype(str)) == {
        "line": "int64",
        "sku": "object",
        "product_name": "object",
        "category": "object",
        "unit_price": "object",
        "unit_cost": "object",
        "stock_quantity": "Int64",
        "reorder_point": "Int64",
        "lead_time_days": "Int64",
    }
    assert chunk.rows["stock_quantity"].tolist() == [4, pd.NA]
    assert chunk.rows["unit_price"].tolist() == [None, None]
    assert chunk.rows["reorder_point"].isna().tolist() == [True, True]


def test_a_semicolon_stock_count_reads_decimal_commas(tmp_path):
    path = write_csv(tmp_path, "Code;Product;Price;Qty\nK1;Kopi;3,50;12\n")

    with open_inventory_file(path) as reader:
        (chunk,) = list(reader)

    assert chunk.rows[["sku", "product_name", "unit_price"]].values.tolist() == [["K1", "Kopi", "3.5000"]]
    assert chunk.rows["stock_quantity"].tolist() == [12]


def test_an_inventory_header_without_sku_or_name_is_refused(tmp_path):
    path = write_csv(tmp_path, "Price,Stock\n1.00,3\n")

    with pytest.raises(HeaderError) as caught:
        open_inventory_file(path)

    assert caught.value.missing == ["sku", "product_name"]
    assert str(caught.value).startswith("The header needs a sku or a product name column")


def test_an_inventory_column_map_reads_its_own_names(tmp_path):
    path = write_csv(tmp_path, "Barcode,Count\n9555,7\n")

    with open_inventory_file(path, column_map={"sku": "Barcode", "stock_quantity": "Count"}) as reader:
        (chunk,) = list(reader)

    assert reader.layout == "custom"
    assert (chunk.rows["sku"].tolist(), chunk.rows["stock_quantity"].tolist()) == (["9555"], [7])
