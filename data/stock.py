"""The one rule for a product's stock status, read by the inventory report, the alerts and the forecasts.

Once a product has a forecast, the forecast's reorder point (stored on the product by the forecast run as
``forecast_reorder_point``) is the one that counts; the merchant's static ``reorder_point`` is the
fallback. Out: nothing left. Low: at or under that reorder point. Over: an active overstock alert (the
forecast says far more is on hand than will sell). Otherwise ok.
"""

from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce


class StockStatus:
    OUT = "out"
    LOW = "low"
    OK = "ok"
    OVER = "over"
    CHOICES = [OUT, LOW, OK, OVER]


def effective_reorder_point(product) -> int:
    """The reorder point that counts for ``product`` (its forecast's, else its own)."""
    if product.forecast_reorder_point is not None:
        return product.forecast_reorder_point
    return product.reorder_point


def stock_is_low(stock_quantity: int, reorder_point: int) -> bool:
    """At or under the reorder point, with stock left (nothing left is "out")."""
    return 0 < stock_quantity <= reorder_point


def stock_status_of(product) -> str:
    """Out, low or ok for a product in memory (overstock needs the forecast's alert: see the queries)."""
    if product.stock_quantity <= 0:
        return StockStatus.OUT
    if stock_is_low(product.stock_quantity, effective_reorder_point(product)):
        return StockStatus.LOW
    return StockStatus.OK


def reorder_point_expression():
    return Coalesce(F("forecast_reorder_point"), F("reorder_point"))


def out_q() -> Q:
    return Q(stock_quantity__lte=0)


def low_q() -> Q:
    return Q(stock_quantity__gt=0, stock_quantity__lte=reorder_point_expression())


def stock_status_expression():
    """``stock_status`` as a query annotation on products: the same rule as :func:`stock_status_of`."""
    from data.models import StockAlert

    active_overstock = StockAlert.objects.unscoped().filter(
        product_id=OuterRef("pk"), kind=StockAlert.Kind.OVERSTOCK, resolved_at__isnull=True
    )
    return Case(
        When(out_q(), then=Value(StockStatus.OUT)),
        When(low_q(), then=Value(StockStatus.LOW)),
        When(Exists(active_overstock), then=Value(StockStatus.OVER)),
        default=Value(StockStatus.OK),
    )
