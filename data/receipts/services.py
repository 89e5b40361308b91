"""The receipt job: upload → OCR (the ``ocr`` queue) → ready → edited → confirmed into sales, once.

Every write to a receipt goes through here. The receipt row is the lock: each action locks it and
checks its status first, so a confirm that arrives twice (a double click, two tabs) writes its sales once
and the second is a 409, and a reject cannot slip between the OCR's read and its write.
"""

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from datetime import time as clock
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from data.models import Product, ReceiptUploadRecord, StockMovement, Transaction
from data.parsing.receipts import CENT, ParsedReceipt, receipt_parse_words
from data.receipts.images import receipt_image_check, receipt_size_check
from data.receipts.matching import products_match
from data.receipts.ocr import OcrError, ocr_engine
from data.services import transaction_create
from project.common.exceptions import ApplicationError, ConflictError
from project.common.locks import advisory_xact_lock

logger = logging.getLogger(__name__)

Status = ReceiptUploadRecord.Status
UNIT_PRICE_PLACES = Decimal("0.0001")


def _sha256(file) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for block in file.chunks():
        digest.update(block)
    file.seek(0)
    return digest.hexdigest()


def receipt_create(*, business, user, file) -> tuple[ReceiptUploadRecord, bool]:
    """Check an uploaded receipt image, store it cleaned (upright, no EXIF) and queue its OCR.

    Returns ``(receipt, created)``: the same bytes sent again return the receipt they made, whatever
    its status, and nothing is queued. Raises a 400 (``file``) for anything but a whole JPEG, PNG or
    WebP image within the pixel limit, 413 above the byte limit.
    """
    receipt_size_check(file.size)
    sha256 = _sha256(file)
    existing = ReceiptUploadRecord.objects.for_business(business).filter(sha256=sha256).first()
    if existing is not None:
        return existing, False
    checked = receipt_image_check(file)
    with transaction.atomic():
        # The same bytes twice at once: the second waits, then finds the first one's receipt.
        advisory_xact_lock(f"receipt-file:{business.pk}:{sha256}")
        existing = ReceiptUploadRecord.objects.for_business(business).filter(sha256=sha256).first()
        if existing is not None:
            return existing, False
        receipt = ReceiptUploadRecord(
            business=business,
            created_by=user,
            sha256=sha256,
            file_name=(file.name or "")[:255],
            size_bytes=file.size,
            width=checked.width,
            height=checked.height,
        )
        # Named by content, not by the client's file name (which may say more than it should).
        receipt.image.save(f"{sha256[:32]}.{checked.extension}", ContentFile(checked.content), save=False)
        receipt.save()
        receipt.enqueue()  # after commit; a broker that is down leaves it pending for the sweep
    return receipt, True


def receipt_read(*, receipt_id: int, token: str = "") -> ReceiptUploadRecord | None:
    """OCR a pending receipt and parse what it says: READY with the fields filled, or FAILED with why.

    Returns None when the receipt is gone or no longer runnable (a duplicate delivery, or rejected
    while it waited).
    """
    receipt = ReceiptUploadRecord.claim(receipt_id, token=token)
    if receipt is None:
        return None
    try:
        result = ocr_engine().read(receipt.image.path)
        parsed = receipt_parse_words(result.words)
        fields = _fields_from_parse(receipt, parsed)
    except OcrError as error:
        return _end(receipt, status=Status.FAILED, detail=str(error))
    except Exception as error:  # a bug or an unreadable file must not leave the receipt processing
        logger.exception("Reading receipt %s failed", receipt_id)
        return _end(receipt, status=Status.FAILED, detail=f"The receipt could not be read: {error}")
    return _end(
        receipt,
        status=Status.READY,
        detail="",
        ocr_engine=result.engine[:80],
        ocr_seconds=result.seconds,
        **fields,
    )


def _end(receipt: ReceiptUploadRecord, *, status: str, detail: str, **fields) -> ReceiptUploadRecord | None:
    """Write the OCR's outcome only if the receipt is still this worker's (still PROCESSING)."""
    with transaction.atomic():
        current = ReceiptUploadRecord.unscoped_objects.select_for_update().filter(pk=receipt.pk).first()
        if current is None or current.status != Status.PROCESSING:
            return None
        current.finish(status=status, detail=detail, **fields)
    return current


