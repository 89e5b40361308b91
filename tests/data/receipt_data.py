"""The 27 shared SROIE receipts (../shared/datasets/receipts_sroie): images, ground truth and true text."""

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path


def _find_sroie() -> Path:
    # ../shared from the repository: /work/shared for /work/main and for worktrees under /work/wt/.
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "datasets" / "receipts_sroie"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("shared/datasets/receipts_sroie not found above the repository")


SROIE = _find_sroie()
RECEIPTS = sorted(path.stem for path in (SROIE / "key").glob("*.json"))
assert len(RECEIPTS) == 27, f"expected the 27 shared receipts in {SROIE}"


def key(receipt: str) -> dict:
    return json.loads((SROIE / "key" / f"{receipt}.json").read_text("utf-8"))


def key_date(receipt: str) -> date:
    text = key(receipt)["date"]
    for pattern in ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d-%m-%y", "%d/%b/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def key_total(receipt: str) -> Decimal:
    return Decimal(key(receipt)["total"].replace("RM", "").replace(",", "").strip())


def box_text(receipt: str) -> str:
    return (SROIE / "box" / f"{receipt}.csv").read_text("utf-8")


def image_path(receipt: str) -> Path:
    return SROIE / "img" / f"{receipt}.jpg"
