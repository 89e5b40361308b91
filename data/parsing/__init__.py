"""Turning merchants' CSV uploads into streams of normalised chunks and row errors.

Pure functions and plain classes: no Django, no database. A Celery task opens a file, iterates it, and
loads each :class:`Chunk`'s ``rows`` with COPY while recording its ``errors``::

    with open_transaction_file(path, column_map=options.get("column_map")) as reader:
        for chunk in reader:
            ...  # chunk.rows (DataFrame), chunk.errors (list[RowError]), chunk.rows_total, chunk.last_line

Things a loader must know:

* ``timestamp`` values are naive wall-clock times; localise them to the business's time zone.
* Money (``unit_price``, ``total``, inventory ``unit_price``/``unit_cost``) is exact decimal text with two
  places ("2.55"), rounded half away from zero to the cent, ready for ``numeric(14, 2)``.
* ``line_key`` is ``"<blake2b-128 hex>:<occurrence>"`` (recipe in :mod:`data.parsing.line_keys`); the
  occurrence depends on the earlier lines of the same file, so a resumed import must read the file from
  its start again (skipping chunks whose ``last_line`` it already committed), not seek into it.
* Each rejected row has exactly one :class:`RowError`, so ``rows_total == len(rows) + len(errors)``.
"""

from data.parsing.errors import HeaderError, ParsingError
from data.parsing.inventory import INVENTORY_COLUMNS, InventoryFileReader, open_inventory_file
from data.parsing.results import Chunk, RowError
from data.parsing.transactions import TRANSACTION_COLUMNS, TransactionFileReader, open_transaction_file

__all__ = [
    "INVENTORY_COLUMNS",
    "TRANSACTION_COLUMNS",
    "Chunk",
    "HeaderError",
    "InventoryFileReader",
    "ParsingError",
    "RowError",
    "TransactionFileReader",
    "open_inventory_file",
    "open_transaction_file",
]
