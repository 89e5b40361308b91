"""Stored pricing evidence: a request reads what the last advice refresh estimated, it never fits."""

from django.db import models

from accounts.tenancy.models import TenantModel
from data.models import MONEY


class PriceSuggestion(TenantModel):
    """One product's elasticity and, where the evidence allows, a bounded price to try.

    ``verdict`` is ``estimated`` (a suggestion may follow), ``insufficient_evidence`` or ``inconclusive``
    (the interval includes zero, or the sign is implausible): then ``suggested_price`` is None and
    ``reason`` says why.
    """

    product = models.OneToOneField("data.Product", on_delete=models.CASCADE, related_name="price_suggestion")
    verdict = models.CharField(max_length=24)
    reason = models.CharField(max_length=300)
    elasticity = models.FloatField(null=True, blank=True)
    elasticity_lower = models.FloatField(null=True, blank=True)
    elasticity_upper = models.FloatField(null=True, blank=True)
    weeks = models.IntegerField(default=0)
    cells = models.IntegerField(default=0, help_text="Week x channel x line-size groups compared")
    current_price = models.DecimalField(**MONEY)
    unit_cost = models.DecimalField(**MONEY, null=True, blank=True)
    suggested_price = models.DecimalField(**MONEY, null=True, blank=True)
    baseline_units = models.FloatField(
        default=0, help_text="Expected units over horizon_days at today's price"
    )
    horizon_days = models.IntegerField(default=30)
    expected_revenue_change = models.DecimalField(**MONEY, null=True, blank=True)
    expected_margin_change = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["business", "verdict"], name="price_suggestion_verdict_idx")]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.verdict}"
