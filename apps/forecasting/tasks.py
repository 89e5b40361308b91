"""Thin Celery doors into the forecasting services (queue: ml)."""

from celery import shared_task

from accounts.models import Business
from apps.forecasting import services
from apps.forecasting.models import ForecastRun


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def forecast_run_task(self, run_id: int) -> None:
    """Plan a run into batches (each its own task)."""
    services.forecast_run_execute(run_id=run_id, token=self.request.id or "")


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, soft_time_limit=1800, time_limit=1860)
def forecast_batch_task(self, batch_id: int) -> None:
    services.forecast_batch_execute(batch_id=batch_id, token=self.request.id or "")


@shared_task
def forecast_refresh_task(business_id: int, trigger: str = ForecastRun.Trigger.UPLOAD) -> None:
    business = Business.objects.filter(pk=business_id).first()
    if business is not None:
        services.forecast_refresh_request(business=business, trigger=trigger)


@shared_task
def forecasts_refresh_all() -> int:
    """Nightly: a run for every business that has sales."""
    businesses = Business.objects.filter(pk__in=services.businesses_with_sales())
    for business in businesses:
        services.forecast_refresh_request(business=business, trigger=ForecastRun.Trigger.NIGHTLY)
    return len(businesses)
