"""Broker faults: while Redis is down requests still answer, and their jobs run once it is back.

Each test starts its own throwaway ``redis-server`` (never the shared one) and stops it mid-test.
"""

import socket
import subprocess
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from kombu import pools

from apps.churn.models import CustomerScoreRun
from apps.forecasting.models import ForecastRun
from data.models import UploadRecord
from project.celery import app
from tests.conftest import auth_client
from tests.data.real_data import expected, read_rows, write_csv
from tests.factories import MembershipFactory
from tests.worker import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class ThrowawayRedis:
    """A ``redis-server`` of this test's own on a free port, without persistence: a restart loses all."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the throwaway redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def use_broker(url: str) -> None:
    """Point this process's Celery app at ``url``, dropping the connections it pooled.

    kombu keeps one pool per broker URL in a global registry: it is closed *and forgotten*
    (``pools.reset``), or switching back would hand the app the closed pool of the first URL.
    """
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def redis(settings):
    server = ThrowawayRedis()
    server.start()
    previous = app.conf.broker_url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}
    }
    use_broker(server.url)
    yield server
    use_broker(previous)
    server.stop()


def test_while_redis_is_down_requests_answer_and_their_jobs_run_when_it_is_back(
    redis, start_worker, tmp_path
):
    membership = MembershipFactory()
    client = auth_client(membership.user, membership.business)
    header, rows = read_rows(0, 2_000)
    content = write_csv(tmp_path / "sales.csv", header, rows).read_bytes()
    redis.stop()

    # While the broker is down: every request answers, and its job waits, pending and never queued
    upload = client.post(
        "/api/data/upload/transactions/",
        {"file": SimpleUploadedFile("sales.csv", content)},
        format="multipart",
    )
    refresh = client.post("/api/data/forecast/refresh/")
    again = client.post("/api/data/forecast/refresh/")
    scoring = client.post("/api/data/customers/refresh/")

    assert [upload.status_code, refresh.status_code, again.status_code, scoring.status_code] == [202] * 4
    assert again.json()["id"] == refresh.json()["id"]
    assert {upload.json()["status"], refresh.json()["status"], again.json()["status"]} == {"pending"}
    jobs = [
        UploadRecord.objects.unscoped().get(pk=upload.json()["id"]),
        ForecastRun.objects.unscoped().get(pk=refresh.json()["id"]),
        CustomerScoreRun.objects.unscoped().get(pk=scoring.json()["id"]),
    ]
    assert [(job.status, job.queued_at) for job in jobs] == [("pending", None)] * 3

    # The broker is back (empty): a refresh offers its never-queued run to it again, still "pending"
    redis.start()
    later = client.post("/api/data/forecast/refresh/").json()
    assert (later["id"], later["status"]) == (refresh.json()["id"], "pending")
    assert ForecastRun.objects.unscoped().get(pk=later["id"]).queued_at is not None

    # and a worker that starts sweeps up the others: everything completes, once
    start_worker(purge=False, REDIS_URL=redis.url)
    for job in jobs:
        wait_until(
            lambda job=job: type(job).objects.unscoped().get(pk=job.pk).status in {"completed", "failed"},
            timeout=240,
            message=f"{type(job).__name__} {job.pk} to finish",
        )
        job.refresh_from_db()
        assert (job.status, job.attempts) == ("completed", 1), job.detail
    truth = expected(rows)
    assert (jobs[0].rows_total, jobs[0].rows_imported) == (truth.rows, truth.good)
