"""Price elasticity of demand from a product's own price changes over time.

A naive fit of units on price across every sale line mistakes *who* buys and *how much* for a price
response: on the UCI Online Retail file anonymous sales are priced about 1.97 times higher than sales
to known customers, and bulk lines are cheaper; those two explain most of the price variation inside
a product, and a naive log-log fit finds a median elasticity of -2.6 that is an artefact. So the
regression compares like with like:

* sale lines are grouped into **cells**: one product, one week, one channel (``identified`` customer or
  anonymous) and one quantity tier (the line's size, ``QUANTITY_TIERS``);
* per cell, ``units`` (the sum of quantities) and ``price`` (the unit-weighted average unit price);
* least squares, per product, each kind of sale weighted by the inverse of its residual variance
  (feasible weighted least squares: a first unweighted fit gives the variances):
  ``log(units) = a[channel, tier] + elasticity * log(price) + trend * weeks``,
  the fixed effects ``a`` absorbing every constant difference between kinds of sale, a linear trend
  absorbing steady growth or decline, so that the elasticity is identified only by a comparable kind
  of sale being priced differently in different weeks. Standard errors are heteroskedasticity-robust
  (HC1) and the interval is statsmodels' 95% confidence interval.

It abstains (``verdict`` not ``estimated``) where the evidence is thin (too few cells or weeks, or the
price hardly moved within a comparable kind of sale), where the interval includes zero, and where the
estimate is positive (demand rising with price means something else moved both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

# Line sizes whose prices differ systematically (price breaks): [1], [2, 5], [6, 11], [12, 23], ...
QUANTITY_TIERS = (1, 2, 6, 12, 24, 100, 1000)
MIN_CELLS = 12
MIN_WEEKS = 8
# The within-kind spread of log prices (about 3%) below which price never really changed.
MIN_PRICE_SPREAD = 0.03
MIN_RESIDUAL_DF = 6
CONFIDENCE = 0.95

ESTIMATED = "estimated"
THIN = "insufficient_evidence"
INCONCLUSIVE = "inconclusive"

LINE_COLUMNS = ["product_id", "timestamp", "quantity", "unit_price", "identified"]


@dataclass(frozen=True)
class Elasticity:
    """One product's estimate. ``elasticity`` and its bounds are None when nothing could be fitted."""

    product_id: int
    verdict: str
    reason: str
    elasticity: float | None = None
    lower: float | None = None
    upper: float | None = None
    cells: int = 0
    weeks: int = 0
    price_spread: float = 0.0

    @property
    def usable(self) -> bool:
        return self.verdict == ESTIMATED


def quantity_tier(quantity: pd.Series) -> pd.Series:
    """The tier index of each line size (0 for single units, 1 for 2-5, ...)."""
    edges = np.asarray(QUANTITY_TIERS, dtype=float)
    return pd.Series(np.searchsorted(edges, quantity.to_numpy(float), side="right") - 1, index=quantity.index)


def sale_cells(lines: pd.DataFrame) -> pd.DataFrame:
    """Sale lines → cells ``[product_id, week, channel, tier, units, price]`` (no returns, no free lines).

    ``lines`` has ``LINE_COLUMNS``: ``identified`` says whether the sale named a customer.
    """
    sold = lines[(lines["quantity"] > 0) & (lines["unit_price"] > 0)].copy()
    if sold.empty:
        return pd.DataFrame(columns=["product_id", "week", "channel", "tier", "units", "price"])
    timestamps = pd.to_datetime(sold["timestamp"], utc=True).dt.tz_convert(None)
    sold["week"] = timestamps.dt.to_period("W").dt.start_time
    sold["channel"] = np.where(sold["identified"].astype(bool), "identified", "anonymous")
    sold["tier"] = quantity_tier(sold["quantity"])
    sold["revenue"] = sold["quantity"].astype(float) * sold["unit_price"].astype(float)
    cells = (
        sold.groupby(["product_id", "week", "channel", "tier"], sort=True)
        .agg(units=("quantity", "sum"), revenue=("revenue", "sum"))
        .reset_index()
    )
    cells["price"] = cells["revenue"] / cells["units"]
    return cells.drop(columns="revenue")


