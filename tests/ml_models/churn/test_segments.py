import pandas as pd

from ml_models.churn import SEGMENTS, rfm_table, segment_customers
from ml_models.churn.segments import quintile_scores
from tests.ml_models.churn.builders import purchases, sale_lines

AS_OF = pd.Timestamp("2024-06-30 12:00")


def mixed_population() -> pd.DataFrame:
    rows = (
        purchases("vip", [2 + 9 * k for k in range(40)], as_of=AS_OF, amount=100.0)
        + purchases("frequent", [10 + 25 * k for k in range(12)], as_of=AS_OF, amount=20.0)
        + purchases("quiet_regular", [150 + 20 * k for k in range(10)], as_of=AS_OF, amount=60.0)
        + purchases("old_one_off", [300], as_of=AS_OF, amount=30.0)
        + purchases("newcomer", [5], as_of=AS_OF, amount=45.0)
        + purchases("steady_a", [20, 80, 200], as_of=AS_OF, amount=30.0)
        + purchases("steady_b", [35, 100, 250], as_of=AS_OF, amount=25.0)
        + purchases("twice_a_year", [40, 190], as_of=AS_OF, amount=35.0)
        + purchases("steady_c", [25, 160], as_of=AS_OF, amount=40.0)
        + purchases("recent_one_off", [60], as_of=AS_OF, amount=50.0)
    )
    return rfm_table(sale_lines(*rows), as_of=AS_OF)


def test_given_a_mixed_population_when_segmented_then_names_follow_from_the_data():
    # Given
    rfm = mixed_population()

    # When
    segments = segment_customers(rfm)["segment"]

    # Then
    assert segments.to_dict() == {
        "frequent": "loyal",
        "newcomer": "new",
        "old_one_off": "lost",
        "quiet_regular": "at_risk",
        "recent_one_off": "regular",
        "steady_a": "loyal",
        "steady_b": "loyal",
        "steady_c": "regular",
        "twice_a_year": "regular",
        "vip": "vip",
    }


def test_given_a_mixed_population_when_segmented_then_reasons_state_the_facts_and_the_rule():
    # Given
    rfm = mixed_population()

    # When
    result = segment_customers(rfm)

    # Then
    reasons = result["reason"]
    assert reasons["vip"] == "Bought 2 days ago, 40 orders, £4,000 spent: top 20% on all three"
    assert (
        reasons["old_one_off"]
        == "Bought 300 days ago, 1 order, £30 spent: a one-off buyer, bottom 20% on recency"
    )
    assert (
        reasons["newcomer"]
        == "Bought 5 days ago, 1 order, £45 spent: first purchase 5 days ago, within 30 days"
    )
    assert reasons["quiet_regular"] == (
        "Bought 150 days ago, 10 orders, £600 spent: a repeat customer (top 40% on orders, top 20% on spend) "
        "gone quiet (bottom 20% on recency; usually orders every 20 days)"
    )
    assert reasons["twice_a_year"] == (
        "Bought 40 days ago, 2 orders, £70 spent: bottom 40% on recency but not overdue "
        "(usually orders every 150 days), middle 20% on orders, bottom 40% on spend"
    )
    assert result.loc["vip", ["r_score", "f_score", "m_score"]].tolist() == [5, 5, 5]
    assert result.loc["old_one_off", ["r_score", "f_score", "m_score"]].tolist() == [1, 1, 1]


def test_given_shuffled_rows_when_segmented_then_each_customer_gets_the_same_result():
    # Given
    rfm = mixed_population()
    shuffled = rfm.sample(frac=1.0, random_state=7)

    # When
    in_order = segment_customers(rfm)
    out_of_order = segment_customers(shuffled)

    # Then
    assert list(shuffled.index) != list(rfm.index)
    pd.testing.assert_frame_equal(out_of_order.loc[in_order.index], in_order)


def test_given_tied_values_when_scored_then_ties_share_a_score():
    # Given: five customers, three tied at one order
    values = pd.Series([1.0, 1.0, 1.0, 4.0, 9.0], index=list("abcde"))

    # When
    scores = quintile_scores(values)

    # Then: mid-rank percentiles 0.3, 0.3, 0.3, 0.7, 0.9
    assert scores.tolist() == [2, 2, 2, 4, 5]


def test_given_distinct_values_when_scored_then_one_quintile_each_and_recency_reversed():
    # Given
    values = pd.Series([50.0, 10.0, 40.0, 20.0, 30.0])

    # When
    higher_better = quintile_scores(values)
    lower_better = quintile_scores(values, higher_is_better=False)

    # Then
    assert higher_better.tolist() == [5, 1, 4, 2, 3]
    assert lower_better.tolist() == [1, 5, 2, 4, 3]


def test_given_a_single_customer_who_bought_once_long_ago_when_segmented_then_lost():
    # Given
    rfm = rfm_table(sale_lines(*purchases("only", [400], as_of=AS_OF, amount=80.0)), as_of=AS_OF)

    # When
    result = segment_customers(rfm).loc["only"]

    # Then
    assert result["segment"] == "lost"
    assert result["reason"] == (
        "Bought 400 days ago, 1 order, £80 spent: no purchase for over a year "
        "(only 1 customer to compare with)"
    )
    assert [result["r_score"], result["f_score"], result["m_score"]] == [3, 3, 3]


def test_given_two_good_customers_when_segmented_then_nobody_is_vip_without_a_top_fifth():
    # Given: the better of two customers scores 4, not 5
    rows = purchases("better", [3, 20, 40, 60], as_of=AS_OF, amount=90.0) + purchases(
        "other", [15, 70], as_of=AS_OF, amount=20.0
    )
    rfm = rfm_table(sale_lines(*rows), as_of=AS_OF)

    # When
    result = segment_customers(rfm)

    # Then
    assert result.loc["better", ["r_score", "f_score", "m_score"]].tolist() == [4, 4, 4]
    assert result["segment"].to_dict() == {"better": "loyal", "other": "regular"}
    assert result.loc["other", "reason"].endswith("(only 2 customers to compare with)")


def test_given_any_population_when_segmented_then_segments_are_known_and_reasons_fit_the_database():
    # Given
    rfm = mixed_population()

    # When
    result = segment_customers(rfm, currency_symbol="$")

    # Then
    assert set(result["segment"]) <= set(SEGMENTS)
    assert result["reason"].str.len().max() <= 255
    assert result.loc["vip", "reason"].startswith("Bought 2 days ago, 40 orders, $4,000 spent")
