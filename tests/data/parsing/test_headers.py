"""Matching header rows to layouts and column maps."""

import pytest

from data.parsing import HeaderError, ParsingError, open_transaction_file
from data.parsing.headers import match_inventory_header, match_transaction_header, normalise_header
from tests.data.parsing.helpers import write_csv

UCI = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
UCI2 = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
POS = ["Date", "Time", "Product", "Quantity", "Amount", "Customer", "PaymentMethod", "Notes"]


@pytest.mark.parametrize(
    "name", ["Customer ID", "customer_id", "CustomerID", " CUSTOMER-ID ", "Customer Id."]
)
def test_header_names_compare_without_case_spaces_or_punctuation(name):
    assert normalise_header(name) == "customerid"


def test_the_uci_header_matches_the_uci_layout():
    match = match_transaction_header(UCI)

    assert match.layout == "uci"
    assert match.columns == {
        "invoice": 0,
        "sku": 1,
        "product_name": 2,
        "quantity": 3,
        "timestamp": 4,
        "unit_price": 5,
        "customer_id": 6,
        "country": 7,
    }


def test_the_online_retail_ii_header_matches_uci2():
    match = match_transaction_header(UCI2)

    assert (match.layout, match.columns["unit_price"], match.columns["customer_id"]) == ("uci2", 5, 6)


def test_a_pos_export_matches_pos_without_invoice_or_sku():
    match = match_transaction_header(POS)

    assert match.layout == "pos"
    assert set(match.columns) == {
        "timestamp",
        "time",
        "product_name",
        "quantity",
        "amount",
        "customer_id",
        "payment_method",
        "notes",
    }


def test_our_layout_wins_when_a_header_also_fits_pos():
    header = ["invoice", "sku", "quantity", "unit_price", "timestamp", "Date", "Product", "Amount"]

    assert match_transaction_header(header).layout == "ours"


def test_a_header_missing_columns_names_exactly_those_columns():
    with pytest.raises(HeaderError) as caught:
        match_transaction_header(["invoice", "sku", "quantity", "product_name"])

    assert (caught.value.layout, caught.value.missing) == ("ours", ["unit_price", "timestamp"])
    assert str(caught.value) == (
        "The header is missing columns needed for the Smart Market template: unit_price, timestamp. "
        'The file\'s header has "invoice", "sku", "quantity", "product_name".'
    )


def test_the_closest_layout_is_the_one_with_most_recognised_columns():
    header = ["InvoiceNo", "StockCode", "Description", "Quantity", "UnitPrice", "CustomerID", "Country"]

    with pytest.raises(HeaderError) as caught:
        match_transaction_header(header)

    assert (caught.value.layout, caught.value.missing) == ("uci", ["timestamp"])
    assert "the UCI Online Retail export: InvoiceDate (timestamp)." in str(caught.value)


def test_a_pos_like_header_reports_what_pos_needs():
    with pytest.raises(HeaderError) as caught:
        match_transaction_header(["Date", "Product", "Qty", "Total"])

    assert (caught.value.layout, caught.value.missing) == ("pos", ["quantity", "amount"])


def test_an_unrecognisable_header_reports_our_layout():
    with pytest.raises(HeaderError) as caught:
        match_transaction_header(["foo", "bar"])

    assert (caught.value.layout, caught.value.missing) == (
        "ours",
        ["invoice", "sku", "quantity", "unit_price", "timestamp"],
    )


def test_open_raises_the_header_error_at_once(tmp_path):
    path = write_csv(tmp_path, "invoice,sku,quantity\nA1,S1,1\n")

    with pytest.raises(HeaderError) as caught:
        open_transaction_file(path)

    assert caught.value.missing == ["unit_price", "timestamp"]


def test_a_column_map_makes_a_custom_layout():
    header = ["Receipt No", "Item Code", "Qty", "Price (RM)", "Sold At"]
    column_map = {
        "invoice": "Receipt No",
        "sku": "item code",
        "quantity": "Qty",
        "unit_price": "Price (RM)",
        "timestamp": "Sold At",
    }

    match = match_transaction_header(header, column_map)

    assert match.layout == "custom"
    assert match.columns == {"invoice": 0, "sku": 1, "quantity": 2, "unit_price": 3, "timestamp": 4}


def test_a_column_map_only_needs_the_columns_not_named_like_ours():
    header = ["Receipt", "product_name", "quantity", "amount", "timestamp"]

    match = match_transaction_header(header, {"invoice": "Receipt"})

    assert match.columns == {"invoice": 0, "product_name": 1, "quantity": 2, "amount": 3, "timestamp": 4}


def test_a_mapped_column_stops_serving_the_field_it_was_named_after():
    header = ["invoice", "sku", "Code", "quantity", "unit_price", "timestamp"]

    match = match_transaction_header(header, {"sku": "Code", "product_name": "sku"})

    assert (match.columns["sku"], match.columns["product_name"]) == (2, 1)


def test_a_column_map_missing_required_fields_names_them():
    with pytest.raises(HeaderError) as caught:
        match_transaction_header(["Receipt", "Qty"], {"invoice": "Receipt"})

    assert (caught.value.layout, caught.value.missing) == (
        "custom",
        ["sku", "quantity", "unit_price", "timestamp"],
    )
    assert "sku (or product_name), quantity, unit_price (or amount), timestamp" in str(caught.value)


def test_a_column_map_naming_a_header_the_file_lacks_names_it():
    header = ["invoice", "sku", "quantity", "unit_price", "Fecha"]

    with pytest.raises(HeaderError) as caught:
        match_transaction_header(header, {"timestamp": "Date"})

    assert caught.value.missing == ["timestamp"]
    assert str(caught.value).startswith(
        'The column map does not fit the file: the file has no column "Date" (mapped to'
    )


def test_a_column_map_with_an_unknown_field_is_a_plain_parsing_error():
    with pytest.raises(ParsingError) as caught:
        match_transaction_header(["a"], {"price_each": "a"})

    assert not isinstance(caught.value, HeaderError)
    assert str(caught.value).startswith("The column map names fields we do not know: price_each.")


def test_inventory_headers_accept_common_names():
    header = [
        "Item Code",
        "Name",
        "Department",
        "Price",
        "Cost",
        "On Hand",
        "Reorder Level",
        "Lead Time (days)",
    ]

    match = match_inventory_header(header)

    assert match.layout == "ours"
    assert match.columns == {
        "sku": 0,
        "product_name": 1,
        "category": 2,
        "unit_price": 3,
        "unit_cost": 4,
        "stock_quantity": 5,
        "reorder_point": 6,
        "lead_time_days": 7,
    }


def test_an_inventory_header_without_sku_or_name_is_a_header_error():
    with pytest.raises(HeaderError) as caught:
        match_inventory_header(["Price", "Stock"])

    assert caught.value.missing == ["sku", "product_name"]


def test_an_inventory_column_map_replaces_a_recognised_column():
    match = match_inventory_header(
        ["Barcode", "Name", "Count"], {"sku": "Barcode", "stock_quantity": "Count"}
    )

    assert (match.layout, match.columns) == ("custom", {"product_name": 1, "sku": 0, "stock_quantity": 2})
