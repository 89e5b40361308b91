"""Customer scoring runs. The scores themselves live on ``data.Customer``."""

from django.db import models

from accounts.tenancy.models import TenantModel
from project.common.models import JobStatus


class CustomerScoreRun(TenantModel):
    """One recomputation of RFM, segments, churn probability and lifetime value for a business."""

    Status = JobStatus

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    trigger = models.CharField(max_length=16, default="manual")
    as_of = models.DateTimeField(null=True, blank=True, help_text="The data's today: the latest sale")
    customers_total = models.IntegerField(default=0)
    method = models.CharField(max_length=32, blank=True, default="", help_text="model or recency_fallback")
    validation_auc = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True, default="")
    detail = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["business", "status"], name="score_run_status_idx")]