def _fields_from_parse(receipt: ReceiptUploadRecord, parsed: ParsedReceipt) -> dict:
    matches = products_match(
        business=receipt.business, descriptions=[item.description for item in parsed.line_items]
    )
    line_items = []
    for item, match in zip(parsed.line_items, matches, strict=True):
        line = item.as_dict()
        line["product"] = match.product_id if match else None
        line["match_score"] = match.score if match else None
        line_items.append(line)
    purchased_at = None
    if parsed.purchase_date is not None:
        purchased_at = timezone.make_aware(
            datetime.combine(parsed.purchase_date, parsed.purchase_time or clock(0)),
            _zone(receipt.business.timezone),
        )
    return {
        "merchant": parsed.merchant[:200],
        "purchased_at": purchased_at,
        "total": parsed.total,
        "line_items": line_items,
        "raw_text": parsed.raw_text,
        "confidence": parsed.confidence,
        "notes": parsed.notes,
    }


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _locked(receipt: ReceiptUploadRecord) -> ReceiptUploadRecord:
    return (
        ReceiptUploadRecord.objects.for_business(receipt.business_id).select_for_update().get(pk=receipt.pk)
    )


def _money_text(value: Decimal, places: Decimal = CENT) -> str:
    value = Decimal(value).quantize(places)
    # Up to four places for unit prices, but never fewer than two ("0.0010", "5.90").
    text = format(value.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def receipt_update(*, receipt: ReceiptUploadRecord, data: Mapping) -> ReceiptUploadRecord:
    """Save the merchant's corrections (merchant, purchased_at, total, line_items) while READY.

    ``line_items`` replaces the list: each ``{description, quantity, unit_price, total?, product?}``
    with ``product`` a Product of the receipt's business (or None); a missing total is quantity times
    unit price.
    """
    with transaction.atomic():
        locked = _locked(receipt)
        if locked.status not in ReceiptUploadRecord.EDITABLE:
            raise ConflictError(f"Only a ready receipt can be edited; this one is {locked.status}.")
        changed = []
        for name in ("merchant", "purchased_at", "total"):
            if name in data:
                setattr(locked, name, data[name])
                changed.append(name)
        if "line_items" in data:
            locked.line_items = [_line_item_clean(item) for item in data["line_items"]]
            changed.append("line_items")
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    return locked


def _line_item_clean(item: Mapping) -> dict:
    quantity = Decimal(item["quantity"])
    unit_price = Decimal(item["unit_price"])
    total = item.get("total")
    total = (quantity * unit_price).quantize(CENT) if total is None else Decimal(total).quantize(CENT)
    product = item.get("product")
    return {
        "description": item["description"],
        "quantity": format(quantity.normalize(), "f")
        if quantity == quantity.to_integral()
        else str(quantity),
        "unit_price": _money_text(unit_price, UNIT_PRICE_PLACES),
        "total": _money_text(total),
        "product": getattr(product, "pk", product),
        "match_score": None,
        "confidence": 1.0,
    }


def receipt_confirm(*, receipt: ReceiptUploadRecord, user) -> ReceiptUploadRecord:
    """Write the receipt's line items as sales with their stock movements, all or nothing, once.

    The receipt row is locked first: of two confirms at once, one writes and the other then finds the
    receipt CONFIRMED (409). Every line must name a product of the business (the merchant picks one for
    each line OCR could not match, or removes the line), have a whole, non-zero quantity, and the
    receipt a purchase time; otherwise 400 naming the lines. Each sale carries the line key
    ``receipt:<id>:<line>``, so even a second writer past the lock could not write a line twice.
    Stock goes down (up for a negative quantity) through the same service as API sales, with movement
    reason ``receipt``; not enough stock of a product refuses the whole receipt (400).
    """
    with transaction.atomic():
        locked = _locked(receipt)
        if locked.status != Status.READY:
            raise ConflictError(f"Only a ready receipt can be confirmed; this one is {locked.status}.")
        if locked.purchased_at is None:
            raise ApplicationError(
                "The purchase date is missing: set purchased_at before confirming.", field="purchased_at"
            )
        lines = _confirmable_lines(locked)
        products = Product.objects.for_business(locked.business_id).in_bulk(
            {line["product"] for _, line in lines}
        )
        missing = [number for number, line in lines if line["product"] not in products]
        if missing:
            raise ApplicationError(
                f"Line(s) {', '.join(map(str, missing))} name a product that no longer exists.",
                field="line_items",
                extra={"lines": missing},
            )
        # Products in primary-key order: each sale locks its product, and this order cannot deadlock.
        for number, line in sorted(lines, key=lambda pair: (pair[1]["product"], pair[0])):
            transaction_create(
                business=locked.business,
                user=user,
                product=products[line["product"]],
                quantity=int(Decimal(line["quantity"])),
                unit_price=Decimal(line["unit_price"]).quantize(CENT),
                timestamp=locked.purchased_at,
                invoice=f"RECEIPT-{locked.pk}",
                source=Transaction.Source.RECEIPT,
                movement_reason=StockMovement.Reason.RECEIPT,
                line_key=f"receipt:{locked.pk}:{number}",
            )
        locked.status = Status.CONFIRMED
        locked.confirmed_at = timezone.now()
        locked.confirmed_by = user
        locked.save(update_fields=["status", "confirmed_at", "confirmed_by", "updated_at"])
    return locked


def _confirmable_lines(receipt: ReceiptUploadRecord) -> list[tuple[int, dict]]:
    """(line number from 1, line) of every line item, or a 400 naming the lines that cannot be sales."""
    lines = list(enumerate(receipt.line_items, start=1))
    if not lines:
        raise ApplicationError("The receipt has no line items to confirm.", field="line_items")
    unmatched = [(number, line) for number, line in lines if not line.get("product")]
    if unmatched:
        names = "; ".join(f'{number} ("{line.get("description", "")}")' for number, line in unmatched)
        raise ApplicationError(
            f"Pick a product for (or remove) line(s) {names}: they match no product in the catalogue.",
            field="line_items",
            extra={"unmatched_lines": [number for number, _ in unmatched]},
        )
    not_whole = [
        number
        for number, line in lines
        if (quantity := Decimal(line["quantity"])) != quantity.to_integral_value() or quantity == 0
    ]
    if not_whole:
        raise ApplicationError(
            f"Line(s) {', '.join(map(str, not_whole))} need a whole, non-zero quantity to become sales.",
            field="line_items",
            extra={"lines": not_whole},
        )
    return lines


def receipt_reject(*, receipt: ReceiptUploadRecord) -> ReceiptUploadRecord:
    """Close a receipt without writing anything: allowed while pending, ready or failed (409 while OCR
    is running, and once confirmed or rejected)."""
    with transaction.atomic():
        locked = _locked(receipt)
        if locked.status not in (Status.PENDING, Status.READY, Status.FAILED):
            raise ConflictError(f"A {locked.status} receipt cannot be rejected.")
        locked.status = Status.REJECTED
        locked.finished_at = locked.finished_at or timezone.now()
        locked.save(update_fields=["status", "finished_at", "updated_at"])
    return locked


def receipt_retry(*, receipt: ReceiptUploadRecord) -> ReceiptUploadRecord:
    """Queue a failed receipt's OCR again (409 for any other status)."""
    with transaction.atomic():
        locked = _locked(receipt)
        if locked.status != Status.FAILED:
            raise ConflictError(f"Only a failed receipt can be retried; this one is {locked.status}.")
        locked.status = Status.PENDING
        locked.detail = ""
        locked.started_at = locked.finished_at = locked.heartbeat_at = None
        locked.save(
            update_fields=["status", "detail", "started_at", "finished_at", "heartbeat_at", "updated_at"]
        )
        locked.enqueue()
    return locked


def receipts_retry(*, receipts: Sequence[ReceiptUploadRecord]) -> int:
    """Retry the failed ones among ``receipts`` (the admin action); returns how many were queued."""
    retried = 0
    for receipt in receipts:
        try:
            receipt_retry(receipt=receipt)
        except ConflictError:
            continue  # not failed (any more): nothing to retry
        retried += 1
    return retried
