"""Write one parsed chunk of a file into the books, idempotently.

Every sale line carries its natural key (``line_key``), and ``(business, line_key)`` is unique, so a
chunk loaded twice (a retried task, a re-uploaded or overlapping file) adds nothing the second time.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from data.models import Product, StockMovement
from data.services import StockChange, alerts_sync, stock_apply

STAGING_COLUMNS = [
    "line",
    "invoice",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "total",
    "ts",
    "customer_id",
    "customer_email",
    "country",
    "payment_method",
    "line_key",
]


@dataclass
class ChunkResult:
    imported: int
    skipped: int
    # Units sold after each product's last count, by product id: stock to take away when the chunk settles.
    sold: dict[int, int] = field(default_factory=dict)
    # Products the chunk added lines to: their alerts are brought up to date when it settles (a product
    # an upload creates starts at zero stock, out of stock like any other).
    touched: set[int] = field(default_factory=set)


class ChunkLoader:
    """How one kind of file reaches the books, a chunk at a time, in four steps.

    :meth:`prepare` needs no database: it runs ahead in the prefetch thread while earlier chunks load.
    :meth:`stage` is committed on its own before the chunk's transaction (it must be safe to repeat).
    :meth:`insert` runs in the chunk's transaction, possibly alongside another chunk's on another
    connection. :meth:`settle` runs in the chunk's transaction, in file order, just before it commits.
    By default a step hands its input on unchanged, and settling takes counted sales off stock.
    """

    def __init__(self, *, upload):
        self.upload = upload
        self.business = upload.business

    def prepare(self, rows: pd.DataFrame) -> Any:
        return rows

    def stage(self, prepared: Any) -> Any:
        return prepared

    def insert(self, staged: Any) -> ChunkResult:
        raise NotImplementedError

    def settle(self, result: ChunkResult) -> ChunkResult:
        apply_counted_sales(upload=self.upload, sold=result.sold)
        untouched = result.touched - set(result.sold)  # stock_apply brought those up to date already
        if untouched:
            alerts_sync(
                business=self.business,
                products=Product.objects.for_business(self.business).filter(pk__in=untouched),
            )
        return result


def name_sku(name: str) -> str:
    """The SKU given to a product known only by its name (point-of-sale exports have no SKU)."""
    return "-".join(name.upper().split())[:64]


def fill_skus_by_name(frame: pd.DataFrame, products) -> None:
    """Rows known only by product name take the SKU of the product with that name (case ignored), or a
    SKU made from the name for a new product. The ORM twin of MATCH_PRODUCTS_BY_NAME below."""
    nameless = frame.sku.isna()
    if not nameless.any():
        return
    names = frame.product_name[nameless]
    by_name = dict(
        products.annotate(lowered=Lower("name"))
        .filter(lowered__in=set(names.str.lower()))
        .values_list("lowered", "sku")
    )
    frame.loc[nameless, "sku"] = names.str.lower().map(by_name).fillna(names.map(name_sku))


def prepare_sales(rows: pd.DataFrame) -> pd.DataFrame:
    """The parser's rows in the staging table's shape (customers known only by email are known by it)."""
    frame = rows.rename(columns={"timestamp": "ts"})[STAGING_COLUMNS].copy()
    frame["customer_id"] = frame["customer_id"].fillna(rows["customer_email"])
    return frame


def csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV for COPY (None becomes an unquoted empty field: NULL); twice as fast as to_csv."""
    columns = [
        frame[name].dt.strftime("%Y-%m-%d %H:%M:%S") if name == "ts" else frame[name]
        for name in frame.columns
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        zip(*(column.tolist() for column in columns), strict=True)
    )
    return buffer.getvalue()


