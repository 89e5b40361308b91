"""Which catalogue product a receipt line is: by SKU printed on the line, else by a fuzzy name match.

A line is matched only when the evidence is good: an exact SKU, or a name scoring at least
``RECEIPT_MATCH_MIN_SCORE`` with rapidfuzz's ``token_set_ratio`` (word order and case do not matter, a
clipped last word still scores: "CHEESE LEMON TAR" is "Cheese Lemon Tart"). Not ``WRatio``: its partial
scores call any two names sharing one word a match ("CHEESE PUFF" would be "Cheese Lemon Tart"), and
a wrong product silently moves the wrong stock; an unmatched line is left for the merchant to pick.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from rapidfuzz import fuzz, process, utils

from data.models import Product

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*[A-Za-z0-9]")


@dataclass(frozen=True)
class ProductMatch:
    product_id: int
    score: float  # 100 for a SKU, else the name score (0-100)
    by: str  # "sku" or "name"


def products_match(*, business, descriptions: Sequence[str]) -> list[ProductMatch | None]:
    """A match (or None) for each description, in order, against the business's catalogue."""
    if not descriptions:
        return []
    catalogue = list(Product.objects.for_business(business).values_list("pk", "sku", "name"))
    by_sku = {sku.strip().upper(): pk for pk, sku, _ in catalogue if len(sku.strip()) >= 3}
    names = {pk: name for pk, _, name in catalogue}
    matches = []
    for description in descriptions:
        sku = next((token for token in _TOKEN.findall(description) if token.upper() in by_sku), None)
        if sku is not None:
            matches.append(ProductMatch(by_sku[sku.upper()], 100.0, "sku"))
            continue
        found = process.extractOne(
            description,
            names,
            scorer=fuzz.token_set_ratio,
            processor=utils.default_process,
            score_cutoff=settings.RECEIPT_MATCH_MIN_SCORE,
        )
        matches.append(ProductMatch(found[2], round(found[1], 1), "name") if found else None)
    return matches
