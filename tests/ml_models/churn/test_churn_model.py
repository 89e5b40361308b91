import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ml_models.churn import (
    FEATURE_COLUMNS,
    churn_features,
    churn_risk,
    recency_churn_probability,
    train_churn_model,
)
from ml_models.churn._lines import prepare_lines
from ml_models.churn.model import labelled_sample
from tests.ml_models.churn.builders import purchases, sale_lines, synthetic_population

AS_OF = pd.Timestamp("2024-07-01")
CUTOFF = pd.Timestamp("2024-03-01")


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return synthetic_population()


@pytest.fixture(scope="module")
def trained(population):
    return train_churn_model(population, as_of=AS_OF)


def test_given_purchases_after_the_cutoff_when_features_computed_then_not_a_value_changes(population):
    # Given: later purchases by known customers, a late line on an invoice from before the cutoff,
    # and a customer who only appears after the cutoff
    before = population.loc[population["timestamp"] <= CUTOFF]
    known = before["customer_id"].iloc[0]
    old_invoice = before.loc[before["customer_id"] == known, "invoice"].iloc[-1]
    later = sale_lines(
        (known, "LATE-1", CUTOFF + pd.Timedelta(seconds=1), 500.0),
        (known, old_invoice, CUTOFF + pd.Timedelta(days=2), -999.0),
        (999_999, "LATE-2", CUTOFF + pd.Timedelta(days=3), 80.0),
    )

    # When
    from_past_only = churn_features(before, as_of=CUTOFF)
    from_everything = churn_features(pd.concat([population, later], ignore_index=True), as_of=CUTOFF)

    # Then
    assert list(from_everything.columns) == list(FEATURE_COLUMNS)
    assert 999_999 not in from_everything.index
    pd.testing.assert_frame_equal(from_everything, from_past_only)


def test_given_sales_after_as_of_when_model_trained_then_validation_and_scores_unchanged(population, trained):
    # Given
    future = synthetic_population(start="2024-07-02", end="2024-12-31", seed=99)
    future["customer_id"] = future["customer_id"] - 1000 + population["customer_id"].min()

    # When
    with_future = train_churn_model(pd.concat([population, future], ignore_index=True), as_of=AS_OF)

    # Then
    features = churn_features(population, as_of=AS_OF)
    assert with_future.validation_auc == trained.validation_auc
    assert with_future.note == trained.note
    pd.testing.assert_series_equal(with_future.predict(features), trained.predict(features))


def test_given_a_cutoff_when_labelled_then_only_purchases_in_the_following_horizon_count():
    # Given
    lines = sale_lines(
        ("returns", "1", "2024-01-10", 30.0),
        ("returns", "2", "2024-03-11", 30.0),  # 10 days after the cutoff: came back
        ("too_late", "3", "2024-01-10", 30.0),
        ("too_late", "4", "2024-05-31", 30.0),  # 91 days after: outside the horizon
        ("cancels", "5", "2024-01-10", 30.0),
        ("cancels", "C5", "2024-03-05", -30.0),  # a cancellation is not a purchase
    )
    prepared = prepare_lines(lines)

    # When
    _, churned = labelled_sample(prepared, CUTOFF, 90)

    # Then
    churned.index = prepared.customer_ids[churned.index]
    assert churned.to_dict() == {"cancels": 1, "returns": 0, "too_late": 1}


def test_given_distinguishable_churners_when_trained_then_a_model_with_auc_above_0_7(population, trained):
    # Given: what really happened in the 90 days after as_of
    features = churn_features(population, as_of=AS_OF)
    following = population.loc[
        (population["timestamp"] > AS_OF) & (population["timestamp"] <= AS_OF + pd.Timedelta(days=90))
    ]
    churned = (~features.index.isin(following["customer_id"].unique())).astype(int)

    # When
    probability = trained.predict(features)

    # Then
    assert trained.method == "model"
    assert trained.estimator_name in {"logistic_regression", "gradient_boosting", "average"}
    assert trained.validation_auc == trained.candidate_auc[trained.estimator_name]
    # The best on validation wins; a tie to four decimals goes to the simpler candidate.
    assert round(trained.validation_auc, 4) == round(max(trained.candidate_auc.values()), 4)
    assert trained.validation_auc > 0.7
    assert roc_auc_score(churned, probability) > 0.7
    assert probability.between(0, 1).all()
    assert probability.name == "churn_probability"
    assert set(trained.candidate_auc) == {
        "logistic_regression",
        "gradient_boosting",
        "average",
        "recency_fallback",
    }
    assert f"validation AUC {trained.validation_auc:.3f} on 400 customers as of 2024-04-02" in trained.note
    assert len(trained.note) <= 255
    assert trained.training_cutoffs == tuple(
        pd.Timestamp("2024-04-02") - pd.Timedelta(days=d) for d in (0, 30, 60, 90)
    )


