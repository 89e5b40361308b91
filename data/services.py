"""Writes to the merchant's books. Every stock change goes through :func:`stock_apply`."""

import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max, Min, ProtectedError
from django.utils import timezone

from accounts.models import Business
from data.models import Customer, Product, StockAlert, StockMovement, Transaction, TransactionDeletion
from data.parsing import bounds
from data.parsing.values import CENTS_LIMIT, INTEGER_LIMIT
from data.stock import StockStatus, effective_reorder_point, stock_status_of
from project.common.exceptions import ApplicationError, ConflictError

# The largest amount a money column (numeric(14, 2)) holds. Each field of a request is bounded where it
# is validated; a value derived from several (a line's total, the stock after a change) is checked here,
# where it is computed, against what its column can hold.
MAX_AMOUNT = (Decimal(CENTS_LIMIT) - 1) / 100


@dataclass(frozen=True)
class StockChange:
    """A signed change of a product's stock, or, with ``target``, "set stock to N" (an inventory count):
    the difference is then computed on the locked row, so a sale recorded meanwhile is not lost."""

    product_id: int
    change: int = 0
    transaction_id: int | None = None
    target: int | None = None


def stock_apply(
    *,
    business: Business,
    changes: Iterable[StockChange],
    reason: str,
    user=None,
    note: str = "",
    upload=None,
    clamp_at_zero: bool = False,
    field: str = "change",
) -> dict[int, Product]:
    """Apply signed stock changes atomically, record a movement each, and bring alerts up to date.

    Products are locked in primary-key order, so concurrent callers touching the same products queue
    instead of deadlocking, and the arithmetic happens on the locked row, so no update is lost. The lock
    is ``FOR NO KEY UPDATE``: it leaves alone the key-share locks that inserting a sale line takes on
    its product, so a sale being recorded elsewhere never waits for a stock change (nor the reverse). A change
    that would take stock below zero is refused (400) unless ``clamp_at_zero`` (imports of history,
    where the count is the truth) stops it at zero; the refusal names ``field``, the input the client
    sent (``change`` for an adjustment, ``quantity`` for a sale). Likewise a change that would take stock
    past what the stock column holds (``INTEGER_LIMIT``) is refused, or, for imports, stopped there.
    Returns the updated products by id.
    """
    changes = [change for change in changes if change.change != 0 or change.target is not None]
    if not changes:
        return {}
    now = timezone.now()
    with transaction.atomic():
        products = {
            product.pk: product
            for product in Product.objects.for_business(business)
            .select_for_update(no_key=True)
            .filter(pk__in={change.product_id for change in changes})
            .order_by("pk")
        }
        movements = []
        for change in changes:
            product = products.get(change.product_id)
            if product is None:
                raise ApplicationError("Product not found.", field="product_id")
            applied = change.change if change.target is None else change.target - product.stock_quantity
            if product.stock_quantity + applied < 0:
                if not clamp_at_zero:
                    raise ApplicationError(
                        f"Not enough stock of {product.sku}: {product.stock_quantity} on hand, "
                        f"{-applied} requested.",
                        field=field,
                    )
                applied = -product.stock_quantity
            if product.stock_quantity + applied > INTEGER_LIMIT:
                if not clamp_at_zero:
                    raise ApplicationError(
                        f"Stock of {product.sku} would be {product.stock_quantity + applied:,}: more than "
                        f"the largest stock a product can hold ({INTEGER_LIMIT:,}).",
                        field="change",
                    )
                applied = INTEGER_LIMIT - product.stock_quantity
            if applied == 0:
                continue
            product.stock_quantity += applied
            product.updated_at = now
            movements.append(
                StockMovement(
                    business=business,
                    product=product,
                    change=applied,
                    reason=reason,
                    stock_after=product.stock_quantity,
                    note=note[:255],
                    user=user,
                    upload=upload,
                    transaction_id=change.transaction_id,
                )
            )
        Product.objects.for_business(business).bulk_update(
            products.values(), ["stock_quantity", "updated_at"]
        )
        StockMovement.objects.for_business(business).bulk_create(movements)
        alerts_sync(business=business, products=products.values())
    return products


def alerts_sync(*, business: Business, products: Iterable[Product]) -> None:
    """Raise one alert when a product crosses into low or out of stock; resolve it when restocked.

    An alert already active for a product and kind is left alone, so a run of sales raises one alert,
    not one per sale. Overstock alerts belong to the forecasting app and are not touched here.
    """
    products = list(products)
    if not products:
        return
    wanted = {}
    for product in products:
        status = stock_status_of(product)
        if status == StockStatus.OUT:
            wanted[product.pk] = StockAlert.Kind.OUT_OF_STOCK
        elif status == StockStatus.LOW:
            wanted[product.pk] = StockAlert.Kind.LOW_STOCK
    stock_kinds = [StockAlert.Kind.LOW_STOCK, StockAlert.Kind.OUT_OF_STOCK]
    active = StockAlert.objects.for_business(business).filter(
        product_id__in=[product.pk for product in products], kind__in=stock_kinds, resolved_at__isnull=True
    )
    active_rows = list(active.values_list("pk", "product_id", "kind"))
    active_pairs = {(product_id, kind) for _, product_id, kind in active_rows}
    stale_ids = [pk for pk, product_id, kind in active_rows if wanted.get(product_id) != kind]
    if stale_ids:
        StockAlert.objects.for_business(business).filter(pk__in=stale_ids).update(resolved_at=timezone.now())
    by_id = {product.pk: product for product in products}
    StockAlert.objects.for_business(business).bulk_create(
        [
            StockAlert(
                business=business,
                product_id=product_id,
                kind=kind,
                message=_alert_message(by_id[product_id], kind),
            )
            for product_id, kind in wanted.items()
            if (product_id, kind) not in active_pairs
        ]
    )


