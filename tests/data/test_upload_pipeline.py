"""Chunks loaded side by side on two connections: they overlap, commit in file order, stop at a failure."""

import itertools
import threading
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import psycopg
import pytest
from django.core.files import File
from django.db import connection
from django.db.models import Count, Sum

from data.ingestion.pipeline import ChunkPipeline
from data.ingestion.services import _load_connections, upload_create, upload_import_path, upload_process
from data.models import Customer, Product, Transaction, UploadRecord
from project.common.locks import advisory_lock
from tests.data.real_data import expected, read_rows, write_csv
from tests.factories import MembershipFactory
from tests.worker import database_params

CENT = Decimal("0.01")


def test_two_chunks_overlap_but_commit_in_file_order():
    committed = []
    second_is_waiting = threading.Event()

    def first(turn):
        # Chunk 1 reaches its turn while chunk 0 is still at work: the two really are in flight together.
        assert second_is_waiting.wait(timeout=10)
        turn()
        committed.append(0)

    def second(turn):
        second_is_waiting.set()
        turn()
        committed.append(1)

    with ChunkPipeline(width=2) as pipeline:
        pipeline.submit(first)
        pipeline.submit(second)
        pipeline.drain()

    assert committed == [0, 1]


def test_a_failed_chunk_keeps_every_later_chunk_from_committing():
    committed = []

    def chunk(number):
        def job(turn):
            if number == 1:
                raise RuntimeError("chunk 1 failed")
            turn()
            committed.append(number)

        return job

    with pytest.raises(RuntimeError, match="chunk 1 failed"), ChunkPipeline(width=2) as pipeline:
        for number in range(4):
            pipeline.submit(chunk(number))
        pipeline.drain()

    assert committed == [0]


def test_one_lane_runs_chunks_in_the_callers_thread_and_fails_at_once():
    threads = []

    def failing(turn):
        raise ValueError("bad chunk")

    with ChunkPipeline(width=1) as pipeline:
        pipeline.submit(lambda turn: threads.append(threading.current_thread()))
        with pytest.raises(ValueError, match="bad chunk"):
            pipeline.submit(failing)

    assert threads == [threading.current_thread()]