def test_given_three_months_of_data_when_trained_then_recency_fallback_that_says_why():
    # Given
    rows = []
    for customer in range(60):
        rows += purchases(customer, [5 + customer, 40 + customer], as_of=AS_OF)
    lines = sale_lines(*rows)

    # When
    model = train_churn_model(lines, as_of=AS_OF)

    # Then
    assert model.method == "recency_fallback"
    assert model.validation_auc is None
    assert model.note == (
        "Recency-based estimate, not a trained model: 99 days of history, and training with a 90-day "
        "horizon needs 210 (two 90-day label windows and 30 days before them)."
    )
    probability = model.predict(churn_features(lines, as_of=AS_OF))
    # Same rhythm for everyone, so the longer since the last purchase, the likelier the churn.
    assert probability.is_monotonic_increasing
    assert probability.iloc[-1] > probability.iloc[0]


def test_given_long_history_but_few_customers_when_trained_then_recency_fallback():
    # Given
    rows = []
    for customer in range(12):
        rows += purchases(customer, list(range(3 + customer, 400, 30 + customer)), as_of=AS_OF)
    lines = sale_lines(*rows)

    # When
    model = train_churn_model(lines, as_of=AS_OF)

    # Then
    assert model.method == "recency_fallback"
    assert model.note == (
        "Recency-based estimate, not a trained model: only 12 customers at the training cutoff "
        "(at least 50 are needed)."
    )


def test_given_nobody_ever_churns_when_trained_then_recency_fallback_for_a_single_class():
    # Given: 60 customers buying every week for a year and a half
    rows = []
    for customer in range(60):
        rows += purchases(customer, list(range(1, 540, 7)), as_of=AS_OF)
    lines = sale_lines(*rows)

    # When
    model = train_churn_model(lines, as_of=AS_OF)

    # Then
    assert model.method == "recency_fallback"
    assert model.note == (
        "Recency-based estimate, not a trained model: the training labels have 60 returning and 0 churned "
        "customers (at least 5 of each are needed)."
    )


def test_given_a_one_off_buyer_overdue_by_one_gap_when_recency_rule_then_hand_worked_probability():
    # Given: one purchase 60 days ago, typical gap 30 days, 90-day horizon
    features = pd.DataFrame({"frequency": [1.0], "mean_gap_days": [30.0], "recency_days": [60.0]})

    # When
    probability = recency_churn_probability(features, horizon_days=90, typical_gap_days=30.0)

    # Then: 1 - exp(-30 / 30) * (1 - exp(-90 / 30))
    assert probability.iloc[0] == pytest.approx(1 - math.exp(-1) * (1 - math.exp(-3)), abs=1e-12)


def test_given_a_steady_customer_not_yet_due_when_recency_rule_then_only_the_horizon_counts():
    # Given: 21 purchases 10 days apart, last one 5 days ago; the business's typical gap is 40 days
    features = pd.DataFrame({"frequency": [21.0], "mean_gap_days": [10.0], "recency_days": [5.0]})

    # When
    probability = recency_churn_probability(features, horizon_days=90, typical_gap_days=40.0)

    # Then: gap = (20 x 10 + 2 x 40) / 22; not overdue, so P(active) = 1
    gap = (20 * 10 + 2 * 40) / 22
    assert probability.iloc[0] == pytest.approx(math.exp(-90 / gap), abs=1e-12)


@pytest.mark.parametrize(
    ("probability", "risk"),
    [(0.0, "low"), (0.3999, "low"), (0.4, "medium"), (0.6999, "medium"), (0.7, "high"), (1.0, "high")],
)
def test_given_a_probability_when_banded_then_documented_thresholds(probability, risk):
    # When / Then
    assert churn_risk(probability) == risk


def test_given_a_series_when_banded_then_same_bands_and_missing_is_high():
    # Given
    probabilities = pd.Series([0.1, 0.5, 0.9, np.nan], index=["a", "b", "c", "d"])

    # When
    risks = churn_risk(probabilities)

    # Then
    assert risks.to_dict() == {"a": "low", "b": "medium", "c": "high", "d": "high"}
