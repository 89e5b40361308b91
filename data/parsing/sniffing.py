"""Working out how a file is written: its text encoding and its delimiter, from a sample of its start."""

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass
from itertools import islice

from data.parsing.errors import ParsingError

SAMPLE_SIZE = 64 * 1024
DELIMITERS = (",", ";", "\t")
# Records of the sample used to judge a delimiter; more adds time without changing the answer.
SNIFF_RECORDS = 30
# Share of control characters above which decoded bytes are treated as binary junk, not text.
CONTROL_CHARACTER_LIMIT = 0.01

WINDOWS_1252_FALLBACK = "smart_market_windows_1252"


def _windows_1252_character(byte: int) -> str:
    # The five bytes cp1252 leaves undefined keep their latin-1 meaning, as browsers (WHATWG) do.
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_WINDOWS_1252 = tuple(_windows_1252_character(byte) for byte in range(256))


def _decode_as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    undecodable = error.object[error.start : error.end]
    return "".join(_WINDOWS_1252[byte] for byte in undecodable), error.end


# A UTF-8 file whose first 64 KB are plain ASCII may still hold a stray Windows byte further down; decoding
# that byte as Windows-1252 keeps the import going with the character the merchant almost surely meant.
codecs.register_error(WINDOWS_1252_FALLBACK, _decode_as_windows_1252)

# Bytes 0x80-0x9F that cp1252 maps to printable characters (euro sign, curly quotes, dashes);
# in latin-1 they are control codes.
_CP1252_PRINTABLE_HIGH_BYTES = re.compile(rb"[\x80\x82-\x8c\x8e\x91-\x9c\x9e\x9f]")
# Excel writes "sep=;" as the first line of some exports to declare the delimiter.
_EXCEL_SEPARATOR_LINE = re.compile(r"\s*sep=([,;\t])[ \t]*(?:\r\n|\n|\r|$)", re.IGNORECASE)
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")

_BINARY_SIGNATURES = (
    (
        b"PK\x03\x04",
        "This is a ZIP archive or an Excel .xlsx workbook, not a CSV file. Save it as CSV and upload that.",
    ),
    (b"\xd0\xcf\x11\xe0", "This is an Excel .xls workbook, not a CSV file. Save it as CSV and upload that."),
    (b"\x1f\x8b", "This file is gzip-compressed. Decompress it and upload the CSV inside."),
    (b"%PDF", "This is a PDF document, not a CSV file."),
)


@dataclass(frozen=True, slots=True)
class TextFormat:
    """How to open a file as text: ``encoding`` is the name reported to callers, ``codec`` and ``errors``
    are what :func:`open` is given, ``delimiter`` is the field separator."""

    encoding: str
    codec: str
    errors: str
    delimiter: str


def detect_text_format(path: str | os.PathLike) -> TextFormat:
    """Detect the encoding and delimiter of a CSV file from its first 64 KB.

    Raises :class:`ParsingError` for an empty file and for anything that is not text.
    """
    with open(path, "rb") as stream:
        sample = stream.read(SAMPLE_SIZE)
        truncated = bool(stream.read(1))
    _reject_known_binary_formats(sample)
    encoding, codec, errors = detect_encoding(sample, truncated=truncated)
    text = codecs.getincrementaldecoder(codec)(errors).decode(sample, final=not truncated)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ParsingError("The file is empty.")
    if len(_CONTROL_CHARACTERS.findall(text)) > CONTROL_CHARACTER_LIMIT * len(text):
        raise ParsingError(
            "The file does not look like text (it is full of control characters); upload a CSV file."
        )
    if declared := _EXCEL_SEPARATOR_LINE.match(text):
        return TextFormat(encoding=encoding, codec=codec, errors=errors, delimiter=declared[1])
    if truncated:
        # The sample ends mid-line; the partial last line would distort the field counts.
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1] or text
    return TextFormat(encoding=encoding, codec=codec, errors=errors, delimiter=sniff_delimiter(text))


def detect_encoding(sample: bytes, *, truncated: bool = False) -> tuple[str, str, str]:
    """Return ``(reported name, codec, error handler)`` for a byte sample.

    Strict UTF-8 wins when the sample decodes as UTF-8 (a BOM is stripped). Otherwise the file is 8-bit:
    ``"cp1252"`` when bytes 0x80-0x9F appear (printable in cp1252, control codes in latin-1), else
    ``"latin-1"``. Both are decoded as Windows-1252 with latin-1 for its five undefined bytes, which is
    identical to latin-1 for every byte a latin-1 text actually uses. UTF-16 is recognised by its BOM or
    by the NUL bytes of ASCII text in UTF-16. Any other NUL bytes mean binary data.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8", "utf-8-sig", WINDOWS_1252_FALLBACK
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16", "replace"
    if b"\x00" in sample:
        utf16 = _utf16_without_bom(sample)
        if utf16 is None:
            raise ParsingError("The file contains binary data (NUL bytes), so it is not a CSV text file.")
        return utf16, utf16, "replace"
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=not truncated)
    except UnicodeDecodeError:
        if _CP1252_PRINTABLE_HIGH_BYTES.search(sample):
            return "cp1252", "cp1252", WINDOWS_1252_FALLBACK
        return "latin-1", "cp1252", WINDOWS_1252_FALLBACK
    return "utf-8", "utf-8-sig", WINDOWS_1252_FALLBACK


def _utf16_without_bom(sample: bytes) -> str | None:
    # ASCII text in UTF-16 has a NUL in every other byte: odd positions for little-endian, even for big.
    half = len(sample) // 2
    if half == 0:
        return None
    even_nuls = sample[0::2].count(0) / half
    odd_nuls = sample[1::2].count(0) / half
    if odd_nuls > 0.9 and even_nuls < 0.1:
        return "utf-16-le"
    if even_nuls > 0.9 and odd_nuls < 0.1:
        return "utf-16-be"
    return None


def _reject_known_binary_formats(sample: bytes) -> None:
    for signature, message in _BINARY_SIGNATURES:
        if sample.startswith(signature):
            raise ParsingError(message)


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter among comma, semicolon and tab that splits the header into the most fields
    while the following rows agree with the header's field count.

    ``csv.Sniffer`` guesses wrongly on files with decimal commas, so candidates are scored directly: a
    header of more than one field first, then the share of sample rows with the header's field count,
    then the header's field count; ties go to the comma, then the semicolon.
    """
    best_delimiter, best_score = DELIMITERS[0], None
    for preference, delimiter in enumerate(DELIMITERS):
        records = [
            record
            for record in islice(
                csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), SNIFF_RECORDS
            )
            if any(field.strip() for field in record)
        ]
        if not records:
            continue
        header_width = len(records[0])
        rows = records[1:]
        agreement = sum(len(row) == header_width for row in rows) / len(rows) if rows else 1.0
        score = (header_width > 1, round(agreement, 1), header_width, -preference)
        if best_score is None or score > best_score:
            best_delimiter, best_score = delimiter, score
    return best_delimiter
