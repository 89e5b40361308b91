"""The roll-ups equal sums of the sales lines after every kind of write, whoever makes it."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection

from apps.analytics.rollups import rollups_rebuild
from data.ingestion.services import upload_import_path, upload_options_clean
from data.models import Transaction
from tests.apps.analytics.helpers import assert_rollups_match, stored_rollups
from tests.factories import CustomerFactory, ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db

CSV = """invoice,sku,quantity,unit_price,timestamp,customer_id,country,category,product_name
A1,MUG,2,10.00,2024-03-01 10:00,C1,United Kingdom,Mugs,Mug
A1,MUG,2,10.00,2024-03-01 10:00,C1,United Kingdom,Mugs,Mug
A1,POST,1,5.00,2024-03-01 10:00,C1,United Kingdom,,Postage
A2,TEA,3,2.55,2024-03-01 23:59,,France,Tea,Tea
CA3,MUG,-1,10.00,2024-03-04 09:00,C1,United Kingdom,Mugs,Mug
A4,TEA,5,2.55,2024-04-02 12:00,C2,Germany,Tea,Tea
"""


def upload(business, tmp_path, text=CSV, name="sales.csv"):
    path = tmp_path / name
    path.write_text(text)
    return upload_import_path(
        business=business, user=None, kind="transactions", path=str(path), options=upload_options_clean()
    )


def test_an_upload_fills_the_roll_ups_with_the_sums_of_its_lines(business, tmp_path):
    done = upload(business, tmp_path)

    assert done.rows_imported == 6  # the two identical lines are two sales
    assert_rollups_match(business)
    assert stored_rollups(business)["invoice_day"][
        (datetime(2024, 3, 1).date(), "A1", "Mugs", "United Kingdom")
    ] == (Decimal("40.0000"), 4, 2, 2)


def test_api_sales_and_returns_move_the_roll_ups_in_their_transaction(api, business, tmp_path):
    upload(business, tmp_path)
    mug = ProductFactory(business=business, sku="CUP", category="Mugs", stock_quantity=50)
    customer = CustomerFactory(business=business)

    for quantity in (3, -1):
        response = api.post(
            "/api/data/transactions/",
            {
                "product": mug.pk,
                "quantity": quantity,
                "unit_price": "4.20",
                "customer": customer.pk,
                "timestamp": "2024-03-01T12:00:00Z",
                "country": "Spain",
            },
            format="json",
        )
        assert response.status_code == 201

    assert_rollups_match(business)


def test_a_failed_write_leaves_the_roll_ups_as_they_were(api, business, tmp_path):
    upload(business, tmp_path)
    before = stored_rollups(business)
    scarce = ProductFactory(business=business, sku="RARE", stock_quantity=1)

    response = api.post("/api/data/transactions/", {"product": scarce.pk, "quantity": 5}, format="json")

    assert response.status_code == 400  # not enough stock: the sale rolled back, and its roll-up delta
    assert stored_rollups(business) == before


def test_deletions_by_the_orm_and_by_sql_take_their_lines_out(business, tmp_path):
    upload(business, tmp_path)
    sales = Transaction.objects.for_business(business)

    sales.filter(invoice="A2").delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM data_transaction WHERE business_id = %s AND invoice = 'CA3'", [business.pk]
        )

    assert_rollups_match(business)
    assert not any(key[1] in {"A2", "CA3"} for key in stored_rollups(business)["invoice_day"])


def test_receipt_lines_and_hand_written_updates_are_rolled_up(business, tmp_path):
    upload(business, tmp_path)
    tea = ProductFactory(business=business, sku="HERB", category="Tea")
    TransactionFactory(
        product=tea,
        invoice="R-1",
        quantity=2,
        unit_price=Decimal("3.10"),
        source=Transaction.Source.RECEIPT,
        timestamp=datetime(2024, 3, 1, 9, tzinfo=ZoneInfo("UTC")),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE data_transaction SET quantity = quantity * 2, country = 'Ireland', "
            "\"timestamp\" = \"timestamp\" + interval '40 days' WHERE business_id = %s AND invoice = 'A1'",
            [business.pk],
        )

    assert_rollups_match(business)


def test_a_product_changing_category_moves_its_lines(api, business, tmp_path):
    upload(business, tmp_path)
    tea = Transaction.objects.for_business(business).filter(invoice="A2").get().product

    response = api.patch(f"/api/data/inventory/products/{tea.pk}/", {"category": "Infusions"}, format="json")

    assert response.status_code == 200
    assert_rollups_match(business)
    categories = {key[2] for key in stored_rollups(business)["invoice_day"]}
    assert "Infusions" in categories and "Tea" not in categories


def test_a_deleted_customer_leaves_the_customer_roll_up(business, tmp_path):
    upload(business, tmp_path)
    Transaction.objects.for_business(business).filter(invoice="A4").get().customer.delete()

    assert_rollups_match(business)


def test_the_rebuild_command_restores_roll_ups_that_drifted(business, tmp_path):
    upload(business, tmp_path)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE analytics_invoice_day SET revenue = revenue + 1 WHERE business_id = %s", [business.pk]
        )
        cursor.execute("DELETE FROM analytics_product_month WHERE business_id = %s", [business.pk])

    call_command("analytics_rebuild", "--business", str(business.pk))

    assert_rollups_match(business)


def test_a_rebuild_changes_nothing_when_the_roll_ups_are_right(business, tmp_path):
    upload(business, tmp_path)
    before = stored_rollups(business)

    rollups_rebuild(business_id=business.pk)

    assert stored_rollups(business) == before
