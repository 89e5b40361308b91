"""Recency, frequency and monetary value per customer."""

from __future__ import annotations

import pandas as pd

from ml_models.churn._lines import DAY, PreparedLines, invoice_table, normalise_timestamp, prepare_lines

RFM_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "first_purchase",
    "last_purchase",
    "average_order_value",
    "tenure_days",
)


def rfm_table(lines: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """Return one row per identified customer with a purchase, with their RFM figures as of ``as_of``.

    Only lines with ``timestamp <= as_of`` count; anonymous lines (null ``customer_id``) are dropped.
    A purchase is an invoice whose net amount is positive, so a cancellation invoice or a pure return
    is not one (a cancellation invoice is not linked to the invoice it cancels, which stays a purchase).

    Columns (index ``customer_id``, sorted):

    - ``recency_days``: whole days from the last purchase to ``as_of`` (``int64``)
    - ``frequency``: number of distinct purchase invoices (``int64``, at least 1)
    - ``monetary``: net spend, all of the customer's lines including returns and cancellations, to the
      cent; it can be zero or negative when a customer returned everything
    - ``first_purchase``, ``last_purchase``: timestamps (naive UTC) of the first and last purchase
    - ``average_order_value``: ``monetary / frequency``
    - ``tenure_days``: whole days from the first purchase to ``as_of`` (``int64``)

    A customer whose only lines are returns or cancellations (say, of a purchase made before the data
    starts) has no purchase to measure and is left out.
    """
    as_of = normalise_timestamp(as_of)
    return rfm_from_prepared(prepare_lines(lines), as_of)


def rfm_from_prepared(prepared: PreparedLines, as_of: pd.Timestamp) -> pd.DataFrame:
    """``rfm_table`` on already prepared lines (lets callers prepare once and compute several tables)."""
    invoices = invoice_table(prepared, as_of)
    purchases = invoices.loc[invoices["is_purchase"]]
    by_customer = purchases.groupby("customer")["timestamp"]
    table = pd.DataFrame({"frequency": by_customer.size().astype("int64")})
    table["monetary"] = invoices.groupby("customer")["net"].sum().reindex(table.index).round(2)
    table["first_purchase"] = by_customer.min()
    table["last_purchase"] = by_customer.max()
    table["recency_days"] = _whole_days(as_of - table["last_purchase"])
    table["tenure_days"] = _whole_days(as_of - table["first_purchase"])
    table["average_order_value"] = table["monetary"] / table["frequency"]
    table.index = pd.Index(prepared.customer_ids[table.index.to_numpy()], name="customer_id")
    return table.loc[:, list(RFM_COLUMNS)]


def _whole_days(durations: pd.Series) -> pd.Series:
    return (durations // DAY).astype("int64")
