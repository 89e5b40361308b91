"""Forecast runs: read a business's daily demand, fit and select models, store the answers.

A run is a job row (PENDING → PROCESSING → COMPLETED / FAILED). Only one is active per business: a
refresh asked for while one is queued or running joins it. Model code lives in ``ml_models.forecasting``.
"""

import logging
from datetime import timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.forecasting.models import ForecastRun, ProductForecast, RevenueForecast
from data.models import Product, StockAlert, Transaction
from data.services import product_reorder_points_store
from project.common.debounce import queue_debounced

logger = logging.getLogger(__name__)

HORIZONS = (7, 30, 90)
BATCH_PRODUCTS = 500


def forecast_refresh_request(*, business, trigger: str = ForecastRun.Trigger.MANUAL) -> ForecastRun:
    """The business's active run, or a new one queued after commit.

    A run active for longer than ``FORECAST_RUN_ABANDONED_AFTER`` lost its worker and its message: it is
    failed, so that it does not hold the business's one active slot for ever.
    """
    active = ForecastRun.objects.for_business(business).filter(
        status__in=[ForecastRun.Status.PENDING, ForecastRun.Status.PROCESSING]
    )
    abandoned_before = timezone.now() - settings.FORECAST_RUN_ABANDONED_AFTER
    active.filter(created_at__lt=abandoned_before).update(
        status=ForecastRun.Status.FAILED,
        detail="Abandoned: no worker finished it.",
        finished_at=timezone.now(),
    )
    run = active.first()
    if run is not None:
        return run
    try:
        with transaction.atomic():
            run = ForecastRun.objects.for_business(business).create(business=business, trigger=trigger)
    except IntegrityError:  # another request created it first
        return active.get()
    transaction.on_commit(lambda: _queue(run.pk))
    return run


def _queue(run_id: int) -> None:
    from apps.forecasting.tasks import forecast_run_task

    forecast_run_task.delay(run_id)


def forecast_refresh_soon(*, business_id: int, trigger: str = ForecastRun.Trigger.UPLOAD) -> bool:
    """Debounced refresh after new data: one queued per business per window, however many uploads land."""
    from apps.forecasting.tasks import forecast_refresh_task

    return queue_debounced(forecast_refresh_task, key=f"forecast:{business_id}", args=(business_id, trigger))


