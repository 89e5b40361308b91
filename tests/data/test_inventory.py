"""Products, stock adjustments, movements, alerts and the inventory report."""

from decimal import Decimal

import pytest

from data import services
from data.models import Product, StockAlert, StockMovement
from project.common.exceptions import ApplicationError
from tests.factories import ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/data/inventory/products/"
ADJUST = "/api/data/inventory/adjust-stock/"


def active_alerts(business):
    return list(
        StockAlert.objects.for_business(business)
        .filter(resolved_at__isnull=True)
        .values_list("product__sku", "kind")
        .order_by("product__sku", "kind")
    )


def test_create_product_records_opening_stock_as_a_movement(api, business):
    response = api.post(
        PRODUCTS,
        {"sku": "TEA-1", "name": "Green tea", "category": "Tea", "unit_price": "4.50", "stock_quantity": 12},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["sku"], body["unit_price"], body["stock_quantity"], body["stock_status"]) == (
        "TEA-1",
        "4.5000",
        12,
        "ok",
    )
    movement = StockMovement.objects.for_business(business).get()
    assert (movement.change, movement.reason, movement.stock_after) == (12, "adjustment", 12)


def test_sku_is_unique_per_business_only(api, business):
    ProductFactory(sku="TEA-1")  # another business may use the same SKU

    assert api.post(PRODUCTS, {"sku": "TEA-1", "name": "A"}, format="json").status_code == 201
    duplicate = api.post(PRODUCTS, {"sku": "TEA-1", "name": "B"}, format="json")
    assert duplicate.status_code == 400
    assert "sku" in duplicate.json()
    assert Product.objects.for_business(business).count() == 1


def test_bad_product_input_is_400_naming_the_field(api):
    response = api.post(PRODUCTS, {"sku": "X", "name": "X", "unit_price": "-1"}, format="json")

    assert response.status_code == 400
    assert "unit_price" in response.json()


def test_products_filter_by_search_category_and_stock_status(api, business):
    ProductFactory(business=business, sku="TEA-GREEN", name="Green tea", category="Tea", stock_quantity=50)
    ProductFactory(business=business, sku="TEA-BLACK", name="Black tea", category="Tea", stock_quantity=3)
    ProductFactory(business=business, sku="MUG-1", name="Mug", category="Kitchen", stock_quantity=0)

    def skus(query):
        return sorted(row["sku"] for row in api.get(PRODUCTS + query).json()["results"])

    assert skus("?search=tea") == ["TEA-BLACK", "TEA-GREEN"]
    assert skus("?search=mug") == ["MUG-1"]
    assert skus("?category=tea") == ["TEA-BLACK", "TEA-GREEN"]
    assert skus("?stock_status=low") == ["TEA-BLACK"]
    assert skus("?stock_status=out") == ["MUG-1"]
    assert skus("?stock_status=ok") == ["TEA-GREEN"]
    assert [row["sku"] for row in api.get(PRODUCTS + "?ordering=-stock_quantity").json()["results"]] == [
        "TEA-GREEN",
        "TEA-BLACK",
        "MUG-1",
    ]


def test_pagination_follows_the_contract(api, business):
    for number in range(7):
        ProductFactory(business=business, sku=f"P{number}")

    page = api.get(PRODUCTS + "?page_size=5").json()

    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 7
    assert len(page["results"]) == 5
    assert "page=2" in page["next"]


def test_adjust_stock_moves_stock_and_records_the_movement(api, business, owner):
    product = ProductFactory(business=business, stock_quantity=10, reorder_point=2)

    response = api.post(ADJUST, {"product_id": product.pk, "change": -4, "note": "Breakage"}, format="json")

    assert response.status_code == 200
    assert response.json()["stock_quantity"] == 6
    movement = StockMovement.objects.for_business(business).get()
    assert (movement.change, movement.stock_after, movement.reason, movement.note, movement.user) == (
        -4,
        6,
        "adjustment",
        "Breakage",
        owner,
    )


def test_adjust_stock_below_zero_is_400_and_changes_nothing(api, business):
    product = ProductFactory(business=business, stock_quantity=3)

    response = api.post(ADJUST, {"product_id": product.pk, "change": -4}, format="json")

    assert response.status_code == 400
    assert "change" in response.json()
    product.refresh_from_db()
    assert product.stock_quantity == 3
    assert not StockMovement.objects.for_business(business).exists()


def test_adjust_stock_of_an_unknown_product_is_404(api):
    assert api.post(ADJUST, {"product_id": 987654, "change": 1}, format="json").status_code == 404


def test_crossing_the_reorder_point_raises_one_alert_and_restocking_clears_it(api, business):
    product = ProductFactory(business=business, sku="TEA", stock_quantity=12, reorder_point=5)

    for _ in range(5):  # 12 → 10 → 8 → 6 → 4 (low) → 2 (still low: no second alert)
        api.post(ADJUST, {"product_id": product.pk, "change": -2}, format="json")
    assert active_alerts(business) == [("TEA", "low_stock")]
    assert StockAlert.objects.for_business(business).count() == 1

    api.post(ADJUST, {"product_id": product.pk, "change": -2}, format="json")
    assert active_alerts(business) == [("TEA", "out_of_stock")]

    api.post(ADJUST, {"product_id": product.pk, "change": 20}, format="json")
    assert active_alerts(business) == []
    assert StockAlert.objects.for_business(business).count() == 2


