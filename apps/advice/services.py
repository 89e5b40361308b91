"""Advice writes: the refresh that reconciles recommendations, pricing estimates, status changes, copy.

A refresh runs on the ``ml`` queue after a forecast or scoring run (``apps.advice.apps``), never inside
a request. It is idempotent: one row per situation (a unique constraint), reconciled under a
per-business advisory lock, so two refreshes at once take turns and cannot duplicate anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pandas as pd
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from apps.advice import copywriting, lifecycle, selectors
from apps.advice.models import PriceSuggestion
from apps.forecasting.models import ProductForecast
from data.models import Product, Recommendation, Transaction
from project.common.exceptions import ApplicationError
from project.common.locks import advisory_xact_lock

logger = logging.getLogger(__name__)

PRICING_HORIZON_DAYS = 30
# The fields a refresh rewrites on a standing row.
REFRESHED_FIELDS = [
    "title",
    "reason",
    "urgency",
    "figures",
    "product",
    "customer",
    "segment",
    "status",
    "seen_at",
    "done_at",
    "dismissed_at",
    "dismissed_figures",
    "snooze_until",
    "refreshed_at",
    "resolved_at",
    "updated_at",
]


@dataclass
class RefreshCounts:
    created: int = 0
    updated: int = 0
    reopened: int = 0
    resolved: int = 0


def advice_refresh_queue(*, business_id: int) -> None:
    """Queue a refresh for the business once the current transaction commits."""
    from apps.advice.tasks import advice_refresh_task

    transaction.on_commit(lambda: advice_refresh_task.delay(business_id))


def advice_refresh(*, business) -> RefreshCounts:
    """Re-estimate prices, then reconcile every recommendation with the situations that stand now."""
    price_suggestions_refresh(business=business)
    return recommendations_refresh(business=business)


def _money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2)))


def sale_lines(*, business) -> pd.DataFrame:
    """The sale lines pricing reads: ``ml_models.pricing.LINE_COLUMNS``."""
    rows = Transaction.objects.for_business(business).values_list(
        "product_id", "timestamp", "quantity", "unit_price", "customer_id"
    )
    frame = pd.DataFrame(
        list(rows), columns=["product_id", "timestamp", "quantity", "unit_price", "customer_id"]
    )
    frame["unit_price"] = frame["unit_price"].astype(float)
    frame["identified"] = frame["customer_id"].notna()
    return frame.drop(columns="customer_id")


def price_suggestions_refresh(*, business) -> int:
    """Estimate every sold product's elasticity and store a bounded suggestion where it is reliable."""
    from ml_models import pricing as ml

    lines = sale_lines(business=business)
    if lines.empty:
        PriceSuggestion.objects.for_business(business).delete()
        return 0
    estimates = ml.estimate_elasticities(lines)
    products = Product.objects.for_business(business).in_bulk([estimate.product_id for estimate in estimates])
    forecast_units = dict(
        ProductForecast.objects.for_business(business).values_list("product_id", "predicted_30")
    )
    latest = pd.to_datetime(lines["timestamp"], utc=True).max()
    recent = lines[
        pd.to_datetime(lines["timestamp"], utc=True) > latest - pd.Timedelta(days=PRICING_HORIZON_DAYS)
    ]
    recent_units = recent.groupby("product_id")["quantity"].sum().to_dict()

    rows = []
    for estimate in estimates:
        product = products.get(estimate.product_id)
        if product is None:
            continue
        cost = None if product.unit_cost is None else float(product.unit_cost)
        baseline = float(forecast_units.get(product.pk, recent_units.get(product.pk, 0)))
        row = PriceSuggestion(
            business=business,
            product=product,
            verdict=estimate.verdict,
            reason=estimate.reason[:300],
            elasticity=estimate.elasticity,
            elasticity_lower=estimate.lower,
            elasticity_upper=estimate.upper,
            weeks=estimate.weeks,
            cells=estimate.cells,
            current_price=product.unit_price,
            unit_cost=product.unit_cost,
            baseline_units=round(baseline, 2),
            horizon_days=PRICING_HORIZON_DAYS,
        )
        if estimate.usable:
            suggestion = ml.suggest_price(
                current_price=float(product.unit_price),
                unit_cost=cost,
                elasticity=estimate.elasticity,
                baseline_units=baseline,
            )
            row.reason = f"{estimate.reason} {suggestion.reason}"[:300]
            row.suggested_price = _money(suggestion.suggested_price)
            row.expected_revenue_change = _money(suggestion.expected_revenue_change)
            row.expected_margin_change = _money(suggestion.expected_margin_change)
        rows.append(row)
    with transaction.atomic():
        PriceSuggestion.objects.for_business(business).delete()
        PriceSuggestion.objects.for_business(business).bulk_create(rows, batch_size=500)
    return len(rows)


