"""Thin Celery doors into advice (queue: ml)."""

from celery import shared_task

from accounts.models import Business
from apps.advice import services


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=900, time_limit=960)
def advice_refresh_task(business_id: int) -> None:
    business = Business.objects.filter(pk=business_id).first()
    if business is not None:
        services.advice_refresh(business=business)
