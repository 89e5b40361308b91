"""The receipts API: list, preview, correct, confirm into sales exactly once, reject, retry."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from data.models import ReceiptUploadRecord, StockMovement, Transaction
from tests.conftest import auth_client
from tests.factories import ProductFactory, ReceiptFactory

pytestmark = pytest.mark.django_db
Status = ReceiptUploadRecord.Status


def url(receipt, action: str = "") -> str:
    return f"/api/data/receipts/{receipt.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def bun(business):
    return ProductFactory(
        business=business, sku="BUN-1", name="Bun", unit_price=Decimal("1.50"), stock_quantity=50
    )


@pytest.fixture
def tart(business):
    return ProductFactory(
        business=business, sku="TART-1", name="Tart", unit_price=Decimal("6.00"), stock_quantity=5
    )


@pytest.fixture
def matched(business, bun, tart):
    """A ready receipt whose two lines name the business's products."""
    receipt = ReceiptFactory(business=business)
    receipt.line_items[0]["product"] = bun.pk
    receipt.line_items[1]["product"] = tart.pk
    receipt.save()
    return receipt


def sales(business):
    return Transaction.objects.for_business(business)


def test_the_list_shows_the_business_receipts_filtered_by_status(api, business):
    ready = ReceiptFactory(business=business)
    ReceiptFactory(business=business, status=Status.FAILED, detail="Tesseract gave up")
    ReceiptFactory()  # another business's

    everything = api.get("/api/data/receipts/").json()
    only_ready = api.get("/api/data/receipts/?status=ready").json()

    assert everything["count"] == 2
    assert [row["id"] for row in only_ready["results"]] == [ready.pk]


def test_the_preview_shows_what_was_read(api, business):
    receipt = ReceiptFactory(business=business)

    body = api.get(url(receipt)).json()

    assert body["status"] == "ready"
    assert body["merchant"] == "Corner Bakery Sdn Bhd"
    assert body["total"] == "9.00"
    assert body["raw_text"].startswith("CORNER BAKERY")
    assert [line["description"] for line in body["line_items"]] == ["BUN", "TART"]
    assert body["line_items"][0] == {
        "description": "BUN",
        "quantity": "2",
        "unit_price": "1.50",
        "total": "3.00",
        "product": None,
    }


def test_patch_edits_the_fields_and_replaces_the_line_items(api, business, bun):
    receipt = ReceiptFactory(business=business)

    response = api.patch(
        url(receipt),
        {
            "merchant": "Corner Bakery",
            "total": "4.50",
            "purchased_at": "2024-03-05T10:30:00Z",
            "line_items": [{"description": "Bun", "quantity": "3", "unit_price": "1.5", "product": bun.pk}],
        },
        format="json",
    )

    assert response.status_code == 200
    receipt.refresh_from_db()
    assert (receipt.merchant, receipt.total, receipt.purchased_at.isoformat()) == (
        "Corner Bakery",
        Decimal("4.50"),
        "2024-03-05T10:30:00+00:00",
    )
    assert receipt.line_items == [
        {
            "description": "Bun",
            "quantity": "3",
            "unit_price": "1.50",
            "total": "4.50",
            "product": bun.pk,
            "match_score": None,
            "confidence": 1.0,
        }
    ]


def test_patch_refuses_another_business_product_and_changes_nothing(api, business):
    receipt = ReceiptFactory(business=business)
    foreign = ProductFactory()
    items = [{"description": "X", "quantity": "1", "unit_price": "1.00", "product": foreign.pk}]

    response = api.patch(url(receipt), {"line_items": items}, format="json")

    assert response.status_code == 400
    assert "line_items" in response.json()
    receipt.refresh_from_db()
    assert receipt.line_items[0]["description"] == "BUN"


@pytest.mark.parametrize("status", [Status.PENDING, Status.PROCESSING, Status.FAILED, Status.CONFIRMED])
def test_patch_is_409_unless_ready(api, business, status):
    receipt = ReceiptFactory(business=business, status=status)

    response = api.patch(url(receipt), {"merchant": "Changed"}, format="json")

    assert response.status_code == 409
    receipt.refresh_from_db()
    assert receipt.merchant == "Corner Bakery Sdn Bhd"


def test_confirm_writes_each_line_as_a_sale_with_a_receipt_movement(api, business, matched, bun, tart, owner):
    response = api.post(url(matched, "confirm"))

    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    lines = sales(business).order_by("product__sku")
    assert [(line.product_id, line.quantity, line.unit_price, line.total, line.source) for line in lines] == [
        (bun.pk, 2, Decimal("1.50"), Decimal("3.00"), "receipt"),
        (tart.pk, 1, Decimal("6.00"), Decimal("6.00"), "receipt"),
    ]
    assert {line.invoice for line in lines} == {f"RECEIPT-{matched.pk}"}
    assert {line.timestamp for line in lines} == {matched.purchased_at}
    movements = StockMovement.objects.for_business(business).order_by("product__sku")
    assert [(movement.product_id, movement.change, movement.reason) for movement in movements] == [
        (bun.pk, -2, "receipt"),
        (tart.pk, -1, "receipt"),
    ]
    bun.refresh_from_db()
    tart.refresh_from_db()
    assert (bun.stock_quantity, tart.stock_quantity) == (48, 4)
    matched.refresh_from_db()
    assert matched.confirmed_by == owner


