"""JSON in, bounded: how large, how deep, and what a string may hold, checked before any view sees it.

Python's ``json`` recurses once per nesting level, and so does everything that walks the result (DRF
fields, psycopg's dumper): a 50,000-deep array is a ``RecursionError`` (a 500) long before it is data.
PostgreSQL text and ``jsonb`` cannot hold U+0000, so a NUL anywhere would be a database error. One
loader refuses both, for request bodies (:class:`JSONParser`) and for JSON sent in a form field
(:class:`JSONField`), with a 400 that says why; a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 413.
"""

import codecs
import json

from django.conf import settings
from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError

# Deeper than any answer or request of the contract (the deepest, a receipt's line items, is 3).
MAX_JSON_DEPTH = 32


class JSONRefused(ValueError):
    """The text is not JSON this API accepts; the message says why."""


def json_loads(text: str | bytes) -> object:
    """Parse JSON text, refusing nesting deeper than :data:`MAX_JSON_DEPTH` and strings holding NUL."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as error:
        raise JSONRefused(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from error
    except ValueError as error:  # JSONDecodeError and undecodable bytes
        raise JSONRefused(f"Not valid JSON: {error}") from error
    _check(value)
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _check(value: object) -> None:
    """Walk the parsed value without recursion: depth and NUL characters (in keys too)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise JSONRefused("Text may not contain NUL characters (\\u0000).")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise JSONRefused(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        else:
            pending.extend((child, depth + 1) for child in item)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size limit, a depth limit, no NUL, and an object at the top.

    Every JSON request of the contract is an object; ``[]``, ``"x"``, ``1``, ``null`` or ``true`` as a
    whole body is a 400 here rather than a surprise to the view (login once answered them with a 500).
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            # Imported here: the error module imports DRF's views, which load this parser.
            from project.common.exceptions import PayloadTooLarge

            raise PayloadTooLarge(f"The request body is larger than {limit // (1024 * 1024)} MB.")
        try:
            value = json_loads(codecs.decode(raw, encoding))
        except (JSONRefused, UnicodeDecodeError, LookupError) as error:
            raise ParseError(f"JSON parse error - {error}") from error
        if not isinstance(value, dict):
            raise ParseError("JSON parse error - the body must be a JSON object.")
        return value


class JSONField(serializers.JSONField):
    """A form field holding JSON text (or JSON already parsed), under the same limits as a body."""

    def to_internal_value(self, data):
        if self.binary or getattr(data, "is_json_string", False):  # text to parse, as DRF's field decides
            try:
                return json_loads(data)
            except JSONRefused as error:
                raise serializers.ValidationError(str(error)) from error
        try:
            _check(data)
        except JSONRefused as error:
            raise serializers.ValidationError(str(error)) from error
        return super().to_internal_value(data)
