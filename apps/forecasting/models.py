"""Stored forecasts: a request never fits a model, it reads what the last run stored."""

from django.db import models

from accounts.tenancy.models import TenantModel
from project.common.jobs import Job


class ForecastRun(TenantModel, Job):
    """One refresh of every product's forecast for a business (a job row with a status machine).

    Its task plans the run: it reads the business's usable history once, orders the products by
    volume and splits them into :class:`ForecastBatch` rows, each a job of its own that any worker on
    the ``ml`` queue takes. The batch that finishes last, seen under the run's lock, ends the run.
    """

    task_name = "apps.forecasting.tasks.forecast_run_task"

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        UPLOAD = "upload"
        NIGHTLY = "nightly"

    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    products_total = models.IntegerField(default=0)
    products_done = models.IntegerField(default=0)
    products_skipped = models.IntegerField(
        default=0, help_text="Products whose history no model could use: they keep no forecast"
    )
    data_end = models.DateField(null=True, blank=True, help_text="The data's today: the latest sale's date")
    # What every batch needs to build demand exactly as the whole business would: the weekdays it
    # does not trade on, and the days it sold anything (long closures are read from them).
    closed_weekdays = models.JSONField(default=list, blank=True)
    trading_days = models.JSONField(default=list, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["business", "status"], name="forecast_run_status_idx")]
        constraints = [
            # One run at a time per business: a second refresh joins the one already queued or running.
            models.UniqueConstraint(
                fields=["business"],
                condition=models.Q(status__in=["pending", "processing"]),
                name="forecast_run_one_active",
            )
        ]

    @classmethod
    def requeue_candidates(cls, now):
        # A planned run is alive while its batches are, and the sweep watches those.
        planned = ForecastBatch.objects.unscoped().filter(run=models.OuterRef("pk"))
        return (
            super()
            .requeue_candidates(now)
            .exclude(models.Q(status=cls.Status.PROCESSING) & models.Exists(planned))
        )


class ForecastBatch(TenantModel, Job):
    """Some products of a run, fitted by whichever worker takes the task (a job row of its own).

    ``(run, index)`` is unique, so planning a run twice (a redelivered plan) adds no batch; a batch
    counts its products into the run once, when it completes under the run's lock.
    """

    task_name = "apps.forecasting.tasks.forecast_batch_task"

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="batches")
    index = models.PositiveIntegerField(help_text="0 holds the best sellers, and only it may use Prophet")
    product_ids = models.JSONField(default=list)
    products_done = models.IntegerField(default=0)
    products_skipped = models.IntegerField(default=0)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="forecast_batch_unique_index")]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="forecast_batch_status_idx")]


class ProductForecast(TenantModel):
    """The latest forecast of one product: daily points for 90 days (7 and 30 are prefixes)."""

    product = models.OneToOneField("data.Product", on_delete=models.CASCADE, related_name="forecast")
    run = models.ForeignKey(ForecastRun, on_delete=models.SET_NULL, null=True, related_name="forecasts")
    model = models.CharField(max_length=40)
    mase = models.FloatField(
        null=True, blank=True, help_text="Backtest error against the seasonal naive baseline"
    )
    note = models.CharField(max_length=255, blank=True, default="")
    history_days = models.IntegerField(default=0)
    first_date = models.DateField(help_text="The first forecast day: the day after the data's today")
    # [[predicted, lower, upper], ...] one per day from first_date; compact, read whole.
    points = models.JSONField(default=list)
    predicted_7 = models.FloatField(default=0)
    predicted_30 = models.FloatField(default=0)
    predicted_90 = models.FloatField(default=0)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["business", "predicted_30"], name="product_forecast_volume_idx")]


class RevenueForecast(TenantModel):
    """The business's expected revenue for the next 30 and 90 days, from the latest run."""

    run = models.ForeignKey(ForecastRun, on_delete=models.SET_NULL, null=True)
    first_date = models.DateField()
    model = models.CharField(max_length=40, blank=True, default="")
    revenue_30 = models.DecimalField(max_digits=16, decimal_places=2)
    revenue_30_lower = models.DecimalField(max_digits=16, decimal_places=2)
    revenue_30_upper = models.DecimalField(max_digits=16, decimal_places=2)
    revenue_90 = models.DecimalField(max_digits=16, decimal_places=2)
    revenue_90_lower = models.DecimalField(max_digits=16, decimal_places=2)
    revenue_90_upper = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["business"], name="revenue_forecast_one_per_business")]