class PostgresSalesLoader(ChunkLoader):
    """COPY the chunk into a temporary staging table, then resolve it in set-based statements.

    Once prepared, a chunk goes through three steps. :meth:`stage` loads the staging table and upserts
    the chunk's products and customers in a short transaction of its own, so a new product is visible to
    the other chunk in flight at once instead of making it wait for this chunk's commit. :meth:`insert`
    adds the sale lines in the chunk's transaction; the only row locks it takes are the key-share locks
    of its foreign-key checks, which nothing the other chunk does conflicts with (stock changes lock
    ``FOR NO KEY UPDATE``), so two chunks insert side by side. :meth:`settle` then takes the sales after
    each product's last count off its stock, in file order, under the row locks of :func:`stock_apply`.
    """

    def __init__(self, *, upload):
        super().__init__(upload=upload)
        self.params = {"business": upload.business_id, "tz": upload.business.timezone, "upload": upload.pk}

    def prepare(self, rows: pd.DataFrame) -> tuple[int, str]:
        """Rows in the staging table's shape, as COPY text: no database, so it can run ahead in a thread."""
        frame = prepare_sales(rows)
        return len(frame), csv_text(frame)

    def stage(self, prepared: tuple[int, str]) -> int:
        staged, text = prepared
        with transaction.atomic(), connection.cursor() as cursor:
            _tune_chunk_transaction(cursor)
            cursor.execute(
                """
                CREATE TEMPORARY TABLE IF NOT EXISTS ingest_staging (
                    line integer, invoice text, sku text, product_name text, category text,
                    quantity integer, unit_price numeric(14, 4), total numeric(18, 4), ts timestamp,
                    customer_id text, customer_email text, country text, payment_method text,
                    line_key text
                )
                """
            )
            cursor.execute("TRUNCATE ingest_staging")
            with cursor.cursor.copy(
                f"COPY ingest_staging ({', '.join(STAGING_COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
            ) as copy:
                copy.write(text)
            # The join keys' statistics are what the planner needs to build its hashes on the right side.
            cursor.execute("ANALYZE ingest_staging (sku, customer_id)")
            for statement in (MATCH_PRODUCTS_BY_NAME, NAME_NEW_PRODUCTS, UPSERT_PRODUCTS, UPSERT_CUSTOMERS):
                cursor.execute(statement, self.params)
        return staged

    def insert(self, staged: int) -> ChunkResult:
        with connection.cursor() as cursor:
            _tune_chunk_transaction(cursor)
            # Check the sale lines' foreign keys as they are inserted, alongside the other chunk, rather
            # than at commit, which chunks take in turn.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(INSERT_SALES, self.params)
            per_product = cursor.fetchall()
        imported = sum(lines for _, lines, _ in per_product)
        return ChunkResult(
            imported=imported,
            skipped=staged - imported,
            sold={product_id: sold for product_id, _, sold in per_product if sold},
            touched={product_id for product_id, _, _ in per_product},
        )


def _tune_chunk_transaction(cursor) -> None:
    # A chunk's rows and the line it reached commit together, so a commit lost in a crash is a chunk
    # imported again, idempotently: no need to wait for the WAL flush (most of a chunk's time).
    cursor.execute("SET LOCAL synchronous_commit = off")
    # Tables that grew within the last minute have no statistics yet; estimated at a row or two, a
    # customer join becomes a nested loop over every staged row. Chunks always want hash joins.
    cursor.execute("SET LOCAL enable_nestloop = off")
    # A chunk that waits on a lock held by a later chunk, itself waiting its turn in Python, is a deadlock
    # PostgreSQL cannot see. None is known (see upload_process and stock_apply), but should one appear,
    # give up after a minute: the task's retry resumes from the last committed chunk.
    cursor.execute("SET LOCAL lock_timeout = '60s'")


