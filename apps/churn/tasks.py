"""Thin Celery doors into customer scoring (queue: ml)."""

from celery import shared_task

from accounts.models import Business
from apps.churn import services
from data.models import Transaction


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=900, time_limit=960)
def customers_score_task(business_id: int, trigger: str = "upload") -> None:
    business = Business.objects.filter(pk=business_id).first()
    if business is not None:
        services.customers_score(business=business, trigger=trigger)


@shared_task
def customers_score_all() -> int:
    """Nightly: rescore every business with identified customers' sales."""
    business_ids = (
        Transaction.objects.unscoped()
        .filter(customer__isnull=False)
        .values_list("business_id", flat=True)
        .distinct()
    )
    for business_id in business_ids.order_by():
        customers_score_task.delay(business_id, "nightly")
    return len(business_ids)