def test_alerts_list_and_acknowledge(api, business):
    product = ProductFactory(business=business, stock_quantity=1, reorder_point=5)
    api.post(ADJUST, {"product_id": product.pk, "change": 1}, format="json")
    alert = StockAlert.objects.for_business(business).get()

    listed = api.get("/api/data/inventory/alerts/").json()["results"]
    acknowledged = api.post(f"/api/data/inventory/alerts/{alert.pk}/acknowledge/")

    assert [(row["id"], row["kind"], row["acknowledged"]) for row in listed] == [
        (alert.pk, "low_stock", False)
    ]
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged"] is True


def test_inventory_report_adds_up(api, business):
    ProductFactory(business=business, stock_quantity=10, reorder_point=2, unit_cost=Decimal("2.50"))
    ProductFactory(
        business=business, stock_quantity=2, reorder_point=5, unit_cost=None, unit_price=Decimal("4")
    )
    ProductFactory(business=business, stock_quantity=0, reorder_point=5)
    ProductFactory(stock_quantity=1000)  # another business

    report = api.get("/api/data/inventory/report/").json()

    assert report == {
        "total_products": 3,
        "total_units": 12,
        "stock_value": "33.00",
        "low_stock_count": 1,
        "out_of_stock_count": 1,
        "overstock_count": 0,
    }


def test_movements_filter_by_product(api, business):
    first = ProductFactory(business=business)
    second = ProductFactory(business=business)
    api.post(ADJUST, {"product_id": first.pk, "change": 1}, format="json")
    api.post(ADJUST, {"product_id": second.pk, "change": 2}, format="json")

    rows = api.get(f"/api/data/inventory/movements/?product={second.pk}").json()["results"]

    assert [(row["product"], row["change"], row["stock_after"]) for row in rows] == [(second.pk, 2, 102)]


def test_patching_stock_is_recorded_as_an_adjustment(api, business):
    product = ProductFactory(business=business, stock_quantity=10)

    response = api.patch(f"{PRODUCTS}{product.pk}/", {"stock_quantity": 7, "name": "Renamed"}, format="json")

    assert response.status_code == 200
    assert (response.json()["stock_quantity"], response.json()["name"]) == (7, "Renamed")
    movement = StockMovement.objects.for_business(business).get()
    assert (movement.change, movement.stock_after) == (-3, 7)


def test_delete_a_product_without_sales(api, business):
    product = ProductFactory(business=business)

    assert api.delete(f"{PRODUCTS}{product.pk}/").status_code == 204
    assert not Product.objects.for_business(business).exists()


@pytest.mark.django_db
def test_a_patch_of_the_name_does_not_undo_a_sale_recorded_since_the_product_was_read(business, owner):
    product = ProductFactory(business=business, stock_quantity=10)
    stale = Product.objects.for_business(business).get(pk=product.pk)  # what a PATCH request reads
    services.transaction_create(business=business, user=owner, product=product, quantity=3)

    services.product_update(product=stale, user=owner, data={"name": "Renamed"})

    product.refresh_from_db()
    assert (product.name, product.stock_quantity) == ("Renamed", 7)


@pytest.mark.django_db
def test_setting_stock_is_computed_under_the_lock_from_the_stock_now(business, owner):
    product = ProductFactory(business=business, stock_quantity=10)
    stale = Product.objects.for_business(business).get(pk=product.pk)
    services.transaction_create(business=business, user=owner, product=product, quantity=3)

    services.product_update(product=stale, user=owner, data={"stock_quantity": 20})

    product.refresh_from_db()
    movement = StockMovement.objects.for_business(business).order_by("pk").last()
    assert (product.stock_quantity, movement.change, movement.stock_after) == (20, 13, 20)


@pytest.mark.django_db
def test_adjusting_stock_touches_updated_at(api, business):
    product = ProductFactory(business=business, stock_quantity=10)
    before = product.updated_at

    api.post(ADJUST, {"product_id": product.pk, "change": 5}, format="json")

    product.refresh_from_db()
    assert product.updated_at > before


@pytest.mark.django_db
def test_deleting_a_product_with_sales_is_refused_by_the_database(business):
    from django.db.models import QuerySet

    product = ProductFactory(business=business)
    TransactionFactory(product=product)
    # The check-then-act is gone: even when a sale lands after any check could run, the delete is refused.
    original = QuerySet.exists
    QuerySet.exists = lambda self: False
    try:
        with pytest.raises(ApplicationError):
            services.product_delete(product=product)
    finally:
        QuerySet.exists = original
    assert Product.objects.for_business(business).filter(pk=product.pk).exists()


def test_deleting_a_product_with_sales_is_409_through_the_api(api, business):
    product = ProductFactory(business=business)
    TransactionFactory(product=product)

    response = api.delete(f"{PRODUCTS}{product.pk}/")

    assert response.status_code == 409
    assert "detail" in response.json()
    assert Product.objects.for_business(business).filter(pk=product.pk).exists()
