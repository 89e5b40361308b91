"""Serializer fields whose accepted input is exactly what the OpenAPI schema says it is."""

import re
from decimal import Decimal

from rest_framework import serializers


def decimal_pattern(*, max_digits: int, decimal_places: int, min_value=None, max_value=None) -> str:
    """The regular expression of a decimal written as text: digits, an optional fraction of at most
    ``decimal_places`` digits, a minus sign only when negatives are allowed, and no more whole digits than
    ``max_value`` (or ``max_digits``) allows. ``1000000`` as the maximum allows six whole digits
    (999999.99), so that every string the pattern accepts is within bounds and every other is refused.
    """
    whole = max_digits - decimal_places
    if max_value is not None:
        whole = min(whole, len(str(int(Decimal(max_value) + Decimal(1) / 10**decimal_places))) - 1)
    sign = "" if min_value is not None and Decimal(min_value) >= 0 else "-?"
    fraction = rf"(?:\.\d{{1,{decimal_places}}})?" if decimal_places else ""
    return rf"^{sign}\d{{1,{whole}}}{fraction}$"


class StrictDecimalField(serializers.DecimalField):
    """A decimal sent as a JSON string matching :func:`decimal_pattern` (``"12.50"``), nothing else.

    DRF's own field also takes numbers, blanks, exponents and surrounding spaces, which a schema cannot
    describe; the schema publishes this field's pattern (``project/common/schema.py``), so the two agree.
    """

    default_error_messages = {"pattern": 'Must be a decimal written as text, such as "12.50".'}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pattern = decimal_pattern(
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            min_value=self.min_value,
            max_value=self.max_value,
        )

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(self.pattern, data):
            self.fail("pattern")
        return super().to_internal_value(data)


class NonZeroIntegerField(serializers.IntegerField):
    """An integer that may be negative but not zero (a stock change, a sale's quantity); the schema says
    so (``not: {enum: [0]}``). ``zero_message`` says what zero would mean for this field."""

    default_error_messages = {"zero": "Cannot be zero."}

    def __init__(self, *args, zero_message: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if zero_message:
            self.error_messages["zero"] = zero_message

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == 0:
            self.fail("zero")
        return value


def refuse_numbers_as_text() -> None:
    """DRF's ``CharField`` takes a JSON number for text (``"name": 42`` becomes ``"42"``), which no
    schema can describe: a text field then takes only text. Installed once, at start-up
    (``project.common.apps``), for every serializer; form and query values are text anyway."""
    original = serializers.CharField.to_internal_value
    if getattr(original, "refuses_numbers", False):
        return

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return original(self, data)

    to_internal_value.refuses_numbers = True
    serializers.CharField.to_internal_value = to_internal_value
