"""Thin Celery doors into the ingestion services. Arguments are ids; retries are for transient faults."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from data.ingestion import services


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=3,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=3 * 3600,
    time_limit=3 * 3600 + 60,
)
def upload_process_task(self, upload_id: int) -> None:
    services.upload_process(upload_id=upload_id, token=self.request.id or "")