def estimate_product(product_id: int, cells: pd.DataFrame) -> Elasticity:
    """The elasticity of one product from its cells (see the module docstring)."""
    cells = cells.reset_index(drop=True)
    weeks = int(cells["week"].nunique()) if len(cells) else 0
    kind = cells["channel"].astype(str) + ":" + cells["tier"].astype(str)
    log_price = np.log(cells["price"].to_numpy(float))
    within = log_price - pd.Series(log_price).groupby(kind).transform("mean").to_numpy()
    spread = float(np.std(within)) if len(cells) else 0.0
    facts = {"cells": len(cells), "weeks": weeks, "price_spread": round(spread, 4)}

    if len(cells) < MIN_CELLS or weeks < MIN_WEEKS:
        return Elasticity(
            product_id,
            THIN,
            f"Only {weeks} weeks of sales ({len(cells)} comparable groups): "
            f"at least {MIN_WEEKS} weeks are needed.",
            **facts,
        )
    if spread < MIN_PRICE_SPREAD:
        return Elasticity(
            product_id,
            THIN,
            "The price hardly changed within comparable sales: no evidence of how demand responds.",
            **facts,
        )

    kinds = pd.get_dummies(kind, dtype=float)
    trend = (cells["week"] - cells["week"].min()).dt.days.to_numpy(float) / 7.0
    design = np.column_stack([log_price, trend / max(trend.max(), 1.0), kinds.to_numpy()])
    if len(cells) - np.linalg.matrix_rank(design) < MIN_RESIDUAL_DF:
        return Elasticity(
            product_id, THIN, "Too few observations for the number of kinds of sale compared.", **facts
        )
    log_units = np.log(cells["units"].to_numpy(float))
    # Kinds of sale differ in how noisy they are (a few bulk lines a week against hundreds of single
    # ones): weight each kind by the inverse of its residual variance from a first, unweighted fit.
    residuals = pd.Series(sm.OLS(log_units, design).fit().resid).groupby(kind.to_numpy())
    variance = residuals.transform(lambda values: max(float(np.mean(values**2)), 1e-4)).to_numpy()
    fit = sm.WLS(log_units, design, weights=1.0 / variance).fit(cov_type="HC1")
    estimate = float(fit.params[0])
    lower, upper = (float(value) for value in fit.conf_int(alpha=1 - CONFIDENCE)[0])
    figures = {"elasticity": estimate, "lower": lower, "upper": upper, **facts}
    if lower <= 0 <= upper:
        return Elasticity(
            product_id,
            INCONCLUSIVE,
            f"The 95% interval ({lower:.2f} to {upper:.2f}) includes zero: no reliable price response.",
            **figures,
        )
    if estimate > 0:
        return Elasticity(
            product_id,
            INCONCLUSIVE,
            "Demand rose with price: something other than price moved both, so no suggestion.",
            **figures,
        )
    return Elasticity(
        product_id,
        ESTIMATED,
        f"Estimated from {weeks} weeks of price changes within comparable sales.",
        **figures,
    )


def estimate_elasticities(lines: pd.DataFrame) -> list[Elasticity]:
    """Every product's elasticity from the business's sale lines (``LINE_COLUMNS``)."""
    cells = sale_cells(lines)
    return [
        estimate_product(int(product_id), product_cells)
        for product_id, product_cells in cells.groupby("product_id", sort=True)
    ]


def naive_elasticity(lines: pd.DataFrame) -> float:
    """The confounded estimate the module avoids: daily units on the day's average price, log-log.

    Kept for the benchmark, to show the artefact on real data; never used for a suggestion.
    """
    sold = lines[(lines["quantity"] > 0) & (lines["unit_price"] > 0)].copy()
    sold["day"] = pd.to_datetime(sold["timestamp"], utc=True).dt.floor("D")
    sold["revenue"] = sold["quantity"] * sold["unit_price"]
    days = sold.groupby("day").agg(units=("quantity", "sum"), revenue=("revenue", "sum"))
    price = days["revenue"] / days["units"]
    fit = sm.OLS(np.log(days["units"].to_numpy(float)), sm.add_constant(np.log(price.to_numpy(float)))).fit()
    return float(fit.params[1])
