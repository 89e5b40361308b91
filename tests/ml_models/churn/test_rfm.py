from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from ml_models.churn import RFM_COLUMNS, rfm_table
from tests.ml_models.churn.builders import sale_lines

AS_OF = pd.Timestamp("2024-03-01 12:00")


def hand_worked_lines() -> pd.DataFrame:
    return sale_lines(
        # Alice: two purchases (30 and 50) and a later return of 20 on its own invoice.
        ("alice", "1001", "2024-01-01 09:00", 10.0),
        ("alice", "1001", "2024-01-01 09:00", 20.0),
        ("alice", "1002", "2024-02-01 10:00", 50.0),
        ("alice", "R1", "2024-02-10 10:00", -20.0),
        # Bob: a purchase, a cancellation invoice for it, another purchase. The cancellation is not a
        # purchase; it carries no link to the invoice it cancels, so 1003 stays one.
        ("bob", "1003", "2024-02-15 10:00", 100.0),
        ("bob", "C1003", "2024-02-16 10:00", -100.0),
        ("bob", "1004", "2024-02-20 10:00", 40.0),
        # Carol: an invoice cancelled within itself nets to zero and is not a purchase.
        ("carol", "1005", "2024-02-25 10:00", 15.0),
        ("carol", "1005", "2024-02-25 10:00", -15.0),
        ("carol", "1006", "2024-01-31 10:00", 25.0),
        # Anonymous sales: revenue, but nobody's.
        (None, "1007", "2024-02-28 10:00", 999.0),
        (np.nan, "1008", "2024-02-29 10:00", 888.0),
    )


def test_given_purchases_returns_and_cancellations_when_rfm_table_then_hand_worked_figures():
    # Given
    lines = hand_worked_lines()

    # When
    rfm = rfm_table(lines, as_of=AS_OF)

    # Then
    assert list(rfm.columns) == list(RFM_COLUMNS)
    assert list(rfm.index) == ["alice", "bob", "carol"]
    assert rfm.index.name == "customer_id"
    alice, bob, carol = (rfm.loc[name] for name in ["alice", "bob", "carol"])
    # Alice: invoices 1001 (30) and 1002 (50); R1 (-20) is a return, not a purchase.
    assert alice["frequency"] == 2
    assert alice["monetary"] == 60.0
    assert alice["average_order_value"] == 30.0
    assert alice["first_purchase"] == pd.Timestamp("2024-01-01 09:00")
    assert alice["last_purchase"] == pd.Timestamp("2024-02-01 10:00")
    # 2024-02-01 10:00 -> 2024-03-01 12:00 is 29 days and 2 hours (2024 is a leap year).
    assert alice["recency_days"] == 29
    assert alice["tenure_days"] == 60
    # Bob: 1003 and 1004 are purchases, C1003 (net -100) is not; it still comes off his spend.
    assert bob["frequency"] == 2
    assert bob["monetary"] == 40.0
    assert bob["average_order_value"] == 20.0
    assert bob["first_purchase"] == pd.Timestamp("2024-02-15 10:00")
    assert bob["last_purchase"] == pd.Timestamp("2024-02-20 10:00")
    assert bob["recency_days"] == 10
    assert bob["tenure_days"] == 15
    # Carol: 1005 nets to zero, so her last purchase is 1006.
    assert carol["frequency"] == 1
    assert carol["monetary"] == 25.0
    assert carol["last_purchase"] == pd.Timestamp("2024-01-31 10:00")
    assert carol["recency_days"] == 30


def test_given_as_of_between_a_purchase_and_its_cancellation_when_rfm_table_then_the_cancellation_is_unseen():
    # Given
    lines = hand_worked_lines()

    # When: as of the evening of Bob's first purchase, before its cancellation the next day
    before_cancellation = rfm_table(lines, as_of="2024-02-15 18:00").loc["bob"]

    # Then
    assert before_cancellation["frequency"] == 1
    assert before_cancellation["monetary"] == 100.0
    assert before_cancellation["recency_days"] == 0


def test_given_lines_after_as_of_when_rfm_table_then_they_are_ignored():
    # Given
    lines = hand_worked_lines()
    later = sale_lines(
        ("alice", "2001", "2024-03-01 12:00:01", 500.0),
        ("dave", "2002", "2024-03-05 10:00", 70.0),
        ("bob", "1004", "2024-03-02 10:00", 5.0),  # a late line on an existing invoice
    )

    # When
    without_future = rfm_table(lines, as_of=AS_OF)
    with_future = rfm_table(pd.concat([lines, later], ignore_index=True), as_of=AS_OF)

    # Then
    pd.testing.assert_frame_equal(with_future, without_future)


