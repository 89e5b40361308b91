"""Reading receipts: real Tesseract on real receipts, an external OCR service (a fake server started
here), failures kept with their reason, product matching, and one receipt through a real worker."""

import json
import shutil
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from data.models import ReceiptUploadRecord, StockMovement, Transaction
from data.receipts.matching import products_match
from data.receipts.services import receipt_create, receipt_read, receipt_retry
from tests.data.receipt_data import image_path, key_date, key_total
from tests.factories import ProductFactory
from tests.worker import wait_until

Status = ReceiptUploadRecord.Status
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract-ocr is not installed"
)


@pytest.fixture
def stored(business, owner, monkeypatch):
    """Store a receipt image as the upload does, without queueing it: the test runs the OCR itself."""
    monkeypatch.setattr(ReceiptUploadRecord, "send", classmethod(lambda cls, pk: True))

    def store(content: bytes, name: str = "receipt.jpg") -> ReceiptUploadRecord:
        receipt, _ = receipt_create(business=business, user=owner, file=SimpleUploadedFile(name, content))
        return receipt

    return store


@needs_tesseract
@pytest.mark.django_db
@pytest.mark.parametrize("receipt_name", ["084", "063", "546"])
def test_tesseract_reads_the_total_and_date_of_real_receipts(stored, receipt_name):
    receipt = stored(image_path(receipt_name).read_bytes())

    receipt_read(receipt_id=receipt.pk)

    receipt.refresh_from_db()
    assert receipt.status == Status.READY, receipt.detail
    assert receipt.total == key_total(receipt_name)
    assert receipt.purchased_at.date() == key_date(receipt_name)
    assert receipt.raw_text
    assert receipt.ocr_engine.startswith("tesseract 5")
    assert set(receipt.confidence) >= {"total", "purchase_date", "merchant", "line_items"}


@needs_tesseract
@pytest.mark.django_db
def test_tesseract_that_runs_out_of_time_leaves_the_receipt_failed_with_the_reason(stored, settings):
    settings.OCR_TIMEOUT_SECONDS = 0.01
    receipt = stored(image_path("084").read_bytes())

    receipt_read(receipt_id=receipt.pk)

    receipt.refresh_from_db()
    assert receipt.status == Status.FAILED
    assert "Tesseract gave up" in receipt.detail
    assert receipt.finished_at is not None


@pytest.mark.django_db
def test_a_receipt_no_longer_pending_is_not_read_again(stored):
    receipt = stored(image_path("084").read_bytes())
    ReceiptUploadRecord.objects.for_business(receipt.business).filter(pk=receipt.pk).update(
        status=Status.REJECTED
    )

    assert receipt_read(receipt_id=receipt.pk) is None

    receipt.refresh_from_db()
    assert (receipt.status, receipt.attempts) == (Status.REJECTED, 0)


# --- an external OCR service ------------------------------------------------------------------------


