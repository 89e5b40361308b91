"""Customer scoring: RFM, segments, churn probability and lifetime value, written onto each customer.

A scoring run is a job row (``CustomerScoreRun``, one active per business): a request queues it,
a task on the ``ml`` queue claims it under its lock and scores every customer. Sale lines dated
outside the books' bounds (``data.parsing.bounds``) are not read (the run's ``detail`` says how
many), so one mistyped date cannot break or blank the scores. Model code lives in
``ml_models.churn``; this module reads the books, runs it and stores the answers.
"""

import logging
from decimal import Decimal

import pandas as pd
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.churn.models import CustomerScoreRun
from data.models import Customer, Transaction
from data.selectors import sales_unusable_note, sales_usable
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
    """Usable sale lines as ``[customer_id, invoice, timestamp, amount]``; anonymous ones have no customer."""
    rows = sales_usable(business=business).values_list("customer_id", "invoice", "timestamp", "total")
    frame = pd.DataFrame(list(rows), columns=["customer_id", "invoice", "timestamp", "amount"])
    frame["amount"] = frame["amount"].astype(float)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert(None)
    frame["customer_id"] = frame["customer_id"].astype("Int64")
    return frame


def customers_score_request(*, business, trigger: str = CustomerScoreRun.Trigger.MANUAL) -> CustomerScoreRun:
    """The business's active scoring run, or a new one queued after commit (``Job.active_or_create``)."""
    return CustomerScoreRun.active_or_create(business=business, trigger=trigger)


def customers_score_execute(*, run_id: int, token: str = "") -> CustomerScoreRun | None:
    """Score every customer of the run's business (a few seconds for thousands of customers)."""
    run = CustomerScoreRun.claim(run_id, token=token)
    if run is None:
        return None
    business = run.business
    try:
        with run.beating():
            note = sales_unusable_note(business=business)
            lines = sale_lines(business=business)
            identified = lines[lines["customer_id"].notna()]
            if identified.empty:
                run.finish(detail=" ".join(filter(None, ["No sales to identified customers yet.", note])))
                return run
            as_of = lines["timestamp"].max()
            scores = ml.score_customers(lines, as_of=as_of)
            run.heartbeat(customers_total=len(scores.customers))
            _store(business, scores.customers, as_of)
            run.finish(
                detail=note,
                as_of=as_of.tz_localize("UTC").to_pydatetime(),
                customers_total=len(scores.customers),
                customers_done=len(scores.customers),
                method=scores.method,
                validation_auc=scores.validation_auc,
                note=(scores.note or "")[:255],
            )
    except Exception as error:
        logger.exception("Customer scoring run %s failed", run.pk)
        run.fail(f"{error.__class__.__name__}: {error}")
        raise
    return run


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


def customers_score_soon(*, business_id: int) -> bool:
    from apps.churn.tasks import customers_score_task

    return queue_debounced(customers_score_task, key=f"customers:{business_id}", args=(business_id, "upload"))
