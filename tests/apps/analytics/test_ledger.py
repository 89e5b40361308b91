"""The integrity ledger: roots sealed at import, verify names what changed, proofs a client can check."""

import hashlib
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from apps.analytics import merkle
from apps.analytics.models import LedgerSeal
from data.models import Transaction
from tests.apps.analytics.test_rollups import upload
from tests.factories import ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db

LEDGER = "/api/data/integrity/"


def canonical_row(line: Transaction) -> bytes:
    """The documented byte form of a row, written out here independently of the SQL that builds it."""
    price = format(line.unit_price.normalize(), "f")
    fields = [
        "v1",
        line.line_key,
        line.invoice,
        line.product.sku,
        str(line.quantity),
        price,
        line.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        line.customer.external_id if line.customer else "",
        line.country,
    ]
    return "\x1f".join(fields).encode()


def independent_root(lines) -> str:
    ordered = sorted(lines, key=lambda line: line.line_key.encode())
    return merkle.root([merkle.leaf_hash(canonical_row(line)) for line in ordered]).hex()


def readme_client_code() -> dict:
    """The proof check exactly as the README shows it (its ``python`` block under Integrity ledger)."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme[readme.index("## Integrity ledger") :]
    code = section[
        section.index("```python") + len("```python") : section.index("```", section.index("```python") + 9)
    ]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


verify_proof = readme_client_code()["verify_proof"]


def upload_lines(done):
    return list(
        Transaction.objects.for_business(done.business_id)
        .filter(upload=done)
        .select_related("product", "customer")
    )


def test_an_upload_is_sealed_at_import_with_one_leaf_per_line(api, business, tmp_path):
    done = upload(business, tmp_path)

    seal = LedgerSeal.objects.get(upload=done)
    body = api.get(LEDGER).json()

    assert seal.rows == 6  # the two identical lines are two leaves
    assert seal.root == independent_root(upload_lines(done))
    assert body["uploads"] == [
        {
            "upload": done.pk,
            "file_name": done.file_name,
            "sha256": done.sha256,
            "rows": 6,
            "root": seal.root,
            "sealed_at": body["uploads"][0]["sealed_at"],
        }
    ]
    assert done.sha256 == hashlib.sha256((tmp_path / "sales.csv").read_bytes()).hexdigest()


def test_verify_finds_nothing_when_nothing_changed(api, business, tmp_path):
    done = upload(business, tmp_path)

    body = api.get(LEDGER, {"verify": "true"}).json()

    assert body["changed_uploads"] == [] and body["changed_days"] == []
    check = body["uploads"][0]["verification"]
    assert check == {
        "intact": True,
        "root_now": LedgerSeal.objects.get(upload=done).root,
        "rows_now": 6,
        "changed": 0,
        "deleted": 0,
        "added": 0,
        "file_sha256_now": done.sha256,
        "file_intact": True,
    }


def test_verify_names_the_upload_whose_rows_changed_went_or_came_behind_the_apis_back(
    api, business, tmp_path
):
    done = upload(business, tmp_path)
    other = upload(
        business,
        tmp_path,
        "invoice,sku,quantity,unit_price,timestamp\nB1,MUG,1,10.00,2024-05-01 10:00\n",
        name="other.csv",
    )
    lines = upload_lines(done)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE data_transaction SET unit_price = 9.99 WHERE id = %s", [lines[0].pk])
        cursor.execute("UPDATE data_transaction SET quantity = 3 WHERE id = %s", [lines[1].pk])
        cursor.execute("DELETE FROM data_transaction WHERE id = %s", [lines[2].pk])
    TransactionFactory(
        product=lines[3].product, upload=done, line_key="slipped-in", unit_price=Decimal("1.00")
    )

    body = api.get(LEDGER, {"verify": "true"}).json()

    assert body["changed_uploads"] == [done.pk]
    by_upload = {entry["upload"]: entry["verification"] for entry in body["uploads"]}
    assert {
        key: by_upload[done.pk][key] for key in ("intact", "changed", "deleted", "added", "rows_now")
    } == {"intact": False, "changed": 2, "deleted": 1, "added": 1, "rows_now": 6}
    assert by_upload[done.pk]["root_now"] == independent_root(upload_lines(done))
    assert by_upload[other.pk]["intact"] is True


def test_verify_notices_the_stored_file_changing(api, business, tmp_path):
    done = upload(business, tmp_path)
    with open(done.file.path, "ab") as handle:
        handle.write(b"A9,MUG,1,10.00,2024-03-09 10:00,,,,\n")

    body = api.get(LEDGER, {"verify": "true"}).json()

    assert body["changed_uploads"] == [done.pk]
    assert body["uploads"][0]["verification"]["file_intact"] is False
    assert body["uploads"][0]["verification"]["changed"] == 0


def test_sales_of_a_closed_day_from_the_api_or_receipts_are_sealed_and_verified(api, business):
    mug = ProductFactory(business=business, stock_quantity=50)
    yesterday = timezone.now() - timedelta(days=1)
    today_sale = TransactionFactory(product=mug, source=Transaction.Source.API, upload=None)
    api_sale = TransactionFactory(
        product=mug, source=Transaction.Source.API, upload=None, timestamp=yesterday
    )
    TransactionFactory(product=mug, source=Transaction.Source.RECEIPT, upload=None, timestamp=yesterday)

    sealed = api.get(LEDGER).json()["days"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE data_transaction SET quantity = 40 WHERE id = %s", [api_sale.pk])
    body = api.get(LEDGER, {"verify": "true"}).json()

    assert [(day["day"], day["rows"]) for day in sealed] == [(yesterday.date().isoformat(), 2)]
    assert body["changed_days"] == [yesterday.date().isoformat()]
    assert body["days"][0]["verification"]["changed"] == 1
    assert today_sale.pk  # today is still open: not sealed, so not in any tree yet


@pytest.mark.parametrize("line", [1, 2, 4, 6])
def test_a_proof_verifies_with_the_readme_code_and_a_tampered_one_does_not(api, business, tmp_path, line):
    done = upload(business, tmp_path)

    proof = api.get(f"{LEDGER}{done.pk}/proof/", {"line": line}).json()

    assert verify_proof(proof)
    assert proof["row_matches_leaf"] is True
    assert merkle.leaf_hash(proof["row"].encode()).hex() == proof["leaf"]
    assert proof["line_key"] == sorted(row.line_key for row in upload_lines(done))[line - 1]
    forged_leaf = {**proof, "leaf": merkle.leaf_hash(b"v1\x1fforged").hex()}
    assert not verify_proof(forged_leaf)
    if proof["audit_path"]:
        first = proof["audit_path"][0]
        bent = {
            **proof,
            "audit_path": [("0" if first[0] != "0" else "1") + first[1:], *proof["audit_path"][1:]],
        }
        assert not verify_proof(bent)
    assert not verify_proof({**proof, "root": "00" * 32})


def test_a_proof_shows_when_the_row_changed_since_the_seal(api, business, tmp_path):
    done = upload(business, tmp_path)
    first = sorted(upload_lines(done), key=lambda row: row.line_key.encode())[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE data_transaction SET quantity = 99 WHERE id = %s", [first.pk])

    proof = api.get(f"{LEDGER}{done.pk}/proof/", {"line": 1}).json()

    assert verify_proof(proof)  # the sealed leaf is still in the sealed tree
    assert proof["row_matches_leaf"] is False  # but the row is no longer what was sealed


@pytest.mark.parametrize("line", ["0", "7", "x"])
def test_a_line_outside_the_tree_is_a_400_naming_it(api, business, tmp_path, line):
    done = upload(business, tmp_path)

    response = api.get(f"{LEDGER}{done.pk}/proof/", {"line": line})

    assert response.status_code == 400 and "line" in response.json()


def test_another_business_sees_neither_the_seals_nor_the_proofs(business, tmp_path):
    from accounts.models import Role
    from tests.conftest import auth_client
    from tests.factories import BusinessFactory, MembershipFactory

    done = upload(business, tmp_path)
    stranger_shop = BusinessFactory()
    stranger = auth_client(MembershipFactory(business=stranger_shop, role=Role.OWNER).user, stranger_shop)

    listing = stranger.get(LEDGER, {"verify": "true"}).json()
    proof = stranger.get(f"{LEDGER}{done.pk}/proof/", {"line": 1})
    analytics = stranger.get("/api/analytics/overview/", {"start": "2024-03-01", "end": "2024-04-30"}).json()

    assert listing["uploads"] == [] and listing["days"] == []
    assert proof.status_code == 404
    assert (analytics["revenue"], analytics["orders"]) == ("0.00", 0)