def test_the_edited_line_items_are_what_confirm_writes(api, business, matched, bun, tart):
    edited = [
        {"description": "Tart", "quantity": "3", "unit_price": "5.50", "product": tart.pk},
    ]
    api.patch(url(matched), {"line_items": edited}, format="json")

    response = api.post(url(matched, "confirm"))

    assert response.status_code == 200
    assert [(line.product_id, line.quantity, line.unit_price, line.total) for line in sales(business)] == [
        (tart.pk, 3, Decimal("5.50"), Decimal("16.50"))
    ]
    bun.refresh_from_db()
    assert bun.stock_quantity == 50


def test_a_second_confirm_is_409_and_writes_nothing_more(api, business, matched):
    api.post(url(matched, "confirm"))

    again = api.post(url(matched, "confirm"))

    assert again.status_code == 409
    assert sales(business).count() == 2


def test_unmatched_lines_must_be_resolved_first(api, business, bun):
    receipt = ReceiptFactory(business=business)
    receipt.line_items[0]["product"] = bun.pk
    receipt.save()

    response = api.post(url(receipt, "confirm"))

    assert response.status_code == 400
    body = response.json()
    assert "TART" in body["line_items"][0]
    assert body["unmatched_lines"] == [2]
    receipt.refresh_from_db()
    assert receipt.status == Status.READY
    assert sales(business).count() == 0


def test_a_fractional_quantity_cannot_become_a_sale(api, business, matched):
    matched.line_items[0]["quantity"] = "39.42"
    matched.save()

    response = api.post(url(matched, "confirm"))

    assert response.status_code == 400
    assert response.json()["lines"] == [1]
    assert sales(business).count() == 0


def test_not_enough_stock_refuses_the_whole_receipt(api, business, matched, bun):
    matched.line_items[1]["quantity"] = "6"  # 5 tarts on hand
    matched.save()

    response = api.post(url(matched, "confirm"))

    assert response.status_code == 400
    assert sales(business).count() == 0
    bun.refresh_from_db()
    assert bun.stock_quantity == 50
    matched.refresh_from_db()
    assert matched.status == Status.READY


def test_a_receipt_without_a_purchase_time_is_refused(api, business, matched):
    matched.purchased_at = None
    matched.save()

    response = api.post(url(matched, "confirm"))

    assert response.status_code == 400
    assert "purchased_at" in response.json()


def test_reject_closes_the_receipt_and_nothing_can_follow(api, business, matched):
    response = api.post(url(matched, "reject"))

    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert api.post(url(matched, "confirm")).status_code == 409
    assert api.post(url(matched, "reject")).status_code == 409
    assert api.patch(url(matched), {"merchant": "x"}, format="json").status_code == 409
    assert sales(business).count() == 0


def test_retry_requeues_a_failed_receipt_only(api, business, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr(ReceiptUploadRecord, "send", classmethod(lambda cls, pk: queued.append(pk) or True))
    failed = ReceiptFactory(business=business, status=Status.FAILED, detail="Tesseract gave up after 120 s")
    ready = ReceiptFactory(business=business)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url(failed, "retry"))
    refused = api.post(url(ready, "retry"))

    assert response.status_code == 202
    assert response.json() == {"id": failed.pk, "status": "pending"}
    failed.refresh_from_db()
    assert (failed.status, failed.detail) == (Status.PENDING, "")
    assert queued == [failed.pk]
    assert refused.status_code == 409


def test_a_viewer_reads_but_cannot_confirm(business, viewer, matched):
    client = auth_client(viewer, business)

    assert client.get(url(matched)).status_code == 200
    assert client.post(url(matched, "confirm")).status_code == 403
    assert sales(business).count() == 0


@pytest.mark.django_db(transaction=True)
def test_of_two_simultaneous_confirms_exactly_one_writes(business, owner, bun, tart):
    receipt = ReceiptFactory(business=business)
    receipt.line_items[0]["product"] = bun.pk
    receipt.line_items[1]["product"] = tart.pk
    receipt.save()
    start = threading.Barrier(2)
    answers = []

    def confirm():
        client = auth_client(owner, business)
        start.wait()
        try:
            answers.append(client.post(url(receipt, "confirm")).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200, 409]
    assert sales(business).count() == 2
    assert StockMovement.objects.for_business(business).filter(reason="receipt").count() == 2
    bun.refresh_from_db()
    assert bun.stock_quantity == 48
