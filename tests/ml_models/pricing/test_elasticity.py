"""Elasticities recovered from synthetic businesses whose true elasticity is known."""

import pytest

from ml_models.pricing import ESTIMATED, THIN, estimate_elasticities, naive_elasticity
from tests.ml_models.pricing.builders import synthetic_lines

ELASTIC, INELASTIC, ONE_PRICE = 1, 2, 3
TRUTH = {ELASTIC: -2.0, INELASTIC: -0.5, ONE_PRICE: -1.0}


@pytest.fixture(scope="module")
def estimates():
    lines = synthetic_lines(TRUTH, fixed_price={ONE_PRICE})
    return {estimate.product_id: estimate for estimate in estimate_elasticities(lines)}


@pytest.mark.parametrize("product_id", [ELASTIC, INELASTIC])
def test_the_elasticity_is_recovered_within_0_3_despite_channel_and_line_size_prices(estimates, product_id):
    estimate = estimates[product_id]

    assert estimate.verdict == ESTIMATED
    assert abs(estimate.elasticity - TRUTH[product_id]) <= 0.3
    assert estimate.lower < TRUTH[product_id] < estimate.upper
    assert estimate.upper < 0


def test_a_product_sold_at_one_price_gets_no_estimate(estimates):
    estimate = estimates[ONE_PRICE]

    assert estimate.verdict == THIN
    assert estimate.elasticity is None
    assert "price hardly changed" in estimate.reason


def test_the_naive_fit_is_fooled_by_the_channel_mix():
    lines = synthetic_lines({INELASTIC: -0.5})

    # Dearer anonymous sales and cheaper bulk lines make price and volume move apart across days.
    assert abs(naive_elasticity(lines) - (-0.5)) > 0.3


def test_a_few_weeks_of_sales_are_not_enough():
    lines = synthetic_lines({ELASTIC: -2.0}, days=35)

    (estimate,) = estimate_elasticities(lines)

    assert estimate.verdict == THIN
    assert "weeks" in estimate.reason


def test_noise_without_a_price_response_gives_an_interval_through_zero():
    lines = synthetic_lines({ELASTIC: 0.0}, scale=0.2, seed=11)

    (estimate,) = estimate_elasticities(lines)

    assert estimate.verdict != ESTIMATED
    assert estimate.lower <= 0 <= estimate.upper