def _alert_message(product: Product, kind: str) -> str:
    if kind == StockAlert.Kind.OUT_OF_STOCK:
        return f"{product.name} is out of stock."
    return (
        f"{product.name} is low: {product.stock_quantity} left, "
        f"reorder point {effective_reorder_point(product)}."
    )


def alert_acknowledge(*, alert: StockAlert, user) -> StockAlert:
    if not alert.acknowledged:
        alert.acknowledged = True
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["acknowledged", "acknowledged_at", "updated_at"])
    return alert


def stock_adjust(
    *, business: Business, product_id: int, change: int, reason: str, note: str, user
) -> Product:
    products = stock_apply(
        business=business,
        changes=[StockChange(product_id=product_id, change=change)],
        reason=reason,
        user=user,
        note=note,
    )
    return products.get(product_id) or Product.objects.for_business(business).get(pk=product_id)


def product_create(*, business: Business, user, stock_quantity: int = 0, **fields) -> Product:
    with transaction.atomic():
        try:
            with transaction.atomic():
                product = Product.objects.for_business(business).create(business=business, **fields)
        except IntegrityError as error:
            raise ApplicationError("A product with this SKU already exists.", field="sku") from error
        if stock_quantity:
            stock_apply(
                business=business,
                changes=[StockChange(product.pk, stock_quantity)],
                reason=StockMovement.Reason.ADJUSTMENT,
                user=user,
                note="Opening stock",
            )
            product.refresh_from_db()
        else:
            alerts_sync(business=business, products=[product])
    return product


def product_update(*, product: Product, user, data: Mapping) -> Product:
    """Update the fields given, and only those: a sale recorded since ``product`` was read is not undone.

    A new ``stock_quantity`` is "set stock to N": recorded as an adjustment movement of the difference,
    which is computed under the row lock, never set silently.
    """
    data = dict(data)
    new_stock = data.pop("stock_quantity", None)
    with transaction.atomic():
        for field, value in data.items():
            setattr(product, field, value)
        if data:
            try:
                with transaction.atomic():
                    product.save(update_fields=[*data, "updated_at"])
            except IntegrityError as error:
                raise ApplicationError("A product with this SKU already exists.", field="sku") from error
        if new_stock is not None:
            stock_apply(
                business=product.business,
                changes=[StockChange(product.pk, target=new_stock)],
                reason=StockMovement.Reason.ADJUSTMENT,
                user=user,
                note="Stock edited",
            )
        product.refresh_from_db()
        alerts_sync(business=product.business, products=[product])
    return product


def product_delete(*, product: Product) -> None:
    """Delete a product that never sold; one with sales lines is a 409 (they keep the books' history).

    The database's protection decides, not a check beforehand that a sale recorded meanwhile would slip
    past.
    """
    try:
        with transaction.atomic():
            product.delete()
    except ProtectedError as error:
        raise ConflictError("This product has transactions and cannot be deleted.") from error


def product_reorder_points_store(*, business: Business, reorder_points: Mapping[int, float | None]) -> None:
    """Store each product's forecast reorder point (None: the forecast gives no advice) and bring its
    alerts up to date; products not named lose theirs and fall back to their static reorder point."""
    with transaction.atomic():
        products = list(Product.objects.for_business(business).order_by("pk"))
        changed = []
        for product in products:
            point = reorder_points.get(product.pk)
            point = None if point is None else max(0, math.ceil(round(float(point), 6)))  # whole units
            if point != product.forecast_reorder_point:
                product.forecast_reorder_point = point
                changed.append(product)
        Product.objects.for_business(business).bulk_update(
            changed, ["forecast_reorder_point"], batch_size=500
        )
        alerts_sync(business=business, products=products)


