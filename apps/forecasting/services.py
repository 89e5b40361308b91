"""Forecast runs: read a business's daily demand, fit and select models, store the answers.

A run is a job row (``project.common.jobs.Job``). Its task plans it (``forecast_run_execute``): it
reads the business's usable history once, orders the products by volume and writes one
:class:`ForecastBatch` per ``FORECAST_BATCH_PRODUCTS`` products, each queued on the ``ml`` queue, so
the run spreads over every worker there. Each batch (``forecast_batch_execute``) fits its products and,
in one transaction under the run's lock, stores their forecasts, counts them into ``products_done``
and marks itself completed; the batch that finds no other unfinished, seen under that lock, ends
the run (revenue forecast, forecasts of products no longer sold removed, overstock alerts). Why rows
and not a Celery chord: a chord needs a result backend (there is none), and rows make a redelivered
batch idempotent (a completed batch is not claimed again, so nothing is counted twice) and let the
job sweep recover a batch whose worker died.

Only one run is active per business: a refresh asked for while one is queued or running joins it.
What the models cannot use is skipped and said in the run's ``detail``, never a failed run: sale lines
dated outside the books' bounds (``data.parsing.bounds``) are not read, and a product whose history
breaks every model keeps no forecast (``products_skipped``). Model code lives in ``ml_models.forecasting``.
"""

import logging
from datetime import timedelta
from decimal import Decimal

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.forecasting.models import ForecastBatch, ForecastRun, ProductForecast, RevenueForecast
from data.models import Product, StockAlert, Transaction
from data.selectors import sales_unusable_note, sales_usable
from data.services import product_reorder_points_store
from project.common.debounce import queue_debounced

logger = logging.getLogger(__name__)

HORIZONS = (7, 30, 90)


def forecast_refresh_request(*, business, trigger: str = ForecastRun.Trigger.MANUAL) -> ForecastRun:
    """The business's active run, or a new one queued after commit (``Job.active_or_create``)."""
    return ForecastRun.active_or_create(business=business, trigger=trigger)


def forecast_refresh_soon(*, business_id: int, trigger: str = ForecastRun.Trigger.UPLOAD) -> bool:
    """Debounced refresh after new data: one queued per business per window, however many uploads land."""
    from apps.forecasting.tasks import forecast_refresh_task

    return queue_debounced(forecast_refresh_task, key=f"forecast:{business_id}", args=(business_id, trigger))


