"""Daily demand: netting returns, filling gaps, closed weekdays, long closures, spike capping."""

import numpy as np
import pandas as pd

from ml_models.forecasting import (
    build_daily_demand,
    cap_spikes,
    detect_closed_weekdays,
    detect_closures,
    trading_days,
)
from ml_models.forecasting.trading_calendar import Closure, closures_in_demand, yearly_repeats

from .builders import sales_lines


def trading_every_day_but_saturday(
    start: str, end: str, product: str = "anchor"
) -> list[tuple[str, str, float]]:
    """One sale a day of an always-selling product, except on Saturdays."""
    days = pd.date_range(start, end, freq="D")
    return [(product, f"{day:%Y-%m-%d} 10:30", 1.0) for day in days if day.dayofweek != 5]


def test_returns_are_netted_and_a_net_negative_day_is_zero_demand():
    # Given a product sold 5 and returned 2 on one day, and returned 3 more than sold on another
    rows = trading_every_day_but_saturday("2024-01-01", "2024-02-02")
    rows += [
        ("mug", "2024-01-29 09:00", 5),
        ("mug", "2024-01-29 16:00", -2),
        ("mug", "2024-01-31 09:00", 1),
        ("mug", "2024-01-31 12:00", -4),
    ]

    # When daily demand is built
    demand = build_daily_demand(sales_lines(rows), end_date="2024-02-02")

    # Then the first day nets to 3 and the second is clipped to 0, not -3
    mug = demand[demand["unique_id"] == "mug"].set_index("ds")["y"]
    assert mug[pd.Timestamp("2024-01-29")] == 3.0
    assert mug[pd.Timestamp("2024-01-31")] == 0.0