def _claim(run_id: int) -> ForecastRun | None:
    with transaction.atomic():
        run = (
            ForecastRun.objects.unscoped()
            .select_for_update()
            .select_related("business")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status not in {ForecastRun.Status.PENDING, ForecastRun.Status.PROCESSING}:
            return None
        run.status = ForecastRun.Status.PROCESSING
        run.started_at = timezone.now()
        run.products_done = 0
        run.save(update_fields=["status", "started_at", "products_done", "updated_at"])
        return run


def daily_sales(*, business) -> pd.DataFrame:
    """Net units per product per day in the business's time zone: columns product_id, date, quantity."""
    rows = (
        Transaction.objects.for_business(business)
        .annotate(date=TruncDate("timestamp", tzinfo=_zone(business)))
        .values("product_id", "date")
        .annotate(quantity=Sum("quantity"))
        .order_by()
        .values_list("product_id", "date", "quantity")
    )
    frame = pd.DataFrame(list(rows), columns=["product_id", "date", "quantity"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def daily_revenue(*, business) -> pd.DataFrame:
    rows = (
        Transaction.objects.for_business(business)
        .annotate(date=TruncDate("timestamp", tzinfo=_zone(business)))
        .values("date")
        .annotate(revenue=Sum("total"))
        .order_by("date")
        .values_list("date", "revenue")
    )
    frame = pd.DataFrame(list(rows), columns=["ds", "y"])
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame["y"] = frame["y"].astype(float)
    return frame


def _zone(business):
    from zoneinfo import ZoneInfo

    return ZoneInfo(business.timezone)


def forecast_run_execute(*, run_id: int) -> ForecastRun | None:
    """Fit, select and store forecasts for every product with sales; then refresh overstock alerts."""
    from ml_models import forecasting as ml  # heavy (Prophet, statsforecast): only where models run

    run = _claim(run_id)
    if run is None:
        return None
    business = run.business
    try:
        sales = daily_sales(business=business)
        if sales.empty:
            return _finish(run, detail="No sales yet: nothing to forecast.")
        end_date = sales["date"].max()
        closed = ml.detect_closed_weekdays(sales)
        # Demand for the whole business at once, so closures are read from every product's sales.
        demand = ml.build_daily_demand(sales, end_date=end_date, closed_weekdays=closed)
        # Best sellers first: the first batch holds them, and only it may offer Prophet (to its top few),
        # so batching for progress costs no more than one call over every product.
        product_ids = list(
            demand.groupby("unique_id")["y"].sum().sort_values(ascending=False, kind="stable").index
        )
        ForecastRun.objects.unscoped().filter(pk=run.pk).update(
            products_total=len(product_ids), data_end=end_date.date()
        )
        stored = []
        for start in range(0, len(product_ids), BATCH_PRODUCTS):
            batch = demand[demand["unique_id"].isin(product_ids[start : start + BATCH_PRODUCTS])]
            result = ml.select_and_forecast(
                batch,
                horizons=HORIZONS,
                end_date=end_date,
                closed_weekdays=closed,
                n_jobs=settings.ML_JOBS,
                settings=None if start == 0 else ml.SelectionSettings(prophet_top_n=0),
            )
            stored.extend(_forecast_rows(business, run, result))
            ForecastRun.objects.unscoped().filter(pk=run.pk).update(
                products_done=min(start + BATCH_PRODUCTS, len(product_ids))
            )
        revenue = _revenue_row(business, run, end_date)
        with transaction.atomic():
            ProductForecast.objects.for_business(business).delete()
            ProductForecast.objects.for_business(business).bulk_create(stored, batch_size=500)
            RevenueForecast.objects.for_business(business).delete()
            if revenue is not None:
                revenue.save()
            overstock_alerts_sync(business=business)
            forecast_reorder_points_store(business=business)
    except Exception as error:
        logger.exception("Forecast run %s failed", run.pk)
        _finish(run, failed=f"{error.__class__.__name__}: {error}")
        raise
    return _finish(run)


def _forecast_rows(business, run, result) -> list[ProductForecast]:
    points = result.points.sort_values(["unique_id", "ds"])
    rows = []
    choices = result.choices.set_index("unique_id")
    for product_id, frame in points.groupby("unique_id", sort=False):
        choice = choices.loc[product_id]
        predicted = frame["predicted"].to_numpy()
        rows.append(
            ProductForecast(
                business=business,
                run=run,
                product_id=int(product_id),
                model=str(choice["model"]),
                mase=None if pd.isna(choice["mase"]) else float(choice["mase"]),
                note=str(choice.get("note") or "")[:255],
                history_days=int(choice.get("history_days") or 0),
                first_date=frame["ds"].iloc[0].date(),
                points=[
                    [round(float(p), 3), round(float(lo), 3), round(float(hi), 3)]
                    for p, lo, hi in zip(frame["predicted"], frame["lower"], frame["upper"], strict=True)
                ],
                predicted_7=float(predicted[:7].sum()),
                predicted_30=float(predicted[:30].sum()),
                predicted_90=float(predicted[:90].sum()),
            )
        )
    return rows


def _revenue_row(business, run, end_date) -> RevenueForecast | None:
    from ml_models import forecasting as ml

    revenue = daily_revenue(business=business)
    if len(revenue) < 14:
        return None
    totals = ml.forecast_revenue(revenue, horizons=(30, 90)).set_index("horizon_days")

    def money(value) -> Decimal:
        return Decimal(str(round(max(float(value), 0.0), 2)))

    return RevenueForecast(
        business=business,
        run=run,
        first_date=(end_date + timedelta(days=1)).date(),
        model=str(totals["model"].iloc[0]) if "model" in totals else "",
        revenue_30=money(totals.loc[30, "predicted"]),
        revenue_30_lower=money(totals.loc[30, "lower"]),
        revenue_30_upper=money(totals.loc[30, "upper"]),
        revenue_90=money(totals.loc[90, "predicted"]),
        revenue_90_lower=money(totals.loc[90, "lower"]),
        revenue_90_upper=money(totals.loc[90, "upper"]),
    )


def _finish(run: ForecastRun, *, failed: str | None = None, detail: str = "") -> ForecastRun:
    run.refresh_from_db(fields=["products_total", "products_done", "data_end"])
    run.status = ForecastRun.Status.FAILED if failed else ForecastRun.Status.COMPLETED
    run.detail = failed or detail
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "detail", "finished_at", "updated_at"])
    return run


def overstock_alerts_sync(*, business) -> None:
    """Raise an overstock alert where stock lasts far beyond forecast demand; resolve it elsewhere."""
    from apps.forecasting.selectors import reorder_for

    forecasts = ProductForecast.objects.for_business(business).select_related("product")
    over = {forecast.product_id for forecast in forecasts if reorder_for(forecast).position == "over"}
    active = StockAlert.objects.for_business(business).filter(
        kind=StockAlert.Kind.OVERSTOCK, resolved_at__isnull=True
    )
    active.exclude(product_id__in=over).update(resolved_at=timezone.now())
    already = set(active.values_list("product_id", flat=True))
    names = dict(
        Product.objects.for_business(business).filter(pk__in=over - already).values_list("pk", "name")
    )
    StockAlert.objects.for_business(business).bulk_create(
        [
            StockAlert(
                business=business,
                product_id=product_id,
                kind=StockAlert.Kind.OVERSTOCK,
                message=f"{names[product_id]}: stock lasts far longer than forecast demand.",
            )
            for product_id in sorted(over - already)
        ]
    )


def forecast_reorder_points_store(*, business) -> None:
    """Store each forecast's reorder point on its product, so that stock status and alerts (in ``data``,
    which cannot read forecasts) follow it; a forecast that gives no reorder advice stores none."""
    from apps.forecasting.selectors import forecast_advises_reorder, reorder_for

    forecasts = ProductForecast.objects.for_business(business).select_related("product")
    product_reorder_points_store(
        business=business,
        reorder_points={
            forecast.product_id: reorder_for(forecast).reorder_point
            for forecast in forecasts
            if forecast_advises_reorder(forecast)
        },
    )


def businesses_with_sales() -> list[int]:
    return list(Transaction.objects.unscoped().values_list("business_id", flat=True).distinct().order_by())
