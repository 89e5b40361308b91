"""Streaming a CSV file as batches of records with their physical line numbers.

The ``csv`` module does the splitting (quotes, doubled quotes, delimiters inside quotes, line breaks inside
quoted fields). Records are pulled in small groups with :func:`itertools.islice` so no Python bytecode runs
per record, and each group becomes a 2-D object array at once, so the record lists die young: pulling
more than ~700 lists at a time lets the garbage collector promote and rescan them, which measured as 40% of
the reading time on the UCI file.
"""

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Self

import numpy as np
import pandas as pd

from data.parsing.errors import ParsingError
from data.parsing.headers import HeaderMatch
from data.parsing.results import Chunk, RowError
from data.parsing.sniffing import TextFormat, detect_text_format

RECORDS_PER_PULL = 500
# Row errors name the file's column; the upload error table stores at most this many characters of it.
COLUMN_NAME_LIMIT = 120


@dataclass(slots=True)
class RecordBatch:
    """Up to ``size`` data records. ``table`` holds the records with the header's field count (one row per
    record, one column per field) and ``lines`` the physical line each starts on; ``errors`` reports
    the records with another field count. Blank lines and rows of empty fields are skipped, not counted."""

    table: np.ndarray
    lines: np.ndarray
    errors: list[RowError]
    rows_total: int
    first_line: int
    last_line: int

    def chunk(self, rows: pd.DataFrame, problems: "RowProblems", header: list[str]) -> Chunk:
        """The batch as a :class:`Chunk`: the rows that passed, and every error (the batch's own and the
        field ``problems`` found in it) in line order."""
        errors = sorted(self.errors + problems.errors(self.lines, header), key=lambda error: error.line)
        return Chunk(
            rows=rows,
            errors=errors,
            rows_total=self.rows_total,
            first_line=self.first_line,
            last_line=self.last_line,
        )


def _physical_lines(record: list[str]) -> int:
    # The file iterator splits lines at \r\n, \n and \r alike, and quoted fields keep their line breaks.
    return 1 + sum(field.count("\n") + field.count("\r") - field.count("\r\n") for field in record)


def _field_count_message(found: int, expected: int) -> str:
    return f"This row has {found} field{'' if found == 1 else 's'} but the header has {expected}."


def _is_blank(record: list[str]) -> bool:
    return not any(field.strip() for field in record)


def _is_excel_separator_line(record: list[str]) -> bool:
    # "sep=;" split by its own delimiter is ["sep=", ""].
    return len(record) == 2 and record[0].strip().lower() == "sep=" and not record[1].strip()


class CsvSource:
    """An open CSV file positioned after its header row."""

    def __init__(self, path: str | os.PathLike, text_format: TextFormat | None = None) -> None:
        self.path = path
        self.format = text_format or detect_text_format(path)
        self._stream = open(path, encoding=self.format.codec, errors=self.format.errors, newline="")  # noqa: SIM115
        try:
            self._reader = csv.reader(self._stream, delimiter=self.format.delimiter)
            self.header = self._read_header()
        except BaseException:
            self._stream.close()
            raise
        self.width = len(self.header)

    def _pull(self, count: int) -> list[list[str]]:
        try:
            return list(islice(self._reader, count))
        except csv.Error as error:
            raise ParsingError(
                f"The file cannot be read past line {self._reader.line_num}: {error}. "
                "A quoted field may be missing its closing quote."
            ) from error

    def _read_header(self) -> list[str]:
        while records := self._pull(1):
            if _is_excel_separator_line(records[0]):
                continue
            if not _is_blank(records[0]):
                header = [field.replace("\ufeff", "").strip() for field in records[0]]
                # A trailing delimiter on the header line names no column; rows may or may not repeat it.
                while not header[-1]:
                    header.pop()
                return header
        raise ParsingError("The file is empty.")

    def close(self) -> None:
        """Close the file."""
        self._stream.close()

    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
        return self._stream.closed

    def read_batch(self, size: int) -> RecordBatch | None:
        """Read the next ``size`` data records, or fewer at the end; None once no data records are left."""
        tables, line_parts, errors = [], [], []
        rows_total = 0
        first_line = last_line = 0
        while rows_total < size:
            start = self._reader.line_num
            records = self._pull(min(RECORDS_PER_PULL, size - rows_total))
            if not records:
                break
            count = len(records)
            if self._reader.line_num - start == count:
                starts = np.arange(start + 1, start + 1 + count, dtype=np.int64)
                ends = starts
            else:
                spans = np.fromiter(map(_physical_lines, records), dtype=np.int64, count=count)
                ends = start + np.cumsum(spans)
                starts = ends - spans + 1
            widths = np.fromiter(map(len, records), dtype=np.int64, count=count)
            fits = widths == self.width
            counted = np.ones(count, dtype=bool)
            if not fits.all():
                for position in np.flatnonzero(~fits):
                    record = records[position]
                    if _is_blank(record):
                        counted[position] = False
                    elif len(record) > self.width and _is_blank(record[self.width :]):
                        # Trailing empty fields ("a,b,c,,") are a spreadsheet habit, not a broken row.
                        records[position] = record[: self.width]
                        fits[position] = True
                    else:
                        errors.append(
                            RowError(int(starts[position]), "", _field_count_message(len(record), self.width))
                        )
                records = [records[position] for position in np.flatnonzero(fits)]
            # Flattening and reshaping is faster than letting numpy discover the nesting of the lists.
            table = np.fromiter(
                chain.from_iterable(records), dtype=object, count=len(records) * self.width
            ).reshape(-1, self.width)
            kept = np.flatnonzero(fits)
            blank = table[:, 0] == ""
            if blank.any() and (blank := blank & (table == "").all(axis=1)).any():
                counted[kept[blank]] = False
                table, kept = table[~blank], kept[~blank]
            tables.append(table)
            line_parts.append(starts[kept])
            if counted.any():
                if not rows_total:
                    first_line = int(starts[counted][0])
                last_line = int(ends[counted][-1])
                rows_total += int(counted.sum())
        if not rows_total:
            return None
        return RecordBatch(
            table=np.concatenate(tables),
            lines=np.concatenate(line_parts),
            errors=errors,
            rows_total=rows_total,
            first_line=first_line,
            last_line=last_line,
        )

    def column_values(self, position: int, batch_size: int) -> Iterator[list[str]]:
        """Yield the values of one column, ``batch_size`` records at a time (records too short to have
        the column are skipped)."""
        while records := self._pull(batch_size):
            yield [record[position] for record in records if len(record) > position]


