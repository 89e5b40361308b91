"""POST /api/data/upload/receipt/: what an image must be before it is stored and queued."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from data.models import ReceiptUploadRecord
from tests.data.receipt_data import image_path

URL = "/api/data/upload/receipt/"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_ocr(monkeypatch):
    """These tests are about the upload: the queued OCR is recorded, not run."""
    queued = []
    monkeypatch.setattr(ReceiptUploadRecord, "send", classmethod(lambda cls, pk: queued.append(pk) or True))
    return queued


def upload(api, content: bytes, name: str = "receipt.jpg", content_type: str = "image/jpeg"):
    return api.post(URL, {"file": SimpleUploadedFile(name, content, content_type)}, format="multipart")


def encoded(image: Image.Image, format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def receipts(business):
    return ReceiptUploadRecord.objects.for_business(business)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few dozen bytes: a decompression bomb's header."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_real_receipt_photo_is_accepted_and_queued(
    api, business, no_ocr, django_capture_on_commit_callbacks
):
    content = image_path("084").read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, content, "IMG_0001.jpg")

    assert response.status_code == 202
    receipt = receipts(business).get()
    assert response.json() == {"id": receipt.pk, "status": "pending", "duplicate": False}
    assert (receipt.width, receipt.height, receipt.file_name) == (932, 1644, "IMG_0001.jpg")
    assert receipt.image.name.endswith(".jpg") and "IMG_0001" not in receipt.image.name
    assert no_ocr == [receipt.pk]


def test_the_same_bytes_again_return_the_first_receipt_and_queue_nothing(
    api, business, no_ocr, django_capture_on_commit_callbacks
):
    content = image_path("084").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        first = upload(api, content).json()

    with django_capture_on_commit_callbacks(execute=True):
        again = upload(api, content, "copy.jpg")

    assert again.status_code == 200
    assert again.json() == {"id": first["id"], "status": "pending", "duplicate": True}
    assert receipts(business).count() == 1
    assert no_ocr == [first["id"]]


def test_a_png_named_jpg_is_judged_by_its_content(api, business):
    content = encoded(Image.new("L", (300, 500), 255), "PNG")

    response = upload(api, content, "scan.jpg", "image/jpeg")

    assert response.status_code == 202
    assert receipts(business).get().image.name.endswith(".png")


def test_webp_is_accepted(api, business):
    response = upload(api, encoded(Image.new("RGB", (300, 500), "white"), "WEBP"), "r.webp", "image/webp")

    assert response.status_code == 202


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (encoded(Image.new("RGB", (50, 50), "white"), "GIF"), "receipt.gif"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "receipt.jpg"),
        (encoded(Image.new("RGB", (50, 50), "white"), "BMP"), "receipt.png"),
        (b"", "empty.jpg"),
        (b"date,total\n2024-01-01,9.00\n", "receipt.jpg"),
    ],
    ids=["gif", "pdf-named-jpg", "bmp", "empty", "csv"],
)
def test_other_formats_are_refused_naming_the_file_field(api, business, no_ocr, content, name):
    response = upload(api, content, name)

    assert response.status_code == 400
    assert "file" in response.json()
    assert receipts(business).count() == 0
    assert no_ocr == []


def test_a_truncated_jpeg_is_refused(api, business):
    content = image_path("084").read_bytes()

    response = upload(api, content[: len(content) // 2])

    assert response.status_code == 400
    assert "truncated" in response.json()["file"][0]
    assert receipts(business).count() == 0


def test_a_decompression_bomb_is_refused_from_its_header(api, business):
    content = png_header_only(100_000, 100_000)  # ten gigapixels claimed in 80 bytes

    response = upload(api, content, "bomb.png", "image/png")

    assert response.status_code == 400
    assert "too many pixels" in response.json()["file"][0]
    assert receipts(business).count() == 0


def test_just_over_the_pixel_limit_is_refused_and_the_limit_is_a_setting(api, business, settings):
    settings.RECEIPT_MAX_PIXELS = 100 * 100
    content = encoded(Image.new("L", (101, 100), 255), "PNG")

    response = upload(api, content, "scan.png", "image/png")

    assert response.status_code == 400
    assert "too many pixels" in response.json()["file"][0]


def test_a_file_over_the_byte_limit_is_413(api, business, settings):
    settings.RECEIPT_MAX_BYTES = 1024
    response = upload(api, image_path("084").read_bytes())

    assert response.status_code == 413
    assert receipts(business).count() == 0


def test_an_a4_scan_at_600_dpi_is_accepted(api, business):
    scan = Image.new("L", (4961, 7016), 255)  # 34.8 megapixels
    ImageDraw.Draw(scan).text((400, 400), "TOTAL 9.00", fill=0)
    content = encoded(scan, "JPEG", quality=80)

    response = upload(api, content, "scan.jpg")

    assert response.status_code == 202
    receipt = receipts(business).get()
    assert (receipt.width, receipt.height) == (4961, 7016)


def test_exif_orientation_is_applied_and_location_is_not_stored(api, business):
    photo = Image.new("RGB", (200, 100), "white")
    ImageDraw.Draw(photo).rectangle((0, 0, 20, 20), fill="black")  # a mark in the top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; rotate 90° clockwise to view
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS
    content = encoded(photo, "JPEG", exif=exif, quality=95)
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825)  # the fixture does carry a location

    response = upload(api, content, "photo.jpg")

    assert response.status_code == 202
    with receipts(business).get().image.open("rb") as handle, Image.open(handle) as stored:
        assert stored.size == (100, 200)  # upright
        assert not stored.getexif()  # no orientation, maker or GPS
        assert "exif" not in stored.info
        assert stored.convert("L").getpixel((95, 5)) < 80  # the mark is now top-right
