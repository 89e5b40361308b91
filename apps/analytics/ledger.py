"""The integrity ledger: a sealed RFC 6962 Merkle tree per upload, and per day for the other sales.

**A row's canonical bytes** (version 1) are the UTF-8 encoding of these fields joined by the unit
separator 0x1F::

    "v1", line_key, invoice, sku, quantity ("-6"), unit price with trailing zeros removed ("2.55",
    "0.001", "3"), timestamp in UTC to the microsecond ("2010-12-01T08:26:00.000000Z"),
    customer external id ("" when anonymous), country

The line key (``Transaction.line_key``) is in the bytes, so two identical lines of one file (the UCI
file has 5,268) are two leaves. The line total is left out: it is derived (quantity x unit price).

**Trees.** An upload's tree has one leaf per row it imported; a day's tree (business time zone) has one
leaf per row of that day not from an upload (API sales, receipt confirms). Leaves are ordered by line
key, bytewise; ``line=N`` in a proof is the N-th leaf (1-based). Upload trees are sealed when the
upload completes, day trees once the day is over (the integrity list seals what is due). A seal keeps
each leaf hash and an 8-byte digest of each line key, so verifying says how many rows changed, went
or came since, not only that the root differs.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from apps.analytics import merkle
from apps.analytics.models import LedgerSeal
from data.models import UploadRecord

logger = logging.getLogger(__name__)

ROW_BYTES = """
convert_to(concat_ws(E'\\x1f', 'v1', t.line_key, t.invoice, p.sku, t.quantity::text,
                     trim_scale(t.unit_price)::text,
                     to_char(t."timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                     coalesce(c.external_id, ''), t.country), 'UTF8')
"""
ROWS = f"""
SELECT t.id, t.line_key, t.upload_id, (t."timestamp" AT TIME ZONE b.timezone)::date AS day,
       {ROW_BYTES} AS row_bytes
FROM data_transaction AS t
JOIN accounts_business AS b ON b.id = t.business_id
JOIN data_product AS p ON p.id = t.product_id
LEFT JOIN data_customer AS c ON c.id = t.customer_id
WHERE t.business_id = %(business)s
"""
KEY_DIGEST = "substring(sha256(convert_to(r.line_key, 'UTF8')) FROM 1 FOR 8)"
# Per tree, in tree order, each row's leaf hash (32 bytes) then its line-key digest (8): one sort.
TREES = f"""
SELECT {{group}} AS tree, count(*),
       string_agg(sha256('\\x00'::bytea || r.row_bytes) || {KEY_DIGEST},
                  ''::bytea ORDER BY r.line_key COLLATE "C")
FROM ({ROWS}) AS r
WHERE {{where}}
GROUP BY 1
"""
RECORD = np.dtype([("leaf", "V32"), ("key", ">u8")])


@dataclass
class Tree:
    rows: int
    leaves: bytes
    keys: bytes

    @property
    def leaf_list(self) -> list[bytes]:
        return [self.leaves[i : i + 32] for i in range(0, len(self.leaves), 32)]

    def root(self) -> str:
        return merkle.root(self.leaf_list).hex()


def _trees(*, business_id: int, group: str, where: str, **params) -> dict:
    with transaction.atomic(), connection.cursor() as cursor:
        # Right after an upload the planner has no statistics for its rows and picks a nested loop per
        # row (minutes for the UCI file); hash joins, and the sort in memory, take seconds.
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves here
        cursor.execute(TREES.format(group=group, where=where), {"business": business_id, **params})
        return {tree: _unpack(rows, bytes(packed or b"")) for tree, rows, packed in cursor.fetchall()}


def _unpack(rows: int, packed: bytes) -> Tree:
    records = np.frombuffer(packed, dtype=RECORD)
    return Tree(rows=rows, leaves=records["leaf"].tobytes(), keys=records["key"].tobytes())


def _upload_trees(business_id: int, upload_ids: list[int]) -> dict[int, Tree]:
    return _trees(
        business_id=business_id, group="r.upload_id", where="r.upload_id = ANY(%(ids)s)", ids=upload_ids
    )


def _day_trees(business_id: int, days: list) -> dict:
    return _trees(
        business_id=business_id,
        group="r.day",
        where="r.upload_id IS NULL AND r.day = ANY(%(days)s)",
        days=days,
    )


def _seal(*, business_id: int, scope: str, tree: Tree, upload_id=None, day=None) -> None:
    LedgerSeal.objects.bulk_create(
        [
            LedgerSeal(
                business_id=business_id,
                scope=scope,
                upload_id=upload_id,
                day=day,
                rows=tree.rows,
                root=tree.root(),
                leaves=tree.leaves,
                keys=tree.keys,
            )
        ],
        ignore_conflicts=True,  # sealed meanwhile by another caller: the first seal stands
    )


def ledger_upload_seal(*, upload: UploadRecord) -> None:
    """Seal a completed upload's rows (after ``upload_completed``); a failure is logged, not raised:
    the upload is done either way, and the integrity list seals what is still due."""
    try:
        if (
            upload.status != UploadRecord.Status.COMPLETED
            or LedgerSeal.objects.filter(upload=upload).exists()
        ):
            return
        tree = _upload_trees(upload.business_id, [upload.pk]).get(upload.pk, Tree(0, b"", b""))
        _seal(business_id=upload.business_id, scope=LedgerSeal.Scope.UPLOAD, tree=tree, upload_id=upload.pk)
    except Exception:
        logger.exception("Could not seal upload %s", upload.pk)


def ledger_seal_due(*, business) -> None:
    """Seal what is due and not sealed yet: completed transaction uploads, and the days before the
    business's today holding sales not from an upload."""
    unsealed = list(
        UploadRecord.objects.for_business(business)
        .filter(
            kind=UploadRecord.Kind.TRANSACTIONS,
            status=UploadRecord.Status.COMPLETED,
            ledger_seal__isnull=True,
        )
        .values_list("pk", flat=True)
    )
    if unsealed:
        trees = _upload_trees(business.pk, unsealed)
        for upload_id in unsealed:
            tree = trees.get(upload_id, Tree(0, b"", b""))
            _seal(business_id=business.pk, scope=LedgerSeal.Scope.UPLOAD, tree=tree, upload_id=upload_id)
    today = timezone.now().astimezone(ZoneInfo(business.timezone)).date()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT DISTINCT r.day FROM ({ROWS}) AS r
            WHERE r.upload_id IS NULL AND r.day < %(today)s
              AND NOT EXISTS (SELECT 1 FROM analytics_ledgerseal AS s
                              WHERE s.business_id = %(business)s AND s.scope = 'day' AND s.day = r.day)
            """,
            {"business": business.pk, "today": today},
        )
        due = [day for (day,) in cursor.fetchall()]
    if due:
        for day, tree in _day_trees(business.pk, due).items():
            _seal(business_id=business.pk, scope=LedgerSeal.Scope.DAY, tree=tree, day=day)


def _file_sha256(upload: UploadRecord) -> str | None:
    try:
        digest = hashlib.sha256()
        with upload.file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except (OSError, ValueError):
        return None


def compare(sealed: LedgerSeal, now: Tree) -> dict:
    """How the rows now differ from the sealed ones: changed, deleted and added rows, by line key."""
    sealed_keys = np.frombuffer(bytes(sealed.keys), dtype=">u8")
    sealed_leaves = np.frombuffer(bytes(sealed.leaves), dtype="V32")
    now_keys = np.frombuffer(now.keys, dtype=">u8")
    now_leaves = np.frombuffer(now.leaves, dtype="V32")
    _, in_sealed, in_now = np.intersect1d(sealed_keys, now_keys, assume_unique=True, return_indices=True)
    changed = int((sealed_leaves[in_sealed] != now_leaves[in_now]).sum())
    root_now = now.root()
    return {
        "intact": root_now == sealed.root,
        "root_now": root_now,
        "rows_now": now.rows,
        "changed": changed,
        "deleted": len(sealed_keys) - len(in_sealed),
        "added": len(now_keys) - len(in_now),
    }


def ledger_report(*, business, verify: bool = False) -> dict:
    """Every seal of the business; with ``verify``, each recomputed from the database and compared."""
    seals = list(
        LedgerSeal.objects.filter(business_id=business.pk)
        .select_related("upload")
        .order_by("scope", "day", "upload_id")
    )
    upload_trees = day_trees = {}
    if verify:
        upload_trees = _upload_trees(
            business.pk, [s.upload_id for s in seals if s.scope == LedgerSeal.Scope.UPLOAD]
        )
        day_trees = _day_trees(business.pk, [s.day for s in seals if s.scope == LedgerSeal.Scope.DAY])
    empty = Tree(0, b"", b"")
    uploads, days = [], []
    for seal in seals:
        entry = {"rows": seal.rows, "root": seal.root, "sealed_at": seal.sealed_at}
        if seal.scope == LedgerSeal.Scope.UPLOAD:
            entry = {
                "upload": seal.upload_id,
                "file_name": seal.upload.file_name,
                "sha256": seal.upload.sha256,
                **entry,
            }
            if verify:
                entry["verification"] = compare(seal, upload_trees.get(seal.upload_id, empty))
                file_now = _file_sha256(seal.upload)
                entry["verification"]["file_sha256_now"] = file_now
                entry["verification"]["file_intact"] = file_now == seal.upload.sha256
                entry["verification"]["intact"] &= entry["verification"]["file_intact"]
            uploads.append(entry)
        else:
            entry = {"day": seal.day, **entry}
            if verify:
                entry["verification"] = compare(seal, day_trees.get(seal.day, empty))
            days.append(entry)
    report = {"uploads": uploads, "days": days}
    if verify:
        report["verified_at"] = datetime.now(tz=ZoneInfo("UTC"))
        report["changed_uploads"] = [e["upload"] for e in uploads if not e["verification"]["intact"]]
        report["changed_days"] = [e["day"] for e in days if not e["verification"]["intact"]]
    return report


def ledger_proof(*, seal: LedgerSeal, index: int) -> dict:
    """The inclusion proof of leaf ``index`` (0-based) of a sealed upload tree, and the row as it is now."""
    leaves = [bytes(seal.leaves)[i : i + 32] for i in range(0, len(seal.leaves), 32)]
    leaf = leaves[index]
    key = bytes(seal.keys)[index * 8 : index * 8 + 8]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT r.id, r.line_key, convert_from(r.row_bytes, 'UTF8') FROM ({ROWS}) AS r
            WHERE r.upload_id = %(upload)s AND {KEY_DIGEST} = %(key)s
            """,
            {"business": seal.business_id, "upload": seal.upload_id, "key": key},
        )
        found = cursor.fetchone()
    row = found[2] if found else None
    return {
        "upload": seal.upload_id,
        "line": index + 1,
        "tree_size": len(leaves),
        "leaf_index": index,
        "leaf": leaf.hex(),
        "audit_path": [node.hex() for node in merkle.audit_path(leaves, index)],
        "root": seal.root,
        "transaction": found[0] if found else None,
        "line_key": found[1] if found else None,
        "row": row,
        "row_matches_leaf": row is not None and merkle.leaf_hash(row.encode()) == leaf,
    }
