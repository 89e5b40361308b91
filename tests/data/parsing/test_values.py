"""Numbers, money, whole numbers, customer ids and text, as merchants write them."""

import numpy as np
import pytest

from data.parsing.values import (
    cents_to_text,
    convert_distinct,
    customer_id_converter,
    format_cents,
    map_distinct,
    money_converter,
    plain_number,
    text_converter,
    whole_number_converter,
)


@pytest.mark.parametrize(
    ("text", "decimal_comma", "currency", "expected"),
    [
        ("2.55", False, False, "2.55"),
        ("  2.55 ", False, False, "2.55"),
        ("-3", False, False, "-3"),
        ("1,50", True, False, "1.50"),
        ("1,50", False, False, "1.50"),
        ("1,500", False, False, "1500"),
        ("1,500", True, False, "1.500"),
        ("1,234,567.5", False, False, "1234567.5"),
        ("1.234,56", True, False, "1234.56"),
        ("1 234,56", True, False, "1234.56"),
        ("1'234.50", False, False, "1234.50"),
        ("£2.50", False, True, "2.50"),
        ("-£2.50", False, True, "-2.50"),
        ("£-2.50", False, True, "-2.50"),
        ("RM 12,90", True, True, "12.90"),
        ("12.90 €", False, True, "12.90"),
        ("$1,234.50", False, True, "1234.50"),
        ("GBP 3", False, True, "3"),
        ("", False, True, ""),
        ("   ", False, False, ""),
        ("£2.50", False, False, None),
        ("abc", False, False, None),
        ("1.2.3", False, False, None),
        ("1e3", False, False, None),
    ],
)
def test_plain_number_rewrites_numbers_as_written(text, decimal_comma, currency, expected):
    assert plain_number(text, decimal_comma=decimal_comma, currency=currency) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.55", (255, None, False)),
        ("2.675", (268, None, False)),
        ("0.001", (0, None, False)),
        ("0.005", (1, None, False)),
        ("£1,234.5", (123450, None, False)),
        ("0", (0, None, False)),
        ("", (0, "Unit price is missing.", False)),
        ("-1", (0, "Unit price cannot be negative.", False)),
        ("ten", (0, 'Unit price "ten" is not a number.', False)),
        ("1000000000000", (0, 'Unit price "1000000000000" is too large.', False)),
    ],
)
def test_money_becomes_exact_cents_rounded_half_away_from_zero(text, expected):
    convert = money_converter("Unit price", decimal_comma=False, required=True)

    assert convert(text) == expected


def test_optional_money_marks_a_blank_cell_as_empty():
    convert = money_converter("Unit cost", decimal_comma=False, required=False)

    assert convert(" ") == (0, None, True)


def test_money_may_be_negative_when_allowed():
    convert = money_converter("Amount", decimal_comma=False, required=True, allow_negative=True)

    assert convert("-3.505") == (-351, None, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6", (6, None, False)),
        (" -2 ", (-2, None, False)),
        ("6.0", (6, None, False)),
        ("1,000", (1000, None, False)),
        ("1.5", (0, 'Quantity "1.5" is not a whole number.', False)),
        ("0", (0, "Quantity cannot be zero.", False)),
        ("abc", (0, 'Quantity "abc" is not a number.', False)),
        ("", (0, "Quantity is missing.", False)),
        ("3000000000", (0, 'Quantity "3000000000" is too large.', False)),
    ],
)
def test_quantities_are_non_zero_whole_numbers(text, expected):
    convert = whole_number_converter(
        "Quantity", decimal_comma=False, required=True, allow_negative=True, allow_zero=False
    )

    assert convert(text) == expected


def test_stock_counts_may_be_zero_or_blank_but_not_negative():
    convert = whole_number_converter(
        "Stock quantity", decimal_comma=False, required=False, allow_negative=False, allow_zero=True
    )

    assert [convert(text) for text in ("0", "", "-1")] == [
        (0, None, False),
        (0, None, True),
        (0, "Stock quantity cannot be negative.", False),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("17850.0", "17850"), ("17850", "17850"), (" C-1 ", "C-1"), ("12.50", "12.50"), ("", None)],
)
def test_customer_ids_lose_a_spreadsheet_float_suffix(text, expected):
    value, message, _ = customer_id_converter("Customer", max_length=128)(text)

    assert (value, message) == (expected, None)


def test_text_is_stripped_and_blank_is_none():
    convert = text_converter("Country")

    assert [convert(text) for text in ("  United Kingdom ", "", "a\x00b")] == [
        ("United Kingdom", None, False),
        (None, None, True),
        ("ab", None, False),
    ]


def test_long_text_is_cut_or_refused():
    cut = text_converter("Product name", max_length=5, truncate=True)
    refuse = text_converter("Invoice", max_length=5)

    assert cut("abcd efgh") == ("abcd", None, False)
    assert refuse("abcdefgh") == ("abcdefgh", "Invoice is longer than 5 characters.", False)


def test_convert_distinct_spreads_per_distinct_results_to_every_row():
    raw = np.array(["2", "x", "2", "3", "x"], dtype=object)
    convert = whole_number_converter(
        "Quantity", decimal_comma=False, required=True, allow_negative=True, allow_zero=False
    )

    converted = convert_distinct(raw, convert, np.int64)

    assert converted.values.tolist() == [2, 0, 2, 3, 0]
    assert converted.messages.tolist() == [
        None,
        'Quantity "x" is not a number.',
        None,
        None,
        'Quantity "x" is not a number.',
    ]
    assert converted.empty is None
    assert converted.map(str).tolist() == ["2", "0", "2", "3", "0"]


def test_map_distinct_treats_none_as_a_value_of_its_own():
    values = np.array(["a", None, "b", None], dtype=object)

    assert map_distinct(values, lambda value: "?" if value is None else value.upper()).tolist() == [
        "A",
        "?",
        "B",
        "?",
    ]


@pytest.mark.parametrize(("cents", "text"), [(255, "2.55"), (-5, "-0.05"), (0, "0.00"), (100000, "1000.00")])
def test_cents_are_written_with_two_decimals(cents, text):
    assert format_cents(cents) == text


def test_cents_to_text_works_on_a_column():
    assert cents_to_text(np.array([255, -5, 255], dtype=np.int64)).tolist() == ["2.55", "-0.05", "2.55"]
