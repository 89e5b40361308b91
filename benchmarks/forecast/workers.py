"""A forecast run of the whole Online Retail file through real workers: one worker process, then two.

    export DATABASE_URL=postgres://… REDIS_URL=redis://…/N      # a database and Redis db of your own
    .venv/bin/python benchmarks/forecast/workers.py [--workers 1 2] [--batch-products 500]

Imports the file once (the upload service in the foreground) into a business named
``forecast-benchmark``, then for each worker count starts that many ``celery -A project worker -Q ml
-c 1`` processes, runs one forecast run to warm them up (imports, compiled model code, Prophet's
first fit) and times a second one from the moment it is queued to the moment its last batch ends it.
Prints a markdown table and writes ``benchmarks/forecast/results/<timestamp>-workers.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
os.environ["ML_REFRESH_AFTER_UPLOAD"] = "0"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from accounts.models import Business, Membership, Role, User  # noqa: E402
from apps.forecasting.models import ForecastBatch, ForecastRun  # noqa: E402
from data.ingestion.services import upload_import_path  # noqa: E402
from data.models import Transaction  # noqa: E402
from project.celery import app  # noqa: E402

DATA = Path("/work/shared/datasets/online_retail/online_retail.csv.gz")
RESULTS = Path(__file__).resolve().parent / "results"
NAME = "forecast-benchmark"


def business_with_the_file() -> Business:
    business = Business.objects.filter(name=NAME).first()
    if business is not None and Transaction.objects.for_business(business).exists():
        return business
    business = business or Business.objects.create(name=NAME, timezone="Europe/London")
    user, _ = User.objects.get_or_create(email="forecast-benchmark@example.com", defaults={"name": NAME})
    Membership.objects.get_or_create(business=business, user=user, defaults={"role": Role.OWNER})
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "online_retail.csv"
        with gzip.open(DATA, "rb") as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target)
        upload = upload_import_path(
            business=business, user=user, kind="transactions", path=str(path), options={"date_order": "auto"}
        )
    seconds = time.perf_counter() - started
    print(f"imported {upload.rows_imported:,} lines in {seconds:.0f} s ({upload.status})")
    return business


def start_workers(count: int, batch_products: int) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "FORECAST_BATCH_PRODUCTS": str(batch_products),
    }
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "project",
                "worker",
                "-Q",
                "ml",
                "-c",
                "1",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
                f"--hostname=forecast-benchmark-{number}-{os.getpid()}@localhost",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for number in range(count)
    ]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1) or []) >= count:
            return workers
    raise RuntimeError("the workers did not answer within 300 s")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=60)


def timed_run(business: Business) -> dict:
    ForecastRun.objects.for_business(business).filter(status__in=ForecastRun.RUNNABLE).update(status="failed")
    queued = time.time()
    run = ForecastRun.active_or_create(business=business, trigger=ForecastRun.Trigger.MANUAL)
    while True:
        run.refresh_from_db()
        if run.status in ForecastRun.FINISHED:
            break
        time.sleep(0.5)
    batches = list(ForecastBatch.objects.for_business(business).filter(run=run).order_by("index"))
    durations = [(batch.finished_at - batch.started_at).total_seconds() for batch in batches]
    return {
        "status": run.status,
        "products": run.products_done,
        "batches": len(batches),
        "wall_seconds": run.finished_at.timestamp() - queued,
        "plan_seconds": (min(batch.created_at for batch in batches) - run.started_at).total_seconds(),
        "batch_seconds": durations,
        "batch_seconds_sum": sum(durations),
        "batch_0_seconds": durations[0] if durations else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch-products", type=int, default=settings.FORECAST_BATCH_PRODUCTS)
    args = parser.parse_args()
    if not settings.REDIS_URL:
        raise SystemExit("set REDIS_URL (and DATABASE_URL): the benchmark runs real workers")

    business = business_with_the_file()
    results = {}
    for count in args.workers:
        app.control.purge()
        workers = start_workers(count, args.batch_products)
        try:
            warm_up = timed_run(business)
            load_before = os.getloadavg()
            measured = timed_run(business)
            measured["load_average_before"] = load_before
            measured["load_average_after"] = os.getloadavg()
            measured["warm_up_wall_seconds"] = warm_up["wall_seconds"]
        finally:
            stop_workers(workers)
        results[count] = measured
        print(f"{count} worker(s): {json.dumps(measured, default=float)}")

    print(
        "\n| worker processes (`-c 1` each) | batches | run wall time | plan | sum of batch times | batch 0 |"
    )
    print("|---|---|---|---|---|---|")
    for count, figures in results.items():
        print(
            f"| {count} | {figures['batches']} | {figures['wall_seconds']:.1f} s "
            f"| {figures['plan_seconds']:.1f} s | {figures['batch_seconds_sum']:.1f} s "
            f"| {figures['batch_0_seconds']:.1f} s |"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{time.strftime('%Y%m%d-%H%M%S')}-workers.json"
    out.write_text(
        json.dumps(
            {"cpu_count": os.cpu_count(), "batch_products": args.batch_products, "results": results},
            indent=2,
            default=float,
        )
    )
    print(f"\nwritten {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
