"""List endpoints under load: 8 concurrent clients per endpoint through gunicorn, on the whole real file.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/sm_NAME REDIS_URL=redis://127.0.0.1:6379/N
    .venv/bin/python benchmarks/api/run.py                  # load once (reused afterwards), then measure
    .venv/bin/python benchmarks/api/run.py --reload         # load the file again into a fresh business
    .venv/bin/python benchmarks/api/run.py --seconds 20 --clients 8 --workers 4

Setup (skipped when the benchmark business already holds the file): ``manage.py migrate``, a user and a
business, ``manage.py import_csv`` of the Online Retail file, a forecast refresh and a customer scoring
run in the foreground. Then gunicorn serves ``project.wsgi`` and, for each endpoint in turn, ``--clients``
threads send GET requests for ``--seconds`` seconds. Printed per endpoint: requests, errors (any status
but 200, or a failed connection), p50/p95/max latency in ms, the largest number of connections to the
database seen in ``pg_stat_activity`` during the run, and the load average of the machine.
"""

import argparse
import gzip
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATASET = Path("/work/shared/datasets/online_retail/online_retail.csv.gz")
EMAIL = "api-benchmark@smartmarket.local"
PASSWORD = "api-benchmark-password-2026"
BUSINESS_NAME = "API benchmark"
ENDPOINTS = [
    "/api/data/forecast/summary/",
    "/api/data/transactions/",
    "/api/data/inventory/products/",
    "/api/data/customers/",
]


def django_setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "api-benchmark-only")
    import django

    django.setup()


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT, env=server_env())


def server_env() -> dict:
    env = dict(os.environ)
    env.setdefault("DJANGO_SECRET_KEY", "api-benchmark-only")
    env.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    env["SECURE_SSL_REDIRECT"] = "0"
    env["ML_REFRESH_AFTER_UPLOAD"] = "0"
    return env


def prepare(reload: bool) -> int:
    """The benchmark business, with the whole file, forecasts and customer scores; its id."""
    manage("migrate", "--noinput", "-v", "0")
    from accounts.models import Business, Membership, Role, User
    from data.models import Transaction

    user = User.objects.filter(email=EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=EMAIL, password=PASSWORD, name="API benchmark")
    membership = Membership.objects.filter(user=user).select_related("business").first()
    if membership and reload:
        membership.business.delete()
        membership = None
    if membership is None:
        business = Business.objects.create(name=BUSINESS_NAME)
        Membership.objects.create(user=user, business=business, role=Role.OWNER)
    else:
        business = membership.business
    loaded = False
    if not Transaction.objects.for_business(business).exists():
        loaded = True
        # Uploads refuse compressed files: the CSV inside goes through import_csv as a merchant's would.
        csv_path = Path(tempfile.gettempdir()) / "api-benchmark-online_retail.csv"
        with gzip.open(DATASET, "rb") as source, csv_path.open("wb") as target:
            shutil.copyfileobj(source, target)
        started = time.perf_counter()
        manage("import_csv", str(csv_path), "--business", str(business.pk))
        csv_path.unlink()
        print(f"import_csv: {time.perf_counter() - started:.1f} s", flush=True)
    from apps.churn.services import customers_score_execute, customers_score_request
    from apps.forecasting.models import ProductForecast
    from apps.forecasting.services import forecast_refresh_request, forecast_run_in_process

    if not ProductForecast.objects.for_business(business).exists():
        started = time.perf_counter()
        run = forecast_refresh_request(business=business)
        forecast_run_in_process(run_id=run.pk)
        print(f"forecast refresh: {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        customers_score_execute(run_id=customers_score_request(business=business).pk)
        print(f"customer scoring: {time.perf_counter() - started:.1f} s", flush=True)
    if loaded:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does after a big load, done now
    return business.pk


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(
    port: int, path: str, *, method="GET", body=None, headers=None, timeout: float = 60
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "project.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--preload",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(),
    )
    deadline = time.monotonic() + 300  # importing Django and pandas takes a while on a busy machine
    while time.monotonic() < deadline:
        try:
            if request(port, "/api/health/")[0] in {200, 503}:
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def database_connections(stop: threading.Event, peak: list[int]) -> None:
    from django.db import connection

    name = connection.settings_dict["NAME"]
    while not stop.is_set():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])
            peak[0] = max(peak[0], cursor.fetchone()[0] - 1)  # not this sampling connection
        stop.wait(0.2)


def drive(port: int, path: str, headers: dict, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, _ = request(port, path, headers=headers)
                problem = None if status == 200 else str(status)
            except OSError as error:
                problem = error.__class__.__name__
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if problem:
                    errors.append(problem)

    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(target=database_connections, args=(stop, peak))
    sampler.start()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    sampler.join()
    latencies.sort()
    return {
        "path": path,
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1),
        "max_ms": round(latencies[-1], 1),
        "db_connections_peak": peak[0],
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reload", action="store_true", help="load the file again into a fresh business")
    parser.add_argument("--seconds", type=float, default=20, help="per endpoint")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        raise SystemExit("Set DATABASE_URL (and REDIS_URL) first.")
    django_setup()
    business_id = prepare(options.reload)

    port = free_port()
    server = start_gunicorn(port, options.workers)
    try:
        status, body = request(
            port,
            "/api/auth/login/",
            method="POST",
            body=json.dumps({"email": EMAIL, "password": PASSWORD}),
            headers={"Content-Type": "application/json"},
            timeout=600,  # the first request of a worker on a busy machine, and a deliberately slow hash
        )
        if status != 200:
            raise SystemExit(f"login failed: {status} {body[:200]!r}")
        headers = {"Authorization": f"Bearer {json.loads(body)['access']}", "X-Business-ID": str(business_id)}
        results = []
        for path in ENDPOINTS:
            for _ in range(options.workers):  # warm the workers' imports outside the timing
                request(port, path, headers=headers, timeout=600)
            result = drive(port, path, headers, options.clients, options.seconds)
            results.append(result)
            print(json.dumps(result), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print()
    print(
        "| endpoint | requests | errors | p50 ms | p95 ms | max ms | DB connections (peak) | load average |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for result in results:
        print(
            f"| `{result['path']}` | {result['requests']} | {result['errors']} | {result['p50_ms']} | "
            f"{result['p95_ms']} | {result['max_ms']} | {result['db_connections_peak']} | "
            f"{' '.join(map(str, result['load_average']))} |"
        )


if __name__ == "__main__":
    main()
