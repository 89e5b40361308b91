"""Forecast runs spread over real workers on the ml queue, and what happens when one of them dies."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.utils import timezone

from apps.forecasting.models import ForecastBatch, ForecastRun, ProductForecast
from data.ingestion.services import upload_process
from data.models import Transaction
from project.celery import app
from tests.conftest import auth_client
from tests.data.real_data import read_rows_where, write_csv
from tests.factories import MembershipFactory
from tests.worker import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CODES = {"85123A", "22423", "85099B", "47566", "20725", "84879", "22720", "21212", "22197", "23203"}
# Four products a batch: ten products make three batches, the first (with Prophet) the slowest.
WORKER_ENV = {"FORECAST_BATCH_PRODUCTS": "4", "JOB_HEARTBEAT_INTERVAL": "1s", "JOB_HEARTBEAT_TIMEOUT": "5s"}


@pytest.fixture
def shop(tmp_path):
    """A business with a year of ten real products' sales, imported in the foreground."""
    header, rows = read_rows_where(lambda row: row[1] in CODES)
    membership = MembershipFactory()
    client = auth_client(membership.user, membership.business)
    response = client.post(
        "/api/data/upload/transactions/",
        {"file": SimpleUploadedFile("ten.csv", write_csv(tmp_path / "ten.csv", header, rows).read_bytes())},
        format="multipart",
    )
    upload_process(upload_id=response.json()["id"])
    return membership.business, client


def running_batch(run_id):
    return ForecastBatch.objects.unscoped().filter(run_id=run_id, status="processing", index=0).first()


def worker_running(workers, task_id):
    """The worker whose pool process runs the task ``task_id`` (asked of the workers themselves)."""
    for tasks in (app.control.inspect(timeout=2).active() or {}).values():
        for task in tasks:
            if task["id"] == task_id:
                return next(worker for worker in workers if task["worker_pid"] in worker.pool_children())
    return None


def finished(run_id):
    run = ForecastRun.objects.unscoped().get(pk=run_id)
    return run if run.status in {"completed", "failed"} else None


def assert_every_product_forecast_once(business, run):
    sold = set(Transaction.objects.for_business(business).values_list("product_id", flat=True))
    forecasts = ProductForecast.objects.for_business(business)
    assert (run.status, run.products_total, run.products_done, run.products_skipped) == (
        "completed",
        10,
        10,
        0,
    )
    assert set(forecasts.values_list("product_id", flat=True)) == sold
    assert not forecasts.values("product").annotate(copies=Count("pk")).filter(copies__gt=1).exists()
    assert set(forecasts.values_list("run_id", flat=True)) == {run.pk}
    batches = ForecastBatch.objects.unscoped().filter(run=run)
    assert sorted(batches.values_list("status", "products_done")) == [
        ("completed", 2),
        ("completed", 4),
        ("completed", 4),
    ]


def test_a_run_is_split_into_batches_that_two_workers_share(start_worker, shop):
    business, client = shop
    start_worker(**WORKER_ENV)
    start_worker(purge=False, **WORKER_ENV)

    run_id = client.post("/api/data/forecast/refresh/").json()["id"]
    run = wait_until(lambda: finished(run_id), timeout=300, message="the run to finish")

    assert_every_product_forecast_once(business, run)
    assert run.data_end.isoformat() == "2011-12-09"
    assert client.get(f"/api/data/forecast/runs/{run_id}/").json()["products_done"] == 10


def test_a_run_survives_a_worker_killed_in_the_middle_of_a_batch(start_worker, shop):
    business, client = shop
    workers = [start_worker(**WORKER_ENV), start_worker(purge=False, **WORKER_ENV)]

    run_id = client.post("/api/data/forecast/refresh/").json()["id"]
    batch = wait_until(lambda: running_batch(run_id), timeout=180, interval=0.05, message="batch 0 to run")
    victim = wait_until(
        lambda: worker_running(workers, batch.claimed_by), timeout=30, message="the worker running batch 0"
    )
    victim.kill_pool_process()  # as the OOM killer would: the worker redelivers the message
    run = wait_until(lambda: finished(run_id), timeout=300, message="the run to finish after the kill")

    assert_every_product_forecast_once(business, run)
    killed = ForecastBatch.objects.unscoped().get(pk=batch.pk)
    assert killed.attempts == 2  # delivered again, with the same task id, and counted into the run once


def test_after_a_whole_worker_is_lost_its_batch_resumes_when_a_worker_comes_back(
    start_worker, shop, settings
):
    business, client = shop
    settings.JOB_HEARTBEAT_TIMEOUT = timezone.timedelta(seconds=5)
    workers = [start_worker(**WORKER_ENV), start_worker(purge=False, **WORKER_ENV)]

    run_id = client.post("/api/data/forecast/refresh/").json()["id"]
    batch = wait_until(lambda: running_batch(run_id), timeout=180, interval=0.05, message="batch 0 to run")
    victim = wait_until(
        lambda: worker_running(workers, batch.claimed_by), timeout=30, message="the worker running batch 0"
    )
    victim.kill()  # the machine is gone: its message stays unacknowledged in the broker for hours
    wait_until(
        lambda: not ForecastBatch.objects.unscoped().get(pk=batch.pk).is_live(),
        timeout=60,
        message="the lost batch's heartbeat to go stale",
    )
    assert finished(run_id) is None  # nobody can finish it: the other worker refused nothing, had nothing
    start_worker(purge=False, **WORKER_ENV)  # a worker comes back: it sweeps for dead jobs as it starts
    run = wait_until(lambda: finished(run_id), timeout=300, message="the run to finish after the loss")

    assert_every_product_forecast_once(business, run)
    assert ForecastBatch.objects.unscoped().get(pk=batch.pk).attempts == 2
