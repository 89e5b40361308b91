import numpy as np
import pandas as pd
import pytest

from ml_models.churn import clv as clv_module
from ml_models.churn import predict_clv, rfm_table
from tests.ml_models.churn.builders import purchases, sale_lines, synthetic_population

AS_OF = pd.Timestamp("2024-07-01")


@pytest.fixture(scope="module")
def population_rfm() -> pd.DataFrame:
    return rfm_table(synthetic_population(), as_of=AS_OF)


def test_given_the_published_cdnow_parameters_when_expected_purchases_then_the_paper_figure():
    # Given: Fader, Hardie & Lee (2005), section 5: r, alpha, a, b fitted on CDNOW, and a customer with
    # x = 2, t_x = 30.43, T = 38.86 weeks expected to make 1.226 purchases in the next 39 weeks
    parameters = (0.243, 4.414, 0.793, 2.426)

    # When
    expected = clv_module.bg_nbd_conditional_expected_purchases(
        parameters, np.array([2.0]), np.array([30.43]), np.array([38.86]), 39.0
    )

    # Then
    assert expected[0] == pytest.approx(1.226, abs=5e-4)


def test_given_a_business_population_when_predicting_clv_then_fitted_models_finite_and_non_negative(
    population_rfm,
):
    # When
    clv = predict_clv(population_rfm)

    # Then
    assert clv.attrs["method"] == "bg_nbd x gamma_gamma"
    assert clv.name == "predicted_clv"
    assert clv.index.equals(population_rfm.index)
    assert np.isfinite(clv).all()
    assert (clv >= 0).all()


def test_given_a_business_population_when_predicting_clv_then_frequent_recent_buyers_are_worth_more(
    population_rfm,
):
    # Given
    frequent_recent = (population_rfm["frequency"] >= 10) & (population_rfm["recency_days"] <= 30)
    one_off_long_ago = (population_rfm["frequency"] == 1) & (population_rfm["recency_days"] >= 180)

    # When
    clv = predict_clv(population_rfm)

    # Then
    assert frequent_recent.sum() >= 10
    assert one_off_long_ago.sum() >= 10
    assert clv[frequent_recent].min() > clv[one_off_long_ago].max()


def test_given_a_tiny_business_when_predicting_clv_then_simple_estimates_in_the_same_order():
    # Given: too few customers to fit either model
    rows = purchases("frequent_recent", [3, 17, 31, 45, 59, 73], as_of=AS_OF, amount=40.0) + purchases(
        "one_off_long_ago", [300], as_of=AS_OF, amount=40.0
    )
    rfm = rfm_table(sale_lines(*rows), as_of=AS_OF)

    # When
    clv = predict_clv(rfm)

    # Then
    assert clv.attrs["method"] == "simple x simple"
    # 6 purchases in 73 days, last one 3 days ago (every 14 days): 6 / 73 x 365 = 30 purchases of 40
    assert clv["frequent_recent"] == 1200.0
    # One purchase 300 days ago, against a usual gap of 14 days: exp(-286 / 14) of a chance it's active
    assert clv["one_off_long_ago"] == 0.0


def test_given_fits_that_fail_when_predicting_clv_then_simple_fallback_still_non_negative(
    population_rfm, monkeypatch
):
    # Given: an optimiser that never converges
    monkeypatch.setattr(clv_module, "_minimise", lambda *args, **kwargs: None)

    # When
    clv = predict_clv(population_rfm)

    # Then
    assert clv.attrs["method"] == "simple x simple"
    assert np.isfinite(clv).all()
    assert (clv >= 0).all()
    assert clv.max() > 0


def test_given_non_finite_predictions_when_predicting_clv_then_simple_purchases_replace_them(
    population_rfm, monkeypatch
):
    # Given
    monkeypatch.setattr(
        clv_module, "bg_nbd_conditional_expected_purchases", lambda *args: np.full(len(args[1]), np.nan)
    )

    # When
    clv = predict_clv(population_rfm)

    # Then
    assert clv.attrs["method"] == "simple x gamma_gamma"
    assert np.isfinite(clv).all()
    assert (clv >= 0).all()


def test_given_no_customers_with_a_purchase_when_predicting_clv_then_an_empty_series():
    # Given
    rfm = rfm_table(sale_lines(("returns_only", "R1", "2024-06-01", -15.0)), as_of=AS_OF)

    # When
    clv = predict_clv(rfm)

    # Then
    assert clv.empty
    assert clv.name == "predicted_clv"
    assert clv.attrs["method"] == "no purchases"


def test_a_one_order_customer_is_worth_what_the_churn_estimate_leaves_of_them():
    """BG/NBD takes every one-order customer to be active; with the churn estimate given, a one-off
    buyer who is 94.4% likely gone is worth 5.6% of what an active one would be."""
    from ml_models.churn.clv import predict_clv as predict

    rfm = pd.DataFrame(
        {
            "frequency": [1, 1] + [3] * 30,
            "recency_days": [200, 200] + [20] * 30,
            "tenure_days": [200, 200] + [300] * 30,
            "monetary": [9.71, 9.71] + [120.0] * 30,
            "average_order_value": [9.71, 9.71] + [40.0] * 30,
        },
        index=pd.Index(range(32), name="customer_id"),
    )
    churn = pd.Series([0.944, 0.0] + [0.1] * 30, index=rfm.index)

    value = predict(rfm, horizon_days=365, churn_probability=churn)

    assert value.iloc[0] == pytest.approx(value.iloc[1] * (1 - 0.944), abs=0.01)
    assert value.iloc[0] < predict(rfm, horizon_days=365).iloc[0] * 0.1