def transaction_create(
    *,
    business: Business,
    user,
    product: Product,
    quantity: int,
    unit_price: Decimal | None = None,
    timestamp=None,
    invoice: str = "",
    customer: Customer | None = None,
    country: str = "",
    payment_method: str = "",
    source: str = Transaction.Source.API,
    movement_reason: str | None = None,
    line_key: str | None = None,
) -> Transaction:
    """Record a sale (or a return, with a negative quantity) and move its stock in the same transaction.

    The bounds of :mod:`data.parsing.bounds` hold here as in uploads: a sale dated before 1970 or more
    than a day ahead is refused, naming ``timestamp``.

    ``source``, ``movement_reason`` (default: sale, or return for a negative quantity) and ``line_key``
    (default: a fresh one) let other doors into the books, such as a confirmed receipt, record where a
    sale came from and give it a natural key that cannot be written twice.
    """
    if quantity == 0:
        raise ApplicationError("Quantity cannot be zero.", field="quantity")
    if abs(quantity) > bounds.MAX_UNITS:
        raise ApplicationError(f"At most {bounds.MAX_UNITS:,} units a line.", field="quantity")
    if timestamp is not None and (problem := bounds.sale_time_problem(timestamp)):
        raise ApplicationError(f"A sale's time {problem}.", field="timestamp")
    unit_price = product.unit_price if unit_price is None else unit_price
    total = (unit_price * quantity).quantize(Decimal("0.01"))
    if abs(total) > MAX_AMOUNT:
        raise ApplicationError(
            f"The line total {total:,} (quantity x unit price) is larger than the largest amount "
            f"recorded ({MAX_AMOUNT:,}).",
            field="quantity",
        )
    with transaction.atomic():
        sale = Transaction.objects.for_business(business).create(
            business=business,
            invoice=invoice or f"API-{uuid.uuid4().hex[:12].upper()}",
            product=product,
            customer=customer,
            quantity=quantity,
            unit_price=unit_price,
            total=unit_price * quantity,  # exact: four places times a whole number
            timestamp=timestamp or timezone.now(),
            country=country or (customer.country if customer else ""),
            payment_method=payment_method,
            source=source,
            line_key=line_key or f"api:{uuid.uuid4().hex}",
            created_by=user,
        )
        stock_apply(
            business=business,
            changes=[StockChange(product.pk, -quantity, transaction_id=sale.pk)],
            reason=movement_reason
            or (StockMovement.Reason.SALE if quantity > 0 else StockMovement.Reason.RETURN),
            user=user,
            note=f"Invoice {sale.invoice}",
            field="quantity",
        )
        if customer is not None:
            customer_touch(customer=customer, purchased_at=sale.timestamp)
    return sale


def transaction_delete(*, sale: Transaction, user) -> TransactionDeletion:
    """Undo a mistaken sale line: delete it, give back the stock it took (a movement records it) and keep
    a :class:`TransactionDeletion` saying what it was and who deleted it.

    The stock given back is what the line moved: an API or receipt sale's own movements; an uploaded
    line moved stock only when dated after the product's last count. Deleting a return whose units have
    been sold since is refused (stock would go below zero). The customer's purchase dates follow the
    lines that remain.
    """
    business = sale.business
    with transaction.atomic():
        sale = Transaction.objects.for_business(business).select_for_update().get(pk=sale.pk)
        product = sale.product
        moved = StockMovement.objects.for_business(business).filter(transaction_id=sale.pk)
        if moved.exists():
            taken = sum(moved.values_list("change", flat=True))
        elif product.counted_at is not None and sale.timestamp > product.counted_at:
            taken = -sale.quantity
        else:
            taken = 0
        deletion = TransactionDeletion.objects.for_business(business).create(
            business=business,
            transaction_id=sale.pk,
            invoice=sale.invoice,
            product=product,
            customer_id=sale.customer_id,
            quantity=sale.quantity,
            unit_price=sale.unit_price,
            total=sale.total,
            timestamp=sale.timestamp,
            source=sale.source,
            line_key=sale.line_key,
            stock_restored=-taken,
            deleted_by=user,
        )
        stock_apply(
            business=business,
            changes=[StockChange(product.pk, -taken)],
            reason=StockMovement.Reason.ADJUSTMENT,
            user=user,
            note=f"Sale line {sale.pk} of invoice {sale.invoice} deleted"[:255],
        )
        customer_id = sale.customer_id
        sale.delete()
        if customer_id is not None:
            customer_dates_refresh(business=business, customer_id=customer_id)
    return deletion


def customer_dates_refresh(*, business: Business, customer_id: int) -> None:
    """A customer's first and last purchase dates, recomputed from the sales that remain."""
    dates = (
        Transaction.objects.for_business(business)
        .filter(customer_id=customer_id, quantity__gt=0)
        .aggregate(first=Min("timestamp"), last=Max("timestamp"))
    )
    Customer.objects.for_business(business).filter(pk=customer_id).update(
        first_purchase_at=dates["first"], last_purchase_at=dates["last"]
    )


def customer_touch(*, customer: Customer, purchased_at) -> None:
    """Keep a customer's first and last purchase dates current after a new sale."""
    updates = {}
    if customer.first_purchase_at is None or purchased_at < customer.first_purchase_at:
        updates["first_purchase_at"] = purchased_at
    if customer.last_purchase_at is None or purchased_at > customer.last_purchase_at:
        updates["last_purchase_at"] = purchased_at
    if updates:
        Customer.objects.for_business(customer.business_id).filter(pk=customer.pk).update(**updates)