@pytest.fixture
def importer(tmp_path, settings):
    """Imports files as a worker does: outside any test transaction, so chunks load on two connections."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    membership = MembershipFactory()

    def run(path, kind="transactions"):
        return upload_import_path(
            business=membership.business, user=membership.user, kind=kind, path=str(path), options={}
        )

    return SimpleNamespace(business=membership.business, user=membership.user, run=run)


@pytest.mark.django_db(transaction=True)
def test_sales_load_on_two_connections_with_exact_counts_and_no_duplicates(importer, tmp_path, settings):
    settings.UPLOAD_CHUNK_ROWS = 1_000
    business = importer.business
    header, rows = read_rows(0, 12_000)
    first = write_csv(tmp_path / "first.csv", header, rows[:8_000])
    second = write_csv(tmp_path / "second.csv", header, rows[4_000:])  # overlaps the first by 4,000
    assert not connection.in_atomic_block

    uploads = [importer.run(first), importer.run(second)]

    assert _load_connections(uploads[0]) == 2
    truth = expected(rows)
    assert [(upload.status, upload.rows_total, upload.last_line_done) for upload in uploads] == [
        ("completed", 8_000, 8_001),
        ("completed", 8_000, 8_001),
    ]
    assert (uploads[1].rows_imported, uploads[1].rows_skipped) == (
        expected(rows[8_000:]).good,
        expected(rows[4_000:8_000]).good,
    )
    lines = Transaction.objects.for_business(business)
    assert lines.count() == truth.good
    assert lines.values("line_key").annotate(copies=Count("pk")).filter(copies__gt=1).count() == 0
    assert lines.aggregate(revenue=Sum("total"))["revenue"].quantize(CENT) == truth.revenue
    assert Product.objects.for_business(business).count() == truth.products
    assert Customer.objects.for_business(business).count() == truth.customers
    assert UploadRecord.objects.for_business(business).filter(status="completed").count() == 2


@pytest.mark.django_db(transaction=True)
def test_chunks_on_two_connections_take_counted_stock_in_file_order(importer, tmp_path, settings):
    settings.UPLOAD_CHUNK_ROWS = 5
    business = importer.business
    count = tmp_path / "count.csv"
    count.write_text("sku,name,stock_quantity\nTEA,Tea,100\nMUG,Mug,100\n")
    importer.run(count, kind="inventory")
    counted = Product.objects.for_business(business).get(sku="TEA").counted_at
    # Sales after the count (the business is on UTC), and not beyond a day ahead of now.
    lines = [
        (
            f"INV{number}",
            "TEA" if number % 2 else "MUG",
            number % 3 + 1,
            (counted + timedelta(minutes=number + 1)).strftime("%Y-%m-%d %H:%M:%S"),
        )
        for number in range(40)
    ]
    sales = tmp_path / "sales.csv"
    sales.write_text(
        "invoice,sku,quantity,unit_price,timestamp,customer_id,product_name\n"
        + "".join(
            f"{invoice},{sku},{units},1.00,{moment},C{units},{sku}\n" for invoice, sku, units, moment in lines
        )
    )

    upload = importer.run(sales)

    assert (upload.status, upload.rows_imported) == ("completed", 40)
    for product in Product.objects.for_business(business):
        sold = sum(units for _, sku, units, _ in lines if sku == product.sku)
        assert product.stock_quantity == 100 - sold
        movements = list(product.movements.order_by("pk").values_list("change", "stock_after"))
        assert movements[0] == (100, 100)  # the count
        # Then one per chunk of five lines, in file order, each leaving the stock the next one starts from.
        per_chunk = [
            -sum(units for _, sku, units, _ in lines[start : start + 5] if sku == product.sku)
            for start in range(0, len(lines), 5)
        ]
        assert [change for change, _ in movements[1:]] == per_chunk
        for (_, before), (change, after) in itertools.pairwise(movements):
            assert after == before + change


def together(*calls):
    """Run the calls at the same moment, each in its own thread (as two workers or requests would)."""
    results, failures = [None] * len(calls), []

    def run(index, call):
        try:
            results[index] = call()
        except Exception as error:  # asserted on below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert failures == []
    return results


@pytest.mark.django_db(transaction=True)
def test_overlapping_uploads_started_together_load_one_after_the_other(importer, tmp_path, settings):
    # Loading both at once, a chunk of one could wait on the other's uncommitted lines while that one
    # waited on a later chunk of the first, itself waiting its turn: about one run in two hung.
    settings.UPLOAD_CHUNK_ROWS = 100
    header, rows = read_rows(0, 6_000)
    first = write_csv(tmp_path / "first.csv", header, rows[:5_990])
    second = write_csv(tmp_path / "second.csv", header, rows[10:])  # the same lines, but for a few

    uploads = together(lambda: importer.run(first), lambda: importer.run(second))

    truth = expected(rows)
    assert [upload.status for upload in uploads] == ["completed", "completed"]
    assert sum(upload.rows_imported for upload in uploads) == truth.good
    lines = Transaction.objects.for_business(importer.business)
    assert lines.count() == truth.good
    assert lines.aggregate(revenue=Sum("total"))["revenue"].quantize(CENT) == truth.revenue


def _create(importer, path):
    with open(path, "rb") as handle:
        return upload_create(
            business=importer.business,
            user=importer.user,
            kind="transactions",
            file=File(handle, name=path.name),
            options={},
            queue=False,
        )


@pytest.mark.django_db(transaction=True)
def test_the_same_bytes_sent_twice_at_once_make_one_upload(importer, tmp_path):
    header, rows = read_rows(0, 500)
    path = write_csv(tmp_path / "sales.csv", header, rows)

    created = together(lambda: _create(importer, path), lambda: _create(importer, path))

    assert len({upload.pk for upload, _ in created}) == 1
    assert sorted(was_created for _, was_created in created) == [False, True]


@pytest.mark.django_db(transaction=True)
def test_one_upload_run_twice_at_once_counts_every_row_once(importer, tmp_path, settings):
    # A redelivered task and a requeued one can run the same upload at the same moment.
    settings.UPLOAD_CHUNK_ROWS = 500
    header, rows = read_rows(0, 4_000)
    upload, _ = _create(importer, write_csv(tmp_path / "sales.csv", header, rows))

    together(lambda: upload_process(upload_id=upload.pk), lambda: upload_process(upload_id=upload.pk))

    truth = expected(rows)
    upload.refresh_from_db()
    assert (upload.status, upload.rows_total, upload.rows_imported, upload.rows_skipped, upload.attempts) == (
        "completed",
        truth.rows,
        truth.good,
        0,
        1,
    )
    assert Transaction.objects.for_business(importer.business).count() == truth.good


@pytest.mark.django_db(transaction=True)
def test_an_advisory_lock_is_held_for_its_block_only():
    def taken_elsewhere(name: str) -> bool:
        with psycopg.connect(**database_params()) as other:
            return not other.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [name]
            ).fetchone()[0]

    with advisory_lock("uploads:1"):
        assert taken_elsewhere("uploads:1")
        assert not taken_elsewhere("uploads:2")
    assert not taken_elsewhere("uploads:1")
