"""Ingestion benchmark: the whole UCI Online Retail file through the API to a real worker on PostgreSQL.

Run by hand (it creates and drops its own database, ``smart_market_bench``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/smart_market_bench \\
    REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python benchmarks/ingest/run.py

It reports, in one run: end-to-end rows/s (POST of the file until the upload is completed) and the
worker's peak memory; the ceiling (plain COPY of the same parsed rows into a bare table with the same
indexes as ``data_transaction``); and the naive way (per-row ORM saves on a 5,000-row slice).
"""

import contextlib
import gzip
import io
import os
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from project.common.datasets import online_retail_path  # noqa: E402

DATASET = online_retail_path()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings_test")
os.environ["ML_REFRESH_AFTER_UPLOAD"] = "0"  # measure ingestion alone


def recreate_database(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: see the module docstring.")
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    workdir = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    from django.conf import settings

    settings.MEDIA_ROOT = os.environ["MEDIA_ROOT"]
    csv_path = workdir / "online_retail.csv"
    with gzip.open(DATASET, "rb") as source, open(csv_path, "wb") as target:
        shutil.copyfileobj(source, target)

    figures = {}
    figures.update(end_to_end(csv_path, workdir))
    figures.update(copy_ceiling(csv_path))
    figures.update(naive_orm(csv_path, workdir))
    for key, value in figures.items():
        print(f"{key:>32}: {value}")
    shutil.rmtree(workdir, ignore_errors=True)


def end_to_end(csv_path: Path, workdir: Path) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.services import user_register
    from data.models import Transaction, UploadRecord
    from project.celery import app
    from tests.worker import WorkerProcess

    user, business = user_register(
        email="bench@example.com", password="bench-password-1234", name="Bench", business_name="Bench"
    )
    app.control.purge()
    worker = WorkerProcess(
        log_path=workdir / "worker.log", extra_env={"ML_REFRESH_AFTER_UPLOAD": "0"}
    ).start()
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        content = csv_path.read_bytes()
        client.get("/api/health/")  # a running server has imported its URLconf before the upload arrives
        started = time.perf_counter()
        response = client.post(
            "/api/data/upload/transactions/",
            {"file": SimpleUploadedFile("online_retail.csv", content)},
            format="multipart",
        )
        answered = time.perf_counter() - started
        upload_id = response.json()["id"]
        peak = 0.0
        while True:
            upload = UploadRecord.objects.unscoped().get(pk=upload_id)
            for child in worker.pool_children():
                with contextlib.suppress(OSError):  # the child may exit between listing and reading
                    peak = max(peak, peak_rss_mb(child))
            if upload.status in {"completed", "failed"}:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        worker.stop()
    lines = Transaction.objects.for_business(business).count()
    return {
        "rows in the file": upload.rows_total,
        "rows imported": upload.rows_imported,
        "rows failed (row errors)": upload.rows_failed,
        "transactions stored": lines,
        "end-to-end seconds": round(elapsed, 2),
        "end-to-end rows/s": round(upload.rows_total / elapsed),
        "  of which the request (s)": round(answered, 2),
        "  of which the worker (s)": round((upload.finished_at - upload.started_at).total_seconds(), 2),
        "worker peak RSS MB": round(peak, 1),
    }


def _parsed_rows(csv_path: Path):
    from data.parsing import open_transaction_file

    with open_transaction_file(str(csv_path)) as reader:
        yield from (chunk.rows for chunk in reader)


def copy_ceiling(csv_path: Path) -> dict:
    """Plain COPY of the same parsed rows into a bare table with data_transaction's indexes (no FKs)."""
    from django.db import connection

    frames = list(_parsed_rows(csv_path))
    columns = [
        "invoice",
        "sku",
        "quantity",
        "unit_price",
        "total",
        "timestamp",
        "customer_id",
        "country",
        "line_key",
    ]
    buffers = []
    for frame in frames:
        buffer = io.StringIO()
        frame[columns].to_csv(buffer, header=False, index=False, date_format="%Y-%m-%d %H:%M:%S")
        buffers.append(buffer.getvalue())
    rows = sum(len(frame) for frame in frames)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute(
            """CREATE TABLE bench_copy (id bigserial PRIMARY KEY, business_id bigint NOT NULL DEFAULT 1,
               invoice text, sku text, quantity integer, unit_price numeric(14,2), total numeric(14,2),
               "timestamp" timestamptz, customer_id text, country text, line_key text)"""
        )
        cursor.execute("CREATE UNIQUE INDEX ON bench_copy (business_id, line_key)")
        cursor.execute('CREATE INDEX ON bench_copy (business_id, "timestamp")')
        cursor.execute('CREATE INDEX ON bench_copy (business_id, sku, "timestamp")')
        cursor.execute('CREATE INDEX ON bench_copy (business_id, customer_id, "timestamp")')
        cursor.execute("CREATE INDEX ON bench_copy (business_id, invoice)")
        started = time.perf_counter()
        for text in buffers:
            with cursor.cursor.copy(
                f"COPY bench_copy ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                copy.write(text)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return {"COPY ceiling rows/s": round(rows / elapsed), "COPY ceiling seconds": round(elapsed, 2)}


def naive_orm(csv_path: Path, workdir: Path) -> dict:
    """Per-row ORM saves (get_or_create product and customer, save the line) on the first 5,000 rows."""
    from accounts.services import user_register
    from data.models import Customer, Product, Transaction

    _, business = user_register(
        email="naive@example.com", password="bench-password-1234", name="N", business_name="N"
    )
    rows = next(_parsed_rows(csv_path)).head(5_000)
    started = time.perf_counter()
    for row in rows.itertuples():
        product, _ = Product.objects.for_business(business).get_or_create(
            business=business, sku=row.sku, defaults={"name": row.product_name or row.sku}
        )
        customer = None
        if isinstance(row.customer_id, str):
            customer, _ = Customer.objects.for_business(business).get_or_create(
                business=business, external_id=row.customer_id
            )
        Transaction(
            business=business,
            invoice=row.invoice,
            product=product,
            customer=customer,
            quantity=row.quantity,
            unit_price=Decimal(row.unit_price),
            total=Decimal(row.total),
            timestamp=row.timestamp.tz_localize("UTC"),
            line_key=row.line_key,
            source="upload",
        ).save()
    elapsed = time.perf_counter() - started
    return {"naive ORM rows/s (5,000 rows)": round(len(rows) / elapsed)}


if __name__ == "__main__":
    main()
