"""Sale-line builders for the churn tests: hand-written lines and a synthetic population."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["customer_id", "invoice", "timestamp", "amount"]


def sale_lines(*rows) -> pd.DataFrame:
    """Build sale lines from ``(customer_id, invoice, timestamp, amount)`` tuples."""
    lines = pd.DataFrame(list(rows), columns=COLUMNS)
    lines["timestamp"] = pd.to_datetime(lines["timestamp"], format="mixed")
    return lines


def purchases(
    customer_id, days_before: list[float], *, as_of, amount: float = 50.0, prefix: str = ""
) -> list:
    """One single-line purchase invoice per entry of ``days_before`` (days before ``as_of``)."""
    as_of = pd.Timestamp(as_of)
    return [
        (customer_id, f"{prefix}{customer_id}-{index}", as_of - pd.Timedelta(days=days), amount)
        for index, days in enumerate(days_before)
    ]


def synthetic_population(
    *,
    customers: int = 400,
    start: str = "2023-01-01",
    end: str = "2024-09-30",
    seed: int = 0,
) -> pd.DataFrame:
    """Customers who buy at their own pace until they drop out, at a random time, for good.

    Each customer joins at a uniform time in the first two thirds of the period, buys with exponential
    gaps (mean 10-60 days) and is active for an exponential lifetime (mean 250 days), so whether they
    have dropped out shows in their recency relative to their own rhythm: churners are distinguishable.
    Order values are lognormal around 40. Returns sale lines sorted by timestamp.
    """
    rng = np.random.default_rng(seed)
    start_time = pd.Timestamp(start)
    period_days = (pd.Timestamp(end) - start_time) / pd.Timedelta(days=1)
    rows = []
    for customer in range(customers):
        joined = rng.uniform(0, period_days * 2 / 3)
        mean_gap = rng.uniform(10, 60)
        leaves = joined + rng.exponential(250)
        day = joined
        number = 0
        while day <= min(leaves, period_days):
            amount = round(float(rng.lognormal(np.log(40), 0.5)), 2)
            rows.append(
                (1000 + customer, f"S{customer}-{number}", start_time + pd.Timedelta(days=day), amount)
            )
            number += 1
            day += rng.exponential(mean_gap)
    lines = pd.DataFrame(rows, columns=COLUMNS)
    return lines.sort_values("timestamp", kind="stable").reset_index(drop=True)
