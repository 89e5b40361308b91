"""Where the real data sets live (``../shared/datasets`` next to the repository), spelled once.

Tests and benchmarks read the UCI Online Retail file and the SROIE receipts from there. The folder is
found from ``SMART_MARKET_DATASETS`` when set, else as ``shared/datasets`` beside the repository or beside
any folder above it (a git worktree sits deeper than the main checkout).
"""

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def datasets_root() -> Path:
    configured = os.environ.get("SMART_MARKET_DATASETS")
    if configured:
        return Path(configured)
    for folder in REPOSITORY.parents:
        candidate = folder / "shared" / "datasets"
        if candidate.is_dir():
            return candidate
    return REPOSITORY.parent / "shared" / "datasets"


def dataset_path(*parts: str) -> Path:
    """A file of the shared data sets, e.g. ``dataset_path("online_retail", "online_retail.csv.gz")``."""
    return datasets_root().joinpath(*parts)


def online_retail_path() -> Path:
    return dataset_path("online_retail", "online_retail.csv.gz")
