"""The thin Celery door into the receipt job, on the ``ocr`` queue."""

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from data.receipts import services


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=3,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.OCR_TIMEOUT_SECONDS + 60,
    time_limit=settings.OCR_TIMEOUT_SECONDS + 90,
)
def receipt_read_task(self, receipt_id: int) -> None:
    services.receipt_read(receipt_id=receipt_id, token=self.request.id or "")
