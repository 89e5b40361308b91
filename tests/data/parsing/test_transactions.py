"""Sales files end to end: rows, row errors with physical line numbers, layouts, dates and returns."""

import pandas as pd
import pytest

from data.parsing import TRANSACTION_COLUMNS, RowError, open_transaction_file
from tests.data.parsing.helpers import read_everything, write_csv

# Line numbers are on the right; line 11 is blank.
AWKWARD = """invoice,sku,product_name,quantity,unit_price,timestamp
INV-1,MUG,"Mug
with a two-line name",1,2.00,2024-01-05 10:00
INV-2,MUG,Mug,0,2.00,2024-01-05 10:00
INV-3,MUG,Mug,1.5,2.00,2024-01-05 10:00
INV-4,MUG,Mug,1,-2.00,2024-01-05 10:00
INV-5,MUG,Mug,1,2.00,not a date
,MUG,Mug,1,2.00,2024-01-05 10:00
INV-7,,,1,2.00,2024-01-05 10:00
INV-8,MUG,Mug,1,2.00

INV-9,,Kettle,abc,-1,2024-01-05 10:00
INV-10,TEA,Tea,3,1.25,2024-01-05 10:00
"""
AWKWARD_ERRORS = [
    RowError(4, "quantity", "Quantity cannot be zero."),
    RowError(5, "quantity", 'Quantity "1.5" is not a whole number.'),
    RowError(6, "unit_price", "Unit price cannot be negative."),
    RowError(
        7,
        "timestamp",
        'Date "not a date" is not a date we recognise (write e.g. 2024-01-31 14:05 or 31/01/2024 14:05).',
    ),
    RowError(8, "invoice", "Invoice is missing."),
    RowError(9, "sku", "SKU and product name are both missing."),
    RowError(10, "", "This row has 5 fields but the header has 6."),
    RowError(12, "quantity", 'Quantity "abc" is not a number.'),
]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bad_rows_are_reported_on_their_physical_lines_and_good_rows_kept(tmp_path, newline):
    path = write_csv(tmp_path, AWKWARD, newline=newline)

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert chunk.errors == AWKWARD_ERRORS
    assert chunk.rows["line"].tolist() == [2, 13]
    assert chunk.rows["product_name"].tolist() == [f"Mug{newline}with a two-line name", "Tea"]
    assert (chunk.rows_total, chunk.first_line, chunk.last_line) == (10, 2, 13)
    assert (reader.rows_total, reader.errors_total) == (10, 8)


def test_small_chunks_report_the_same_rows_and_errors_with_their_own_line_ranges(tmp_path):
    path = write_csv(tmp_path, AWKWARD)

    with open_transaction_file(path, chunk_size=3) as reader:
        rows, errors, chunks = read_everything(reader)

    assert errors == AWKWARD_ERRORS
    assert rows["line"].tolist() == [2, 13]
    assert [(chunk.rows_total, chunk.first_line, chunk.last_line) for chunk in chunks] == [
        (3, 2, 5),
        (3, 6, 8),
        (3, 9, 12),
        (1, 13, 13),
    ]


