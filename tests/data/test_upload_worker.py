"""Uploads processed by a real Celery worker on PostgreSQL and Redis, including one killed mid-file."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Sum
from django.utils import timezone

from data.models import Transaction, UploadRecord
from project.common.jobs import jobs_requeue
from tests.conftest import auth_client
from tests.data.real_data import expected, read_rows, write_csv
from tests.factories import MembershipFactory
from tests.worker import wait_until

# Every total is whole cents: sums are compared at cents.
CENT = Decimal("0.01")

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def upload_file(client, path):
    response = client.post(
        "/api/data/upload/transactions/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes())},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    return response.json()["id"]


def finished(upload_id):
    upload = UploadRecord.objects.unscoped().get(pk=upload_id)
    return upload if upload.status in {"completed", "failed"} else None


def assert_imported_exactly(business, upload, truth):
    lines = Transaction.objects.for_business(business)
    assert (upload.status, upload.rows_total, upload.rows_imported, upload.rows_failed) == (
        "completed",
        truth.rows,
        truth.good,
        truth.bad,
    )
    assert lines.count() == truth.good
    assert lines.values("line_key").annotate(copies=Count("pk")).filter(copies__gt=1).count() == 0
    assert lines.aggregate(revenue=Sum("total"))["revenue"].quantize(CENT) == truth.revenue


def test_a_real_worker_imports_an_upload_end_to_end(start_worker, tmp_path):
    membership = MembershipFactory()
    header, rows = read_rows(0, 20_000)
    start_worker()

    upload_id = upload_file(
        auth_client(membership.user, membership.business), write_csv(tmp_path / "a.csv", header, rows)
    )
    upload = wait_until(lambda: finished(upload_id), timeout=120, message="the upload to finish")

    assert_imported_exactly(membership.business, upload, expected(rows))
    assert upload.attempts == 1


def test_a_worker_killed_mid_file_loses_and_duplicates_nothing(start_worker, tmp_path):
    membership = MembershipFactory()
    header, rows = read_rows(0, 60_000)
    worker = start_worker(UPLOAD_CHUNK_ROWS="1000")

    upload_id = upload_file(
        auth_client(membership.user, membership.business), write_csv(tmp_path / "b.csv", header, rows)
    )
    wait_until(
        lambda: (
            UploadRecord.objects.unscoped()
            .filter(pk=upload_id, rows_imported__gt=0, status="processing")
            .exists()
        ),
        timeout=120,
        interval=0.02,
        message="the import to be under way",
    )
    worker.kill_pool_process()
    upload = wait_until(
        lambda: finished(upload_id), timeout=180, message="the upload to finish after the kill"
    )

    assert upload.attempts == 2  # redelivered once, resumed after its last committed chunk
    assert upload.rows_skipped == 0  # committed chunks were not loaded again
    assert_imported_exactly(membership.business, upload, expected(rows))


def test_the_sweep_requeues_an_upload_whose_worker_vanished(start_worker, tmp_path, settings):
    membership = MembershipFactory()
    header, rows = read_rows(0, 3_000)
    client = auth_client(membership.user, membership.business)
    # No worker yet: the upload waits in the queue; then its message is lost with the broker's contents.
    upload_id = upload_file(client, write_csv(tmp_path / "c.csv", header, rows))
    from project.celery import app

    app.control.purge()
    UploadRecord.objects.unscoped().filter(pk=upload_id).update(
        status="processing", heartbeat_at=timezone.now() - settings.JOB_HEARTBEAT_TIMEOUT * 2
    )

    assert jobs_requeue() == {"data.UploadRecord": [upload_id]}
    start_worker(purge=False)
    upload = wait_until(lambda: finished(upload_id), timeout=120, message="the requeued upload to finish")

    assert_imported_exactly(membership.business, upload, expected(rows))
