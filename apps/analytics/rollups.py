"""The SQL that keeps the daily roll-ups equal to the sales lines, and the rebuild.

One set of statements serves three callers: the statement-level triggers on ``data_transaction``
(every insert, update and delete, whoever writes it: uploads' ``INSERT … SELECT``, API sales, receipt
confirms, deletions, a hand-written ``UPDATE``), the trigger on ``data_product`` (a product changing
category moves its lines between categories), and :func:`rollups_rebuild`. Each statement reads a
*source* of signed lines (``sign`` is 1 for a line that arrives, -1 for one that goes) with the line's
``category``, and adds the grouped deltas with ``INSERT … ON CONFLICT DO UPDATE``.

Triggers run in the writer's transaction, so the roll-ups commit (or roll back) with the lines. Their
rows are keyed by ``writer`` (``pg_backend_pid()``): no two connections write one roll-up row, so two
upload chunks loading at once, which commit in file order, can never wait on each other's roll-up rows
(a wait PostgreSQL could not see as a deadlock, the earlier chunk waiting for the later one's commit).
"""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.utils import OperationalError

DAY = '(c."timestamp" AT TIME ZONE b.timezone)::date'
MONTH = f"date_trunc('month', {DAY})::date"
REVENUE = "sum(c.sign * c.quantity * c.unit_price)"
SALE_LINES = "coalesce(sum(c.sign) FILTER (WHERE c.quantity > 0), 0)"
FROM_SOURCE = "FROM ({source}) AS c JOIN accounts_business AS b ON b.id = c.business_id"

PRODUCT = f"""
INSERT INTO {{table}} AS r (business_id, {{period}}, product_id, country, writer, revenue, units, lines)
SELECT c.business_id, {{period_of_line}}, c.product_id, c.country, {{writer}}, {REVENUE},
       sum(c.sign * c.quantity), sum(c.sign)
{FROM_SOURCE}
GROUP BY 1, 2, 3, 4
HAVING sum(c.sign) <> 0 OR sum(c.sign * c.quantity) <> 0 OR {REVENUE} <> 0
ORDER BY 1, 2, 3, 4
ON CONFLICT (business_id, {{period}}, product_id, country, writer) DO UPDATE
SET revenue = r.revenue + EXCLUDED.revenue, units = r.units + EXCLUDED.units, lines = r.lines + EXCLUDED.lines
"""
INVOICE = f"""
INSERT INTO {{table}} AS r (business_id, day, invoice, category, country, writer, revenue, units, lines,
                          sale_lines)
SELECT c.business_id, {DAY}, c.invoice, c.category, c.country, {{writer}}, {REVENUE},
       sum(c.sign * c.quantity), sum(c.sign), {SALE_LINES}
{FROM_SOURCE}
GROUP BY 1, 2, 3, 4, 5
HAVING sum(c.sign) <> 0 OR sum(c.sign * c.quantity) <> 0 OR {REVENUE} <> 0 OR {SALE_LINES} <> 0
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (business_id, day, invoice, category, country, writer) DO UPDATE
SET revenue = r.revenue + EXCLUDED.revenue, units = r.units + EXCLUDED.units,
    lines = r.lines + EXCLUDED.lines, sale_lines = r.sale_lines + EXCLUDED.sale_lines
"""
CUSTOMER = f"""
INSERT INTO {{table}} AS r (business_id, day, customer_id, category, country, writer, lines, sale_lines)
SELECT c.business_id, {DAY}, c.customer_id, c.category, c.country, {{writer}}, sum(c.sign), {SALE_LINES}
{FROM_SOURCE}
WHERE c.customer_id IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
HAVING sum(c.sign) <> 0 OR {SALE_LINES} <> 0
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (business_id, day, customer_id, category, country, writer) DO UPDATE
SET lines = r.lines + EXCLUDED.lines, sale_lines = r.sale_lines + EXCLUDED.sale_lines
"""
# After lines go, this writer's rows that add nothing any more are dropped (in the touched periods only).
PRUNE = f"""
DELETE FROM {{table}} AS r
WHERE r.writer = pg_backend_pid() AND {{zero}}
  AND (r.business_id, r.{{period}}) IN (SELECT DISTINCT c.business_id, {{period_of_line}} {FROM_SOURCE})
"""


