"""Synthetic businesses whose demand has a known price elasticity, with the confounders of real data.

Every product has a list price that moves every few weeks; anonymous sales are priced 1.97 times the
list price and bulk lines (12 units) at 0.8 times it, as in the Online Retail file; the mix of
kinds of sale changes from day to day. The number of lines of each kind per day is Poisson with a rate that
follows ``(list price / reference) ** elasticity``, so the elasticity is the truth to recover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# (identified, line quantity, price multiple of the list price, lines per day at the reference price)
KINDS = (
    (True, 1, 1.0, 30.0),
    (False, 1, 1.97, 12.0),
    (True, 12, 0.8, 4.0),
    (False, 12, 0.8 * 1.97, 2.0),
)


def list_price_path(days: pd.DatetimeIndex, *, reference: float, rng, spread: float = 0.3) -> np.ndarray:
    """A list price that jumps to a new level every 3 to 5 weeks, within ``reference`` ± ``spread``."""
    prices = np.empty(len(days))
    day = 0
    while day < len(days):
        length = int(rng.integers(21, 36))
        prices[day : day + length] = round(reference * rng.uniform(1 - spread, 1 + spread), 2)
        day += length
    return prices


def synthetic_lines(
    products: dict[int, float],
    *,
    days: int = 364,
    reference: float = 5.0,
    seed: int = 3,
    scale: float = 1.0,
    fixed_price: set[int] = frozenset(),
) -> pd.DataFrame:
    """Sale lines ``[product_id, timestamp, quantity, unit_price, identified]``, ``{product_id: elasticity}``.

    Products in ``fixed_price`` are always sold at the reference list price. ``scale`` multiplies every
    rate (a smaller business).
    """
    rng = np.random.default_rng(seed)
    calendar = pd.date_range("2025-01-06", periods=days, freq="D", tz="UTC")
    # The mix of sales changes from day to day (a day of trade buyers brings many cheap bulk lines, a
    # day of walk-ins many dear anonymous ones), so a naive fit of a day's units on its average price
    # is confounded.
    anonymous_mix = rng.lognormal(0.0, 0.2, days)
    bulk_mix = rng.lognormal(0.0, 0.8, days)
    frames = []
    for product_id, elasticity in products.items():
        if product_id in fixed_price:
            prices = np.full(days, reference)
        else:
            prices = list_price_path(calendar, reference=reference, rng=rng)
        response = (prices / reference) ** elasticity
        for identified, quantity, multiple, rate in KINDS:
            mix = (1.0 if identified else anonymous_mix) * (bulk_mix if quantity > 1 else 1.0)
            counts = rng.poisson(rate * scale * response * mix)
            day_index = np.repeat(np.arange(days), counts)
            frames.append(
                pd.DataFrame(
                    {
                        "product_id": product_id,
                        "timestamp": calendar[day_index] + pd.Timedelta(hours=12),
                        "quantity": quantity,
                        "unit_price": np.round(prices[day_index] * multiple, 2),
                        "identified": identified,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True).sort_values("timestamp", kind="stable").reset_index(drop=True)
