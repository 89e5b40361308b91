"""Stored forecasts: a request never fits a model, it reads what the last run stored."""

from django.db import models

from accounts.tenancy.models import TenantModel
from project.common.models import JobStatus


class ForecastRun(TenantModel):
    """One refresh of every product's forecast for a business (a job row with a status machine)."""

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        UPLOAD = "upload"
        NIGHTLY = "nightly"

    Status = JobStatus

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    products_total = models.IntegerField(default=0)
    products_done = models.IntegerField(default=0)
    data_end = models.DateField(null=True, blank=True, help_text="The data's today: the latest sale's date")
    detail = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

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