# Point-of-sale rows have no SKU: match them to an existing product by name, case ignored.
MATCH_PRODUCTS_BY_NAME = """
UPDATE ingest_staging AS s SET sku = p.sku
FROM data_product AS p
WHERE s.sku IS NULL AND p.business_id = %(business)s AND lower(p.name) = lower(s.product_name)
"""
NAME_NEW_PRODUCTS = r"""
UPDATE ingest_staging SET sku = left(upper(regexp_replace(trim(product_name), '\s+', '-', 'g')), 64)
WHERE sku IS NULL
"""
# New products take the latest row's name, category and price; existing products only gain a name or
# a category they lacked (a UCI row without a description creates the product named by its code).
UPSERT_PRODUCTS = """
INSERT INTO data_product (business_id, sku, name, category, unit_price, stock_quantity, reorder_point,
                          lead_time_days, created_at, updated_at)
SELECT %(business)s, latest.sku, latest.name, latest.category, latest.unit_price, 0, 0, 7, now(), now()
FROM (
    SELECT DISTINCT ON (sku) sku, coalesce(nullif(product_name, ''), sku) AS name,
           coalesce(category, '') AS category, greatest(unit_price, 0) AS unit_price
    FROM ingest_staging
    ORDER BY sku, (product_name IS NULL), ts DESC
) AS latest
LEFT JOIN data_product AS p ON p.business_id = %(business)s AND p.sku = latest.sku
-- Products that are complete already are left alone (and unlocked); the others go in SKU order, so
-- two chunks creating the same products queue rather than deadlock.
WHERE p.id IS NULL
   OR (p.name = p.sku AND latest.name <> latest.sku)
   OR (p.category = '' AND latest.category <> '')
ORDER BY latest.sku
ON CONFLICT (business_id, sku) DO UPDATE SET
    name = CASE WHEN data_product.name = data_product.sku THEN EXCLUDED.name ELSE data_product.name END,
    category = CASE WHEN data_product.category = '' THEN EXCLUDED.category ELSE data_product.category END
WHERE (data_product.name = data_product.sku AND EXCLUDED.name <> EXCLUDED.sku)
   OR (data_product.category = '' AND EXCLUDED.category <> '')
"""
UPSERT_CUSTOMERS = """
INSERT INTO data_customer (business_id, external_id, email, name, country, first_purchase_at,
                           last_purchase_at, frequency, monetary, segment, segment_reason, churn_risk,
                           created_at, updated_at)
SELECT %(business)s, customer_id,
       coalesce(max(customer_email),
                CASE WHEN max(customer_id) LIKE '%%@%%' THEN lower(max(customer_id)) ELSE '' END),
       '', coalesce(max(country), ''),
       min(ts) FILTER (WHERE quantity > 0) AT TIME ZONE %(tz)s,
       max(ts) FILTER (WHERE quantity > 0) AT TIME ZONE %(tz)s,
       0, 0, '', '', '', now(), now()
FROM ingest_staging
WHERE customer_id IS NOT NULL
GROUP BY customer_id
ORDER BY customer_id
ON CONFLICT (business_id, external_id) DO UPDATE SET
    country = CASE WHEN data_customer.country = '' THEN EXCLUDED.country ELSE data_customer.country END,
    email = CASE WHEN data_customer.email = '' THEN EXCLUDED.email ELSE data_customer.email END,
    first_purchase_at = least(data_customer.first_purchase_at, EXCLUDED.first_purchase_at),
    last_purchase_at = greatest(data_customer.last_purchase_at, EXCLUDED.last_purchase_at)
WHERE (data_customer.country = '' AND EXCLUDED.country <> '')
   OR (data_customer.email = '' AND EXCLUDED.email <> '')
   OR EXCLUDED.first_purchase_at < data_customer.first_purchase_at
   OR EXCLUDED.last_purchase_at > data_customer.last_purchase_at
   OR (data_customer.first_purchase_at IS NULL AND EXCLUDED.first_purchase_at IS NOT NULL)
   OR (data_customer.last_purchase_at IS NULL AND EXCLUDED.last_purchase_at IS NOT NULL)
"""
# Returns, per product, the lines this chunk added and the units sold after the product's last count
# (earlier sales are history: the count already reflects them).
INSERT_SALES = """
WITH inserted AS (
    INSERT INTO data_transaction (business_id, invoice, product_id, customer_id, quantity, unit_price, total,
                                  "timestamp", country, payment_method, source, upload_id, line_key,
                                  created_at, updated_at)
    SELECT %(business)s, s.invoice, p.id, c.id, s.quantity, s.unit_price, s.total,
           s.ts AT TIME ZONE %(tz)s, coalesce(s.country, ''), coalesce(s.payment_method, ''), 'upload',
           %(upload)s, s.line_key, now(), now()
    FROM ingest_staging AS s
    JOIN data_product AS p ON p.business_id = %(business)s AND p.sku = s.sku
    LEFT JOIN data_customer AS c ON c.business_id = %(business)s AND c.external_id = s.customer_id
    -- A line the merchant deleted stays deleted when its file comes again.
    WHERE NOT EXISTS (
        SELECT 1 FROM data_transactiondeletion AS d
        WHERE d.business_id = %(business)s AND d.line_key = s.line_key
    )
    ON CONFLICT (business_id, line_key) DO NOTHING
    RETURNING product_id, quantity, "timestamp"
)
SELECT i.product_id, count(*),
       coalesce(sum(i.quantity) FILTER (WHERE p.counted_at IS NOT NULL AND i."timestamp" > p.counted_at), 0)
FROM inserted AS i JOIN data_product AS p ON p.id = i.product_id
GROUP BY i.product_id
"""


