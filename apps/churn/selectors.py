"""Reads of customer scores."""

from django.db.models import Avg, Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce

from apps.churn.models import CustomerScoreRun
from data.models import Customer, Transaction
from ml_models import churn as ml
from project.common.numbers import money_text


def run_list(*, business):
    return CustomerScoreRun.objects.for_business(business).order_by("-created_at", "-pk")


def latest_run(*, business) -> CustomerScoreRun | None:
    return (
        CustomerScoreRun.objects.for_business(business)
        .filter(status=CustomerScoreRun.Status.COMPLETED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def segment_summary(*, business) -> dict:
    """Per segment: customers, share of the business's net revenue, average R, F and M, and an offer.

    Revenue shares are of all net revenue, anonymous sales included, so they add up to the share that
    identified customers bring; ``anonymous_revenue_share`` is the rest.
    """
    money = DecimalField(max_digits=18, decimal_places=2)
    total = Transaction.objects.for_business(business).aggregate(
        revenue=Coalesce(Sum("total"), Value(0, output_field=money)),
        anonymous=Coalesce(Sum("total", filter=Q(customer__isnull=True)), Value(0, output_field=money)),
    )
    revenue = float(total["revenue"]) or 0.0
    rows = (
        Customer.objects.for_business(business)
        .exclude(segment="")
        .values("segment")
        .annotate(
            count=Count("pk"),
            revenue=Sum("monetary"),
            average_recency_days=Avg("recency_days"),
            average_frequency=Avg("frequency"),
            average_monetary=Avg("monetary"),
        )
        .order_by()
    )
    by_segment = {row["segment"]: row for row in rows}
    results = []
    for segment in ml.SEGMENTS:
        row = by_segment.get(segment, {})
        segment_revenue = float(row.get("revenue") or 0)
        results.append(
            {
                "segment": segment,
                "count": row.get("count", 0),
                "revenue": money_text(row.get("revenue") or 0),
                "revenue_share": round(segment_revenue / revenue, 4) if revenue else 0.0,
                "average_recency_days": _round(row.get("average_recency_days"), 1),
                "average_frequency": _round(row.get("average_frequency"), 2),
                "average_monetary": money_text(row.get("average_monetary")),
                "suggested_offer": ml.SUGGESTED_OFFERS[segment],
            }
        )
    run = latest_run(business=business)
    return {
        "results": results,
        "anonymous_revenue_share": round(float(total["anonymous"]) / revenue, 4) if revenue else 0.0,
        "model": {
            "method": run.method if run else None,
            "validation_auc": run.validation_auc if run else None,
            "note": run.note if run else "Not scored yet: POST /api/data/customers/refresh/",
            "as_of": run.as_of if run else None,
            "scored_at": run.finished_at if run else None,
        },
    }


def _round(value, places: int) -> float | None:
    """An average for JSON: None for an empty segment."""
    return None if value is None else round(float(value), places)