class FileReader:
    """Shared behaviour of the file readers: iteration in chunks, running totals and closing.

    A reader can be iterated once; it closes its file when iteration ends and when used as a context
    manager.
    """

    def __init__(self, source: CsvSource, match: HeaderMatch, *, chunk_size: int) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1.")
        self._source = source
        self._chunk_size = chunk_size
        self._started = False
        self.path = source.path
        self.encoding = source.format.encoding
        self.delimiter = source.format.delimiter
        self.header = source.header
        self.layout = match.layout
        self.columns = match.columns
        self.rows_total = 0
        self.errors_total = 0

    @property
    def fields(self) -> frozenset[str]:
        """Our names of the fields the file has a column for."""
        return frozenset(self.columns)

    def __iter__(self) -> Iterator[Chunk]:
        if self._started:
            raise RuntimeError("A file reader can be iterated only once.")
        self._started = True
        return self._chunks()

    def _chunks(self) -> Iterator[Chunk]:
        try:
            while (batch := self._source.read_batch(self._chunk_size)) is not None:
                chunk = self._normalise(batch)
                self.rows_total += chunk.rows_total
                self.errors_total += len(chunk.errors)
                yield chunk
        finally:
            self.close()

    def _normalise(self, batch: RecordBatch) -> Chunk:
        raise NotImplementedError

    def close(self) -> None:
        """Close the file; further iteration yields nothing."""
        self._source.close()

    @property
    def closed(self) -> bool:
        """Whether the file is closed."""
        return self._source.closed

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class RowProblems:
    """Collects at most one complaint per row: the one about the leftmost column of the file."""

    def __init__(self, count: int, width: int) -> None:
        self._width = width
        self._column = np.full(count, width, dtype=np.int64)
        self._message = np.full(count, None, dtype=object)

    def add(self, column: int, messages: np.ndarray | None) -> None:
        """Record per-row ``messages`` (None where the row is fine) against the file column ``column``."""
        if messages is not None:
            self.add_where(column, np.not_equal(messages, None), messages)

    def add_where(self, column: int, mask: np.ndarray, message: str | np.ndarray) -> None:
        """Record ``message`` (one text, or one per row) for the rows in ``mask``."""
        chosen = mask & (column < self._column)
        if chosen.any():
            self._column[chosen] = column
            self._message[chosen] = message if isinstance(message, str) else message[chosen]

    @property
    def ok(self) -> np.ndarray:
        """True for the rows without a complaint."""
        return self._column == self._width

    def errors(self, lines: np.ndarray, header: list[str]) -> list[RowError]:
        """The complaints as :class:`RowError` values, in file order."""
        return [
            RowError(int(lines[row]), header[self._column[row]][:COLUMN_NAME_LIMIT], self._message[row])
            for row in np.flatnonzero(~self.ok)
        ]
