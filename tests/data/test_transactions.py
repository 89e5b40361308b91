"""Recording sales and returns through the API."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from data import services
from data.models import Product, StockAlert, StockMovement, Transaction
from project.common.exceptions import ApplicationError
from tests.factories import BusinessFactory, CustomerFactory, ProductFactory, TransactionFactory

TRANSACTIONS = "/api/data/transactions/"


@pytest.mark.django_db
def test_a_sale_decrements_stock_in_the_same_transaction(api, business):
    product = ProductFactory(
        business=business, stock_quantity=10, reorder_point=8, unit_price=Decimal("2.50")
    )
    customer = CustomerFactory(business=business)

    response = api.post(
        TRANSACTIONS,
        {"product": product.pk, "quantity": 3, "customer": customer.pk, "invoice": "INV-1"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["invoice"], body["quantity"], body["unit_price"], body["total"]) == (
        "INV-1",
        3,
        "2.5000",
        "7.50",
    )
    product.refresh_from_db()
    assert product.stock_quantity == 7
    movement = StockMovement.objects.for_business(business).get()
    assert (movement.change, movement.reason, movement.stock_after, movement.transaction_id) == (
        -3,
        "sale",
        7,
        body["id"],
    )
    assert StockAlert.objects.for_business(business).get().kind == "low_stock"
    customer.refresh_from_db()
    assert customer.last_purchase_at is not None


@pytest.mark.django_db
def test_a_return_increments_stock(api, business):
    product = ProductFactory(business=business, stock_quantity=1)

    response = api.post(TRANSACTIONS, {"product": product.pk, "quantity": -2}, format="json")

    assert response.status_code == 201
    product.refresh_from_db()
    assert product.stock_quantity == 3
    assert StockMovement.objects.for_business(business).get().reason == "return"


@pytest.mark.django_db
def test_a_sale_beyond_stock_is_400_and_records_nothing(api, business):
    product = ProductFactory(business=business, stock_quantity=2)

    response = api.post(TRANSACTIONS, {"product": product.pk, "quantity": 3}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["quantity"]  # the field the client sent
    assert not Transaction.objects.for_business(business).exists()
    product.refresh_from_db()
    assert product.stock_quantity == 2


@pytest.mark.django_db
def test_another_businesss_product_cannot_be_sold(api, business):
    foreign = ProductFactory(stock_quantity=5)

    response = api.post(TRANSACTIONS, {"product": foreign.pk, "quantity": 1}, format="json")

    assert response.status_code == 400
    assert "product" in response.json()
    foreign.refresh_from_db()
    assert foreign.stock_quantity == 5


@pytest.mark.django_db
def test_transactions_filter_by_dates_product_and_customer(api, business):
    tea = ProductFactory(business=business)
    mug = ProductFactory(business=business)
    ada = CustomerFactory(business=business)
    TransactionFactory(product=tea, invoice="A", timestamp="2024-01-01T10:00:00Z", customer=ada)
    TransactionFactory(product=mug, invoice="B", timestamp="2024-01-15T23:30:00Z")
    TransactionFactory(product=tea, invoice="C", timestamp="2024-02-01T09:00:00Z")

    def invoices(query):
        return sorted(row["invoice"] for row in api.get(TRANSACTIONS + query).json()["results"])

    assert invoices("?start=2024-01-10&end=2024-01-15") == ["B"]
    assert invoices(f"?product={tea.pk}") == ["A", "C"]
    assert invoices(f"?customer={ada.pk}") == ["A"]
    assert invoices("?start=2024-01-02") == ["B", "C"]


@pytest.mark.django_db
def test_bad_transaction_input_is_400(api, business):
    product = ProductFactory(business=business)

    assert "quantity" in api.post(TRANSACTIONS, {"product": product.pk, "quantity": 0}, format="json").json()
    assert api.post(TRANSACTIONS, {"product": product.pk, "quantity": "x"}, format="json").status_code == 400
    response = api.get(TRANSACTIONS + "?start=not-a-date")
    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_stock_changes_are_exact_and_never_negative():
    """Eight threads on their own connections each try to take 10 units, 25 times, from 1,500 units."""
    business = BusinessFactory()
    product = ProductFactory(business=business, stock_quantity=1500, reorder_point=0)
    refused = []
    errors = []

    def worker():
        try:
            for _ in range(25):
                try:
                    services.stock_adjust(
                        business=business,
                        product_id=product.pk,
                        change=-10,
                        reason="adjustment",
                        note="",
                        user=None,
                    )
                except ApplicationError:
                    refused.append(1)
        except Exception as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    product.refresh_from_db()
    movements = StockMovement.objects.for_business(business).filter(product=product)
    # 200 attempts of 10 against 1,500: exactly 150 succeed, 50 are refused, stock ends at zero.
    assert product.stock_quantity == 0
    assert len(refused) == 50
    assert movements.count() == 150
    assert sorted(movements.values_list("stock_after", flat=True)) == list(range(0, 1500, 10))
    assert Product.objects.for_business(business).filter(stock_quantity__lt=0).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/data/transactions/", {"quantity": 10**12}, "quantity"),
        ("/api/data/transactions/", {"quantity": 1, "unit_price": "10000000.00"}, "unit_price"),
        ("/api/data/inventory/adjust-stock/", {"change": 10**12}, "change"),
        ("/api/data/inventory/adjust-stock/", {"change": 1, "product_id": 10**20}, "product_id"),
        (
            "/api/data/inventory/products/",
            {"sku": "BIG", "name": "Big", "stock_quantity": 10**12},
            "stock_quantity",
        ),
        (
            "/api/data/inventory/products/",
            {"sku": "BIG", "name": "Big", "reorder_point": 10**12},
            "reorder_point",
        ),
    ],
)
def test_numbers_out_of_range_are_400_naming_the_field(api, business, url, body, field):
    product = ProductFactory(business=business, stock_quantity=5)
    body = {"product": product.pk, "product_id": product.pk, **body}

    response = api.post(url, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    product.refresh_from_db()
    assert product.stock_quantity == 5
    assert not Transaction.objects.for_business(business).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/data/transactions/", "/api/data/inventory/movements/", "/api/data/inventory/alerts/"],
)
def test_id_filters_tell_nothing_about_other_businesses(api, business, url):
    foreign = ProductFactory(stock_quantity=0)  # another business's product, with an alert of its own
    services.alerts_sync(business=foreign.business, products=[foreign])
    foreign_answer = api.get(f"{url}?product={foreign.pk}")
    missing_answer = api.get(f"{url}?product=987654321")

    assert (foreign_answer.status_code, foreign_answer.json()["count"]) == (200, 0)
    assert (missing_answer.status_code, missing_answer.json()["count"]) == (200, 0)
    assert api.get(f"{url}?product={10**20}").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    "timestamp",
    ["0001-01-01T00:00:00Z", "1899-12-31T00:00:00Z", "1969-12-31T23:59:59Z", "2099-01-01T00:00:00Z"],
)
def test_a_sale_dated_before_1970_or_more_than_a_day_ahead_is_400_naming_timestamp(api, business, timestamp):
    product = ProductFactory(business=business, stock_quantity=5)

    response = api.post(
        TRANSACTIONS, {"product": product.pk, "quantity": 1, "timestamp": timestamp}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["timestamp"]
    assert not Transaction.objects.for_business(business).exists()
    product.refresh_from_db()
    assert product.stock_quantity == 5


@pytest.mark.django_db
def test_a_sale_dated_within_a_day_ahead_is_accepted(api, business):
    from datetime import timedelta

    from django.utils import timezone

    product = ProductFactory(business=business, stock_quantity=5)
    soon = (timezone.now() + timedelta(hours=20)).isoformat()

    response = api.post(
        TRANSACTIONS, {"product": product.pk, "quantity": 1, "timestamp": soon}, format="json"
    )

    assert response.status_code == 201


@pytest.mark.django_db
def test_a_sub_cent_unit_price_is_kept_and_the_total_is_exact(api, business):
    product = ProductFactory(business=business, stock_quantity=5000)

    response = api.post(
        TRANSACTIONS, {"product": product.pk, "quantity": 1000, "unit_price": "0.0015"}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["unit_price"], response.json()["total"]) == ("0.0015", "1.50")
    sale = Transaction.objects.for_business(business).get()
    assert (sale.unit_price, sale.total) == (Decimal("0.0015"), Decimal("1.5000"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["owner", "manager"])
def test_deleting_a_sale_restores_stock_with_a_movement_and_keeps_who_deleted_it(business, role, request):
    from data.models import TransactionDeletion
    from tests.conftest import auth_client

    user = request.getfixturevalue(role)
    client = auth_client(user, business)
    product = ProductFactory(business=business, stock_quantity=10, reorder_point=8)
    customer = CustomerFactory(business=business)
    sale = client.post(
        TRANSACTIONS, {"product": product.pk, "quantity": 3, "customer": customer.pk}, format="json"
    ).json()

    response = client.delete(f"{TRANSACTIONS}{sale['id']}/")

    assert response.status_code == 204
    assert not Transaction.objects.for_business(business).exists()
    product.refresh_from_db()
    assert product.stock_quantity == 10
    undo = StockMovement.objects.for_business(business).order_by("pk").last()
    assert (undo.change, undo.reason, undo.stock_after, undo.user) == (3, "adjustment", 10, user)
    deletion = TransactionDeletion.objects.for_business(business).get()
    assert (deletion.transaction_id, deletion.quantity, deletion.deleted_by, deletion.stock_restored) == (
        sale["id"],
        3,
        user,
        3,
    )
    assert not StockAlert.objects.for_business(business).filter(resolved_at__isnull=True).exists()
    customer.refresh_from_db()
    assert customer.last_purchase_at is None
    assert client.get(f"{TRANSACTIONS}{sale['id']}/").status_code == 404


@pytest.mark.django_db
def test_a_viewer_cannot_delete_a_sale_and_another_businesss_sale_is_404(api, business, viewer):
    from tests.conftest import auth_client

    mine = TransactionFactory(product=ProductFactory(business=business))
    foreign = TransactionFactory()

    assert auth_client(viewer, business).delete(f"{TRANSACTIONS}{mine.pk}/").status_code == 403
    assert api.delete(f"{TRANSACTIONS}{foreign.pk}/").status_code == 404
    assert Transaction.objects.unscoped().count() == 2


@pytest.mark.django_db
def test_deleting_an_uploaded_line_from_before_the_count_leaves_stock_alone(api, business):
    product = ProductFactory(business=business, stock_quantity=10)
    line = TransactionFactory(product=product, quantity=4)  # history: the product was never counted

    assert api.delete(f"{TRANSACTIONS}{line.pk}/").status_code == 204

    product.refresh_from_db()
    assert product.stock_quantity == 10
    assert not StockMovement.objects.for_business(business).exists()
