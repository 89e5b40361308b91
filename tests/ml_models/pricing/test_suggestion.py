"""Price suggestions: at most 15% a step, never below cost, printed as a shop would print them."""

import pytest

from ml_models.pricing import printable_prices, suggest_price


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.40, 0.60, [0.45, 0.49, 0.55, 0.59]),
        (4.00, 5.00, [4.29, 4.49, 4.79, 4.95, 4.99]),
        (1.00, 1.20, [1.05, 1.09, 1.15, 1.19]),
        (12.00, 13.00, [12.49, 12.95, 12.99]),
        (24.10, 25.50, [24.99, 25.00]),
        (120.00, 131.00, [120.00, 125.00, 129.00, 130.00]),
    ],
)
def test_printable_prices_follow_the_shop_table(low, high, expected):
    assert printable_prices(low, high) == expected


def test_inelastic_demand_raises_the_price_to_the_highest_printable_within_15_percent():
    suggestion = suggest_price(current_price=10.00, unit_cost=6.00, elasticity=-0.5, baseline_units=100)

    assert suggestion.suggested_price == 11.49  # 11.50 is the bound; 11.49 the printable under it
    assert suggestion.expected_revenue_change == pytest.approx(100 * (1.149**-0.5) * 11.49 - 1000, abs=0.01)
    assert suggestion.expected_margin_change > 0


def test_elastic_demand_lowers_the_price_but_never_below_cost():
    suggestion = suggest_price(current_price=10.00, unit_cost=8.80, elasticity=-6.0, baseline_units=100)

    # Unbounded, margin is best at 8.80 * 6/5 = 10.56 (a raise is worse, any cut must stay above cost).
    assert suggestion.suggested_price is None or suggestion.suggested_price >= 8.80

    cheap = suggest_price(current_price=10.00, unit_cost=2.00, elasticity=-3.0, baseline_units=100)
    assert cheap.suggested_price == 8.79  # the lowest printable within 15% (8.50 to 11.50), above cost
    assert cheap.suggested_price >= 10.00 * 0.85


def test_the_cost_floor_holds_even_where_the_15_percent_bound_is_lower():
    suggestion = suggest_price(current_price=10.00, unit_cost=9.40, elasticity=-8.0, baseline_units=100)

    assert suggestion.suggested_price is None or suggestion.suggested_price >= 9.40


def test_a_product_priced_far_below_its_cost_gets_no_suggestion_only_the_reason():
    suggestion = suggest_price(current_price=5.00, unit_cost=7.00, elasticity=-0.5, baseline_units=10)

    assert suggestion.suggested_price is None
    assert "below its cost" in suggestion.reason


def test_without_a_cost_it_maximises_revenue():
    up = suggest_price(current_price=3.00, unit_cost=None, elasticity=-0.4, baseline_units=50)
    down = suggest_price(current_price=3.00, unit_cost=None, elasticity=-2.0, baseline_units=50)

    assert (up.suggested_price, up.expected_margin_change) == (3.29, None)  # the only one above, to 3.45
    assert down.suggested_price == 2.79  # the lowest printable down to 2.55
