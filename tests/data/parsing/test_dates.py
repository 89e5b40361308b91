"""Dates and times in the shapes tills and spreadsheets write them."""

import numpy as np
import pandas as pd
import pytest

from data.parsing.dates import day_month_order_evidence, parse_timestamps


def never_called(_dates):
    raise AssertionError("the day/month order should not be needed")


def parse(texts, order=None, resolve_order=never_called):
    return parse_timestamps(
        np.array(texts, dtype=object), label="Date", order=order, resolve_order=resolve_order
    )


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("2010-12-01 08:26:00", None, "2010-12-01T08:26:00"),
        ("2010-12-01T08:26", None, "2010-12-01T08:26:00"),
        ("2010-12-01", None, "2010-12-01T00:00:00"),
        ("2010/12/01 8:26", None, "2010-12-01T08:26:00"),
        (" 2024-01-31 14:05:07.25 ", None, "2024-01-31T14:05:07.250000"),
        ("12/1/2010 8:26", "mdy", "2010-12-01T08:26:00"),
        ("25/12/2018 14:03", "dmy", "2018-12-25T14:03:00"),
        ("25.12.18", "dmy", "2018-12-25T00:00:00"),
        ("25-12-2018 14:03:59", "dmy", "2018-12-25T14:03:59"),
        ("1/2/69", "mdy", "2069-01-02T00:00:00"),
        ("1/2/70", "mdy", "1970-01-02T00:00:00"),
        ("12/1/2010 8:26 PM", "mdy", "2010-12-01T20:26:00"),
        ("12/1/2010 12:05 am", "mdy", "2010-12-01T00:05:00"),
    ],
)
def test_accepted_dates_become_naive_timestamps(text, order, expected):
    converted = parse([text], order=order)

    assert converted.messages is None
    assert pd.Timestamp(converted.values[0]).isoformat() == expected
    assert converted.values.dtype == np.dtype("datetime64[ns]")


@pytest.mark.parametrize(
    ("text", "order", "message"),
    [
        ("", None, "Date is missing."),
        (
            "yesterday",
            None,
            'Date "yesterday" is not a date we recognise (write e.g. 2024-01-31 14:05 or 31/01/2024 14:05).',
        ),
        (
            "2010-12-01T08:26:00Z",
            None,
            'Date "2010-12-01T08:26:00Z" is not a date we recognise '
            "(write e.g. 2024-01-31 14:05 or 31/01/2024 14:05).",
        ),
        ("31/02/2024", "dmy", 'Date "31/02/2024" is not a valid date when read as day/month/year.'),
        ("25/12/2018", "mdy", 'Date "25/12/2018" is not a valid date when read as month/day/year.'),
        ("2024-13-01", None, 'Date "2024-13-01" is not a valid date.'),
        (
            "13/1/2010 13:00 PM",
            "dmy",
            'Date "13/1/2010 13:00 PM" is not a valid date when read as day/month/year.',
        ),
        ("1850-01-01 10:00:00", None, 'Date "1850-01-01 10:00:00" is outside the years 1900-2100.'),
        ("2150-01-01", None, 'Date "2150-01-01" is outside the years 1900-2100.'),
    ],
)
def test_rejected_dates_say_why(text, order, message):
    converted = parse([text], order=order)

    assert converted.messages.tolist() == [message]
    assert np.isnat(converted.values[0])


def test_the_order_is_asked_for_once_with_the_distinct_day_month_dates_in_file_order():
    asked = []

    def resolve(dates):
        asked.append(dates)
        return "dmy"

    converted = parse(["2024-01-01", "05/01/2024", "06/01/2024", "05/01/2024"], resolve_order=resolve)

    assert asked == [["05/01/2024", "06/01/2024"]]
    assert [pd.Timestamp(value).date().isoformat() for value in converted.values] == [
        "2024-01-01",
        "2024-01-05",
        "2024-01-06",
        "2024-01-05",
    ]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["1/2/2024", "13/2/2024", "2/13/2024"], "dmy"),
        (["1/2/2024", "1/13/2024 10:00"], "mdy"),
        (["1/2/2024", "12/12/2024"], None),
        (["2024-01-13", "2024/13/01"], None),
        (["13/13/2024"], None),
    ],
)
def test_the_first_telling_date_settles_the_order(texts, expected):
    assert day_month_order_evidence(texts) == expected