@dataclass(frozen=True)
class Table:
    template: str
    zero: str
    period: str = "day"
    period_of_line: str = DAY


MEASURES_ZERO = "r.lines = 0 AND r.units = 0 AND r.revenue = 0"
TABLES = {
    "analytics_product_day": Table(PRODUCT, MEASURES_ZERO),
    "analytics_product_month": Table(PRODUCT, MEASURES_ZERO, period="month", period_of_line=MONTH),
    "analytics_invoice_day": Table(INVOICE, f"{MEASURES_ZERO} AND r.sale_lines = 0"),
    "analytics_customer_day": Table(CUSTOMER, "r.lines = 0 AND r.sale_lines = 0"),
}


def _statements(source: str, *, writer: str, tables=tuple(TABLES), prune: bool) -> list[str]:
    statements = []
    for name in tables:
        table = TABLES[name]
        fill = {"table": name, "source": source, "writer": writer, "period": table.period}
        statements.append(table.template.format(period_of_line=table.period_of_line, **fill))
        if prune:
            statements.append(PRUNE.format(zero=table.zero, period_of_line=table.period_of_line, **fill))
    return [statement.strip() for statement in statements]


def _body(statements: list[str]) -> str:
    return ";\n".join(statements) + ";"


LINE = "{sign} AS sign, t.business_id, t.product_id, t.invoice, t.customer_id, t.quantity, t.unit_price, "
LINE += 't."timestamp", t.country, p.category'
ARRIVING = f"SELECT {LINE.format(sign=1)} FROM new_rows AS t JOIN data_product AS p ON p.id = t.product_id"
LEAVING = f"SELECT {LINE.format(sign=-1)} FROM old_rows AS t JOIN data_product AS p ON p.id = t.product_id"
# A product whose category changed: its lines leave the old category (-1) and enter the new one (1).
RECATEGORISED = """
SELECT s.sign, t.business_id, t.product_id, t.invoice, t.customer_id, t.quantity, t.unit_price,
       t."timestamp", t.country, s.category
FROM (
    SELECT o.business_id, o.id, -1 AS sign, o.category FROM old_products AS o
    JOIN new_products AS n ON n.id = o.id WHERE o.category IS DISTINCT FROM n.category
    UNION ALL
    SELECT n.business_id, n.id, 1 AS sign, n.category FROM old_products AS o
    JOIN new_products AS n ON n.id = o.id WHERE o.category IS DISTINCT FROM n.category
) AS s
JOIN data_transaction AS t ON t.business_id = s.business_id AND t.product_id = s.id
"""


RECATEGORISED_TABLES = ("analytics_invoice_day", "analytics_customer_day")


# Keys compared bytewise: grouping and sorting invoices, categories and countries by the database's
# linguistic collation costs several times more, and nothing here is shown in that order.
BYTEWISE_COLUMNS = {
    "analytics_product_day": {"country": 80},
    "analytics_product_month": {"country": 80},
    "analytics_invoice_day": {"invoice": 64, "category": 120, "country": 80},
    "analytics_customer_day": {"category": 120, "country": 80},
}


def collation_sql() -> str:
    return "\n".join(
        f'ALTER TABLE {table} ALTER COLUMN {column} TYPE varchar({length}) COLLATE "C";'
        for table, columns in BYTEWISE_COLUMNS.items()
        for column, length in columns.items()
    )


