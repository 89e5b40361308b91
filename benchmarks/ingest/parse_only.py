"""Parsing alone: speed and peak memory on a real file.

    PYTHONPATH=. .venv/bin/python benchmarks/ingest/parse_only.py /tmp/online_retail.csv [--runs 3]

Prints, per run, rows, wall and CPU seconds and rows per second, then the process's peak RSS.
"""

import argparse
import resource
import time

from data.parsing import open_inventory_file, open_transaction_file


def measure(path: str, *, inventory: bool) -> tuple[int, int, float, float]:
    """Parse the whole file; return (rows, row errors, wall seconds, CPU seconds)."""
    opener = open_inventory_file if inventory else open_transaction_file
    wall, cpu = time.perf_counter(), time.process_time()
    with opener(path) as reader:
        for _ in reader:
            pass
    return reader.rows_total, reader.errors_total, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--inventory", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    for run in range(1, arguments.runs + 1):
        rows, errors, wall, cpu = measure(arguments.path, inventory=arguments.inventory)
        print(
            f"run {run}: {rows:,} rows ({errors} errors) in {wall:.2f} s wall, {cpu:.2f} s CPU: "
            f"{rows / wall:,.0f} rows/s wall, {rows / cpu:,.0f} rows/s CPU"
        )
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
