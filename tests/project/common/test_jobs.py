"""The one job base: who may claim a job, and which jobs the sweep sends again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.churn.models import CustomerScoreRun
from apps.forecasting.models import ForecastBatch, ForecastRun
from data.models import UploadRecord
from project.common.jobs import job_models

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(business):
    return CustomerScoreRun.objects.for_business(business).create(business=business)


def test_a_pending_job_is_claimed_by_the_first_delivery(job):
    claimed = CustomerScoreRun.claim(job.pk, token="task-1")

    assert (claimed.status, claimed.attempts, claimed.claimed_by) == ("processing", 1, "task-1")
    assert claimed.started_at is not None and claimed.is_live()


def test_another_delivery_is_refused_while_the_claimer_is_alive(job):
    CustomerScoreRun.claim(job.pk, token="task-1")

    assert CustomerScoreRun.claim(job.pk, token="task-2") is None
    assert CustomerScoreRun.claim(job.pk) is None
    job.refresh_from_db()
    assert (job.attempts, job.claimed_by) == (1, "task-1")


def test_a_redelivery_of_the_claiming_message_takes_the_job_back(job):
    CustomerScoreRun.claim(job.pk, token="task-1")

    again = CustomerScoreRun.claim(job.pk, token="task-1")

    assert (again.status, again.attempts) == ("processing", 2)


def test_a_job_whose_heartbeat_went_stale_is_taken_over(job, settings):
    CustomerScoreRun.claim(job.pk, token="task-1")
    CustomerScoreRun.objects.for_business(job.business_id).filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - settings.JOB_HEARTBEAT_TIMEOUT - timedelta(seconds=1)
    )

    taken = CustomerScoreRun.claim(job.pk, token="task-2")

    assert (taken.attempts, taken.claimed_by) == (2, "task-2")


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_a_finished_job_is_never_claimed(job, status):
    CustomerScoreRun.objects.for_business(job.business_id).filter(pk=job.pk).update(status=status)

    assert CustomerScoreRun.claim(job.pk, token="task-1") is None


def test_the_sweep_sends_jobs_whose_message_may_be_lost_and_no_other(business, settings):
    now = timezone.now()
    stale = now - settings.JOB_HEARTBEAT_TIMEOUT - timedelta(seconds=1)
    uploads = UploadRecord.objects.for_business(business)

    def make(**fields):
        job = uploads.create(business=business, kind="transactions", sha256=f"{uploads.count():064d}")
        uploads.filter(pk=job.pk).update(**fields)
        return job.pk

    never_queued = make(status="pending", queued_at=None)
    queued_long_ago = make(status="pending", queued_at=now - settings.JOB_PENDING_REQUEUE_AFTER * 2)
    make(status="pending", queued_at=now)  # in the queue, waiting its turn
    make(status="processing", heartbeat_at=now)  # alive
    make(status="failed", heartbeat_at=stale)
    worker_died = make(status="processing", heartbeat_at=stale)

    candidates = set(UploadRecord.requeue_candidates(now).values_list("pk", flat=True))

    assert candidates == {never_queued, queued_long_ago, worker_died}


def test_a_planned_forecast_run_is_watched_through_its_batches(business, settings):
    stale = timezone.now() - settings.JOB_HEARTBEAT_TIMEOUT * 2
    runs = ForecastRun.objects.for_business(business)
    run = runs.create(business=business, status="processing", heartbeat_at=stale)
    batch = ForecastBatch.objects.for_business(business).create(
        business=business, run=run, index=0, status="processing", heartbeat_at=stale
    )

    assert list(ForecastRun.requeue_candidates(timezone.now())) == []
    assert list(ForecastBatch.requeue_candidates(timezone.now())) == [batch]


def test_every_job_kind_names_a_registered_task():
    from project.celery import app

    app.loader.import_default_modules()
    kinds = {model._meta.label: model.task_name for model in job_models()}

    assert set(kinds) >= {
        "data.UploadRecord",
        "churn.CustomerScoreRun",
        "forecasting.ForecastRun",
        "forecasting.ForecastBatch",
    }
    assert all(name in app.tasks for name in kinds.values())