def daily_sales(*, business, product_ids=None) -> pd.DataFrame:
    """Net units per product per day in the business's time zone: columns product_id, date, quantity.

    Only usable sale lines (``sales_usable``); ``product_ids`` narrows to some products.
    """
    lines = sales_usable(business=business)
    if product_ids is not None:
        lines = lines.filter(product_id__in=product_ids)
    rows = (
        lines.annotate(date=TruncDate("timestamp", tzinfo=_zone(business)))
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
        sales_usable(business=business)
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


def forecast_run_in_process(*, run_id: int) -> ForecastRun | None:
    """A whole run in this process, batch after batch: for ``seed_demo`` and tests, not requests."""
    run = forecast_run_execute(run_id=run_id, queue=False)
    if run is None:
        return None
    for batch_id in run.batches.order_by("index").values_list("pk", flat=True):
        forecast_batch_execute(batch_id=batch_id)
    run.refresh_from_db()
    return run


def forecast_run_execute(*, run_id: int, token: str = "", queue: bool = True) -> ForecastRun | None:
    """Plan a run: its batches, ordered best sellers first, each queued for any ``ml`` worker.

    ``token`` is the delivery's task id (``Job.claim``); ``queue=False`` leaves the batches for the
    caller to run (``forecast_run_in_process``).
    """
    from ml_models import forecasting as ml  # heavy (Prophet, statsforecast): only where models run

    run = ForecastRun.claim(run_id, token=token)
    if run is None:
        return None
    if run.batches.exists():  # planned by an earlier delivery: its batches carry on (and are swept)
        unsent = run.batches.filter(status=ForecastBatch.Status.PENDING, queued_at=None)
        for batch in unsent:
            batch.enqueue()
        return run
    business = run.business
    try:
        with run.beating():
            ignored = sales_unusable_note(business=business)
            sales = daily_sales(business=business)
            if sales.empty:
                run.finish(detail=" ".join(filter(None, ["No sales yet: nothing to forecast.", ignored])))
                return run
            end_date = sales["date"].max()
            closed = ml.detect_closed_weekdays(sales)
            # Demand for the whole business at once, so closures are read from every product's sales.
            demand = ml.build_daily_demand(sales, end_date=end_date, closed_weekdays=closed)
            # Best sellers first: the first batch holds them, and only it may offer Prophet (to its top
            # few), so splitting the run costs no more model fits than one call over every product.
            product_ids = [
                int(pk)
                for pk in demand.groupby("unique_id")["y"]
                .sum()
                .sort_values(ascending=False, kind="stable")
                .index
            ]
            size = max(settings.FORECAST_BATCH_PRODUCTS, 1)
            with transaction.atomic():
                ForecastBatch.objects.for_business(business).bulk_create(
                    [
                        ForecastBatch(
                            business=business,
                            run=run,
                            index=number,
                            product_ids=product_ids[start : start + size],
                        )
                        for number, start in enumerate(range(0, len(product_ids), size))
                    ],
                    ignore_conflicts=True,
                )
                run.products_total = len(product_ids)
                run.data_end = end_date.date()
                run.closed_weekdays = sorted(int(day) for day in closed)
                run.trading_days = [day.date().isoformat() for day in ml.trading_days(sales)]
                run.detail = ignored
                run.save(
                    update_fields=[
                        "products_total",
                        "data_end",
                        "closed_weekdays",
                        "trading_days",
                        "detail",
                        "updated_at",
                    ]
                )
                if not product_ids:
                    run.finish(detail=" ".join(filter(None, ["No product has sold yet.", ignored])))
                if queue:
                    for batch in run.batches.order_by("index"):
                        batch.enqueue()
    except Exception as error:
        logger.exception("Forecast run %s failed while planning", run.pk)
        run.fail(f"{error.__class__.__name__}: {error}")
        raise
    return run


def forecast_batch_execute(*, batch_id: int, token: str = "") -> ForecastBatch | None:
    """Fit one batch's products and store them; the last batch of its run to finish ends the run."""
    batch = ForecastBatch.claim(batch_id, token=token)
    if batch is None:
        return None
    run = ForecastRun.objects.unscoped().select_related("business").get(pk=batch.run_id)
    with batch.beating(), run.beating():  # the run is alive while any of its batches is
        try:
            rows, skipped = _batch_forecasts(batch, run)
        except Exception as error:  # not one product's data (those are skipped): the batch fails
            logger.exception("Forecast batch %s of run %s failed", batch.pk, run.pk)
            _batch_settle(batch, rows=[], skipped=[], failed=f"{error.__class__.__name__}: {error}")
            return batch
    _batch_settle(batch, rows=rows, skipped=skipped)
    return batch


def _batch_forecasts(batch: ForecastBatch, run: ForecastRun) -> tuple[list[ProductForecast], list[int]]:
    """The batch's forecasts, and the products no model could use (each retried alone first)."""
    from ml_models import forecasting as ml

    business = run.business
    sales = daily_sales(business=business, product_ids=batch.product_ids)
    end_date = pd.Timestamp(run.data_end)
    demand = ml.build_daily_demand(
        sales, end_date=end_date, closed_weekdays=run.closed_weekdays, business_days=run.trading_days
    )
    selection = None if batch.index == 0 else ml.SelectionSettings(prophet_top_n=0)

    def fit(frame):
        return ml.select_and_forecast(
            frame,
            horizons=HORIZONS,
            end_date=end_date,
            closed_weekdays=run.closed_weekdays,
            n_jobs=1,  # a run spreads over workers instead (a prefork worker may not fork)
            settings=selection,
        )

    try:
        return _forecast_rows(business, run, fit(demand)), []
    except Exception:
        logger.warning("Batch %s of run %s: fitting product by product", batch.pk, run.pk, exc_info=True)
    rows, skipped = [], []
    for product_id, frame in demand.groupby("unique_id", sort=False):
        try:
            rows.extend(_forecast_rows(business, run, fit(frame)))
        except Exception:
            logger.warning("Run %s: product %s skipped", run.pk, product_id, exc_info=True)
            skipped.append(int(product_id))
    return rows, skipped


def _batch_settle(batch: ForecastBatch, *, rows, skipped, failed: str | None = None) -> None:
    """Store the batch's forecasts, count it into its run and end the run if it was the last batch."""
    with transaction.atomic():
        run = (
            ForecastRun.objects.unscoped().select_for_update().select_related("business").get(pk=batch.run_id)
        )
        current = ForecastBatch.objects.unscoped().select_for_update().get(pk=batch.pk)
        if current.status not in ForecastBatch.RUNNABLE or run.status not in ForecastRun.RUNNABLE:
            return  # another delivery settled it (or the run was ended)
        fields = list(FORECAST_FIELDS)
        ProductForecast.objects.for_business(run.business).bulk_create(
            rows, update_conflicts=True, unique_fields=["product"], update_fields=fields, batch_size=500
        )
        done = len(rows)
        if failed:
            batch.fail(failed, products_done=0, products_skipped=len(batch.product_ids))
        else:
            batch.finish(
                detail=_skipped_note(run.business, skipped), products_done=done, products_skipped=len(skipped)
            )
        ForecastRun.objects.unscoped().filter(pk=run.pk).update(
            products_done=F("products_done") + done,
            products_skipped=F("products_skipped") + (len(batch.product_ids) - done),
        )
        run.heartbeat()
        unfinished = ForecastBatch.objects.unscoped().filter(run=run, status__in=ForecastBatch.RUNNABLE)
        if not unfinished.exists():
            _run_end(run)


FORECAST_FIELDS = (
    "run",
    "model",
    "mase",
    "note",
    "history_days",
    "first_date",
    "points",
    "predicted_7",
    "predicted_30",
    "predicted_90",
    "updated_at",
)


def _run_end(run: ForecastRun) -> None:
    """The last batch is in (inside its transaction, under the run's lock): end the run."""
    business = run.business
    run.refresh_from_db(fields=["products_total", "products_done", "products_skipped", "detail"])
    batches = ForecastBatch.objects.unscoped().filter(run=run)
    failed = list(batches.filter(status=ForecastBatch.Status.FAILED).values_list("detail", flat=True))
    notes = [
        run.detail,
        *batches.exclude(detail="")
        .filter(status=ForecastBatch.Status.COMPLETED)
        .values_list("detail", flat=True),
    ]
    if failed:  # the failed batches' products keep their previous forecasts
        run.fail(
            " ".join(
                filter(None, [f"{len(failed)} of {batches.count()} batches failed: {failed[0]}", *notes])
            )
        )
        return
    # Products no longer sold (or skipped this time) lose their stale forecast.
    ProductForecast.objects.for_business(business).exclude(run=run).delete()
    revenue = _revenue_row(business, run, pd.Timestamp(run.data_end))
    RevenueForecast.objects.for_business(business).delete()
    if revenue is not None:
        revenue.save()
    overstock_alerts_sync(business=business)
    forecast_reorder_points_store(business=business)
    run.finish(detail=" ".join(filter(None, notes)))


def _skipped_note(business, skipped: list[int]) -> str:
    if not skipped:
        return ""
    skus = list(
        Product.objects.for_business(business)
        .filter(pk__in=skipped)
        .order_by("sku")
        .values_list("sku", flat=True)
    )
    shown = ", ".join(skus[:20]) + (f" and {len(skus) - 20} more" if len(skus) > 20 else "")
    return f"Skipped {len(skipped)} product{'s' if len(skipped) != 1 else ''} no model could use: {shown}."


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