def test_gaps_are_zeros_from_the_first_sale_to_end_date():
    # Given a product first sold on Monday 29 January and again on Wednesday 31 January
    rows = trading_every_day_but_saturday("2024-01-01", "2024-02-05")
    rows += [("mug", "2024-01-29", 2), ("mug", "2024-01-31", 1)]

    # When demand is built up to Monday 5 February
    demand = build_daily_demand(sales_lines(rows), end_date="2024-02-05")

    # Then the mug has one row per open day from its first sale to end_date, zeros in between,
    # and no row for Saturday 3 February
    mug = demand[demand["unique_id"] == "mug"]
    assert mug["ds"].dt.strftime("%m-%d").tolist() == [
        "01-29",
        "01-30",
        "01-31",
        "02-01",
        "02-02",
        "02-04",
        "02-05",
    ]
    assert mug["y"].tolist() == [2.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_lines_after_end_date_and_products_that_never_sold_are_left_out():
    # Given a product only ever returned and a sale dated after end_date
    rows = trading_every_day_but_saturday("2024-01-01", "2024-02-02")
    rows += [("returned-only", "2024-01-10", -1), ("late", "2024-02-09", 4)]

    # When demand is built up to 2 February
    demand = build_daily_demand(sales_lines(rows), end_date="2024-02-02")

    # Then neither product appears and nothing is dated after end_date
    assert set(demand["unique_id"]) == {"anchor"}
    assert demand["ds"].max() == pd.Timestamp("2024-02-02")


def test_a_weekday_without_trading_is_detected_as_closed():
    # Given a shop that trades every day for 8 weeks except Saturdays, plus one stray Saturday
    rows = trading_every_day_but_saturday("2024-01-01", "2024-02-25")
    rows.append(("anchor", "2024-01-13 11:00", 1.0))

    # When closed weekdays are detected
    closed = detect_closed_weekdays(sales_lines(rows))

    # Then Saturday (5) is closed: 1 trading Saturday out of 8 is "almost never"
    assert closed == frozenset({5})


def test_a_weekday_traded_every_other_week_is_open():
    # Given a shop that opens on every other Saturday for 8 weeks
    rows = trading_every_day_but_saturday("2024-01-01", "2024-02-25")
    rows += [
        ("anchor", saturday, 1.0) for saturday in ("2024-01-06", "2024-01-20", "2024-02-03", "2024-02-17")
    ]

    # When closed weekdays are detected
    closed = detect_closed_weekdays(sales_lines(rows))

    # Then no weekday is closed
    assert closed == frozenset()


def test_no_weekday_is_called_closed_on_too_little_data():
    # Given only two weeks of trading without Saturdays
    rows = trading_every_day_but_saturday("2024-01-01", "2024-01-14")

    # When closed weekdays are detected
    closed = detect_closed_weekdays(sales_lines(rows))

    # Then nothing is reported: two quiet Saturdays could be chance
    assert closed == frozenset()


def test_a_christmas_gap_is_a_closure_and_left_out_of_the_series():
    # Given a shop closed from 24 December to 3 January and for 3 days in February
    rows = trading_every_day_but_saturday("2023-11-01", "2024-02-29")
    rows = [row for row in rows if not ("2023-12-24" <= row[1][:10] <= "2024-01-03")]
    rows = [row for row in rows if not ("2024-02-12" <= row[1][:10] <= "2024-02-14")]
    rows.append(("mug", "2023-11-06", 2))
    sales = sales_lines(rows)

    # When closures are detected (with and without knowing Saturdays are closed) and demand is built
    raw_closures = detect_closures(sales, end_date="2024-02-29")
    closures = detect_closures(sales, end_date="2024-02-29", closed_weekdays={5})
    demand = build_daily_demand(sales, end_date="2024-02-29")

    # Then the gap without sales runs from Saturday 23 December; trimmed of the closed Saturday
    # the closure is 24 December to 3 January. It is dropped from the mug's series, while the
    # 3-day February gap stays in as zero-demand days
    assert raw_closures == [Closure(pd.Timestamp("2023-12-23"), pd.Timestamp("2024-01-03"))]
    assert closures == [Closure(pd.Timestamp("2023-12-24"), pd.Timestamp("2024-01-03"))]
    assert closures[0].days == 11
    mug_days = set(demand.loc[demand["unique_id"] == "mug", "ds"])
    assert not mug_days & set(pd.date_range("2023-12-24", "2024-01-03"))
    assert set(pd.date_range("2024-02-12", "2024-02-14")) <= mug_days


def test_the_dropped_closure_can_be_read_back_from_the_demand_and_repeats_a_year_later():
    # Given demand built over a Christmas closure, Saturdays closed
    rows = trading_every_day_but_saturday("2023-11-01", "2024-02-29")
    rows = [row for row in rows if not ("2023-12-24" <= row[1][:10] <= "2024-01-03")]
    demand = build_daily_demand(sales_lines(rows), end_date="2024-02-29")

    # When the closures are recovered from the demand frame and projected on next winter
    closures = closures_in_demand(demand, closed_weekdays={5})
    next_winter = pd.date_range("2024-12-22", "2025-01-05")
    repeated = next_winter[yearly_repeats(closures, next_winter)]

    # Then the whole closure comes back, the Saturdays inside it included
    assert closures == [Closure(pd.Timestamp("2023-12-24"), pd.Timestamp("2024-01-03"))]
    assert repeated.equals(pd.date_range("2024-12-24", "2025-01-03"))


def test_explicit_closed_weekdays_override_detection():
    # Given a shop that never trades on Saturdays
    rows = trading_every_day_but_saturday("2024-01-01", "2024-02-25")

    # When demand is built declaring no closed weekday
    demand = build_daily_demand(sales_lines(rows), end_date="2024-02-25", closed_weekdays=())

    # Then Saturdays are in the series, as zero-demand days
    saturdays = demand[demand["ds"].dt.dayofweek == 5]
    assert len(saturdays) == 8
    assert saturdays["y"].sum() == 0.0


def test_spikes_are_capped_at_one_and_a_half_times_the_ninetieth_percentile_of_selling_days():
    # Given a series of ten selling days of 1..10 units and one wholesale day of 500
    values = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 500, 0, 0], dtype=float)
    demand = pd.DataFrame({"unique_id": "mug", "ds": pd.date_range("2024-01-01", periods=13), "y": values})

    # When spikes are capped
    capped = cap_spikes(demand)

    # Then the 500 becomes 1.5 x the 90th percentile of the 11 selling days (10 units) = 15
    assert capped["y"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 0, 0]
    assert demand["y"].iloc[10] == 500.0


def test_one_batch_of_products_gets_the_same_demand_as_the_whole_business_given_its_trading_days():
    # Given a shop closed on Saturdays and for a week in March, a steady seller and a slow one
    rows = [
        row
        for row in trading_every_day_but_saturday("2024-01-01", "2024-04-30")
        if not ("2024-03-04" <= row[1][:10] <= "2024-03-11")
    ]
    rows += [("slow", "2024-01-10 09:00", 2.0), ("slow", "2024-04-02 09:00", 1.0)]
    sales = sales_lines(rows)
    whole = build_daily_demand(sales, end_date="2024-04-30")

    # When the slow product is built alone, with the business's trading days
    alone = build_daily_demand(
        sales[sales["product_id"] == "slow"],
        end_date="2024-04-30",
        business_days=trading_days(sales),
    )

    # Then it has the same open days and values: the closure is known although it sold on none of them
    expected = whole[whole["unique_id"] == "slow"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), expected)
    assert pd.Timestamp("2024-03-06") not in set(alone["ds"])
