"""The Celery application. ``celery -A project worker`` consumes every queue declared here."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

app = Celery("project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (Queue("default"), Queue("ingestion"), Queue("ml"), Queue("ocr"))
app.conf.task_routes = {
    "data.tasks.*": {"queue": "ingestion"},
    "data.receipts.tasks.*": {"queue": "ocr"},
    "apps.forecasting.tasks.*": {"queue": "ml"},
    "apps.churn.tasks.*": {"queue": "ml"},
    "apps.advice.tasks.*": {"queue": "ml"},
}
# A crontab field left out means "every": crontab(hour=2) would fire at each of the 60 minutes of 2 a.m.
# Nightly entries name their minute. tests/test_beat_schedule.py counts each entry's firings in a day.
app.conf.beat_schedule = {
    # The outbox of every job kind: jobs the broker refused or lost, and jobs whose worker died.
    "requeue-jobs": {"task": "project.common.tasks.jobs_requeue_task", "schedule": crontab(minute="*")},
    "nightly-forecasts": {
        "task": "apps.forecasting.tasks.forecasts_refresh_all",
        "schedule": crontab(minute=0, hour=2),
    },
    "nightly-customer-scores": {
        "task": "apps.churn.tasks.customers_score_all",
        "schedule": crontab(minute=0, hour=3),
    },
}
app.autodiscover_tasks()
# The receipt job's tasks live in a package of the data app, which the default discovery does not visit.
app.autodiscover_tasks(["data.receipts"])


@worker_ready.connect
def sweep_when_a_worker_starts(sender, **kwargs) -> None:
    """A worker coming back picks up the jobs that died with the last one without waiting for beat."""
    from project.common.tasks import jobs_requeue_task

    jobs_requeue_task.delay()
