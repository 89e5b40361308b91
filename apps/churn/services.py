"""Customer scoring: RFM, segments, churn probability and lifetime value, written onto each customer.

Model code lives in ``ml_models.churn``; this module reads the books, runs it and stores the answers.
"""

import logging
from decimal import Decimal

import pandas as pd
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.churn.models import CustomerScoreRun
from data.models import Customer, Transaction
from ml_models import churn as ml
from project.common.debounce import queue_debounced

logger = logging.getLogger(__name__)

SCORE_FIELDS = [
    "recency_days",
    "frequency",
    "monetary",
    "segment",
    "segment_reason",
    "churn_probability",
    "churn_risk",
    "predicted_clv",
    "scored_at",
]


def sale_lines(*, business) -> pd.DataFrame:
    """Every sale line as ``[customer_id, invoice, timestamp, amount]``; anonymous lines have no customer."""
    rows = Transaction.objects.for_business(business).values_list(
        "customer_id", "invoice", "timestamp", "total"
    )
    frame = pd.DataFrame(list(rows), columns=["customer_id", "invoice", "timestamp", "amount"])
    frame["amount"] = frame["amount"].astype(float)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert(None)
    frame["customer_id"] = frame["customer_id"].astype("Int64")
    return frame


def customers_score(*, business, trigger: str = "manual") -> CustomerScoreRun:
    """Recompute every customer's scores now (a few seconds for thousands of customers)."""
    run = CustomerScoreRun.objects.for_business(business).create(
        business=business,
        trigger=trigger,
        status=CustomerScoreRun.Status.PROCESSING,
        started_at=timezone.now(),
    )
    try:
        lines = sale_lines(business=business)
        identified = lines[lines["customer_id"].notna()]
        if identified.empty:
            return _finish(run, detail="No sales to identified customers yet.")
        as_of = lines["timestamp"].max()
        scores = ml.score_customers(lines, as_of=as_of)
        _store(business, scores.customers, as_of)
        run.as_of = as_of.tz_localize("UTC").to_pydatetime()
        run.customers_total = len(scores.customers)
        run.method = scores.method
        run.validation_auc = scores.validation_auc
        run.note = (scores.note or "")[:255]
    except Exception as error:
        logger.exception("Customer scoring for business %s failed", business.pk)
        _finish(run, failed=f"{error.__class__.__name__}: {error}")
        raise
    return _finish(run)


def _store(business, scores: pd.DataFrame, as_of) -> None:
    now = timezone.now()
    customers = Customer.objects.for_business(business)
    with transaction.atomic():
        # No key changes: sale lines being imported (which key-share their customer) need not wait.
        rows = customers.select_for_update(no_key=True).in_bulk([int(pk) for pk in scores.index])
        for customer_id, score in scores.iterrows():
            customer = rows.get(int(customer_id))
            if customer is None:
                continue
            customer.recency_days = int(score["recency_days"])
            customer.frequency = int(score["frequency"])
            customer.monetary = Decimal(str(round(float(score["monetary"]), 2)))
            customer.segment = score["segment"]
            customer.segment_reason = str(score["reason"])[:255]
            customer.churn_probability = round(float(score["churn_probability"]), 4)
            customer.churn_risk = score["churn_risk"]
            customer.predicted_clv = Decimal(str(round(max(float(score["predicted_clv"]), 0.0), 2)))
            customer.scored_at = now
        customers.bulk_update(rows.values(), SCORE_FIELDS, batch_size=1000)
        # Every customer has a segment and a reason. Those with nothing to score (only returns on record,
        # or no line at all) get one that says so, instead of stale scores or none.
        unscored = customers.exclude(pk__in=list(rows))
        with_lines = Transaction.objects.for_business(business).filter(customer_id=OuterRef("pk"))
        unscored.filter(Exists(with_lines)).update(
            recency_days=None,
            frequency=0,
            monetary=Decimal(0),
            segment=Customer.Segment.LOST,
            segment_reason="Only returns on record: no purchase to score.",
            churn_probability=1.0,
            churn_risk=Customer.ChurnRisk.HIGH,
            predicted_clv=Decimal(0),
            scored_at=now,
        )
        unscored.filter(~Exists(with_lines)).update(
            recency_days=None,
            frequency=0,
            monetary=Decimal(0),
            segment=Customer.Segment.NEW,
            segment_reason="No purchase yet.",
            churn_probability=None,
            churn_risk=Customer.ChurnRisk.MEDIUM,
            predicted_clv=Decimal(0),
            scored_at=now,
        )


def _finish(run, *, failed: str | None = None, detail: str = "") -> CustomerScoreRun:
    run.status = CustomerScoreRun.Status.FAILED if failed else CustomerScoreRun.Status.COMPLETED
    run.detail = failed or detail
    run.finished_at = timezone.now()
    run.save()
    return run


def customers_score_soon(*, business_id: int) -> bool:
    from apps.churn.tasks import customers_score_task

    return queue_debounced(customers_score_task, key=f"customers:{business_id}", args=(business_id, "upload"))
