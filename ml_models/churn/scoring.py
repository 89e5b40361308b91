"""The entry point the Django service calls: every score of every customer of one business."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ml_models.churn._lines import normalise_timestamp, prepare_lines, validate_lines
from ml_models.churn.clv import predict_clv
from ml_models.churn.features import features_from_prepared
from ml_models.churn.model import churn_risk, train_from_prepared
from ml_models.churn.rfm import RFM_COLUMNS, rfm_from_prepared
from ml_models.churn.segments import SEGMENTS, segment_customers

CHURN_HORIZON_DAYS = 90
CLV_HORIZON_DAYS = 365

SCORE_COLUMNS = (
    *RFM_COLUMNS,
    "segment",
    "reason",
    "r_score",
    "f_score",
    "m_score",
    "churn_probability",
    "churn_risk",
    "predicted_clv",
)

SUGGESTED_OFFERS = {
    "vip": "Early access to new stock and a personal thank-you; no discounts: they already pay full price.",
    "loyal": "A loyalty perk (points, or a free extra after a few orders) and products that go with theirs.",
    "regular": "A bundle or a free-delivery threshold just above their usual basket, to grow the next order.",
    "new": "A welcome message with a small incentive on a second purchase within 30 days.",
    "at_risk": "A personal win-back offer, time-limited, on the products they used to buy.",
    "lost": "One low-cost reactivation message; spend nothing more on them unless they respond.",
}


@dataclass
class CustomerScores:
    """Scores of every customer of one business who made a purchase, with the run's metadata.

    ``customers`` is indexed by ``customer_id`` with columns ``SCORE_COLUMNS`` (the RFM columns of
    ``rfm_table``, then ``segment``, ``reason``, ``r_score``, ``f_score``, ``m_score``,
    ``churn_probability`` in [0, 1] rounded to 4 places, ``churn_risk`` and ``predicted_clv`` >= 0; no
    nulls). ``method`` is the churn method (``"model"`` or ``"recency_fallback"``), ``validation_auc``
    its out-of-time AUC (``None`` when it could not be measured), ``note`` a sentence for the merchant
    (at most 255 characters), ``clv_method`` the CLV estimates used, ``as_of`` the (naive UTC) moment
    scored, and the horizons in days.
    """

    customers: pd.DataFrame
    method: str
    validation_auc: float | None
    note: str
    clv_method: str
    as_of: pd.Timestamp
    churn_horizon_days: int = CHURN_HORIZON_DAYS
    clv_horizon_days: int = CLV_HORIZON_DAYS


def score_customers(lines: pd.DataFrame, *, as_of, currency_symbol: str = "£") -> CustomerScores:
    """Compute RFM, segment, churn probability and risk, and 12-month predicted CLV for every customer.

    ``lines`` are the business's sale lines ``[customer_id, invoice, timestamp, amount]``; only lines
    dated <= ``as_of`` are used, and anonymous lines never make a customer. Customers whose only lines
    are returns or cancellations are left out (nothing to score). See ``rfm_table``,
    ``segment_customers``, ``train_churn_model`` and ``predict_clv`` for each figure; the churn horizon
    is ``CHURN_HORIZON_DAYS`` (90) and the CLV horizon ``CLV_HORIZON_DAYS`` (365).
    """
    as_of = normalise_timestamp(as_of)
    prepared = prepare_lines(lines)
    rfm = rfm_from_prepared(prepared, as_of)
    features = features_from_prepared(prepared, as_of)
    model = train_from_prepared(prepared, as_of, horizon_days=CHURN_HORIZON_DAYS, current_features=features)
    churn_probability = model.predict(features)
    churn_probability.index = pd.Index(prepared.customer_ids[features.index.to_numpy()], name="customer_id")
    customers = rfm.join(segment_customers(rfm, currency_symbol=currency_symbol))
    customers["churn_probability"] = churn_probability.reindex(customers.index).round(4)
    # Lifetime value follows the churn estimate of the same customer (see predict_clv).
    clv = predict_clv(rfm, horizon_days=CLV_HORIZON_DAYS, churn_probability=customers["churn_probability"])
    customers["churn_risk"] = churn_risk(customers["churn_probability"])
    customers["predicted_clv"] = clv
    return CustomerScores(
        customers=customers.loc[:, list(SCORE_COLUMNS)],
        method=model.method,
        validation_auc=model.validation_auc,
        note=model.note,
        clv_method=clv.attrs.get("method", ""),
        as_of=as_of,
    )


def segment_summary(scores: CustomerScores, lines: pd.DataFrame) -> pd.DataFrame:
    """One row per segment (all of ``SEGMENTS``, in that order, empty ones included).

    Columns:

    - ``count``: customers in the segment
    - ``revenue``: their net revenue up to ``scores.as_of`` (returns deducted)
    - ``revenue_share``: ``revenue`` / net revenue of all *identified* customers, so the shares of the
      six segments add up to 1 (0 for every segment when that total is not positive). Anonymous sales
      belong to no segment; counting them in the denominator would make the shares add up to less than
      1 with nothing to show for the rest.
    - ``share_of_all_revenue``: ``revenue`` / net revenue of all lines including anonymous ones, for
      "what part of the takings does this segment bring"
    - ``average_recency_days``, ``average_frequency``, ``average_monetary``: means over the segment's
      customers (recency over customers with a purchase)
    - ``average_churn_probability``, ``predicted_clv`` (sum over the segment)
    - ``suggested_offer``: one sentence, from ``SUGGESTED_OFFERS``

    The averages of an empty segment are NaN (there is nothing to average); every other column is set.
    """
    customers = scores.customers
    typed = validate_lines(lines)
    all_revenue = float(typed.loc[typed["timestamp"] <= scores.as_of, "amount"].sum())
    grouped = customers.groupby("segment")
    summary = pd.DataFrame(index=pd.Index(SEGMENTS, name="segment"))
    summary["count"] = grouped.size().reindex(summary.index, fill_value=0).astype("int64")
    summary["revenue"] = grouped["monetary"].sum().reindex(summary.index, fill_value=0.0).round(2)
    identified_revenue = float(customers["monetary"].sum())
    summary["revenue_share"] = _share(summary["revenue"], identified_revenue)
    summary["share_of_all_revenue"] = _share(summary["revenue"], all_revenue)
    recency = customers["recency_days"].astype("float64")
    summary["average_recency_days"] = recency.groupby(customers["segment"]).mean().reindex(summary.index)
    summary["average_frequency"] = grouped["frequency"].mean().reindex(summary.index)
    summary["average_monetary"] = grouped["monetary"].mean().reindex(summary.index)
    summary["average_churn_probability"] = grouped["churn_probability"].mean().reindex(summary.index)
    summary["predicted_clv"] = grouped["predicted_clv"].sum().reindex(summary.index, fill_value=0.0)
    summary["suggested_offer"] = [SUGGESTED_OFFERS[segment] for segment in summary.index]
    return summary


def _share(revenue: pd.Series, total: float) -> pd.Series:
    if total <= 0:
        return pd.Series(0.0, index=revenue.index)
    return (revenue / total).round(4)
