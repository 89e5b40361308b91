"""Small files and shortcuts shared by the parsing tests."""

from pathlib import Path

import pandas as pd

from data.parsing import Chunk, RowError


def write_csv(
    directory: Path, text: str, *, name: str = "upload.csv", encoding: str = "utf-8", newline: str = "\n"
) -> Path:
    """Write ``text`` (lines end in ``\\n``) in the given encoding and line ending; return the path."""
    path = directory / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def write_bytes(directory: Path, content: bytes, *, name: str = "upload.csv") -> Path:
    """Write raw bytes; return the path."""
    path = directory / name
    path.write_bytes(content)
    return path


def read_everything(reader) -> tuple[pd.DataFrame, list[RowError], list[Chunk]]:
    """Iterate a reader to the end: all valid rows in one frame, all errors, and the chunks."""
    chunks = list(reader)
    rows = pd.concat([chunk.rows for chunk in chunks], ignore_index=True)
    errors = [error for chunk in chunks for error in chunk.errors]
    return rows, errors, chunks
