from datetime import timedelta
from decimal import Decimal

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import Business
from data.models import Customer, Product, StockMovement, Transaction
from data.services import StockChange, alerts_sync, stock_apply
from data.synthetic import generate_books


class Command(BaseCommand):
    help = "Fill a business with a seeded, realistic history of sales (products, customers, returns, stock)."

    def add_arguments(self, parser):
        parser.add_argument("--business", type=int, required=True, help="Business id")
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--products", type=int, default=60)
        parser.add_argument("--customers", type=int, default=400)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, business, days, products, customers, seed, **options):
        business = Business.objects.filter(pk=business).first()
        if business is None:
            raise CommandError("No such business.")
        books = generate_books(
            seed=seed, days=days, end=timezone.localdate(), products=products, customers=customers
        )
        with transaction.atomic():
            counts = load_books(business=business, books=books, seed=seed)
        self.stdout.write(
            f"{business.name}: {counts['products']} products, {counts['customers']} customers, "
            f"{counts['lines']} sale lines."
        )


def load_books(*, business, books, seed: int) -> dict:
    """Write generated books into a business (idempotent by SKU, customer id and line key)."""
    Product.objects.for_business(business).bulk_create(
        [
            Product(
                business=business,
                sku=row.sku,
                name=row.name,
                category=row.category,
                unit_price=Decimal(str(row.unit_price)),
                unit_cost=Decimal(str(row.unit_cost)),
                reorder_point=row.reorder_point,
                lead_time_days=row.lead_time_days,
            )
            for row in books.products.itertuples()
        ],
        ignore_conflicts=True,
    )
    Customer.objects.for_business(business).bulk_create(
        [
            Customer(business=business, external_id=row.external_id, email=row.email, country=row.country)
            for row in books.customers.itertuples()
        ],
        ignore_conflicts=True,
    )
    product_ids = dict(Product.objects.for_business(business).values_list("sku", "pk"))
    customer_ids = dict(Customer.objects.for_business(business).values_list("external_id", "pk"))
    countries = dict(zip(books.customers.external_id, books.customers.country, strict=True))
    tz = timezone.get_current_timezone()
    lines = books.lines
    Transaction.objects.for_business(business).bulk_create(
        [
            Transaction(
                business=business,
                invoice=row.invoice,
                product_id=product_ids[row.sku],
                customer_id=customer_ids.get(row.customer_id) if row.customer_id else None,
                quantity=int(row.quantity),
                unit_price=Decimal(str(row.unit_price)),
                total=(Decimal(str(row.unit_price)) * int(row.quantity)).quantize(Decimal("0.01")),
                timestamp=row.timestamp.to_pydatetime().replace(tzinfo=tz),
                country=countries.get(row.customer_id, "United Kingdom")
                if row.customer_id
                else "United Kingdom",
                source=Transaction.Source.UPLOAD,
                line_key=f"synthetic:{seed}:{number}",
            )
            for number, row in enumerate(lines.itertuples())
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    _set_purchase_dates(business)
    _set_opening_stock(business, books, seed)
    return {"products": len(product_ids), "customers": len(customer_ids), "lines": len(lines)}


def _set_purchase_dates(business) -> None:
    spans = (
        Transaction.objects.for_business(business)
        .filter(customer__isnull=False)
        .values("customer_id")
        .annotate(first=Min("timestamp"), last=Max("timestamp"))
    )
    customers = Customer.objects.for_business(business).in_bulk([span["customer_id"] for span in spans])
    for span in spans:
        customer = customers[span["customer_id"]]
        customer.first_purchase_at, customer.last_purchase_at = span["first"], span["last"]
    Customer.objects.for_business(business).bulk_update(
        customers.values(), ["first_purchase_at", "last_purchase_at"]
    )


def _set_opening_stock(business, books, seed: int) -> None:
    """Stock covering from none to about seven weeks of recent sales, so alerts have something to say."""
    rng = np.random.default_rng(seed + 1)
    recent = books.lines[books.lines.timestamp >= books.lines.timestamp.max() - timedelta(days=28)]
    daily = recent.groupby("sku").quantity.sum().clip(lower=0) / 28
    products = Product.objects.for_business(business).filter(
        sku__in=list(books.products.sku), stock_quantity=0
    )
    changes = []
    for product in products:
        cover_days = rng.choice([0, 3, 10, 25, 50], p=[0.08, 0.12, 0.3, 0.3, 0.2])
        target = round(float(daily.get(product.sku, 0.2)) * cover_days) + (0 if cover_days == 0 else 2)
        changes.append(StockChange(product.pk, target))
    stock_apply(
        business=business, changes=changes, reason=StockMovement.Reason.ADJUSTMENT, note="Opening count"
    )
    alerts_sync(business=business, products=Product.objects.for_business(business))
