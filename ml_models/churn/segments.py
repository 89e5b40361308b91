"""Rule-based customer segments from RFM quintile scores, each with a human-readable reason.

Scores are quintiles (1-5, 5 best) relative to the business's own customers. Percentiles use
mid-ranks, ``(rank - 0.5) / n`` with tied values sharing their average rank, so ties always get the
same score, the order of the rows never matters, and a tiny business gets
moderate scores (one customer scores 3 on everything; with two customers they score 2 and 4).

Segments, first matching rule wins (the thresholds are the module constants below):

1. ``new`` when the first purchase is at most ``NEW_CUSTOMER_DAYS`` old.
2. The customer has *lapsed* when ``r_score <= 2`` (bottom 40% on recency) and the last purchase is
   older than both ``ACTIVE_DAYS`` and their usual gap between orders, or whenever the last purchase is
   more than ``LAPSED_DAYS`` old. The usual gap is the customer's own mean gap (2+ orders) or, for a
   one-off buyer, the median gap of the business's repeat customers. The absolute limits keep relative
   scores sensible: in a business where everybody bought this month nobody has lapsed, a customer who
   orders twice a year is not lapsed 40 days after an order, and a single customer who bought once two
   years ago has lapsed.

   - ``at_risk``: lapsed, a repeat customer (2+ orders), top 40% on orders or on spend, and the last
     purchase no more than ``LAPSED_DAYS`` ago: a relationship worth a win-back offer.
   - ``lost``: every other lapsed customer (for example a one-off buyer from long ago).
3. Active customers:

   - ``vip``: top 20% on orders and on spend and top 40% on recency. A business needs at least three
     customers for anyone to score 5, so with one or two customers nobody is a VIP.
   - ``loyal``: top 40% on orders.
   - ``regular``: everybody else.

This module is deliberately not k-means: the rules above are deterministic, need no minimum number of
customers, and every label can be explained from the three scores shown next to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = ("vip", "loyal", "regular", "new", "at_risk", "lost")

NEW_CUSTOMER_DAYS = 30
ACTIVE_DAYS = 30
LAPSED_DAYS = 365
SMALL_BUSINESS_CUSTOMERS = 5

_SCORE_PHRASES = {5: "top 20%", 4: "top 40%", 3: "middle 20%", 2: "bottom 40%", 1: "bottom 20%"}


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """Score each value 1-5 by its mid-rank percentile among ``values`` (ties share a score)."""
    if values.empty:
        return pd.Series(dtype="int64", index=values.index)
    ordered = values if higher_is_better else -values
    percentile = (ordered.rank(method="average") - 0.5) / len(values)
    scores = np.clip(np.floor(percentile.to_numpy(dtype=float) * 5).astype(np.int64) + 1, 1, 5)
    return pd.Series(scores, index=values.index, dtype="int64")


def segment_customers(rfm: pd.DataFrame, *, currency_symbol: str = "£") -> pd.DataFrame:
    """Assign each customer of ``rfm`` (as returned by ``rfm_table``) a segment and a reason.

    Returns a DataFrame with the same index and columns ``segment`` (one of ``SEGMENTS``), ``reason``
    (one sentence, at most 255 characters), ``r_score``, ``f_score`` and ``m_score`` (1-5, 5 best).
    """
    scores = pd.DataFrame(index=rfm.index)
    scores["r_score"] = quintile_scores(rfm["recency_days"].astype("float64"), higher_is_better=False)
    scores["f_score"] = quintile_scores(rfm["frequency"].astype("float64"))
    scores["m_score"] = quintile_scores(rfm["monetary"].astype("float64"))
    usual_gap = _usual_gap_days(rfm)
    comparison_note = ""
    if len(rfm) < SMALL_BUSINESS_CUSTOMERS:
        comparison_note = f" (only {len(rfm)} customer{'s' if len(rfm) != 1 else ''} to compare with)"

    segments: list[str] = []
    reasons: list[str] = []
    for row, score, gap in zip(
        rfm.itertuples(index=False), scores.itertuples(index=False), usual_gap, strict=True
    ):
        segment, explanation = _classify(row, score, gap)
        segments.append(segment)
        reasons.append(_reason(row, explanation, currency_symbol, comparison_note)[:255])
    scores.insert(0, "segment", pd.Series(segments, index=rfm.index, dtype=object))
    scores.insert(1, "reason", pd.Series(reasons, index=rfm.index, dtype=object))
    return scores


def _usual_gap_days(rfm: pd.DataFrame) -> np.ndarray:
    frequency = rfm["frequency"].to_numpy(dtype="float64")
    span = (rfm["tenure_days"].astype("float64") - rfm["recency_days"].astype("float64")).to_numpy()
    repeat = frequency >= 2
    own_gap = np.full(len(rfm), np.nan)
    own_gap[repeat] = span[repeat] / (frequency[repeat] - 1)
    business_gap = float(np.median(own_gap[repeat])) if repeat.any() else 0.0
    return np.where(repeat, own_gap, business_gap)


def _classify(row, score, usual_gap: float) -> tuple[str, str]:
    r, f, m = score.r_score, score.f_score, score.m_score
    recency = int(row.recency_days)
    if int(row.tenure_days) <= NEW_CUSTOMER_DAYS:
        return "new", f"first purchase {_days_ago(int(row.tenure_days))}, within {NEW_CUSTOMER_DAYS} days"
    lapsed = (r <= 2 and recency > max(ACTIVE_DAYS, usual_gap)) or recency > LAPSED_DAYS
    if lapsed:
        valuable = row.frequency >= 2 and (f >= 4 or m >= 4)
        if valuable and recency <= LAPSED_DAYS:
            return "at_risk", (
                f"a repeat customer ({_phrase(f)} on orders, {_phrase(m)} on spend) gone quiet "
                f"({_phrase(r)} on recency; usually orders {_every(usual_gap)})"
            )
        if recency > LAPSED_DAYS:
            return "lost", "no purchase for over a year"
        if row.frequency == 1:
            return "lost", f"a one-off buyer, {_phrase(r)} on recency"
        return "lost", f"{_phrase(r)} on recency and not in the top 40% on orders or spend"
    if f == 5 and m == 5 and r >= 4:
        if r == 5:
            return "vip", "top 20% on all three"
        return "vip", f"top 20% on orders and spend, {_phrase(r)} on recency"
    if r <= 2:
        rhythm = (
            f"usually orders {_every(usual_gap)}"
            if row.frequency >= 2
            else f"repeat customers order {_every(usual_gap)}"
        )
        recent = f"{_phrase(r)} on recency but not overdue ({rhythm})"
    else:
        recent = f"{_phrase(r)} on recency"
    if f >= 4:
        return "loyal", f"buys often ({_phrase(f)} on orders), {recent}"
    return "regular", f"{recent}, {_phrase(f)} on orders, {_phrase(m)} on spend"


def _reason(row, explanation: str, currency_symbol: str, comparison_note: str) -> str:
    money = _money(float(row.monetary), currency_symbol)
    orders = "1 order" if row.frequency == 1 else f"{row.frequency:,} orders"
    bought = _days_ago(int(row.recency_days))
    return f"Bought {bought}, {orders}, {money} spent: {explanation}{comparison_note}"


def _phrase(score: int) -> str:
    return _SCORE_PHRASES[int(score)]


def _days_ago(days: int) -> str:
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days:,} days ago"


def _every(gap_days: float) -> str:
    return "every day" if gap_days < 1.5 else f"every {gap_days:,.0f} days"


def _money(amount: float, currency_symbol: str) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency_symbol}{abs(amount):,.0f}"