def test_rows_have_the_documented_columns_and_dtypes(tmp_path):
    path = write_csv(
        tmp_path,
        "invoice,sku,product_name,category,quantity,unit_price,timestamp,customer_id,customer_email,country,"
        "payment_method\n"
        'INV-1,MUG-1,"Mug, large",Kitchen,2,£3.50,2024-01-05 10:00:00,C-1,Jane@Example.COM,UK,card\n',
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert dict(chunk.rows.dtypes.astype(str)) == {
        "line": "int64",
        "invoice": "object",
        "sku": "object",
        "product_name": "object",
        "category": "object",
        "quantity": "int64",
        "unit_price": "object",
        "total": "object",
        "timestamp": "datetime64[ns]",
        "customer_id": "object",
        "customer_email": "object",
        "country": "object",
        "payment_method": "object",
        "is_return": "bool",
        "line_key": "object",
    }
    row = chunk.rows.iloc[0].to_dict()
    del row["line_key"]
    assert row == {
        "line": 2,
        "invoice": "INV-1",
        "sku": "MUG-1",
        "product_name": "Mug, large",
        "category": "Kitchen",
        "quantity": 2,
        "unit_price": "3.5000",
        "total": "7.0000",
        "timestamp": pd.Timestamp("2024-01-05 10:00:00"),
        "customer_id": "C-1",
        "customer_email": "jane@example.com",
        "country": "UK",
        "payment_method": "card",
        "is_return": False,
    }


def test_a_chunk_of_only_bad_rows_has_an_empty_frame_with_the_same_columns(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity,unit_price,timestamp\nA1,S1,0,1.00,2024-01-05\n")

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert tuple(chunk.rows.columns) == TRANSACTION_COLUMNS
    assert (len(chunk.rows), chunk.rows["timestamp"].dtype.str, chunk.rows["quantity"].dtype.str) == (
        0,
        "<M8[ns]",
        "<i8",
    )
    assert chunk.errors == [RowError(2, "quantity", "Quantity cannot be zero.")]


def test_blank_rows_are_skipped_and_trailing_empty_fields_tolerated(tmp_path):
    path = write_csv(
        tmp_path,
        "invoice,sku,quantity,unit_price,timestamp\n"
        "A1,S1,1,1.00,2024-01-05,,\n"
        ",,,,\n"
        "\n"
        "A2,S2,1,1.00,2024-01-05\n"
        ",,,,\n",
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert (chunk.rows["line"].tolist(), chunk.errors, chunk.rows_total, chunk.last_line) == (
        [2, 5],
        [],
        2,
        5,
    )


def test_a_trailing_delimiter_on_the_header_names_no_column(tmp_path):
    path = write_csv(
        tmp_path,
        "invoice,sku,quantity,unit_price,timestamp,\nA1,S1,1,1.00,2024-01-05,\nA2,S1,1,1.00,2024-01-05\n",
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert (len(reader.header), chunk.rows["invoice"].tolist(), chunk.errors) == (5, ["A1", "A2"], [])


def test_a_header_only_file_yields_no_chunks(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity,unit_price,timestamp\n")

    with open_transaction_file(path) as reader:
        chunks = list(reader)

    assert (chunks, reader.rows_total, reader.layout) == ([], 0, "ours")


def test_the_reader_closes_its_file_and_reads_only_once(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity,unit_price,timestamp\nA1,S1,1,1.00,2024-01-05\n")

    with open_transaction_file(path) as reader:
        assert not reader.closed
        list(reader)
        with pytest.raises(RuntimeError, match="only once"):
            iter(reader)

    assert reader.closed


def test_long_identifiers_are_refused_and_long_names_cut(tmp_path):
    long_invoice, long_name = "I" * 65, "N" * 300
    path = write_csv(
        tmp_path,
        "invoice,sku,product_name,quantity,unit_price,timestamp\n"
        f"{long_invoice},S1,Mug,1,1.00,2024-01-05\n"
        f"A2,S2,{long_name},1,1.00,2024-01-05\n",
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert chunk.errors == [RowError(2, "invoice", "Invoice is longer than 64 characters.")]
    assert chunk.rows["product_name"].tolist() == ["N" * 255]


def test_uci_rows_keep_returns_write_offs_and_free_items_and_refuse_negative_prices(tmp_path):
    path = write_csv(
        tmp_path,
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n"
        "C536379,D,Discount,-1,12/1/2010 9:41,27.5,14527.0,United Kingdom\n"
        "536414,22139,,56,12/1/2010 11:52,0,,United Kingdom\n"
        "536589,21777,,-10,12/1/2010 16:50,0,,United Kingdom\n"
        "A563186,B,Adjust bad debt,1,8/12/2011 14:51,-11062.06,,United Kingdom\n",
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert (reader.layout, reader.date_order) == ("uci", "mdy")
    rows = chunk.rows
    assert rows["invoice"].tolist() == ["536365", "C536379", "536414", "536589"]
    assert rows["customer_id"].tolist() == ["17850", "14527", None, None]
    assert rows["product_name"].tolist() == ["WHITE HANGING HEART T-LIGHT HOLDER", "Discount", None, None]
    assert rows["is_return"].tolist() == [False, True, False, True]
    assert rows["unit_price"].tolist() == ["2.5500", "27.5000", "0.0000", "0.0000"]
    assert rows["total"].tolist() == ["15.3000", "-27.5000", "0.0000", "0.0000"]
    assert rows["timestamp"].iloc[0] == pd.Timestamp("2010-12-01 08:26")
    assert chunk.errors == [RowError(6, "UnitPrice", "Unit price cannot be negative.")]


def test_an_invoice_starting_with_c_is_not_a_return_outside_the_uci_layouts(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity,unit_price,timestamp\nCS-1001,S1,1,1.00,2024-01-05\n")

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert chunk.rows["is_return"].tolist() == [False]


def test_us_dates_are_month_first_when_a_date_says_so(tmp_path):
    path = write_csv(
        tmp_path,
        "invoice,sku,quantity,unit_price,timestamp\n"
        "A1,S1,1,1.00,12/1/2010 8:26\n"
        "A2,S1,1,1.00,12/13/2010 9:00\n",
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert reader.date_order == "mdy"
    assert chunk.rows["timestamp"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2010-12-01 08:26",
        "2010-12-13 09:00",
    ]


def test_day_first_dates_are_recognised_in_auto_mode(tmp_path):
    path = write_csv(
        tmp_path,
        "invoice,sku,quantity,unit_price,timestamp\n"
        "A1,S1,1,1.00,05/01/2024 14:03\n"
        "A2,S1,1,1.00,25/12/2018 14:03\n",
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert reader.date_order == "dmy"
    assert chunk.rows["timestamp"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2018-12-25"]


def test_ambiguous_dates_follow_the_setting(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity,unit_price,timestamp\nA1,S1,1,1.00,05/01/2024\n")

    with open_transaction_file(path, date_order="dmy") as day_first:
        (day_first_chunk,) = list(day_first)
    with open_transaction_file(path) as automatic:
        (automatic_chunk,) = list(automatic)

    assert day_first_chunk.rows["timestamp"].tolist() == [pd.Timestamp("2024-01-05")]
    assert (automatic.date_order, automatic_chunk.rows["timestamp"].tolist()) == (
        "mdy",
        [pd.Timestamp("2024-05-01")],
    )


def test_a_date_that_breaks_the_setting_is_a_row_error(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity,unit_price,InvoiceDate\nA1,S1,1,1.00,25/12/2018 14:03\n")

    with open_transaction_file(path, column_map={"timestamp": "InvoiceDate"}, date_order="mdy") as reader:
        (chunk,) = list(reader)

    assert chunk.errors == [
        RowError(2, "InvoiceDate", 'Date "25/12/2018 14:03" is not a valid date when read as month/day/year.')
    ]


def test_a_later_chunk_settles_the_order_for_an_earlier_ambiguous_one(tmp_path):
    path = write_csv(
        tmp_path,
        "invoice,sku,quantity,unit_price,timestamp\n"
        "A1,S1,1,1.00,01/02/2024\n"
        "A2,S1,1,1.00,03/04/2024\n"
        "A3,S1,1,1.00,25/04/2024\n",
    )

    with open_transaction_file(path, chunk_size=2) as reader:
        first, second = list(reader)

    assert reader.date_order == "dmy"
    assert first.rows["timestamp"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-04-03")]
    assert second.rows["timestamp"].tolist() == [pd.Timestamp("2024-04-25")]


def test_iso_dates_need_no_order(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity,unit_price,timestamp\nA1,S1,1,1.00,2024-01-05T10:00\n")

    with open_transaction_file(path) as reader:
        list(reader)

    assert reader.date_order is None


def test_an_unknown_date_order_setting_is_refused(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity,unit_price,timestamp\n")

    with pytest.raises(ValueError, match="date_order"):
        open_transaction_file(path, date_order="ymd")


POS_EXPORT = """Date,Time,Product,Quantity,Amount,Customer,PaymentMethod,Notes
2024-01-05,14:32,Flat White,2,7.00,C1,card,
2024-01-05,14:32,Croissant,1,2.50,C1,card,warm
2024-01-05,15:01,Flat White,3,10.00,,cash,
2024-01-06,09:00,Flat White,-1,-3.50,C1,card,refund
2024-01-06,09:10,Flat White,1,-3.50,,cash,
"""


def test_a_pos_export_gets_stable_invoices_and_unit_prices_from_amounts(tmp_path):
    path = write_csv(tmp_path, POS_EXPORT)

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    rows = chunk.rows
    assert reader.layout == "pos"
    assert rows["invoice"].tolist() == [
        "POS-20240105-1432-C1",
        "POS-20240105-1432-C1",
        "POS-20240105-1501-anon",
        "POS-20240106-0900-C1",
    ]
    assert rows["sku"].tolist() == [None, None, None, None]
    assert rows["unit_price"].tolist() == ["3.5000", "2.5000", "3.3333", "3.5000"]
    assert rows["total"].tolist() == ["7.0000", "2.5000", "10.0000", "-3.5000"]
    assert rows["is_return"].tolist() == [False, False, False, True]
    assert rows["payment_method"].tolist() == ["card", "card", "cash", "card"]
    assert rows["timestamp"].iloc[0] == pd.Timestamp("2024-01-05 14:32")
    assert chunk.errors == [RowError(6, "Amount", "Amount and quantity have opposite signs.")]


def test_the_same_pos_export_gives_the_same_invoices_and_keys(tmp_path):
    first = write_csv(tmp_path, POS_EXPORT, name="first.csv")
    again = write_csv(tmp_path, POS_EXPORT, name="again.csv", newline="\r\n")

    with open_transaction_file(first) as reader:
        (first_chunk,) = list(reader)
    with open_transaction_file(again) as reader:
        (again_chunk,) = list(reader)

    assert first_chunk.rows[["invoice", "line_key"]].equals(again_chunk.rows[["invoice", "line_key"]])


def test_a_pos_unit_price_column_wins_over_the_amount(tmp_path):
    path = write_csv(
        tmp_path,
        "Date,Product,Quantity,Amount,UnitPrice\n"
        "05/01/2024 14:32,Flat White,3,10.00,3.50\n"
        "05/01/2024 14:40,Tea,2,5.00,\n",
    )

    with open_transaction_file(path, date_order="dmy") as reader:
        (chunk,) = list(reader)

    assert chunk.rows[["unit_price", "total"]].values.tolist() == [
        ["3.5000", "10.0000"],
        ["2.5000", "5.0000"],
    ]
    assert chunk.rows["invoice"].tolist() == ["POS-20240105-1432-anon", "POS-20240105-1440-anon"]


def test_a_column_map_reads_a_file_with_its_own_header(tmp_path):
    path = write_csv(
        tmp_path,
        "Receipt No,Item Code,Item,Qty,Price (RM),Sold At\n"
        'R-1,K1,Kopi,2,"RM 3,50",2024-03-01 08:00\n'
        "R-1,K2,Teh,1,x,2024-03-01 08:00\n",
    )
    column_map = {
        "invoice": "Receipt No",
        "sku": "Item Code",
        "product_name": "Item",
        "quantity": "Qty",
        "unit_price": "Price (RM)",
        "timestamp": "Sold At",
    }

    with open_transaction_file(path, column_map=column_map) as reader:
        (chunk,) = list(reader)

    assert reader.layout == "custom"
    assert chunk.rows[["invoice", "sku", "product_name", "quantity", "unit_price"]].values.tolist() == [
        ["R-1", "K1", "Kopi", 2, "3.5000"]
    ]
    assert chunk.errors == [RowError(3, "Price (RM)", 'Unit price "x" is not a number.')]


def test_a_custom_file_without_sku_is_matched_by_product_name(tmp_path):
    path = write_csv(
        tmp_path,
        "Receipt,product_name,quantity,unit_price,timestamp\nR-1,Kopi,1,1.00,2024-03-01\nR-2,,1,1.00,2024-03-01\n",
    )

    with open_transaction_file(path, column_map={"invoice": "Receipt"}) as reader:
        (chunk,) = list(reader)

    assert (chunk.rows["sku"].tolist(), chunk.rows["product_name"].tolist()) == ([None], ["Kopi"])
    assert chunk.errors == [RowError(3, "product_name", "Product name is missing.")]


def test_a_file_is_held_to_the_apis_bounds_with_a_row_error_each(tmp_path):
    """The bounds of data.parsing.bounds: dates from 1970 to a day ahead, at most a million units a line,
    a unit price of at most a million."""
    path = write_csv(
        tmp_path,
        "invoice,sku,quantity,unit_price,timestamp\n"
        "INV-1,MUG,99999999,2.20,2024-01-05 10:00\n"
        "INV-2,MUG,1,2.20,2099-01-01 10:00\n"
        "INV-3,MUG,1,2.20,1899-12-31 10:00\n"
        "INV-4,MUG,1,2000000,2024-01-05 10:00\n"
        "INV-5,MUG,1000000,2.20,2024-01-05 10:00\n",
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert chunk.errors == [
        RowError(2, "quantity", 'Quantity "99999999" is more than 1,000,000.'),
        RowError(3, "timestamp", 'Date "2099-01-01 10:00" is more than a day in the future.'),
        RowError(4, "timestamp", 'Date "1899-12-31 10:00" is before 1970.'),
        RowError(5, "unit_price", 'Unit price "2000000" is more than 1,000,000.'),
    ]
    assert chunk.rows["invoice"].tolist() == ["INV-5"]


def test_sub_cent_unit_prices_keep_four_places_and_totals_are_exact(tmp_path):
    path = write_csv(
        tmp_path,
        "invoice,sku,quantity,unit_price,timestamp\n"
        "INV-1,PIN,12,0.001,2024-01-05 10:00\n"
        "INV-2,MUG,3,2.205,2024-01-05 10:00\n",
    )

    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)

    assert chunk.rows[["unit_price", "total"]].values.tolist() == [["0.0010", "0.0120"], ["2.2050", "6.6150"]]


def test_line_keys_of_whole_cent_prices_are_those_of_the_two_place_reader(tmp_path):
    """Lines imported before prices kept four places are recognised when their file comes again."""
    from data.parsing.line_keys import OccurrenceCounter, line_digests, line_keys

    path = write_csv(
        tmp_path, "invoice,sku,quantity,unit_price,timestamp\nINV-1,MUG,2,3.50,2024-01-05 10:00\n"
    )
    with open_transaction_file(path) as reader:
        (chunk,) = list(reader)
    import numpy as np

    digests = line_digests(
        [
            np.array([value], dtype=object)
            for value in ["INV-1", "MUG", "2", "3.50", "2024-01-05T10:00:00", ""]
        ]
    )

    assert chunk.rows["line_key"].tolist() == line_keys(digests, OccurrenceCounter().number(digests)).tolist()