class FakeOcrService:
    """An HTTP server on a free port answering as ``answers`` says; records what it was sent."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[tuple[int, bytes]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.requests.append(
                    {
                        "body": body,
                        "type": self.headers["Content-Type"],
                        "auth": self.headers["Authorization"],
                    }
                )
                code, answer = service.answers.pop(0)
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/ocr"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def word(text, left, top, width=60, height=20):
    return {"text": text, "left": left, "top": top, "width": width, "height": height, "confidence": 95}


RECEIPT_WORDS = {
    "words": [
        word("CORNER", 10, 10),
        word("BAKERY", 80, 10),
        word("SDN", 150, 10),
        word("BHD", 200, 10),
        word("DATE:", 10, 50),
        word("05/03/2018", 80, 50),
        word("14:02", 200, 50),
        word("KAYA", 10, 90),
        word("PUFF", 80, 90),
        word("4", 150, 90, 10),
        word("1.60", 200, 90),
        word("6.40", 300, 91),
        word("TOTAL", 10, 130),
        word("RM", 200, 131),
        word("6.40", 300, 129),
        word("CASH", 10, 170),
        word("10.00", 300, 170),
        word("CHANGE", 10, 210),
        word("3.60", 300, 210),
    ]
}


@pytest.fixture
def ocr_service(settings):
    service = FakeOcrService()
    settings.OCR_PROVIDER_URL = service.url
    settings.OCR_PROVIDER_TOKEN = "test-token"
    yield service
    service.close()


@pytest.mark.django_db
def test_with_ocr_provider_url_the_external_service_reads_the_receipt(stored, ocr_service, business):
    kaya = ProductFactory(business=business, sku="KP-01", name="Kaya Puff")
    ocr_service.answers.append((200, json.dumps(RECEIPT_WORDS).encode()))
    content = image_path("084").read_bytes()
    receipt = stored(content)

    receipt_read(receipt_id=receipt.pk)

    receipt.refresh_from_db()
    assert receipt.status == Status.READY, receipt.detail
    assert (receipt.merchant, receipt.total) == ("CORNER BAKERY SDN BHD", Decimal("6.40"))
    assert receipt.purchased_at.isoformat() == "2018-03-05T14:02:00+00:00"
    assert [
        (line["description"], line["quantity"], line["unit_price"], line["product"])
        for line in receipt.line_items
    ] == [("KAYA PUFF", "4", "1.60", kaya.pk)]
    assert receipt.ocr_engine == f"http {ocr_service.url}"
    sent = ocr_service.requests[0]
    assert (sent["type"], sent["auth"]) == ("image/jpeg", "Bearer test-token")
    assert sent["body"][:2] == b"\xff\xd8"  # the stored JPEG


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((503, b'{"error": "busy"}'), "The OCR service answered 503"),
        ((200, b"<html>oops</html>"), "not JSON"),
        ((200, b'{"text": "TOTAL 9.00"}'), 'no "words" or "lines"'),
        ((200, b'{"words": [{"text": "TOTAL"}]}'), "words[0] lacks text or a box"),
    ],
)
def test_an_ocr_service_failure_leaves_the_receipt_failed_with_the_reason(
    stored, ocr_service, answer, reason
):
    ocr_service.answers.append(answer)
    receipt = stored(image_path("084").read_bytes())

    receipt_read(receipt_id=receipt.pk)

    receipt.refresh_from_db()
    assert receipt.status == Status.FAILED
    assert reason in receipt.detail


@pytest.mark.django_db
def test_a_failed_receipt_retried_is_read_again(stored, ocr_service):
    ocr_service.answers.extend([(503, b"{}"), (200, json.dumps(RECEIPT_WORDS).encode())])
    receipt = stored(image_path("084").read_bytes())
    receipt_read(receipt_id=receipt.pk)

    receipt_retry(receipt=receipt)
    receipt_read(receipt_id=receipt.pk)

    receipt.refresh_from_db()
    assert (receipt.status, receipt.detail, receipt.attempts) == (Status.READY, "", 2)
    assert receipt.total == Decimal("6.40")


# --- matching lines to the catalogue ------------------------------------------------------------------


@pytest.mark.django_db
def test_lines_match_products_by_sku_or_a_close_name_and_otherwise_stay_unmatched(business):
    peg = ProductFactory(business=business, sku="9555112901406", name="Cloth peg E-140")
    tart = ProductFactory(business=business, sku="CT-7", name="Cheese Lemon Tart")
    ProductFactory(business=business, sku="ZZ-1", name="Garden Hose")
    ProductFactory(sku="OTHER-1", name="Cheese Puff")  # another business's

    matches = products_match(
        business=business,
        descriptions=["9555112901406 CLOTH PEG", "CHEESE LEMON TAR", "SPONGE DISHES 6103#", "CHEESE PUFF"],
    )

    assert [(match.product_id, match.by) if match else None for match in matches] == [
        (peg.pk, "sku"),
        (tart.pk, "name"),
        None,
        None,
    ]


# --- through a real worker ----------------------------------------------------------------------------


@needs_tesseract
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_receipt_goes_from_upload_through_a_worker_to_ready_and_is_confirmed(start_worker, api, business):
    peg = ProductFactory(business=business, sku="PEG-1", name="Cloth peg", stock_quantity=10)
    start_worker()

    uploaded = api.post(
        "/api/data/upload/receipt/",
        {"file": SimpleUploadedFile("diy.jpg", image_path("084").read_bytes(), "image/jpeg")},
        format="multipart",
    )
    assert uploaded.status_code == 202
    receipt_url = f"/api/data/receipts/{uploaded.json()['id']}/"
    body = wait_until(
        lambda: (answer := api.get(receipt_url).json())["status"] in {"ready", "failed"} and answer,
        timeout=240,
        message="the worker to read the receipt",
    )
    assert body["status"] == "ready", body["detail"]
    assert body["total"] == "5.90"
    line = {"description": "CLOTH PEG", "quantity": "1", "unit_price": "5.90", "product": peg.pk}
    assert api.patch(receipt_url, {"line_items": [line]}, format="json").status_code == 200

    confirmed = api.post(f"{receipt_url}confirm/")

    assert confirmed.status_code == 200
    sale = Transaction.objects.for_business(business).get()
    assert (sale.product_id, sale.quantity, sale.total, sale.source) == (
        peg.pk,
        1,
        Decimal("5.90"),
        "receipt",
    )
    assert sale.timestamp.date().isoformat() == "2017-10-18"
    movement = StockMovement.objects.for_business(business).get()
    assert (movement.change, movement.reason, movement.stock_after) == (-1, "receipt", 9)
