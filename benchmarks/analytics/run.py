"""Analytics benchmark: the whole UCI Online Retail file, then every analytics endpoint through gunicorn.

Run by hand (it creates and drops its own database, named by ``DATABASE_URL``):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sm_analytics_bench \\
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python benchmarks/analytics/run.py

In one run it measures: the cost of the roll-up triggers on the ingestion path (the file through
``manage.py import_csv`` twice, into two businesses, with the triggers off and on, and the triggers'
own time from ``pg_stat_user_functions``); that the roll-ups equal the raw sums on the real file; the
ledger (sealing the upload, ``?verify=true``, a proof); and each analytics endpoint with 1 and 8
concurrent clients through gunicorn, over random windows and filters (p50, p95, max).
"""

import gzip
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parents[2]
DATASET_PATH = Path("datasets") / "online_retail" / "online_retail.csv.gz"
# The shared folder sits beside the main checkout (../shared), or at /work/shared from a worktree.
DATASET = next(
    (
        place / DATASET_PATH
        for place in (ROOT.parent / "shared", Path("/work/shared"))
        if (place / DATASET_PATH).exists()
    ),
    ROOT.parent / "shared" / DATASET_PATH,
)
sys.path.insert(0, str(ROOT))
ENV = {
    "DJANGO_SETTINGS_MODULE": "project.settings",
    "DJANGO_SECRET_KEY": "analytics-benchmark-only-not-a-real-secret-key",
    "DEBUG": "0",
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "ML_REFRESH_AFTER_UPLOAD": "0",
}
os.environ.update(ENV)
FIRST, LAST = date(2010, 12, 1), date(2011, 12, 9)
ENDPOINTS = ["overview", "sales-trend", "categories", "top-products", "regions"]
SINGLE_REQUESTS, CONCURRENT_CLIENTS, CONCURRENT_REQUESTS = 40, 8, 20  # per endpoint; per client
SEED = 13


