import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max, Min

from accounts.models import Business
from data.models import Customer, Transaction


class Command(BaseCommand):
    help = (
        "Give anonymous sales to customers, a whole invoice at a time, so a data set without customer "
        "ids can show segments. Repeat buyers follow a long-tailed distribution; seeded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--business", type=int, required=True)
        parser.add_argument("--share", type=float, default=0.7, help="Share of anonymous invoices to assign")
        parser.add_argument(
            "--customers", type=int, default=300, help="Customers to create if there are fewer"
        )
        parser.add_argument("--seed", type=int, default=11)

    def handle(self, *args, business, share, customers, seed, **options):
        business = Business.objects.filter(pk=business).first()
        if business is None:
            raise CommandError("No such business.")
        if not 0 < share <= 1:
            raise CommandError("--share must be in (0, 1].")
        rng = np.random.default_rng(seed)
        with transaction.atomic():
            existing = Customer.objects.for_business(business).count()
            Customer.objects.for_business(business).bulk_create(
                [
                    Customer(business=business, external_id=f"ASSIGNED-{number:05d}")
                    for number in range(existing, customers)
                ],
                ignore_conflicts=True,
            )
            customer_ids = np.array(Customer.objects.for_business(business).values_list("pk", flat=True))
            anonymous = Transaction.objects.for_business(business).filter(customer__isnull=True)
            invoices = sorted(set(anonymous.values_list("invoice", flat=True)))
            chosen = [invoice for invoice in invoices if rng.random() < share]
            weights = rng.pareto(1.2, size=len(customer_ids)) + 0.05
            owners = rng.choice(customer_ids, size=len(chosen), p=weights / weights.sum())
            owner_of = {invoice: int(owner) for invoice, owner in zip(chosen, owners, strict=True)}
            lines = [line for line in anonymous.only("pk", "invoice") if line.invoice in owner_of]
            for line in lines:
                line.customer_id = owner_of[line.invoice]
            Transaction.objects.for_business(business).bulk_update(lines, ["customer_id"], batch_size=2000)
            by_customer = set(owner_of.values())
            spans = (
                Transaction.objects.for_business(business)
                .filter(customer_id__in=list(by_customer))
                .values("customer_id")
                .annotate(first=Min("timestamp"), last=Max("timestamp"))
            )
            rows = Customer.objects.for_business(business).in_bulk([span["customer_id"] for span in spans])
            for span in spans:
                rows[span["customer_id"]].first_purchase_at = span["first"]
                rows[span["customer_id"]].last_purchase_at = span["last"]
            Customer.objects.for_business(business).bulk_update(
                rows.values(), ["first_purchase_at", "last_purchase_at"]
            )
        self.stdout.write(
            f"Assigned {len(chosen)} of {len(invoices)} anonymous invoices to {len(by_customer)} customers."
        )