def test_given_a_customer_with_only_a_return_when_rfm_table_then_left_out():
    # Given: Erin returns something bought before the data starts
    lines = sale_lines(("erin", "R9", "2024-02-01 10:00", -12.5), ("frank", "9", "2024-02-01 10:00", 10.0))

    # When
    rfm = rfm_table(lines, as_of=AS_OF)

    # Then
    assert list(rfm.index) == ["frank"]
    assert rfm["recency_days"].dtype == np.int64
    assert rfm["tenure_days"].dtype == np.int64


@pytest.mark.parametrize("dtype", ["float64", "Int64"])
def test_given_integer_ids_with_anonymous_rows_when_rfm_table_then_index_is_plain_integer(dtype):
    # Given: what pandas makes of an integer key with nulls, or a nullable integer column
    lines = sale_lines((17850, "1", "2024-02-01", 10.0), (None, "2", "2024-02-01", 5.0))
    lines["customer_id"] = lines["customer_id"].astype(dtype)

    # When
    rfm = rfm_table(lines, as_of=AS_OF)

    # Then
    assert rfm.index.dtype == np.int64
    assert list(rfm.index) == [17850]


def test_given_decimal_amounts_and_aware_timestamps_when_rfm_table_then_same_as_floats_in_utc():
    # Given: what a Django queryset may hand over, aware datetimes in any offset and Decimal totals
    timestamps = [
        pd.Timestamp("2024-02-01 10:00", tz="Europe/London"),
        pd.Timestamp("2024-02-20 23:30", tz="US/Eastern"),
    ]
    lines = pd.DataFrame(
        {
            "customer_id": [7, 7],
            "invoice": ["1", "2"],
            "timestamp": pd.Series([stamp.to_pydatetime() for stamp in timestamps], dtype=object),
            "amount": [Decimal("10.10"), Decimal("20.20")],
        }
    )

    # When
    customer = rfm_table(lines, as_of=pd.Timestamp("2024-03-01 04:30", tz="UTC")).loc[7]

    # Then: 2024-02-21 04:30 UTC to 2024-03-01 04:30 UTC is exactly 9 days
    assert customer["monetary"] == 30.3
    assert customer["first_purchase"] == pd.Timestamp("2024-02-01 10:00")
    assert customer["last_purchase"] == pd.Timestamp("2024-02-21 04:30")
    assert customer["recency_days"] == 9


def test_given_lines_without_an_invoice_number_when_rfm_table_then_each_timestamp_is_one_purchase():
    # Given
    lines = sale_lines(
        (1, "", "2024-02-01 10:00", 10.0),
        (1, None, "2024-02-01 10:00", 5.0),
        (1, " ", "2024-02-03 10:00", 7.0),
    )

    # When
    customer = rfm_table(lines, as_of=AS_OF).loc[1]

    # Then
    assert customer["frequency"] == 2
    assert customer["monetary"] == 22.0


def test_given_a_missing_column_when_rfm_table_then_value_error_names_it():
    # Given
    lines = hand_worked_lines().drop(columns="invoice")

    # When / Then
    with pytest.raises(ValueError, match=r"missing column\(s\) \['invoice'\]"):
        rfm_table(lines, as_of=AS_OF)


def test_given_no_identified_customer_when_rfm_table_then_empty_table_with_the_columns():
    # Given
    lines = sale_lines((None, "1", "2024-02-01", 10.0))

    # When
    rfm = rfm_table(lines, as_of=AS_OF)

    # Then
    assert rfm.empty
    assert list(rfm.columns) == list(RFM_COLUMNS)


def test_given_blank_customer_ids_when_rfm_table_then_they_are_anonymous():
    # Given
    lines = sale_lines(
        ("a@example.com", "1", "2024-02-01", 10.0),
        ("  ", "2", "2024-02-01", 5.0),
        ("", "3", "2024-02-02", 7.0),
    )

    # When
    rfm = rfm_table(lines, as_of=AS_OF)

    # Then
    assert list(rfm.index) == ["a@example.com"]
