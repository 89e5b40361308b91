"""Customer scoring runs. The scores themselves live on ``data.Customer``."""

from django.db import models

from accounts.tenancy.models import TenantModel
from project.common.jobs import Job


class CustomerScoreRun(TenantModel, Job):
    """One recomputation of RFM, segments, churn probability and lifetime value for a business.

    A job row: queued by a request (or nightly, or after uploads), claimed by a task on ``ml``.
    """

    task_name = "apps.churn.tasks.customers_score_run_task"

    class Trigger(models.TextChoices):
        MANUAL = "manual"
        REQUEST = "request"
        UPLOAD = "upload"
        NIGHTLY = "nightly"
        SEED = "seed"

    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.MANUAL)
    as_of = models.DateTimeField(null=True, blank=True, help_text="The data's today: the latest sale")
    customers_total = models.IntegerField(default=0)
    customers_done = models.IntegerField(default=0)
    method = models.CharField(max_length=32, blank=True, default="", help_text="model or recency_fallback")
    validation_auc = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True, default="")

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["business", "status"], name="score_run_status_idx")]
        constraints = [
            # One run at a time per business: a second refresh joins the one already queued or running.
            models.UniqueConstraint(
                fields=["business"],
                condition=models.Q(status__in=["pending", "processing"]),
                name="score_run_one_active",
            )
        ]