def apply_counted_sales(*, upload, sold: dict[int, int]) -> None:
    """Sales dated after a product's last count take stock away (returns give it back), never below zero."""
    if sold:
        stock_apply(
            business=upload.business,
            changes=[StockChange(product_id, -units) for product_id, units in sorted(sold.items())],
            reason=StockMovement.Reason.UPLOAD,
            note=f"Sales from upload {upload.pk}",
            upload=upload,
            clamp_at_zero=True,
        )


INVENTORY_FIELDS = ["category", "unit_price", "unit_cost", "reorder_point", "lead_time_days"]


class InventoryLoader(ChunkLoader):
    """A stock count: creates or updates products, sets stock to the counted figure, records the difference.

    Counts are small files (one row per product), so the ORM is fast enough; the stock itself moves
    through :func:`stock_apply`, under the same row locks as every other change.
    """

    def insert(self, rows: pd.DataFrame) -> ChunkResult:
        products = Product.objects.for_business(self.business)
        frame = rows.copy()
        fill_skus_by_name(frame, products)
        frame = frame.drop_duplicates("sku", keep="last")
        present = [field for field in INVENTORY_FIELDS if field in frame.columns]
        existing = {product.sku: product for product in products.filter(sku__in=list(frame.sku))}
        created = []
        for row in frame.itertuples():
            values = {field: getattr(row, field) for field in present if not _missing(getattr(row, field))}
            product = existing.get(row.sku)
            if product is None:
                product = Product(
                    business=self.business, sku=row.sku, name=row.product_name or row.sku, **values
                )
                created.append(product)
            else:
                for field, value in values.items():
                    setattr(product, field, value)
                if not _missing(row.product_name):
                    product.name = row.product_name
        products.bulk_create(created)
        if existing:
            products.bulk_update(existing.values(), ["name", *present])
        now = timezone.now()
        stocked = {product.sku: product for product in products.filter(sku__in=list(frame.sku))}
        counts = frame[frame.stock_quantity.notna()] if "stock_quantity" in frame.columns else frame.iloc[0:0]
        stock_apply(
            business=self.business,
            # "Set stock to the count": the difference is computed under the row lock, not from the
            # stock read above, which a sale recorded meanwhile would make stale.
            changes=[
                StockChange(stocked[row.sku].pk, target=int(row.stock_quantity))
                for row in counts.itertuples()
            ],
            reason=StockMovement.Reason.UPLOAD,
            note=f"Stock count from upload {self.upload.pk}",
            upload=self.upload,
        )
        products.filter(sku__in=list(counts.sku)).update(counted_at=now)
        alerts_sync(business=self.business, products=products.filter(sku__in=list(frame.sku)))
        return ChunkResult(imported=len(frame), skipped=len(rows) - len(frame))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA
