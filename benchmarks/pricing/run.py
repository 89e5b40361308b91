"""Benchmark of ``ml_models.pricing`` on the UCI Online Retail file: naive against controlled elasticities.

Run from the project root::

    .venv/bin/python benchmarks/pricing/run.py [--products 50]

For the ``--products`` stock codes with the most sale lines (non-product codes, cancellations, free and
negative-price lines left out): the naive log-log fit of daily units on the day's average price
(``naive_elasticity``), and the estimate the app uses (``estimate_product``: week x channel x line-size
cells, fixed effects per kind of sale, a trend, weighted least squares). Reported: the median of each,
how many 95% intervals exclude zero, and how many products get a usable estimate. Figures are printed
and written to ``benchmarks/pricing/results/latest.json`` (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

from ml_models.pricing import estimate_product, naive_elasticity, sale_cells  # noqa: E402

DATASET = Path("/work/shared/datasets/online_retail/online_retail.csv.gz")
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
NOT_PRODUCTS = {"POST", "DOT", "M", "D", "C2", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "S", "B"}


def read_lines() -> pd.DataFrame:
    raw = pd.read_csv(DATASET, dtype={"StockCode": str, "InvoiceNo": str, "CustomerID": str})
    raw = raw[
        ~raw["InvoiceNo"].str.startswith(("C", "A"))
        & (raw["Quantity"] > 0)
        & (raw["UnitPrice"] > 0)
        & ~raw["StockCode"].isin(NOT_PRODUCTS)
        & ~raw["StockCode"].str.startswith("gift_")
    ]
    return pd.DataFrame(
        {
            "product_id": raw["StockCode"],
            "timestamp": pd.to_datetime(raw["InvoiceDate"], utc=True),
            "quantity": raw["Quantity"].astype(int),
            "unit_price": raw["UnitPrice"].astype(float),
            "identified": raw["CustomerID"].notna(),
        }
    )


def naive_interval(lines: pd.DataFrame) -> tuple[float, float]:
    sold = lines.copy()
    sold["day"] = sold["timestamp"].dt.floor("D")
    sold["revenue"] = sold["quantity"] * sold["unit_price"]
    days = sold.groupby("day").agg(units=("quantity", "sum"), revenue=("revenue", "sum"))
    x = sm.add_constant(np.log((days["revenue"] / days["units"]).to_numpy(float)))
    low, high = sm.OLS(np.log(days["units"].to_numpy(float)), x).fit().conf_int()[1]
    return float(low), float(high)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=50)
    args = parser.parse_args()
    started = time.perf_counter()
    lines = read_lines()
    top = lines["product_id"].value_counts().head(args.products).index
    naive, controlled, naive_excludes, usable, excludes = [], [], 0, 0, 0
    verdicts: dict[str, int] = {}
    fit_started = time.perf_counter()
    cells = sale_cells(lines[lines["product_id"].isin(top)])
    for code in top:
        product = lines[lines["product_id"] == code]
        naive.append(naive_elasticity(product))
        low, high = naive_interval(product)
        naive_excludes += not (low <= 0 <= high)
        estimate = estimate_product(0, cells[cells["product_id"] == code])
        verdicts[estimate.verdict] = verdicts.get(estimate.verdict, 0) + 1
        if estimate.elasticity is not None:
            controlled.append(estimate.elasticity)
            excludes += not (estimate.lower <= 0 <= estimate.upper)
        usable += estimate.usable
    figures = {
        "products": len(top),
        "naive_median": round(statistics.median(naive), 2),
        "naive_intervals_excluding_zero": naive_excludes,
        "controlled_median": round(statistics.median(controlled), 2) if controlled else None,
        "controlled_fitted": len(controlled),
        "controlled_intervals_excluding_zero": excludes,
        "usable_for_suggestions": usable,
        "verdicts": verdicts,
        "fit_seconds": round(time.perf_counter() - fit_started, 1),
        "total_seconds": round(time.perf_counter() - started, 1),
        "load_average": os.getloadavg()[0],
    }
    print(json.dumps(figures, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