def recreate_database(url: str) -> None:
    import psycopg

    name = urlparse(url).path.lstrip("/")
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def manage(*args: str, env=None) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        check=True,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def import_file(csv_path: str, business_id: int) -> float:
    # track_functions counts the trigger functions' own time in pg_stat_user_functions.
    return manage(
        "import_csv", csv_path, "--business", str(business_id), env={"PGOPTIONS": "-c track_functions=pl"}
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def random_query(endpoint: str, rng: random.Random, countries: list[str]) -> dict:
    length = rng.choice([1, 7, 30, 90, 180, 365])
    start = FIRST + timedelta(days=rng.randrange(max((LAST - FIRST).days - length, 1)))
    query = {"start": start.isoformat(), "end": min(start + timedelta(days=length - 1), LAST).isoformat()}
    if rng.random() < 0.3:
        query["country"] = rng.choice(countries)
    if rng.random() < 0.1:
        query["category"] = "uncategorised"  # the UCI file has no categories
    if endpoint == "sales-trend":
        query["granularity"] = rng.choice(["day", "week", "month"])
    if endpoint == "top-products":
        query["by"] = rng.choice(["revenue", "units"])
        query["limit"] = rng.choice([5, 10, 50])
    return query


def get(
    base: str, token: str, path: str, query: dict | None = None, timeout: float = 60
) -> tuple[float, dict]:
    url = f"{base}{path}" + (f"?{urlencode(query)}" if query else "")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = json.loads(response.read())
        assert response.status == 200, (url, response.status)
    return (time.perf_counter() - started) * 1000, body


def run_clients(base, token, endpoint, clients, per_client, countries) -> list[float]:
    timings: list[float] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        rng = random.Random(SEED * 100 + number)
        for _ in range(per_client):
            elapsed, _ = get(
                base, token, f"/api/analytics/{endpoint}/", random_query(endpoint, rng, countries)
            )
            with lock:
                timings.append(elapsed)

    threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


def summary(timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return f"{statistics.median(ordered):.0f} | {p95:.0f} | {ordered[-1]:.0f}"


def main() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this may drop: see the module docstring.")
    reuse = "--reuse" in sys.argv  # the database of an earlier run: time the endpoints and the ledger only
    print(f"load average at start: {load()}")
    if not reuse:
        recreate_database(url)
        manage("migrate", "--noinput")
    workdir = Path(tempfile.mkdtemp(prefix="analytics-bench-"))
    csv_path = workdir / "online_retail.csv"
    with gzip.open(DATASET, "rb") as source, open(csv_path, "wb") as target:
        shutil.copyfileobj(source, target)

    import django

    django.setup()
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import Business, Membership, Role, User

    if reuse:
        bench, user = Business.objects.get(name="Bench"), User.objects.get(email="bench@example.com")
    else:
        plain, bench = Business.objects.create(name="No triggers"), Business.objects.create(name="Bench")
        user = User.objects.create_user(
            email="bench@example.com", password="bench-password-1234", name="Bench"
        )
        Membership.objects.create(user=user, business=bench, role=Role.OWNER)
    token = str(RefreshToken.for_user(user).access_token)
    if not reuse:
        ingest(csv_path, plain, bench)
    serve_and_time(token, bench)
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nload average at the end: {load()}")


def ingest(csv_path, plain, bench) -> None:
    from django.db import connection

    from apps.analytics.rollups import rollups_rebuild

    # 1. Ingestion with and without the roll-up triggers.
    triggers = ["analytics_rollup_insert", "analytics_rollup_update", "analytics_rollup_delete"]
    with connection.cursor() as cursor:
        for name in triggers:
            cursor.execute(f"ALTER TABLE data_transaction DISABLE TRIGGER {name}")
    load_before = load()
    seconds_plain = import_file(str(csv_path), plain.pk)
    with connection.cursor() as cursor:
        for name in triggers:
            cursor.execute(f"ALTER TABLE data_transaction ENABLE TRIGGER {name}")
        cursor.execute("SELECT pg_stat_reset()")
    seconds_bench = import_file(str(csv_path), bench.pk)
    time.sleep(1)  # statistics reach the collector when the import's sessions end
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT calls, total_time, self_time FROM pg_stat_user_functions "
            "WHERE funcname = 'analytics_transaction_rollup'"
        )
        calls, trigger_ms, _ = cursor.fetchone() or (0, 0.0, 0.0)
        cursor.execute("SELECT count(*) FROM data_transaction WHERE business_id = %s", [bench.pk])
        (rows,) = cursor.fetchone()
    print(f"\n## Ingestion ({rows} rows; load {load_before} -> {load()})")
    print(f"without triggers: {seconds_plain:.1f} s ({rows / seconds_plain:,.0f} rows/s)")
    print(f"with triggers:    {seconds_bench:.1f} s ({rows / seconds_bench:,.0f} rows/s)")
    print(
        f"trigger function: {calls} calls, {trigger_ms / 1000:.2f} s in all, "
        f"{trigger_ms / max(calls, 1):.0f} ms a call"
    )
    started = time.perf_counter()
    rollups_rebuild(business_id=plain.pk)
    print(f"rebuild of the other business's roll-ups: {time.perf_counter() - started:.1f} s")

    # 2. Exactness on the real file: the roll-ups against raw sums.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT sum(quantity * unit_price) FROM data_transaction WHERE business_id = %(b)s),
                   (SELECT sum(revenue) FROM analytics_invoice_day WHERE business_id = %(b)s),
                   (SELECT sum(revenue) FROM analytics_product_month WHERE business_id = %(b)s),
                   (SELECT count(DISTINCT invoice) FROM data_transaction
                    WHERE business_id = %(b)s AND quantity > 0),
                   (SELECT count(DISTINCT customer_id) FROM data_transaction
                    WHERE business_id = %(b)s AND quantity > 0)
            """,
            {"b": bench.pk},
        )
        raw, invoice_rollup, month_rollup, orders, customers = cursor.fetchone()
    print(
        f"\n## Exactness\nraw revenue {raw}, invoice roll-up {invoice_rollup}, month roll-up {month_rollup}; "
        f"orders {orders}, customers {customers}"
    )
    assert raw == invoice_rollup == month_rollup


def serve_and_time(token: str, bench) -> None:
    from django.db import connection

    from apps.analytics import ledger, merkle
    from apps.analytics.models import LedgerSeal

    # 3. The analytics endpoints through gunicorn.
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                get(base, token, "/api/health/")
                break
            except OSError:
                time.sleep(0.3)
        full = {"start": FIRST.isoformat(), "end": LAST.isoformat()}
        _, overview = get(base, token, "/api/analytics/overview/", full)
        _, regions = get(base, token, "/api/analytics/regions/", full)
        countries = [row["country"] for row in regions["results"]]
        print(
            f"\nwhole file: revenue {overview['revenue']}, orders {overview['orders']}, "
            f"customers {overview['customers']}, units {overview['units']}"
        )
        for endpoint in ENDPOINTS * 2:  # warm every worker's connection and code paths
            for _ in range(4):
                get(base, token, f"/api/analytics/{endpoint}/", full)
        print(f"\n## Endpoints (ms; load at start {load()})\n")
        print("| endpoint | 1 client p50 | p95 | max | 8 clients p50 | p95 | max |")
        print("|---|---|---|---|---|---|---|")
        for endpoint in ENDPOINTS:
            single = run_clients(base, token, endpoint, 1, SINGLE_REQUESTS, countries)
            many = run_clients(base, token, endpoint, CONCURRENT_CLIENTS, CONCURRENT_REQUESTS, countries)
            print(f"| {endpoint} | {summary(single)} | {summary(many)} |", flush=True)
        print(f"\nload at the end of the endpoint runs: {load()}")

        # 4. The ledger.
        upload_id = LedgerSeal.objects.get(business_id=bench.pk, scope="upload").upload_id
        seconds, proof = get(base, token, f"/api/data/integrity/{upload_id}/proof/", {"line": 271828}, 600)
        leaves_ok = merkle.verify_inclusion(
            bytes.fromhex(proof["leaf"]),
            proof["leaf_index"],
            proof["tree_size"],
            [bytes.fromhex(node) for node in proof["audit_path"]],
            bytes.fromhex(proof["root"]),
        )
        print(
            f"\n## Ledger (load {load()})\n"
            f"proof of line 271828: {seconds / 1000:.1f} s, verifies: {leaves_ok}"
        )
        seconds, body = get(base, token, "/api/data/integrity/", {"verify": "true"}, 600)
        print(
            f"verify=true over {body['uploads'][0]['rows']} rows: {seconds / 1000:.1f} s, "
            f"intact: {body['uploads'][0]['verification']['intact']}"
        )
        LedgerSeal.objects.filter(business_id=bench.pk).delete()
        started = time.perf_counter()
        ledger.ledger_seal_due(business=bench)
        print(f"sealing the upload again: {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(
                "SELECT sum(quantity * unit_price), count(DISTINCT invoice) FROM data_transaction "
                "WHERE business_id = %s AND timestamp >= '2011-01-01' AND timestamp < '2011-07-01'",
                [bench.pk],
            )
            print(
                "raw aggregate over half the year, for comparison: "
                f"{(time.perf_counter() - started) * 1000:.0f} ms"
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
