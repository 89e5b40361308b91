"""Management commands that fill a business with data."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from data.models import Customer, Transaction
from tests.factories import ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_assign_customers_gives_whole_invoices_to_customers(business):
    product = ProductFactory(business=business)
    start = timezone.now() - timedelta(days=30)
    for number in range(40):
        for _line in range(3):
            TransactionFactory(
                product=product, invoice=f"INV{number}", timestamp=start + timedelta(days=number % 20)
            )

    call_command("assign_customers", business=business.pk, share=1.0, customers=10, seed=3)

    lines = Transaction.objects.for_business(business)
    assert not lines.filter(customer__isnull=True).exists()
    owners_per_invoice = lines.values("invoice").distinct().values_list("invoice", "customer_id")
    assert len(owners_per_invoice) == 40  # each invoice went to exactly one customer
    assert Customer.objects.for_business(business).count() == 10
    for customer in Customer.objects.for_business(business).filter(transactions__isnull=False).distinct():
        own = lines.filter(customer=customer)
        assert customer.first_purchase_at == min(own.values_list("timestamp", flat=True))
        assert customer.last_purchase_at == max(own.values_list("timestamp", flat=True))


def test_generate_synthetic_transactions_is_seeded_and_idempotent(business):
    call_command("generate_synthetic_transactions", business=business.pk, days=30, products=12, customers=40)
    first = Transaction.objects.for_business(business).count()

    call_command("generate_synthetic_transactions", business=business.pk, days=30, products=12, customers=40)

    assert first > 300
    assert Transaction.objects.for_business(business).count() == first
    assert Transaction.objects.for_business(business).filter(quantity__lt=0).exists()  # some returns


def test_seed_demo_refuses_to_create_its_published_superuser_with_debug_off(settings):
    from django.core.management.base import CommandError

    from accounts.models import User

    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")

    assert not User.objects.filter(email="demo@smartmarket.local").exists()
