"""Dates and times in the shapes tills and spreadsheets write them."""

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from data.parsing.dates import date_order_for, day_month_order_evidence, parse_timestamps


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
        ("1/2/25", "mdy", "2025-01-02T00:00:00"),
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
        ("31/02/2024", "dmy", 'Date "31/02/2024" is not a valid date when read as day/month/year.'),
        ("25/12/2018", "mdy", 'Date "25/12/2018" is not a valid date when read as month/day/year.'),
        ("2024-13-01", None, 'Date "2024-13-01" is not a valid date.'),
        (
            "13/1/2010 13:00 PM",
            "dmy",
            'Date "13/1/2010 13:00 PM" is not a valid date when read as day/month/year.',
        ),
        ("1850-01-01 10:00:00", None, 'Date "1850-01-01 10:00:00" is before 1970.'),
        ("1969-12-31 23:59:59", None, 'Date "1969-12-31 23:59:59" is before 1970.'),
        ("0001-01-01T00:00:00Z", None, 'Date "0001-01-01T00:00:00Z" is before 1970.'),
        ("2099-01-01", None, 'Date "2099-01-01" is more than a day in the future.'),
        ("1/2/69", "mdy", 'Date "1/2/69" is more than a day in the future.'),
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


def test_a_sale_dated_more_than_a_day_ahead_of_now_is_refused_and_a_day_ahead_is_not():
    now = datetime(2026, 8, 1, 12, 0, tzinfo=UTC)

    converted = parse_timestamps(
        np.array(["2026-08-02 11:59:00", "2026-08-02 12:01:00"], dtype=object),
        label="Date",
        order=None,
        resolve_order=never_called,
        now=now,
    )

    assert converted.messages.tolist() == [
        None,
        'Date "2026-08-02 12:01:00" is more than a day in the future.',
    ]
    assert pd.Timestamp(converted.values[0]).isoformat() == "2026-08-02T11:59:00"
    assert np.isnat(converted.values[1])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-08-01T09:23:00+01:00", "2026-08-01T09:23:00"),
        ("2026-08-01T08:23:00Z", "2026-08-01T09:23:00"),
        ("2026-08-01T08:23:00.500000+00:00", "2026-08-01T09:23:00.500000"),
        ("2026-08-01 03:23:00-0500", "2026-08-01T09:23:00"),
    ],
)
def test_iso_times_with_z_or_an_offset_become_the_businesss_wall_clock_time(text, expected):
    """What the API answers (ISO 8601 with an offset) can be imported again."""
    converted = parse_timestamps(
        np.array([text], dtype=object),
        label="Date",
        order=None,
        resolve_order=never_called,
        zone="Europe/London",
        now=datetime(2026, 8, 1, tzinfo=UTC),
    )

    assert converted.messages is None
    assert pd.Timestamp(converted.values[0]).isoformat() == expected


@pytest.mark.parametrize(
    ("country", "setting", "expected"),
    [("GB", "", "dmy"), ("US", "", "mdy"), ("", "", "mdy"), ("US", "dmy", "dmy"), ("gb", "mdy", "mdy")],
)
def test_a_businesss_date_order_is_its_setting_else_its_countrys(country, setting, expected):
    assert date_order_for(country=country, setting=setting) == expected