def recommendations_refresh(*, business) -> RefreshCounts:
    """Reconcile the stored recommendations with the situations that stand now (``lifecycle`` rules).

    Situations are read first; the reconciliation then runs in one transaction under the business's
    advisory lock, so a concurrent refresh waits and then finds every row in place.
    """
    situations = selectors.situations_current(business=business)
    now = timezone.now()
    counts = RefreshCounts()
    with transaction.atomic():
        advisory_xact_lock(f"advice-refresh:{business.pk}")
        stored = {
            row.situation_key: row
            for row in Recommendation.objects.for_business(business).select_for_update().order_by("pk")
        }
        created, changed = [], []
        for situation in situations:
            row = stored.pop(situation.key, None)
            if row is None:
                created.append(_new_row(business, situation, now))
                continue
            status = lifecycle.status_after_refresh(
                kind=row.kind,
                status=row.status,
                resolved=row.resolved_at is not None,
                dismissed=row.dismissed_figures,
                figures=situation.figures,
            )
            if status == lifecycle.NEW and row.status != lifecycle.NEW:
                counts.reopened += 1
                row.seen_at = row.done_at = row.dismissed_at = row.snooze_until = None
                row.dismissed_figures = {}
            row.status = status
            _fill(row, situation, now)
            row.resolved_at = None
            changed.append(row)
        for row in stored.values():  # situations that no longer stand
            if row.resolved_at is None:
                row.resolved_at = now
                row.updated_at = now
                changed.append(row)
                counts.resolved += 1
        Recommendation.objects.for_business(business).bulk_create(created, batch_size=500)
        Recommendation.objects.for_business(business).bulk_update(changed, REFRESHED_FIELDS, batch_size=500)
    counts.created = len(created)
    counts.updated = len(changed) - counts.resolved
    logger.info("Advice for business %s: %s", business.pk, counts)
    return counts


def _fill(row: Recommendation, situation: selectors.Situation, now) -> None:
    row.title = situation.title[:200]
    row.reason = situation.reason
    row.urgency = situation.urgency
    row.figures = situation.figures
    row.product_id = situation.product_id
    row.customer_id = situation.customer_id
    row.segment = situation.segment
    row.refreshed_at = now
    row.updated_at = now


def _new_row(business, situation: selectors.Situation, now) -> Recommendation:
    row = Recommendation(business=business, kind=situation.kind, situation_key=situation.key)
    _fill(row, situation, now)
    return row


ALLOWED_STATUSES = (lifecycle.SEEN, lifecycle.DONE, lifecycle.DISMISSED)
MAX_SNOOZE_DAYS = 365


def recommendation_update(*, business, recommendation_id: int, data: dict) -> Recommendation:
    """The merchant's answer: ``status`` seen, done or dismissed, and/or ``snooze_until`` a date.

    Dismissing keeps the figures as they are now: only a material change against them raises it again.
    ``snooze_until`` hides it from the feed until that day (``null`` un-snoozes). Only the keys present in
    ``data`` change.
    """
    with transaction.atomic():
        row = selectors.recommendation_for_update(business=business, pk=recommendation_id)
        if row is None:
            raise Http404
        changed = ["updated_at"]
        status = data.get("status")
        if status is not None and status != row.status:
            if status not in ALLOWED_STATUSES:
                raise ApplicationError(
                    "A recommendation can be marked seen, done or dismissed.", field="status"
                )
            row.status = status
            stamp = {
                lifecycle.SEEN: "seen_at",
                lifecycle.DONE: "done_at",
                lifecycle.DISMISSED: "dismissed_at",
            }[status]
            setattr(row, stamp, timezone.now())
            changed += ["status", stamp]
            if status == lifecycle.DISMISSED:
                row.dismissed_figures = row.figures
                changed.append("dismissed_figures")
        if "snooze_until" in data:
            until = data["snooze_until"]
            if until is not None and until <= timezone.localdate():
                raise ApplicationError("Snooze until a day after today.", field="snooze_until")
            if until is not None and until > timezone.localdate() + timedelta(days=MAX_SNOOZE_DAYS):
                raise ApplicationError(f"Snooze for at most {MAX_SNOOZE_DAYS} days.", field="snooze_until")
            row.snooze_until = until
            changed.append("snooze_until")
        row.save(update_fields=changed)
    return row


def campaign_copy_generate(*, business, plan_row_id: int) -> dict:
    """Email and SMS copy for one plan row: the template, or the LLM's rewrite when it passes the checks."""
    row = selectors.campaign_plan(business=business).filter(pk=plan_row_id).first()
    if row is None:
        raise ApplicationError("No such row in the campaign plan.", field="id")
    names = list(Product.objects.for_business(business).values_list("name", flat=True))
    return copywriting.campaign_copy(
        plan=row.figures, business_name=business.name, currency=business.currency, product_names=names
    )
