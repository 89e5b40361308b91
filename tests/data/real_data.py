"""Slices of the real UCI Online Retail file (../shared/datasets), and the figures a test expects of them."""

import csv
import gzip
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

# shared/ sits beside the checkout (CI's layout) or, for a worktree, at /work/shared.
_CANDIDATES = [
    shared / "datasets" / "online_retail" / "online_retail.csv.gz"
    for shared in (Path(__file__).resolve().parents[3] / "shared", Path("/work/shared"))
]
DATASET = next((path for path in _CANDIDATES if path.exists()), _CANDIDATES[0])


def read_rows(start: int, stop: int) -> tuple[list[str], list[list[str]]]:
    """The header and data rows ``start`` (0-based, inclusive) to ``stop`` (exclusive)."""
    with gzip.open(DATASET, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = []
        for number, row in enumerate(reader):
            if number >= stop:
                break
            if number >= start:
                rows.append(row)
    return header, rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


@dataclass
class Expected:
    rows: int
    good: int
    bad: int
    revenue: Decimal
    products: int
    customers: int
    returns: int


def expected(rows: list[list[str]]) -> Expected:
    """What importing these rows must produce, computed with the csv module, independently of the importer.

    A row is bad when its price is negative or its quantity zero; every other row is a genuine sale line
    (identical lines are kept: two of the same in one invoice are two sales).
    """
    good = [row for row in rows if Decimal(row[5]) >= 0 and int(row[3]) != 0]
    return Expected(
        rows=len(rows),
        good=len(good),
        bad=len(rows) - len(good),
        revenue=sum((Decimal(row[5]) * int(row[3])).quantize(Decimal("0.01")) for row in good),
        products=len({row[1] for row in good}),
        customers=len({row[6] for row in good if row[6]}),
        returns=sum(1 for row in good if row[0].startswith("C") or int(row[3]) < 0),
    )


def read_rows_where(keep) -> tuple[list[str], list[list[str]]]:
    """The header and every data row for which ``keep(row)`` is true, across the whole file."""
    with gzip.open(DATASET, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [row for row in reader if keep(row)]
