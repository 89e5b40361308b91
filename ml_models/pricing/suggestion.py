"""A price to suggest from an elasticity: bounded, above cost, and one a shop would print.

Demand is taken as constant-elasticity around today's price, ``units(p) = units0 * (p / p0) ** e``,
which is only trusted near the prices seen, hence the bounds:

* at most ``MAX_STEP`` (15%) up or down from the current price per suggestion;
* never below the unit cost (a product already priced under cost gets no suggestion, only the reason);
* the price is one a shop would print (``printable_prices``):

  ========================  =========================================
  price                     endings
  ========================  =========================================
  under 2                   .x5 or .x9 (0.45, 0.49, 1.15, 1.19)
  2 to under 10             .29, .49, .79, .95 or .99 (4.29, 4.49, 4.79, 4.95, 4.99)
  10 to under 20            .49, .95 or .99 (12.49, 12.95, 12.99)
  20 to under 100           .99 or whole (24.99, 25.00)
  100 and above             whole amounts ending in 0, 5 or 9 (125, 129, 130)
  ========================  =========================================

Among the printable prices within the bounds, the suggestion is the one with the highest expected
margin (revenue when the cost is unknown). When none beats the current price, it holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_STEP = 0.15
# A suggestion must improve the objective by at least this share, or it is not worth a price change.
MIN_GAIN = 0.005


@dataclass(frozen=True)
class PriceSuggestion:
    suggested_price: float | None
    expected_revenue_change: float | None
    expected_margin_change: float | None
    reason: str


def _endings(whole: int) -> list[int]:
    """Printable cents for prices whose whole part is ``whole`` (see the module table)."""
    if whole < 2:
        return [*range(5, 100, 10), *range(9, 100, 10)]
    if whole < 10:
        return [29, 49, 79, 95, 99]
    if whole < 20:
        return [49, 95, 99]
    if whole < 100:
        return [0, 99]
    return [0] if whole % 10 in (0, 5, 9) else []


def printable_prices(low: float, high: float) -> list[float]:
    """Every printable price in ``[low, high]``, ascending."""
    if high < low or high <= 0:
        return []
    prices = []
    for whole in range(max(math.floor(low), 0), math.floor(high) + 1):
        for cents in _endings(whole):
            price_cents = whole * 100 + cents
            if low * 100 - 1e-6 <= price_cents <= high * 100 + 1e-6 and price_cents > 0:
                prices.append(price_cents / 100)
    return sorted(set(prices))


def expected_units(baseline_units: float, current_price: float, price: float, elasticity: float) -> float:
    return baseline_units * (price / current_price) ** elasticity


def suggest_price(
    *,
    current_price: float,
    unit_cost: float | None,
    elasticity: float,
    baseline_units: float,
    max_step: float = MAX_STEP,
) -> PriceSuggestion:
    """The bounded, printable price that maximises expected margin (or revenue without a cost).

    ``baseline_units`` is what is expected to sell at the current price over the period the changes
    are reported for (the next 30 days, say).
    """
    if current_price <= 0:
        return PriceSuggestion(None, None, None, "The product has no price to change.")
    if unit_cost is not None and unit_cost > current_price * (1 + max_step):
        return PriceSuggestion(
            None,
            None,
            None,
            f"Priced below its cost ({unit_cost:.2f}) by more than one {max_step:.0%} step can correct: "
            "review the price by hand.",
        )
    low = current_price * (1 - max_step)
    if unit_cost is not None:
        low = max(low, unit_cost)
    high = current_price * (1 + max_step)

    def objective(price: float) -> float:
        units = expected_units(baseline_units, current_price, price, elasticity)
        return units * (price - (unit_cost or 0.0))

    current = objective(current_price)
    candidates = printable_prices(low, high)
    if not candidates:
        return PriceSuggestion(None, None, None, "No printable price lies within the bounds.")
    best = max(candidates, key=lambda price: (objective(price), -abs(price - current_price)))
    gain = objective(best) - current
    if best == round(current_price, 2) or gain <= abs(current) * MIN_GAIN:
        return PriceSuggestion(None, None, None, "Hold: no price within the bounds is expected to do better.")

    units = expected_units(baseline_units, current_price, best, elasticity)
    revenue_change = units * best - baseline_units * current_price
    margin_change = None
    if unit_cost is not None:
        margin_change = units * (best - unit_cost) - baseline_units * (current_price - unit_cost)
    direction = "Raise" if best > current_price else "Lower"
    target = "margin" if unit_cost is not None else "revenue"
    return PriceSuggestion(
        suggested_price=best,
        expected_revenue_change=round(revenue_change, 2),
        expected_margin_change=None if margin_change is None else round(margin_change, 2),
        reason=(
            f"{direction} to {best:.2f}: with an elasticity of {elasticity:.2f}, about "
            f"{units:.0f} units instead of {baseline_units:.0f} are expected, for more {target}."
        ),
    )
