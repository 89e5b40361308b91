"""Forecasts of products with too little history to backtest, shrunk toward what is known.

A product first sold yesterday, 458 units to one wholesale buyer, has one day of history: its mean is not
a daily rate, and a 90-day forecast at that rate orders thousands of units nobody will buy. With fewer
open days than a backtest needs, the daily rate is shrunk (a credibility weighting):

    rate = (n x own mean + K x prior) / (n + K)

with ``n`` its open days of history and ``K`` = ``PRIOR_DAYS``. The prior is the median daily rate of the
business's products that do have enough history (what similar products do), or zero when there are none
or when the product's whole history is one selling day (a one-off bulk order says nothing about
tomorrow). The interval runs from zero to above the unshrunk rate, so it says how unsure the forecast is,
and the app gives no reorder advice on it (``SHRUNK``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SHRUNK = "ShrunkMean"
PRIOR_DAYS = 28
Z_95 = 1.96


def shrunk_rates(profiles: pd.DataFrame, short: pd.Index, peer_rates: pd.Series) -> pd.DataFrame:
    """Per short product: ``rate`` (shrunk), ``own`` (its unshrunk mean), ``prior`` and ``one_off``."""
    prior_all = float(peer_rates.median()) if len(peer_rates) else 0.0
    frame = profiles.loc[short, ["history_days", "selling_days", "volume"]].copy()
    frame["own"] = frame["volume"] / frame["history_days"].clip(lower=1)
    frame["one_off"] = frame["selling_days"] <= 1
    frame["prior"] = np.where(frame["one_off"], 0.0, prior_all)
    days = frame["history_days"].astype(float)
    frame["rate"] = (days * frame["own"] + PRIOR_DAYS * frame["prior"]) / (days + PRIOR_DAYS)
    return frame


def apply_shrinkage(selected: pd.DataFrame, rates: pd.DataFrame) -> pd.DataFrame:
    """``selected`` (unique_id, step, predicted, lower, upper, model) with the short products' rows
    replaced by their shrunk rate and a wide interval: from 0 to the larger of the unshrunk rate and the
    shrunk rate's 95% Poisson bound."""
    if rates.empty:
        return selected
    result = selected.copy()
    rows = result["unique_id"].isin(rates.index)
    ids = result.loc[rows, "unique_id"]
    rate = ids.map(rates["rate"]).to_numpy(float)
    own = ids.map(rates["own"]).to_numpy(float)
    result.loc[rows, "predicted"] = rate
    result.loc[rows, "lower"] = 0.0
    result.loc[rows, "upper"] = np.maximum(own, rate + Z_95 * np.sqrt(rate))
    result.loc[rows, "model"] = SHRUNK
    return result


def shrinkage_note(row) -> str:
    toward = "zero (one selling day: a one-off order)" if row.one_off else "similar products of the business"
    return (
        f"only {int(row.history_days)} open days of history, too little to backtest: "
        f"{row.own:.1f} a day shrunk toward {toward} to {row.rate:.1f}; wide interval, no reorder advice"
    )[:255]
