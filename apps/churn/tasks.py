"""Thin Celery doors into customer scoring (queue: ml)."""

from celery import shared_task

from accounts.models import Business
from apps.churn import services
from apps.churn.models import CustomerScoreRun
from data.models import Transaction


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=900, time_limit=960)
def customers_score_run_task(self, run_id: int) -> None:
    services.customers_score_execute(run_id=run_id, token=self.request.id or "")


@shared_task
def customers_score_task(business_id: int, trigger: str = CustomerScoreRun.Trigger.UPLOAD) -> None:
    """Ask for a scoring run (the debounced refresh after uploads queues this)."""
    business = Business.objects.filter(pk=business_id).first()
    if business is not None:
        services.customers_score_request(business=business, trigger=trigger)


@shared_task
def customers_score_all() -> int:
    """Nightly: a scoring run for every business with identified customers' sales."""
    business_ids = list(
        Transaction.objects.unscoped()
        .filter(customer__isnull=False)
        .values_list("business_id", flat=True)
        .distinct()
        .order_by()
    )
    for business in Business.objects.filter(pk__in=business_ids):
        services.customers_score_request(business=business, trigger=CustomerScoreRun.Trigger.NIGHTLY)
    return len(business_ids)
