"""CSV uploads through the API: real data, awkward files, idempotency, stock counts, operators."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum

from data.ingestion.services import upload_process
from data.models import Customer, Product, StockMovement, Transaction, UploadRecord
from tests.conftest import auth_client
from tests.data.real_data import expected, read_rows, write_csv
from tests.factories import MembershipFactory, ProductFactory, UserFactory

# Every total is whole cents: sums are compared at cents.
CENT = Decimal("0.01")

pytestmark = pytest.mark.django_db

UPLOAD = "/api/data/upload/transactions/"
INVENTORY = "/api/data/upload/inventory/"
OURS = "invoice,sku,quantity,unit_price,timestamp,customer_id,product_name\n"


def send(client, content: bytes | str, *, url=UPLOAD, name="sales.csv", **fields):
    """Upload a file and, as the worker would, process it in this process; returns (response, upload)."""
    data = content.encode() if isinstance(content, str) else content
    response = client.post(url, {"file": SimpleUploadedFile(name, data), **fields}, format="multipart")
    upload = None
    if response.status_code in (200, 202):
        upload_process(upload_id=response.json()["id"])
        upload = UploadRecord.objects.unscoped().get(pk=response.json()["id"])
    return response, upload


def sales(business):
    return Transaction.objects.for_business(business)


def test_a_slice_of_the_real_file_imports_with_exact_counts_and_revenue(api, business, tmp_path):
    header, rows = read_rows(0, 20_000)
    truth = expected(rows)
    path = write_csv(tmp_path / "retail.csv", header, rows)

    response, upload = send(api, path.read_bytes(), name="retail.csv")

    assert response.status_code == 202
    assert (
        upload.status,
        upload.rows_total,
        upload.rows_imported,
        upload.rows_skipped,
        upload.rows_failed,
    ) == (
        "completed",
        truth.rows,
        truth.good,
        0,
        truth.bad,
    )
    assert sales(business).count() == truth.good
    assert sales(business).aggregate(revenue=Sum("total"))["revenue"].quantize(CENT) == truth.revenue
    assert Product.objects.for_business(business).count() == truth.products
    assert Customer.objects.for_business(business).count() == truth.customers
    assert sales(business).filter(quantity__lt=0).count() == truth.returns
    assert sales(business).filter(customer__isnull=True).exists()  # anonymous sales are kept


def test_the_same_bytes_again_return_the_existing_upload_and_add_nothing(api, business, tmp_path):
    header, rows = read_rows(0, 2_000)
    content = write_csv(tmp_path / "a.csv", header, rows).read_bytes()
    first, upload = send(api, content)

    again = api.post(UPLOAD, {"file": SimpleUploadedFile("renamed.csv", content)}, format="multipart")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["duplicate"] is True
    assert sales(business).count() == upload.rows_imported
    assert UploadRecord.objects.for_business(business).count() == 1


def test_an_overlapping_export_adds_only_the_new_lines(api, business, tmp_path):
    header, rows = read_rows(0, 6_000)
    truth_all = expected(rows)
    send(api, write_csv(tmp_path / "first.csv", header, rows[:4_000]).read_bytes())

    _, second = send(api, write_csv(tmp_path / "second.csv", header, rows[2_000:]).read_bytes())

    overlap = expected(rows[2_000:4_000])
    assert (second.rows_imported, second.rows_skipped) == (expected(rows[4_000:]).good, overlap.good)
    assert sales(business).count() == truth_all.good
    assert sales(business).aggregate(revenue=Sum("total"))["revenue"].quantize(CENT) == truth_all.revenue


def test_two_identical_lines_in_one_invoice_are_two_sales(api, business):
    line = "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\n"

    _, upload = send(api, OURS + line + line)

    assert (upload.rows_imported, upload.rows_skipped) == (2, 0)
    assert sales(business).filter(invoice="INV1").count() == 2


def test_bad_rows_are_reported_by_line_and_column_while_good_rows_import(api, business):
    content = (
        OURS
        + "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\n"
        + "INV2,TEA,2,-1.50,2024-03-01 10:00,C1,Tea\n"
        + 'INV3,MUG,1,4.00,2024-03-02 11:00,C2,"Mug,\nwith a line break"\n'
        + "INV4,MUG,abc,4.00,2024-03-02 11:00,C2,Mug\n"
        + "INV5,MUG,1,4.00,not a date,C2,Mug\n"
        + "INV6,MUG,1,4.00,2024-03-03 09:00,C3,Mug\n"
    )

    _, upload = send(api, content)
    detail = api.get(f"/api/data/uploads/{upload.pk}/").json()

    assert (upload.status, upload.rows_total, upload.rows_imported, upload.rows_failed) == (
        "completed",
        6,
        3,
        3,
    )
    assert [(error["line"], error["column"]) for error in detail["errors"]] == [
        (3, "unit_price"),
        (6, "quantity"),
        (7, "timestamp"),
    ]
    assert all(error["message"] for error in detail["errors"])
    assert sorted(sales(business).values_list("invoice", flat=True)) == ["INV1", "INV3", "INV6"]


def test_a_header_that_fits_nothing_fails_at_once_naming_what_is_missing(api, business):
    response = api.post(
        UPLOAD,
        {"file": SimpleUploadedFile("x.csv", b"invoice,when,how many\nA,2024-01-01,1\n")},
        format="multipart",
    )

    assert response.status_code == 400
    body = response.json()
    assert "file" in body
    assert {"sku", "unit_price"} <= set(body["missing_columns"])
    upload = UploadRecord.objects.for_business(business).get(pk=body["id"])
    assert upload.status == "failed"
    assert not sales(business).exists()


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "empty.csv"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 50, "photo.csv")],
)
def test_empty_files_and_binary_junk_fail_cleanly(api, business, content, name):
    response = api.post(UPLOAD, {"file": SimpleUploadedFile(name, content)}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()
    assert not sales(business).exists()


def test_a_header_alone_fails_with_a_clear_reason(api, business):
    _, upload = send(api, OURS)

    assert upload.status == "failed"
    assert "no data rows" in upload.detail


def test_a_failed_file_leaves_earlier_data_untouched(api, business):
    send(api, OURS + "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\n")
    before = list(sales(business).values_list("line_key", "quantity", "total"))

    response = api.post(
        UPLOAD, {"file": SimpleUploadedFile("bad.csv", b"\x00\x01\x02" * 100)}, format="multipart"
    )

    assert response.status_code == 400
    assert list(sales(business).values_list("line_key", "quantity", "total")) == before


AWKWARD = {
    "utf8_bom_crlf": (
        "\ufeffInvoice,SKU,Quantity,Unit Price,Timestamp\r\nA1,TEA,2,1.50,2024-03-01 10:00\r\n".encode(),
        {},
        [("A1", "TEA", 2, Decimal("1.50"), "2024-03-01")],
    ),
    "cp1252_pound_sign": (
        (
            "invoice,sku,quantity,unit_price,timestamp,product_name\n"
            "A1,TEA,1,2.00,2024-03-01 10:00,Crème brûlée £\n"
        ).encode("cp1252"),
        {},
        [("A1", "TEA", 1, Decimal("2.00"), "2024-03-01")],
    ),
    "semicolons_and_decimal_commas": (
        b"invoice;sku;quantity;unit_price;timestamp\nA1;TEA;3;1,25;2024-03-01 10:00\n",
        {},
        [("A1", "TEA", 3, Decimal("1.25"), "2024-03-01")],
    ),
    "tabs": (
        b"invoice\tsku\tquantity\tunit_price\ttimestamp\nA1\tTEA\t1\t9.99\t2024-03-01 10:00\n",
        {},
        [("A1", "TEA", 1, Decimal("9.99"), "2024-03-01")],
    ),
    "uci_us_dates_and_a_cancellation": (
        b"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        b"536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n"
        b"C536379,85123A,WHITE HANGING HEART,-1,12/13/2010 9:41,2.55,17850.0,United Kingdom\n",
        {},
        [
            ("536365", "85123A", 6, Decimal("2.55"), "2010-12-01"),
            ("C536379", "85123A", -1, Decimal("2.55"), "2010-12-13"),
        ],
    ),
    "day_first_dates_with_the_setting": (
        b"invoice,sku,quantity,unit_price,timestamp\nA1,TEA,1,1.00,05/03/2024 10:00\n",
        {"date_order": "dmy"},
        [("A1", "TEA", 1, Decimal("1.00"), "2024-03-05")],
    ),
    "column_map_for_another_layout": (
        b"Ref,Item code,Units,Each,Sold at\nA1,TEA,4,0.50,2024-03-01 10:00\n",
        {
            "column_map": '{"invoice": "Ref", "sku": "Item code", "quantity": "Units", "unit_price": "Each", '
            '"timestamp": "Sold at"}'
        },
        [("A1", "TEA", 4, Decimal("0.50"), "2024-03-01")],
    ),
}


@pytest.mark.parametrize("case", sorted(AWKWARD))
def test_awkward_files_import_exactly(api, business, case):
    content, fields, lines = AWKWARD[case]

    response, upload = send(api, content, **fields)

    assert response.status_code == 202, response.json()
    assert (upload.status, upload.rows_failed) == ("completed", 0), upload.detail
    stored = (
        sales(business)
        .order_by("timestamp")
        .values_list("invoice", "product__sku", "quantity", "unit_price", "timestamp")
    )
    assert [(i, s, q, p, t.date().isoformat()) for i, s, q, p, t in stored] == lines


def test_point_of_sale_exports_match_products_by_name(api, business):
    ProductFactory(business=business, sku="TEA-01", name="Green Tea", stock_quantity=0)
    content = (
        b"Date,Time,Product,Quantity,Amount,Customer\n"
        b"2024-03-01,10:15,green tea,2,5.00,Ada\n"
        b"2024-03-01,10:16,Scone,1,2.50,\n"
    )

    _, upload = send(api, content)

    assert (upload.status, upload.rows_imported) == ("completed", 2)
    assert sorted(sales(business).values_list("product__sku", "unit_price")) == [
        ("SCONE", Decimal("2.50")),
        ("TEA-01", Decimal("2.50")),
    ]


def test_an_inventory_file_sets_stock_and_records_the_difference(api, business):
    ProductFactory(business=business, sku="TEA", stock_quantity=10, reorder_point=5)
    content = b"sku,name,category,stock_quantity,reorder_point\nTEA,Tea,Drinks,4,5\nMUG,Mug,Kitchen,12,2\n"

    response, upload = send(api, content, url=INVENTORY, name="count.csv")

    assert (response.status_code, upload.status, upload.rows_imported) == (202, "completed", 2)
    stock = dict(Product.objects.for_business(business).values_list("sku", "stock_quantity"))
    assert stock == {"TEA": 4, "MUG": 12}
    movements = StockMovement.objects.for_business(business).order_by("product__sku")
    assert [(m.product.sku, m.change, m.stock_after, m.reason) for m in movements] == [
        ("MUG", 12, 12, "upload"),
        ("TEA", -6, 4, "upload"),
    ]
    assert api.get("/api/data/inventory/alerts/").json()["count"] == 1  # TEA fell to its reorder point


def test_sales_after_a_count_reduce_stock_and_older_ones_are_history(api, business):
    send(api, b"sku,name,stock_quantity\nTEA,Tea,10\n", url=INVENTORY, name="count.csv")
    counted = Product.objects.for_business(business).get(sku="TEA").counted_at
    later = (counted + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")  # the business is on UTC

    send(api, OURS + f"OLD,TEA,3,1.00,2020-01-01 10:00,,Tea\nNEW,TEA,4,1.00,{later},,Tea\n")

    assert Product.objects.for_business(business).get(sku="TEA").stock_quantity == 6
    movement = StockMovement.objects.for_business(business).filter(reason="upload").latest("pk")
    assert (movement.change, movement.stock_after) == (-4, 6)


def test_retry_is_for_failed_uploads_only(api, business):
    _, done = send(api, OURS + "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\n")
    _, failed = send(api, OURS, name="empty-body.csv")

    assert api.post(f"/api/data/uploads/{done.pk}/retry/").status_code == 409
    response = api.post(f"/api/data/uploads/{failed.pk}/retry/")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"


def test_uploads_over_the_size_limit_are_413(api, business, settings):
    settings.UPLOAD_MAX_BYTES = 1024

    response = api.post(
        UPLOAD, {"file": SimpleUploadedFile("big.csv", OURS.encode() * 200)}, format="multipart"
    )

    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert not UploadRecord.objects.for_business(business).exists()


def test_uploads_list_shows_counts_and_a_viewer_cannot_upload(api, business, viewer):
    send(api, OURS + "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\n")

    listed = api.get("/api/data/uploads/").json()["results"]
    refused = auth_client(viewer, business).post(
        UPLOAD, {"file": SimpleUploadedFile("x.csv", OURS.encode())}, format="multipart"
    )

    assert [(row["kind"], row["status"], row["rows_imported"]) for row in listed] == [
        ("transactions", "completed", 1)
    ]
    assert {"sha256", "file_name", "rows_skipped", "rows_failed", "started_at", "finished_at"} <= set(
        listed[0]
    )
    assert refused.status_code == 403


def test_the_uploads_list_gives_counts_and_the_detail_gives_the_errors(api, business):
    bad_lines = "".join(f"INV{number},TEA,abc,1.50,2024-03-01 10:00,C1,Tea\n" for number in range(30))
    _, upload = send(api, OURS + "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\n" + bad_lines)

    listed = api.get("/api/data/uploads/").json()["results"]
    detail = api.get(f"/api/data/uploads/{upload.pk}/").json()

    assert "errors" not in listed[0]
    assert listed[0]["rows_failed"] == 30
    assert len(detail["errors"]) == 30


def test_staff_see_failed_uploads_of_every_business(api, business):
    send(api, OURS, name="header-only.csv")
    other = MembershipFactory().business
    send(auth_client(MembershipFactory(business=other).user, other), OURS, name="other.csv")
    staff = UserFactory(is_staff=True)

    failed = auth_client(staff).get("/api/admin/uploads/failed/")
    status = auth_client(staff).get("/api/admin/uploads/status/")

    assert failed.status_code == 200
    assert sorted(row["business"] for row in failed.json()["results"]) == sorted([business.pk, other.pk])
    assert status.json()["counts"]["failed"] == 2
    assert api.get("/api/admin/uploads/failed/").status_code == 403


def test_a_file_is_held_to_the_apis_bounds_and_the_rest_imports(api, business):
    content = (
        OURS
        + "INV1,TEA,99999999,2.20,2024-03-01 10:00,C1,Tea\n"
        + "INV2,TEA,1,2.20,2099-01-01 10:00,C1,Tea\n"
        + "INV3,TEA,1,2.20,1899-12-31 10:00,C1,Tea\n"
        + "INV4,TEA,2,0.001,2024-03-01 10:00,C1,Tea\n"
    )

    _, upload = send(api, content)
    detail = api.get(f"/api/data/uploads/{upload.pk}/").json()

    assert [(error["line"], error["column"]) for error in detail["errors"]] == [
        (2, "quantity"),
        (3, "timestamp"),
        (4, "timestamp"),
    ]
    sale = sales(business).get()
    assert (sale.invoice, sale.unit_price, sale.total) == ("INV4", Decimal("0.0010"), Decimal("0.0020"))
    assert Product.objects.for_business(business).get().unit_price == Decimal("0.0010")


def test_products_an_upload_creates_at_zero_stock_raise_an_out_of_stock_alert(api, business):
    send(api, OURS + "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\nINV2,MUG,1,4.00,2024-03-01 10:00,C1,Mug\n")

    alerts = api.get("/api/data/inventory/alerts/").json()["results"]
    report = api.get("/api/data/inventory/report/").json()

    assert sorted((alert["product_sku"], alert["kind"]) for alert in alerts) == [
        ("MUG", "out_of_stock"),
        ("TEA", "out_of_stock"),
    ]
    assert report["out_of_stock_count"] == 2


def test_the_customer_email_column_is_kept(api, business):
    content = (
        "invoice,sku,quantity,unit_price,timestamp,customer_id,customer_email\n"
        "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Ada@Example.com\n"
    )

    send(api, content)

    assert Customer.objects.for_business(business).get().email == "ada@example.com"


def test_what_the_api_answers_can_be_imported_again(api, business):
    """ISO times with an offset, as the API writes them, import at the same moment."""
    content = (
        OURS + "INV1,TEA,2,1.50,2024-08-01T09:23:00+01:00,C1,Tea\nINV2,TEA,1,1.50,2024-08-01T08:00:00Z,,Tea\n"
    )

    _, upload = send(api, content)

    assert (upload.rows_imported, upload.rows_failed) == (2, 0)
    moments = sorted(sales(business).values_list("timestamp", flat=True))
    assert [moment.isoformat() for moment in moments] == [
        "2024-08-01T08:00:00+00:00",
        "2024-08-01T08:23:00+00:00",
    ]


def test_auto_date_order_uses_the_businesss_own_when_the_file_cannot_tell(api, business):
    business.country = "GB"
    business.save(update_fields=["country"])

    send(api, OURS + "INV1,TEA,2,1.50,01/08/2026 10:00,C1,Tea\n", date_order="auto")

    assert sales(business).get().timestamp.date().isoformat() == "2026-08-01"


def test_a_deleted_line_stays_deleted_when_its_file_comes_again(api, business):
    first = OURS + "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\nINV2,TEA,1,1.50,2024-03-02 10:00,C1,Tea\n"
    send(api, first)
    mistaken = sales(business).get(invoice="INV2")
    assert api.delete(f"/api/data/transactions/{mistaken.pk}/").status_code == 204

    _, again = send(api, first + "INV3,TEA,1,1.50,2024-03-03 10:00,C1,Tea\n", name="again.csv")

    assert sorted(sales(business).values_list("invoice", flat=True)) == ["INV1", "INV3"]
    assert (again.rows_imported, again.rows_skipped) == (1, 2)


def test_uploads_are_read_through_the_storage_api_from_a_storage_without_paths(api, business, settings):
    """Object storage has no local paths: ingestion reads the stored file through the storage API."""
    from django.core.files.storage import default_storage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.storage.PathlessStorage"},
    }
    with pytest.raises(NotImplementedError):
        default_storage.path("anything.csv")

    response, upload = send(
        api, OURS + "INV1,TEA,2,1.50,2024-03-01 10:00,C1,Tea\nINV2,MUG,1,4.00,2024-03-01 10:00,,Mug\n"
    )

    assert (response.status_code, upload.status, upload.rows_imported) == (202, "completed", 2)
    assert default_storage.exists(upload.file.name)
    assert sorted(sales(business).values_list("invoice", flat=True)) == ["INV1", "INV2"]
