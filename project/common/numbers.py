"""How figures are shown: money as a two-place decimal string, units to one decimal. One rule, every answer.

Money is never a JSON number (a float cannot hold 0.10 exactly, and clients would each round their own
way). Unit figures (forecast demand, safety stock, reorder points) are rounded to what a merchant reads.
"""

import decimal

from rest_framework import serializers

MONEY_PLACES = 2
UNIT_PLACES = 1
_CENT = decimal.Decimal(1).scaleb(-MONEY_PLACES)


def money_text(value) -> str | None:
    """``12.5`` → ``"12.50"`` (half up); None stays None."""
    if value is None:
        return None
    return str(decimal.Decimal(str(value)).quantize(_CENT, rounding=decimal.ROUND_HALF_UP))


def units(value) -> float | None:
    """A unit figure to one decimal: ``35.312563868565164`` → ``35.3``; None stays None."""
    return None if value is None else round(float(value), UNIT_PLACES)


class MoneyField(serializers.DecimalField):
    """An amount: a two-place decimal string (an exact four-place line total is rounded half up)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=24, decimal_places=MONEY_PLACES, rounding=decimal.ROUND_HALF_UP, **kwargs)


class UnitsField(serializers.FloatField):
    """A unit figure, shown to one decimal."""

    def to_representation(self, value):
        return units(super().to_representation(value))
