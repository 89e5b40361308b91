"""Reads of the merchant's books. Every selector takes the business as a required argument."""

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Business
from data.models import (
    Customer,
    Product,
    ReceiptUploadRecord,
    StockAlert,
    StockMovement,
    Transaction,
    UploadRecord,
    UploadRowError,
)
from data.parsing.bounds import EARLIEST_SALE, latest_sale_time
from data.stock import low_q, out_q, stock_status_expression


def product_list(*, business: Business) -> QuerySet[Product]:
    """Products with ``stock_status`` (the rule of :mod:`data.stock`): out, low, over or ok."""
    return Product.objects.for_business(business).annotate(stock_status=stock_status_expression())


def inventory_report(*, business: Business) -> dict:
    money = DecimalField(max_digits=24, decimal_places=4)
    totals = Product.objects.for_business(business).aggregate(
        total_products=Count("pk"),
        total_units=Coalesce(Sum("stock_quantity"), 0),
        stock_value=Coalesce(
            Sum(
                ExpressionWrapper(
                    F("stock_quantity") * Coalesce("unit_cost", "unit_price"), output_field=money
                )
            ),
            Value(0, output_field=money),
        ),
        low_stock_count=Count("pk", filter=low_q()),
        out_of_stock_count=Count("pk", filter=out_q()),
    )
    totals["overstock_count"] = (
        StockAlert.objects.for_business(business)
        .filter(kind=StockAlert.Kind.OVERSTOCK, resolved_at__isnull=True)
        .values("product_id")
        .distinct()
        .count()
    )
    return totals


def alert_list(*, business: Business) -> QuerySet[StockAlert]:
    return (
        StockAlert.objects.for_business(business)
        .filter(resolved_at__isnull=True)
        .select_related("product")
        .order_by("-created_at", "-pk")
    )


def movement_list(*, business: Business) -> QuerySet[StockMovement]:
    return (
        StockMovement.objects.for_business(business)
        .select_related("product", "user")
        .order_by("-created_at", "-pk")
    )


def transaction_list(*, business: Business) -> QuerySet[Transaction]:
    return (
        Transaction.objects.for_business(business)
        .select_related("product", "customer")
        .order_by("-timestamp", "-pk")
    )


def sales_usable(*, business: Business) -> QuerySet[Transaction]:
    """The sale lines that models may read: those dated within the books' bounds (:mod:`data.parsing.bounds`).

    Input is bounded on the way in, but rows stored before that (or written behind the API's back)
    may carry a year-1 or year-2099 date; forecast and scoring runs read through this and say how many
    lines they left out (:func:`sales_unusable_note`).
    """
    earliest, latest = EARLIEST_SALE, latest_sale_time(timezone.now())
    return Transaction.objects.for_business(business).filter(timestamp__gte=earliest, timestamp__lte=latest)


def sales_unusable_note(*, business: Business) -> str:
    """What a run says about the sale lines it left out (``sales_usable``); empty when there are none."""
    earliest, latest = EARLIEST_SALE, latest_sale_time(timezone.now())
    ignored = (
        Transaction.objects.for_business(business)
        .filter(Q(timestamp__lt=earliest) | Q(timestamp__gt=latest))
        .count()
    )
    if not ignored:
        return ""
    return (
        f"Left out {ignored} sale line{'s' if ignored != 1 else ''} dated before {earliest:%Y-%m-%d} "
        f"or after {latest:%Y-%m-%d %H:%M} UTC (a day after now)."
    )


def customer_list(*, business: Business) -> QuerySet[Customer]:
    return Customer.objects.for_business(business).order_by("external_id")


def upload_list(*, business: Business) -> QuerySet[UploadRecord]:
    """The business's uploads, newest first: counts only (their errors are read one upload at a time)."""
    return UploadRecord.objects.for_business(business).order_by("-created_at", "-pk")


def upload_with_errors(*, business: Business) -> QuerySet[UploadRecord]:
    """Uploads with their stored row errors, for the detail of one."""
    return upload_list(business=business).prefetch_related(
        Prefetch("row_errors", queryset=UploadRowError.objects.order_by("line", "pk"))
    )


def uploads_failed_all() -> QuerySet[UploadRecord]:
    """Staff only: failed uploads across every business."""
    return (
        UploadRecord.objects.unscoped()
        .filter(status=UploadRecord.Status.FAILED)
        .order_by("-finished_at", "-pk")
    )


def uploads_status_all() -> dict:
    """Staff only: uploads per status across every business, and the oldest one still running."""
    uploads = UploadRecord.objects.unscoped()
    counts = dict(uploads.values_list("status").annotate(total=Count("pk")).order_by())
    running = uploads.filter(status=UploadRecord.Status.PROCESSING).order_by("started_at").first()
    return {
        "counts": {status: counts.get(status, 0) for status, _ in UploadRecord.Status.choices},
        "oldest_processing": (
            {
                "id": running.pk,
                "business": running.business_id,
                "started_at": running.started_at,
                "heartbeat_at": running.heartbeat_at,
                "rows_total": running.rows_total,
            }
            if running
            else None
        ),
    }


def receipt_list(*, business: Business) -> QuerySet[ReceiptUploadRecord]:
    return ReceiptUploadRecord.objects.for_business(business).order_by("-created_at", "-pk")
