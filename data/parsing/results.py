"""The values a file reader hands back: chunks of normalised rows and the row errors found next to them."""

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected data row.

    ``line`` is the physical line of the file on which the row starts (the header is usually line 1, and a
    quoted field that spans several lines pushes later rows down). ``column`` is the file's own header text
    for the offending field, or ``""`` when the whole row is wrong (e.g. a wrong number of fields).
    """

    line: int
    column: str
    message: str


@dataclass(slots=True)
class Chunk:
    """A slice of the file: the valid normalised rows plus one error per rejected row.

    ``rows_total`` counts every data row of the slice, good or bad (blank lines are not rows), so
    ``rows_total == len(rows) + len(errors)``. ``first_line`` and ``last_line`` are the physical lines on
    which the slice's first row starts and its last row ends.
    """

    rows: pd.DataFrame
    errors: list[RowError]
    rows_total: int
    first_line: int
    last_line: int
