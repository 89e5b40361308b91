"""Advice is regenerated on the ml worker after a forecast or scoring run finishes, never in a request."""

import pytest

from apps.churn.models import CustomerScoreRun
from apps.forecasting.models import ForecastRun
from data.models import Recommendation, UploadRecord
from project.common.jobs import job_finished
from tests.apps.advice.builders import short_product, slipping_customer
from tests.factories import BusinessFactory, ProductFactory
from tests.worker import wait_until


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_finished_forecast_and_scoring_runs_queue_a_refresh_and_other_jobs_do_not(start_worker):
    forecast_shop, scored_shop, idle_shop = BusinessFactory(), BusinessFactory(), BusinessFactory()
    short_product(forecast_shop)
    short_product(scored_shop)
    slipping_customer(scored_shop)
    short_product(idle_shop)
    ProductFactory(business=scored_shop)
    start_worker(timeout=300)

    # A failed run and a job of another kind change nothing the advice is made of.
    failed = ForecastRun.objects.for_business(idle_shop).create(business=idle_shop, status="failed")
    job_finished.send(sender=ForecastRun, job=failed)
    upload = UploadRecord(business=idle_shop, kind="transactions", status="completed")
    job_finished.send(sender=UploadRecord, job=upload)
    run = ForecastRun.objects.for_business(forecast_shop).create(business=forecast_shop, status="completed")
    job_finished.send(sender=ForecastRun, job=run)
    scoring = CustomerScoreRun.objects.for_business(scored_shop).create(
        business=scored_shop, status="completed"
    )
    job_finished.send(sender=CustomerScoreRun, job=scoring)

    wait_until(
        lambda: Recommendation.objects.for_business(scored_shop).filter(kind="win_back").exists(),
        timeout=120,
        message="the refresh after the scoring run",
    )
    # One worker takes its queue in order: anything queued for the idle shop would have run by now.
    assert Recommendation.objects.for_business(forecast_shop).filter(kind="reorder").count() == 1
    assert not Recommendation.objects.for_business(idle_shop).exists()


def queued_on_ml() -> list[tuple[str, str]]:
    """(task name, its arguments) of every message waiting on the ``ml`` queue, read from Redis."""
    import json

    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    messages = [json.loads(raw) for raw in client.lrange("ml", 0, -1)]
    return sorted((message["headers"]["task"], message["headers"]["argsrepr"]) for message in messages)


@pytest.mark.worker
@pytest.mark.django_db
def test_the_hook_queues_one_refresh_on_the_ml_queue_per_finished_run(django_capture_on_commit_callbacks):
    from project.celery import app

    app.control.purge()
    business = BusinessFactory()
    completed = ForecastRun.objects.for_business(business).create(business=business, status="completed")
    failed = ForecastRun.objects.for_business(business).create(business=business, status="failed")
    scoring = CustomerScoreRun.objects.for_business(business).create(business=business, status="completed")
    upload = UploadRecord(business=business, kind="transactions", status="completed")

    with django_capture_on_commit_callbacks(execute=True):
        job_finished.send(sender=ForecastRun, job=completed)
        job_finished.send(sender=ForecastRun, job=failed)
        job_finished.send(sender=UploadRecord, job=upload)
        job_finished.send(sender=CustomerScoreRun, job=scoring)

    refresh = ("apps.advice.tasks.advice_refresh_task", f"({business.pk},)")
    assert queued_on_ml() == [refresh, refresh]
    app.control.purge()
