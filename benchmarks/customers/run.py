"""Benchmark of ``ml_models.churn`` on the UCI Online Retail file (541,909 sale lines, 2010-12 to 2011-12).

Run from the project root::

    .venv/bin/python benchmarks/customers/run.py

1. Churn: ``score_customers`` on the lines dated up to 2011-09-09 (end of day) only, so the model trains
   with its own time split inside that window; the label is "no purchase from 2011-09-10 to 2011-12-09",
   computed here from the raw file. Reported: the AUC of ``churn_probability`` against the AUC of
   ``recency_days`` alone, over the customers with a purchase by 2011-09-09.
2. Speed: the whole ``score_customers`` call on the full file (every customer, as of the last day),
   median of ``--repeats`` runs, after one untimed warm-up run.

Figures are printed and written to ``benchmarks/customers/results/latest.json`` (not committed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import roc_auc_score

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

from ml_models.churn import score_customers, segment_summary  # noqa: E402
from project.common.datasets import online_retail_path  # noqa: E402

DATASET = online_retail_path()
FEATURES_AS_OF = pd.Timestamp("2011-09-09 23:59:59.999999")
LABEL_END = pd.Timestamp("2011-12-09 23:59:59.999999")
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def load_lines(path: Path) -> pd.DataFrame:
    """The file as sale lines ``[customer_id, invoice, timestamp, amount]`` (the file is only read)."""
    raw = pd.read_csv(
        path,
        usecols=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
        dtype={"InvoiceNo": "string", "Quantity": "int64", "UnitPrice": "float64", "CustomerID": "float64"},
        parse_dates=["InvoiceDate"],
    )
    return pd.DataFrame(
        {
            # "17850.0" or empty: float with NaN for anonymous sales; the package restores integer ids.
            "customer_id": raw["CustomerID"],
            "invoice": raw["InvoiceNo"],
            "timestamp": raw["InvoiceDate"],
            "amount": raw["Quantity"] * raw["UnitPrice"],
        }
    )


def churn_labels(lines: pd.DataFrame, customers: pd.Index) -> pd.Series:
    """1 when the customer made no purchase in (FEATURES_AS_OF, LABEL_END], from the raw lines.

    Written independently of the package: a purchase is an invoice with a positive net amount.
    """
    window = lines.loc[
        (lines["timestamp"] > FEATURES_AS_OF)
        & (lines["timestamp"] <= LABEL_END)
        & lines["customer_id"].notna()
    ]
    invoice_net = window.groupby(["customer_id", "invoice"])["amount"].sum()
    buyers = set(invoice_net[invoice_net > 0].index.get_level_values("customer_id").astype("int64"))
    return pd.Series(
        [0 if customer in buyers else 1 for customer in customers], index=customers, name="churned"
    )


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of the full scoring (default 5)")
    arguments = parser.parse_args()
    host = machine()

    lines, load_seconds = timed(load_lines, DATASET)
    print(f"Loaded {len(lines):,} lines in {load_seconds:.1f} s; {host['cores']} cores, {host['cpu']}")
    print(f"Load average at start: {host['load_average_at_start']}")

    # 1. Churn quality: nothing after 2011-09-09 is handed over.
    history = lines.loc[lines["timestamp"] <= FEATURES_AS_OF]
    scores, evaluation_seconds = timed(score_customers, history, as_of=FEATURES_AS_OF)
    customers = scores.customers
    churned = churn_labels(lines, customers.index)
    model_auc = roc_auc_score(churned, customers["churn_probability"])
    recency_auc = roc_auc_score(churned, customers["recency_days"])
    label_start = FEATURES_AS_OF + pd.Timedelta(days=1)
    window = f"{label_start:%Y-%m-%d} to {LABEL_END:%Y-%m-%d}"
    print(f"\nChurn as of {FEATURES_AS_OF:%Y-%m-%d}; churned = no purchase {window}")
    print(f"  customers: {len(customers):,}; churned: {churned.mean():.1%}")
    print(f"  method: {scores.method}; validation AUC (inside the window): {scores.validation_auc:.3f}")
    print(f"  note: {scores.note}")
    print(f"  AUC churn_probability: {model_auc:.4f}")
    print(f"  AUC recency_days:      {recency_auc:.4f}")
    print(f"  difference: {model_auc - recency_auc:+.4f} (goal: >= +0.05)")
    risk_rates = customers.assign(churned=churned).groupby("churn_risk")["churned"].agg(["size", "mean"])
    print("  observed churn by risk band:\n" + risk_rates.round(3).to_string())

    # 2. Speed: every customer, the whole call.
    score_customers(lines, as_of=LABEL_END)
    runs = []
    for _ in range(arguments.repeats):
        full, seconds = timed(score_customers, lines, as_of=LABEL_END)
        runs.append(seconds)
    print(f"\nScoring all {len(full.customers):,} customers with a purchase (as of {LABEL_END:%Y-%m-%d}):")
    median = statistics.median(runs)
    print(f"  median {median:.2f} s, min {min(runs):.2f} s, max {max(runs):.2f} s (goal: < 5 s)")
    print(f"  method: {full.method}; validation AUC {full.validation_auc:.3f}; CLV: {full.clv_method}")
    summary = segment_summary(full, lines)
    print(summary.drop(columns="suggested_offer").round(3).to_string())

    results = {
        "machine": host,
        "command": ".venv/bin/python benchmarks/customers/run.py",
        "load_seconds": round(load_seconds, 2),
        "churn": {
            "features_as_of": str(FEATURES_AS_OF),
            "label_end": str(LABEL_END),
            "customers": len(customers),
            "churn_rate": round(float(churned.mean()), 4),
            "method": scores.method,
            "validation_auc": scores.validation_auc,
            "note": scores.note,
            "auc_model": round(float(model_auc), 4),
            "auc_recency": round(float(recency_auc), 4),
            "auc_difference": round(float(model_auc - recency_auc), 4),
            "scoring_seconds": round(evaluation_seconds, 2),
        },
        "speed": {
            "customers": len(full.customers),
            "distinct_customer_ids_in_file": int(lines["customer_id"].nunique()),
            "runs_seconds": [round(seconds, 2) for seconds in runs],
            "median_seconds": round(statistics.median(runs), 2),
            "method": full.method,
            "validation_auc": full.validation_auc,
            "clv_method": full.clv_method,
        },
        "segments": summary.drop(columns="suggested_offer").round(4).reset_index().to_dict(orient="records"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nWritten to {RESULTS.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
