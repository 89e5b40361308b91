"""Receipt reading over the 27 shared SROIE receipts: from OCR, and separately from the true text.

    .venv/bin/python benchmarks/receipts/run.py [--only 000,084] [--skip-ocr]

For each receipt: the production OCR engine (``data.receipts.ocr.TesseractEngine``: preprocessing,
Tesseract with OMP_THREAD_LIMIT=1) then the parser, and the parser alone on the ground-truth text
(``box/``). Reported: the share with the total exact, the date exact, the merchant matching (exactly
after normalising, and fuzzily), and seconds per receipt (wall and CPU, median and 90th percentile).
No database is touched. Figures go in this folder's README with the load average printed at the end.
"""

import argparse
import os
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
os.environ.setdefault("DEBUG", "1")  # no production secret needed; nothing here uses the database

import django  # noqa: E402

django.setup()

from rapidfuzz import fuzz  # noqa: E402

from data.parsing.receipts import receipt_parse_words, words_from_quadrilaterals  # noqa: E402
from data.receipts.ocr import TesseractEngine  # noqa: E402
from tests.data.receipt_data import RECEIPTS, box_text, image_path, key, key_date, key_total  # noqa: E402


def normalised(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", " ", name.upper()).strip()


def cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def score(parsed, receipt: str) -> dict:
    company = key(receipt)["company"]
    return {
        "total": parsed.total == key_total(receipt),
        "date": parsed.purchase_date == key_date(receipt),
        "merchant_exact": normalised(parsed.merchant) == normalised(company),
        "merchant_fuzzy": fuzz.token_set_ratio(normalised(parsed.merchant), normalised(company)) >= 80,
    }


def summary(label: str, rows: list[dict]) -> None:
    count = len(rows)

    def share(name):
        hits = sum(row[name] for row in rows)
        return f"{hits}/{count} ({100 * hits / count:.0f}%)"

    wall = [row["wall"] for row in rows]
    cpu = [row["cpu"] for row in rows]
    print(f"\n{label}: {count} receipts")
    print(f"  total exact     {share('total')}")
    print(f"  date exact      {share('date')}")
    print(
        f"  merchant exact  {share('merchant_exact')} (normalised), fuzzy (>= 80) {share('merchant_fuzzy')}"
    )
    print(
        f"  seconds/receipt wall median {statistics.median(wall):.3f}, p90 {percentile(wall, 0.9):.3f}; "
        f"CPU median {statistics.median(cpu):.3f}, p90 {percentile(cpu, 0.9):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="comma-separated receipt numbers")
    parser.add_argument("--skip-ocr", action="store_true")
    options = parser.parse_args()
    receipts = options.only.split(",") if options.only else RECEIPTS
    print(f"load average at start: {os.getloadavg()}")
    engine = TesseractEngine()
    from_ocr, from_text = [], []
    for receipt in receipts:
        started, cpu = time.perf_counter(), cpu_seconds()
        parsed = receipt_parse_words(words_from_quadrilaterals(box_text(receipt)))
        from_text.append(
            {**score(parsed, receipt), "wall": time.perf_counter() - started, "cpu": cpu_seconds() - cpu}
        )
        if options.skip_ocr:
            continue
        started, cpu = time.perf_counter(), cpu_seconds()
        parsed = receipt_parse_words(engine.read(str(image_path(receipt))).words)
        row = {**score(parsed, receipt), "wall": time.perf_counter() - started, "cpu": cpu_seconds() - cpu}
        from_ocr.append(row)
        misses = [name for name in ("total", "date", "merchant_fuzzy") if not row[name]]
        print(
            f"{receipt}: {row['wall']:.2f} s wall, {row['cpu']:.2f} s CPU; total {parsed.total} "
            f"date {parsed.purchase_date} merchant {parsed.merchant!r}"
            + (f"  MISSES {misses}" if misses else ""),
            flush=True,
        )
    if from_ocr:
        summary("From OCR (preprocessing + Tesseract + parsing)", from_ocr)
    summary("From the true text (parsing alone)", from_text)
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
