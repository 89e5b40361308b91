import pandas as pd
import pytest

from ml_models.churn import (
    SCORE_COLUMNS,
    SEGMENTS,
    SUGGESTED_OFFERS,
    churn_risk,
    score_customers,
    segment_summary,
)
from tests.ml_models.churn.builders import purchases, sale_lines, synthetic_population

AS_OF = pd.Timestamp("2024-07-01")


def small_shop() -> pd.DataFrame:
    rows = (
        purchases("vip", [2 + 9 * k for k in range(40)], as_of=AS_OF, amount=100.0)
        + purchases("newcomer", [5], as_of=AS_OF, amount=45.0)
        + purchases("old_one_off", [300], as_of=AS_OF, amount=30.0)
        + purchases("steady", [20, 80, 200], as_of=AS_OF, amount=30.0)
        + purchases("other", [25, 160], as_of=AS_OF, amount=40.0)
        + [(None, "A1", AS_OF - pd.Timedelta(days=1), 625.0)]
    )
    return sale_lines(*rows)


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return synthetic_population()


@pytest.fixture(scope="module")
def population_scores(population):
    return score_customers(population, as_of=AS_OF)


def test_given_a_small_shop_when_scored_then_every_customer_every_column_and_the_fallback_noted():
    # Given
    lines = small_shop()

    # When
    scores = score_customers(lines, as_of=AS_OF)

    # Then
    customers = scores.customers
    assert list(customers.columns) == list(SCORE_COLUMNS)
    assert sorted(customers.index) == ["newcomer", "old_one_off", "other", "steady", "vip"]
    assert customers["segment"].to_dict() == {
        "newcomer": "new",
        "old_one_off": "lost",
        "other": "regular",
        "steady": "loyal",
        "vip": "vip",
    }
    assert scores.method == "recency_fallback"
    assert scores.validation_auc is None
    assert scores.note == (
        "Recency-based estimate, not a trained model: only 3 customers at the training cutoff "
        "(at least 50 are needed)."
    )
    assert scores.as_of == AS_OF
    assert scores.clv_method == "simple x simple"
    assert customers["churn_probability"].between(0, 1).all()
    assert customers["churn_risk"].tolist() == churn_risk(customers["churn_probability"]).tolist()
    assert (customers["predicted_clv"] >= 0).all()


def test_given_sales_after_as_of_when_scored_then_the_scores_do_not_change():
    # Given
    lines = small_shop()
    later = sale_lines(
        ("old_one_off", "L1", AS_OF + pd.Timedelta(hours=1), 900.0), ("late", "L2", "2024-07-09", 5.0)
    )

    # When
    without_future = score_customers(lines, as_of=AS_OF)
    with_future = score_customers(pd.concat([lines, later], ignore_index=True), as_of=AS_OF)

    # Then
    pd.testing.assert_frame_equal(with_future.customers, without_future.customers)


def test_given_a_small_shop_when_summarised_then_revenue_shares_of_identified_and_of_all_sales():
    # Given: identified revenue 4,000 + 45 + 30 + 90 + 80 = 4,245; anonymous 625; all 4,870
    lines = small_shop()
    scores = score_customers(lines, as_of=AS_OF)

    # When
    summary = segment_summary(scores, lines)

    # Then
    assert list(summary.index) == list(SEGMENTS)
    assert summary["count"].to_dict() == {
        "vip": 1,
        "loyal": 1,
        "regular": 1,
        "new": 1,
        "at_risk": 0,
        "lost": 1,
    }
    assert summary.loc["vip", "revenue"] == 4000.0
    assert summary.loc["vip", "revenue_share"] == round(4000 / 4245, 4)
    assert summary.loc["vip", "share_of_all_revenue"] == round(4000 / 4870, 4)
    assert summary.loc["at_risk", "revenue"] == 0.0
    assert summary["revenue_share"].sum() == pytest.approx(1.0, abs=1e-3)
    assert summary.loc["loyal", "average_recency_days"] == 20.0
    assert summary.loc["loyal", "average_frequency"] == 3.0
    assert summary.loc["loyal", "average_monetary"] == 90.0
    assert pd.isna(summary.loc["at_risk", "average_recency_days"])
    assert summary["suggested_offer"].to_dict() == SUGGESTED_OFFERS


def test_given_a_business_with_history_when_scored_then_a_validated_model_and_complete_scores(
    population_scores,
):
    # When
    customers = population_scores.customers

    # Then
    assert population_scores.method == "model"
    assert population_scores.validation_auc > 0.7
    assert population_scores.note.startswith("Trained on this business's history: ")
    assert len(population_scores.note) <= 255
    assert population_scores.clv_method == "bg_nbd x gamma_gamma"
    assert len(customers) == 400
    assert customers[["churn_probability", "predicted_clv"]].notna().all().all()
    assert customers["churn_probability"].between(0, 1).all()
    assert (customers["predicted_clv"] >= 0).all()
    assert set(customers["churn_risk"]) <= {"high", "medium", "low"}


def test_given_a_business_with_history_when_summarised_then_lost_customers_churn_more_than_vips(
    population, population_scores
):
    # When
    summary = segment_summary(population_scores, population)

    # Then
    assert summary["count"].sum() == 400
    assert summary["revenue_share"].sum() == pytest.approx(1.0, abs=1e-3)
    assert summary.loc["lost", "average_churn_probability"] > summary.loc["vip", "average_churn_probability"]


def test_given_only_anonymous_sales_when_scored_then_no_customers_and_a_note_that_says_so():
    # Given
    lines = sale_lines((None, "A1", "2024-06-01", 20.0))

    # When
    scores = score_customers(lines, as_of=AS_OF)

    # Then
    assert scores.customers.empty
    assert list(scores.customers.columns) == list(SCORE_COLUMNS)
    assert scores.customers["segment"].dtype == object
    assert scores.method == "recency_fallback"
    assert (
        scores.note
        == "Recency-based estimate, not a trained model: there are no identified customers' sales yet."
    )
    assert segment_summary(scores, lines)["count"].sum() == 0
