"""Hostile input answers 400 (or 413), never 500: bodies of the wrong shape, overflowing derived values,
file names past the file system's limit, NUL characters, nesting deep enough to blow the stack, and
look-alike SKUs that must not become separate products."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from data.models import Product, StockMovement, Transaction, UploadRecord
from data.parsing import bounds
from data.parsing.values import INTEGER_LIMIT
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

OURS = "invoice,sku,quantity,unit_price,timestamp\nINV-1,ABC-1,2,1.50,2026-08-01T09:00:00\n"


@pytest.mark.parametrize("body", ["[]", '"x"', "1", "null", "true"])
def test_login_with_a_body_that_is_not_an_object_is_a_400(anonymous, body):
    response = anonymous.post("/api/auth/login/", body, content_type="application/json")

    assert response.status_code == 400
    assert "object" in response.json()["detail"]


def test_a_json_array_50000_deep_is_a_400_on_any_endpoint(api, anonymous, business):
    body = "[" * 50_000 + "]" * 50_000
    product = ProductFactory(business=business)

    answers = [
        anonymous.post("/api/auth/login/", body, content_type="application/json"),
        api.post("/api/data/inventory/products/", body, content_type="application/json"),
        api.patch(f"/api/data/inventory/products/{product.pk}/", body, content_type="application/json"),
    ]

    assert [answer.status_code for answer in answers] == [400, 400, 400]
    assert all("deeper" in answer.json()["detail"] for answer in answers)


def test_json_nested_past_the_limit_is_refused_even_when_python_could_parse_it(api, business):
    body = json.dumps({"sku": "A", "name": "B", "category": "[" * 40 + "]" * 40})
    body = body.replace('"' + "[" * 40, "[" * 40).replace("]" * 40 + '"', "]" * 40)

    response = api.post("/api/data/inventory/products/", body, content_type="application/json")

    assert response.status_code == 400
    assert "deeper" in response.json()["detail"]
    assert Product.objects.for_business(business).count() == 0


def test_a_json_body_over_the_memory_limit_is_a_json_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"sku": "A", "name": "x" * 2000})

    response = api.post("/api/data/inventory/products/", body, content_type="application/json")

    assert response.status_code == 413
    assert "detail" in response.json()


def test_a_nul_character_anywhere_in_a_json_body_is_a_400(api, business):
    response = api.post(
        "/api/data/inventory/products/", '{"sku": "A\\u0000", "name": "B"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert Product.objects.for_business(business).count() == 0


def test_a_sale_whose_total_overflows_the_money_column_is_a_400_naming_quantity(api, business):
    product = ProductFactory(business=business, stock_quantity=1_000_000, unit_price="1000000.00")

    # The product's price (set by an upload, which allows larger prices than a request) times the
    # largest quantity a request may send is past what a line total can hold.
    response = api.post(
        "/api/data/transactions/", {"product": product.pk, "quantity": 1_000_000}, format="json"
    )

    assert response.status_code == 400
    assert "quantity" in response.json()
    assert Transaction.objects.for_business(business).count() == 0
    product.refresh_from_db()
    assert product.stock_quantity == 1_000_000


def test_a_sale_just_under_the_money_limit_is_recorded(api, business):
    product = ProductFactory(business=business, stock_quantity=1_000_000, unit_price="1000000.00")

    response = api.post(
        "/api/data/transactions/",
        {"product": product.pk, "quantity": 999_999, "unit_price": "999999.99"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["total"] == "999998990000.01"


def test_stock_at_the_integer_limit_refuses_a_change_that_would_pass_it(api, business):
    product = ProductFactory(business=business, stock_quantity=INTEGER_LIMIT)

    adjust = api.post(
        "/api/data/inventory/adjust-stock/", {"product_id": product.pk, "change": 1}, format="json"
    )
    sale_return = api.post("/api/data/transactions/", {"product": product.pk, "quantity": -1}, format="json")

    assert (adjust.status_code, sale_return.status_code) == (400, 400)
    assert "change" in adjust.json()
    product.refresh_from_db()
    assert product.stock_quantity == INTEGER_LIMIT
    assert StockMovement.objects.for_business(business).count() == 0
    assert Transaction.objects.for_business(business).count() == 0


def test_an_inventory_count_past_the_bounds_is_a_row_error_and_stock_stays_in_range(api, business):
    from data.ingestion.services import upload_process

    count = f"sku,stock_quantity\nABC-1,{INTEGER_LIMIT}\n"
    returns = "invoice,sku,quantity,unit_price,timestamp\nC1,ABC-1,-5,1.50,2026-08-01T09:00:00\n"
    for url, content, name in [
        ("/api/data/upload/inventory/", count, "count.csv"),
        ("/api/data/upload/transactions/", returns, "returns.csv"),
    ]:
        response = api.post(url, {"file": SimpleUploadedFile(name, content.encode())}, format="multipart")
        assert response.status_code == 202
        upload_process(upload_id=response.json()["id"])

    # The count is past the books' bounds (data.parsing.bounds): its row is refused, nothing overflows.
    product = Product.objects.for_business(business).get(sku="ABC-1")
    assert product.stock_quantity <= bounds.MAX_UNITS
    count_upload = UploadRecord.objects.for_business(business).get(kind="inventory")
    assert (count_upload.rows_imported, count_upload.rows_failed) == (0, 1)
    assert count_upload.row_errors.get().column == "stock_quantity"


def test_an_upload_named_with_200_accented_letters_is_stored_under_its_name(api, business):
    name = "é" * 200 + ".csv"  # 404 bytes of name before the extension: past a file system's 255

    response = api.post(
        "/api/data/upload/transactions/",
        {"file": SimpleUploadedFile(name, OURS.encode())},
        format="multipart",
    )

    assert response.status_code == 202
    upload = UploadRecord.objects.for_business(business).get()
    assert upload.file_name == name[:255]
    assert upload.file.name.endswith(f"{upload.sha256}.csv")


def test_a_column_map_with_a_nul_is_a_400_naming_column_map(api, business):
    response = api.post(
        "/api/data/upload/transactions/",
        {"file": SimpleUploadedFile("s.csv", OURS.encode()), "column_map": '{"sku": "Item\\u0000code"}'},
        format="multipart",
    )

    assert response.status_code == 400
    assert "column_map" in response.json()
    assert UploadRecord.objects.for_business(business).count() == 0


def test_a_column_map_nested_50000_deep_is_a_400_naming_column_map(api, business):
    response = api.post(
        "/api/data/upload/transactions/",
        {"file": SimpleUploadedFile("s.csv", OURS.encode()), "column_map": "[" * 50_000 + "]" * 50_000},
        format="multipart",
    )

    assert response.status_code == 400
    assert "column_map" in response.json()


@pytest.mark.parametrize(
    "look_alike",
    ["\uff21\uff22\uff23-\uff11", "ABC\u200b-1", "\ufeffABC-1", "A\u00adBC-1", "ABC-1\u2060"],
    ids=["full-width", "zero-width-space", "byte-order-mark", "soft-hyphen", "word-joiner"],
)
def test_a_look_alike_sku_through_the_api_is_the_same_sku(api, business, look_alike):
    ProductFactory(business=business, sku="ABC-1")

    response = api.post("/api/data/inventory/products/", {"sku": look_alike, "name": "Mug"}, format="json")

    assert response.status_code == 400
    assert "sku" in response.json()
    assert Product.objects.for_business(business).count() == 1


def test_look_alike_skus_in_a_file_become_one_product(api, business):
    from data.ingestion.services import upload_process

    content = (
        "invoice,sku,quantity,unit_price,timestamp\n"
        "INV-1,ABC-1,1,1.50,2026-08-01T09:00:00\n"
        "INV-2,\uff21\uff22\uff23-\uff11,1,1.50,2026-08-01T09:01:00\n"
        "INV-3,ABC\u200b-1,1,1.50,2026-08-01T09:02:00\n"
        "INV-4,Cafe\u0301,1,1.50,2026-08-01T09:03:00\n"
        "INV-5,Caf\u00e9,1,1.50,2026-08-01T09:04:00\n"
    )

    response = api.post(
        "/api/data/upload/transactions/",
        {"file": SimpleUploadedFile("s.csv", content.encode())},
        format="multipart",
    )
    upload_process(upload_id=response.json()["id"])

    assert sorted(Product.objects.for_business(business).values_list("sku", flat=True)) == ["ABC-1", "Café"]
    assert Transaction.objects.for_business(business).count() == 5
