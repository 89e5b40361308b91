"""Pricing for Smart Market: elasticities that know when they do not know, and bounded price suggestions.

Plain pandas / statsmodels, no Django:

    # lines: DataFrame[product_id, timestamp, quantity, unit_price, identified]
    estimates = estimate_elasticities(lines)
    suggestion = suggest_price(current_price=4.95, unit_cost=2.10, elasticity=-0.6, baseline_units=120)
"""

from .elasticity import (
    ESTIMATED,
    INCONCLUSIVE,
    LINE_COLUMNS,
    THIN,
    Elasticity,
    estimate_elasticities,
    estimate_product,
    naive_elasticity,
    quantity_tier,
    sale_cells,
)
from .suggestion import MAX_STEP, PriceSuggestion, expected_units, printable_prices, suggest_price

__all__ = [
    "ESTIMATED",
    "INCONCLUSIVE",
    "LINE_COLUMNS",
    "MAX_STEP",
    "THIN",
    "Elasticity",
    "PriceSuggestion",
    "estimate_elasticities",
    "estimate_product",
    "expected_units",
    "naive_elasticity",
    "printable_prices",
    "quantity_tier",
    "sale_cells",
    "suggest_price",
]
