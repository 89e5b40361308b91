"""Forecast benchmark on the UCI Online Retail file (run by hand, takes ~15 minutes with Prophet).

    .venv/bin/python benchmarks/forecast/run.py                 # holdout = the last 28 days
    .venv/bin/python benchmarks/forecast/run.py --cutoff 2011-10-14 --skip-prophet   # dev split

Holds out the last ``--holdout-days`` calendar days (or everything after ``--cutoff``), builds
daily demand from the rest, and scores against the holdout's actual daily demand:

* the chosen models (``select_and_forecast``, the refresh the app runs, default settings);
* Prophet alone on every product (same capped input; ``--prophet-raw`` adds raw input);
* two baselines on the raw demand: seasonal naive (last week repeated) and the same weekday's
  mean over the last 8 weeks.

Measures: daily WAPE (sum |actual - predicted| / sum actual over all product-days) and the WAPE
of each product's total over the holdout, over all products with training history and over the
200 best sellers (units in the training period). Also the wall time of the refresh on the
training data, and of a full refresh (all data, horizons 7/30/90) as a merchant would run today.
Results go to stdout (markdown) and benchmarks/forecast/results/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ml_models.forecasting import (  # noqa: E402 - after the path set-up above
    ProphetModel,
    SeasonalNaive,
    WeekdayMean,
    build_daily_demand,
    cap_spikes,
    forecast_with,
    select_and_forecast,
)
from project.common.datasets import online_retail_path  # noqa: E402

DATA = online_retail_path()
RESULTS = Path(__file__).resolve().parent / "results"
# A product is a StockCode that starts with five digits (the catalogue's format, e.g. 85123A).
# That drops the no-digit codes (POST, DOT, M, D, S, B, BANK CHARGES, AMAZONFEE, CRUK, PADS,
# DCGSSBOY, ...) and the other non-products that do contain digits: C2 (carriage), the
# gift_0001_* vouchers and the DCGS0* "dotcom" one-offs.
PRODUCT_CODE = r"^\d{5}"


def load_sales(path: Path = DATA) -> pd.DataFrame:
    """Sales lines of real products: DataFrame[product_id, date, quantity].

    Lines with a zero price are left out: in this file they are stock write-offs and corrections
    ("damaged", "lost", no customer), not customer sales or returns.
    """
    lines = pd.read_csv(
        path,
        usecols=["StockCode", "Quantity", "InvoiceDate", "UnitPrice"],
        dtype={"StockCode": str},
    )
    lines = lines[lines["StockCode"].str.match(PRODUCT_CODE) & (lines["UnitPrice"] > 0)]
    return pd.DataFrame(
        {
            "product_id": lines["StockCode"].to_numpy(),
            "date": pd.to_datetime(lines["InvoiceDate"]).to_numpy(),
            "quantity": lines["Quantity"].to_numpy(),
        }
    )


def score(points: pd.DataFrame, actual: pd.DataFrame, top: pd.Index) -> dict[str, float]:
    """Daily and total WAPE over all products and the best sellers."""
    frame = points[["unique_id", "ds", "predicted"]].merge(actual, on=["unique_id", "ds"], how="left")
    frame["actual"] = frame["actual"].fillna(0.0)
    result = {}
    for label, subset in (("all", frame), ("top200", frame[frame["unique_id"].isin(top)])):
        error = (subset["actual"] - subset["predicted"]).abs().sum()
        totals = subset.groupby("unique_id")[["actual", "predicted"]].sum()
        result[f"{label}_daily_wape"] = float(error / subset["actual"].sum())
        result[f"{label}_total_wape"] = float(
            (totals["actual"] - totals["predicted"]).abs().sum() / totals["actual"].sum()
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--holdout-days", type=int, default=28)
    parser.add_argument("--cutoff", help="last training day (default: latest sale date - holdout days)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--skip-prophet", action="store_true", help="skip Prophet alone (several minutes)")
    parser.add_argument("--prophet-raw", action="store_true", help="also run Prophet alone on raw demand")
    parser.add_argument("--skip-full-refresh", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    sales = load_sales()
    today = sales["date"].max().normalize()
    cutoff = pd.Timestamp(args.cutoff) if args.cutoff else today - pd.Timedelta(days=args.holdout_days)
    holdout_end = cutoff + pd.Timedelta(days=args.holdout_days)
    print(
        f"loaded {len(sales):,} product lines in {time.perf_counter() - started:.1f} s; "
        f"training to {cutoff:%Y-%m-%d}, "
        f"holdout {cutoff + pd.Timedelta(days=1):%Y-%m-%d}..{holdout_end:%Y-%m-%d}"
    )

    build_started = time.perf_counter()
    train = build_daily_demand(sales[sales["date"] < cutoff + pd.Timedelta(days=1)], end_date=cutoff)
    build_seconds = time.perf_counter() - build_started
    # Actual daily demand of the holdout, built the same way over the whole file; a product that
    # first sold inside the holdout has no forecast and is left out (counted below).
    full = build_daily_demand(sales, end_date=today)
    actual = full[(full["ds"] > cutoff) & (full["ds"] <= holdout_end)].rename(columns={"y": "actual"})
    new_products = actual.loc[~actual["unique_id"].isin(train["unique_id"]), "unique_id"].unique()
    new_units = actual.loc[actual["unique_id"].isin(new_products), "actual"].sum()
    actual = actual[actual["unique_id"].isin(train["unique_id"])]
    top = train.groupby("unique_id")["y"].sum().nlargest(200).index
    products = train["unique_id"].nunique()
    print(
        f"{products:,} products with training history ({build_seconds:.1f} s to build); "
        f"{len(new_products)} products first sold in the holdout ({new_units:,.0f} units) are not scored"
    )

    def window(points: pd.DataFrame) -> pd.DataFrame:
        return points[points["ds"] <= holdout_end]

    results: dict[str, dict] = {}
    refresh_started = time.perf_counter()
    chosen = select_and_forecast(train, horizons=(7, 30, 90), n_jobs=args.n_jobs)
    refresh_seconds = time.perf_counter() - refresh_started
    results["chosen models"] = score(window(chosen.points), actual, top)
    results["chosen models"]["seconds"] = refresh_seconds
    print(f"refresh on the training data: {refresh_seconds:.1f} s {chosen.timings}")
    results["chosen models"]["timings"] = chosen.timings
    print(chosen.choices["model"].value_counts().to_string())

    for model in (SeasonalNaive(), WeekdayMean(weeks=8)):
        baseline_started = time.perf_counter()
        points = forecast_with(model, train, args.holdout_days, n_jobs=args.n_jobs)
        results[f"baseline {model.name}"] = score(points, actual, top)
        results[f"baseline {model.name}"]["seconds"] = time.perf_counter() - baseline_started

    prophet_inputs = [] if args.skip_prophet else [("Prophet alone (capped input)", cap_spikes(train))]
    if args.prophet_raw:
        prophet_inputs.append(("Prophet alone (raw input)", train))
    for label, demand in prophet_inputs:
        prophet_started = time.perf_counter()
        points = forecast_with(ProphetModel(), demand, args.holdout_days, n_jobs=args.n_jobs)
        results[label] = score(points, actual, top)
        results[label]["seconds"] = time.perf_counter() - prophet_started
        print(f"{label}: {results[label]['seconds']:.0f} s")

    full_refresh = {}
    if not args.skip_full_refresh:
        refresh_started = time.perf_counter()
        demand_today = build_daily_demand(sales, end_date=today)
        built = time.perf_counter() - refresh_started
        today_result = select_and_forecast(demand_today, horizons=(7, 30, 90), n_jobs=args.n_jobs)
        total_seconds = time.perf_counter() - refresh_started
        scores = today_result.scores.pivot(index="unique_id", columns="model", values="mase")
        prophet_scores = scores.dropna(subset=["Prophet"]) if "Prophet" in scores else scores.iloc[:0]
        full_refresh = {
            "products": int(demand_today["unique_id"].nunique()),
            "build_seconds": built,
            "select_and_forecast_seconds": today_result.seconds,
            "timings": today_result.timings,
            "total_seconds": total_seconds,
            "models": today_result.choices["model"].value_counts().to_dict(),
            # Where Prophet was a candidate: how it did against the ensemble it had to beat.
            "prophet_products": len(prophet_scores),
            "prophet_median_mase": float(prophet_scores["Prophet"].median()) if len(prophet_scores) else None,
            "ensemble_median_mase_same_products": (
                float(prophet_scores["Ensemble"].median()) if len(prophet_scores) else None
            ),
        }
        print(f"full refresh to {today:%Y-%m-%d}: {full_refresh}")

    print("\n| method | all: daily WAPE | all: total WAPE | top 200: daily | top 200: total | seconds |")
    print("|---|---|---|---|---|---|")
    for label, figures in results.items():
        print(
            f"| {label} | {figures['all_daily_wape']:.3f} | {figures['all_total_wape']:.3f} | "
            f"{figures['top200_daily_wape']:.3f} | {figures['top200_total_wape']:.3f} | "
            f"{figures['seconds']:.1f} |"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-cutoff-{cutoff:%Y%m%d}.json"
    out.write_text(
        json.dumps(
            {
                "cutoff": f"{cutoff:%Y-%m-%d}",
                "holdout_days": args.holdout_days,
                "products": products,
                "cpu_count": os.cpu_count(),
                "n_jobs": args.n_jobs,
                "load_average": os.getloadavg(),
                "results": results,
                "chosen_models": chosen.choices["model"].value_counts().to_dict(),
                "full_refresh": full_refresh,
                "seconds": time.perf_counter() - started,
            },
            indent=2,
            default=float,
        )
    )
    print(f"\nwritten {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
