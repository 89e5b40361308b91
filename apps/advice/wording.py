"""How advice writes its figures: money in the merchant's currency, short dates, counts."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹", "AUD": "A$", "CAD": "C$"}


def money(amount, currency: str) -> str:
    """``£1,234.50``; a currency without a symbol here is written by its code (``CHF 12.00``)."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.2f}"
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


def day(value: date) -> str:
    """``3 Dec``."""
    return f"{value.day} {value:%b}"


def count(number: float, noun: str, plural: str | None = None) -> str:
    number = round(float(number))
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def percent(share: float) -> str:
    return f"{round(share * 100):.0f}%"
