"""factory_boy factories for the shared models."""

from decimal import Decimal

import factory
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Business, Membership, Role, User
from data.models import Customer, Product, ReceiptUploadRecord, Transaction

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda number: f"user{number}@example.com")
    name = factory.Faker("name")
    password = factory.LazyFunction(lambda: make_password(PASSWORD))


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business

    name = factory.Sequence(lambda number: f"Shop {number}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    business = factory.SubFactory(BusinessFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER


class TenantFactory(factory.django.DjangoModelFactory):
    """Tenant models refuse unscoped queries; factories write through the named escape hatch."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.objects.unscoped()


class ProductFactory(TenantFactory):
    class Meta:
        model = Product

    business = factory.SubFactory(BusinessFactory)
    sku = factory.Sequence(lambda number: f"SKU-{number:05d}")
    name = factory.Sequence(lambda number: f"Product {number}")
    category = "General"
    unit_price = Decimal("10.00")
    unit_cost = Decimal("6.00")
    stock_quantity = 100
    reorder_point = 10
    lead_time_days = 7


class CustomerFactory(TenantFactory):
    class Meta:
        model = Customer

    business = factory.SubFactory(BusinessFactory)
    external_id = factory.Sequence(lambda number: f"C{number:05d}")
    email = factory.Sequence(lambda number: f"customer{number}@example.com")
    country = "United Kingdom"


class TransactionFactory(TenantFactory):
    """A sale line written directly (no stock effect): for building history in tests."""

    class Meta:
        model = Transaction

    business = factory.SelfAttribute("product.business")
    product = factory.SubFactory(ProductFactory)
    invoice = factory.Sequence(lambda number: f"INV{number:06d}")
    quantity = 1
    unit_price = factory.SelfAttribute("product.unit_price")
    total = factory.LazyAttribute(lambda line: line.unit_price * line.quantity)
    timestamp = factory.LazyFunction(timezone.now)
    line_key = factory.Sequence(lambda number: f"test:{number}")
    source = Transaction.Source.UPLOAD


class ReceiptFactory(TenantFactory):
    """A receipt already read (READY) with two lines; no image file is needed to edit or confirm it."""

    class Meta:
        model = ReceiptUploadRecord

    business = factory.SubFactory(BusinessFactory)
    status = ReceiptUploadRecord.Status.READY
    image = factory.Sequence(lambda number: f"receipts/test/{number:05d}.jpg")
    sha256 = factory.Sequence(lambda number: f"{number:064x}")
    merchant = "Corner Bakery Sdn Bhd"
    purchased_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    total = Decimal("9.00")
    raw_text = "CORNER BAKERY SDN BHD\nBUN 2 x 1.50 3.00\nTART 1 x 6.00 6.00\nTOTAL 9.00"
    line_items = factory.LazyFunction(
        lambda: [
            {"description": "BUN", "quantity": "2", "unit_price": "1.50", "total": "3.00", "product": None},
            {"description": "TART", "quantity": "1", "unit_price": "6.00", "total": "6.00", "product": None},
        ]
    )
