"""Per-customer features for the churn model, computed as of a cutoff from lines dated <= the cutoff."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml_models.churn._lines import PreparedLines, invoice_table, normalise_timestamp, prepare_lines

FEATURE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "average_order_value",
    "mean_gap_days",
    "recency_gap_ratio",
    "repeat_customer",
    "purchases_30d",
    "purchases_90d",
    "purchases_180d",
    "spend_90d",
    "return_share",
    "purchase_days",
)

# Used as everybody's typical gap when a business has no repeat customer yet to measure one.
DEFAULT_GAP_DAYS = 90.0


def churn_features(lines: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Return the churn-model features of every identified customer as of ``as_of``.

    Only lines with ``timestamp <= as_of`` are read, so adding sales after ``as_of`` cannot change a
    single value. Index ``customer_id``; columns ``FEATURE_COLUMNS`` (all ``float64``):

    - ``recency_days``, ``tenure_days``: days (fractional) since the last / first purchase. A customer
      with only returns or cancellations has no purchase: both count from their first line instead,
      "no purchase for at least this long".
    - ``frequency`` (purchase invoices), ``monetary`` (net spend), ``average_order_value``
    - ``mean_gap_days``: mean days between purchases; for customers with fewer than two purchases, the
      median of the business's repeat customers (``DEFAULT_GAP_DAYS`` if it has none)
    - ``recency_gap_ratio``: ``recency_days / mean_gap_days``, how overdue the next purchase is
    - ``repeat_customer``: 1 with two or more purchases, else 0
    - ``purchases_30d``, ``purchases_90d``, ``purchases_180d``: purchases in the last 30/90/180 days
    - ``spend_90d``: net amount of all invoices in the last 90 days
    - ``return_share``: returned amount / gross amount bought (0 when nothing was bought)
    - ``purchase_days``: distinct calendar days with a purchase
    """
    prepared = prepare_lines(lines)
    return with_customer_ids(features_from_prepared(prepared, normalise_timestamp(as_of)), prepared)


def typical_gap_days(features: pd.DataFrame) -> float:
    """The business's typical days between purchases: the median ``mean_gap_days`` of repeat customers."""
    repeat = features.loc[features["repeat_customer"] > 0, "mean_gap_days"]
    if repeat.empty:
        return DEFAULT_GAP_DAYS
    return float(max(repeat.median(), 1.0))


def features_from_prepared(prepared: PreparedLines, as_of: pd.Timestamp) -> pd.DataFrame:
    """``churn_features`` on already prepared lines, returned indexed by customer *code*.

    The training code works on codes (cheap to align across cutoffs); ``churn_features`` maps them back.
    """
    return _features_from_invoices(invoice_table(prepared, as_of), as_of)


def _per_customer_extreme(function, codes, values, size, initial) -> np.ndarray:
    result = np.full(size, initial, dtype=np.float64)
    function.at(result, codes, values)
    return result


def _features_from_invoices(invoices: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    # Plain numpy on integer customer codes: this runs once per cutoff, several times per business, and
    # a dozen pandas group-bys cost more than the arithmetic.
    codes = invoices["customer"].to_numpy(dtype=np.int64)
    customers = np.unique(codes)
    size = int(customers.max()) + 1 if len(customers) else 0
    days_before = (np.datetime64(as_of) - invoices["timestamp"].to_numpy()) / np.timedelta64(1, "D")
    is_purchase = invoices["is_purchase"].to_numpy(dtype=bool)
    net = invoices["net"].to_numpy(dtype=np.float64)

    def total(weights) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=size)

    purchase_codes, purchase_days_before = codes[is_purchase], days_before[is_purchase]
    frequency = total(is_purchase.astype(np.float64))
    # Codes of customers absent at this cutoff get 0 rather than an infinity; they are dropped below.
    first_seen = _per_customer_extreme(np.maximum, codes, days_before, size, 0.0)
    recency = _per_customer_extreme(np.minimum, purchase_codes, purchase_days_before, size, np.inf)
    tenure = _per_customer_extreme(np.maximum, purchase_codes, purchase_days_before, size, -np.inf)
    # No purchase yet: count "no purchase for at least this long" from the customer's first line.
    recency = np.where(frequency > 0, recency, first_seen)
    tenure = np.where(frequency > 0, tenure, first_seen)
    monetary = total(net)
    gross = total(invoices["gross"].to_numpy(dtype=np.float64))
    returned = total(invoices["returned"].to_numpy(dtype=np.float64))

    repeat = frequency >= 2
    own_gap = np.divide(tenure - recency, frequency - 1, out=np.full(size, np.nan), where=repeat)
    present_repeat = repeat[customers]
    business_gap = (
        float(max(np.median(own_gap[customers][present_repeat]), 1.0))
        if present_repeat.any()
        else DEFAULT_GAP_DAYS
    )
    mean_gap = np.where(repeat, own_gap, business_gap)

    columns = {
        "recency_days": recency,
        "frequency": frequency,
        "monetary": monetary,
        "tenure_days": tenure,
        "average_order_value": np.divide(monetary, frequency, out=np.zeros(size), where=frequency > 0),
        "mean_gap_days": mean_gap,
        # Same-day purchases make a gap of zero; a one-day floor keeps the ratio finite.
        "recency_gap_ratio": recency / np.clip(mean_gap, 1.0, None),
        "repeat_customer": repeat.astype(np.float64),
    }
    for window in (30, 90, 180):
        columns[f"purchases_{window}d"] = total((is_purchase & (days_before < window)).astype(np.float64))
    columns["spend_90d"] = total(np.where(days_before < 90, net, 0.0))
    columns["return_share"] = np.divide(returned, gross, out=np.zeros(size), where=gross > 0)
    purchase_day = invoices["timestamp"].to_numpy()[is_purchase].astype("datetime64[D]").astype(np.int64)
    distinct_days = np.unique(np.column_stack([purchase_codes, purchase_day]), axis=0)
    columns["purchase_days"] = np.bincount(distinct_days[:, 0], minlength=size).astype(np.float64)
    features = pd.DataFrame(
        {name: values[customers] for name, values in columns.items()},
        index=pd.Index(customers, name="customer"),
    )
    return features.loc[:, list(FEATURE_COLUMNS)]


def with_customer_ids(features: pd.DataFrame, prepared: PreparedLines) -> pd.DataFrame:
    """Replace the customer-code index of ``features`` by the customers' own ids."""
    relabelled = features.copy()
    relabelled.index = pd.Index(prepared.customer_ids[features.index.to_numpy()], name="customer_id")
    return relabelled