def install_sql() -> str:
    """The trigger functions and triggers (``CREATE OR REPLACE``: a later migration may run it again)."""
    writer = "pg_backend_pid()"
    both = f"{ARRIVING} UNION ALL {LEAVING}"
    return f"""
CREATE OR REPLACE FUNCTION analytics_transaction_rollup() RETURNS trigger LANGUAGE plpgsql
-- An upload chunk turns nested loops off; a plan forced into one anyway costs enough to be JIT-compiled,
-- seconds of compiling for milliseconds of work.
SET jit = off AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_body(_statements(ARRIVING, writer=writer, prune=False))}
    ELSIF TG_OP = 'DELETE' THEN
        {_body(_statements(LEAVING, writer=writer, prune=True))}
    ELSE
        {_body(_statements(both, writer=writer, prune=True))}
    END IF;
    RETURN NULL;
END
$body$;

CREATE OR REPLACE FUNCTION analytics_product_recategorise() RETURNS trigger LANGUAGE plpgsql
SET jit = off AS $body$
BEGIN
    {_body(_statements(RECATEGORISED, writer=writer, tables=RECATEGORISED_TABLES, prune=True))}
    RETURN NULL;
END
$body$;

DROP TRIGGER IF EXISTS analytics_rollup_insert ON data_transaction;
DROP TRIGGER IF EXISTS analytics_rollup_delete ON data_transaction;
DROP TRIGGER IF EXISTS analytics_rollup_update ON data_transaction;
DROP TRIGGER IF EXISTS analytics_rollup_recategorise ON data_product;
CREATE TRIGGER analytics_rollup_insert AFTER INSERT ON data_transaction
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_transaction_rollup();
CREATE TRIGGER analytics_rollup_delete AFTER DELETE ON data_transaction
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION analytics_transaction_rollup();
CREATE TRIGGER analytics_rollup_update AFTER UPDATE ON data_transaction
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_transaction_rollup();
CREATE TRIGGER analytics_rollup_recategorise AFTER UPDATE ON data_product
    REFERENCING OLD TABLE AS old_products NEW TABLE AS new_products
    FOR EACH STATEMENT EXECUTE FUNCTION analytics_product_recategorise();
"""


UNINSTALL_SQL = """
DROP TRIGGER IF EXISTS analytics_rollup_insert ON data_transaction;
DROP TRIGGER IF EXISTS analytics_rollup_delete ON data_transaction;
DROP TRIGGER IF EXISTS analytics_rollup_update ON data_transaction;
DROP TRIGGER IF EXISTS analytics_rollup_recategorise ON data_product;
DROP FUNCTION IF EXISTS analytics_transaction_rollup();
DROP FUNCTION IF EXISTS analytics_product_recategorise();
"""

REBUILD_SOURCE = f"""
SELECT {LINE.format(sign=1)} FROM data_transaction AS t JOIN data_product AS p ON p.id = t.product_id
WHERE t.business_id = %(business)s
"""


def rollups_rebuild(*, business_id: int, attempts: int = 5) -> None:
    """Recompute a business's roll-ups from its sales lines (after a time zone change, or to check them).

    Runs in REPEATABLE READ, so the delete and the sums see one snapshot: a writer that commits
    meanwhile either is wholly in the snapshot (its roll-up delta deleted, its lines summed) or wholly
    outside it (its delta kept); one that touched a row being replaced makes this fail and try again.
    """
    if connection.in_atomic_block:  # the caller's transaction (a test, a migration) decides isolation
        with transaction.atomic(), connection.cursor() as cursor:
            rebuild_execute(cursor, business_id=business_id)
        return
    for attempt in range(attempts):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                rebuild_execute(cursor, business_id=business_id)
            return
        except OperationalError:  # serialization failure: a writer touched the business meanwhile
            if attempt == attempts - 1:
                raise


def rebuild_execute(cursor, *, business_id: int) -> None:
    """Replace a business's roll-up rows by sums of its lines, in the caller's transaction."""
    for table in TABLES:
        cursor.execute(f"DELETE FROM {table} WHERE business_id = %(business)s", {"business": business_id})
    for statement in _statements(REBUILD_SOURCE, writer="0", prune=False):
        cursor.execute(statement, {"business": business_id})
