"""Exceptions raised when a whole file cannot be read.

Problems with single rows are not exceptions: they are reported as :class:`~data.parsing.results.RowError`
values next to the good rows, so that one bad line never stops an import.
"""


class ParsingError(Exception):
    """The file cannot be imported at all. ``str(error)`` is written for the merchant."""


class HeaderError(ParsingError):
    """The header row fits no supported layout.

    ``missing`` lists our field names (e.g. ``["unit_price", "timestamp"]``) that the closest layout still
    needs, and ``layout`` names that closest layout, so a caller can offer a column mapping.
    """

    def __init__(self, message: str, *, missing: list[str], layout: str) -> None:
        super().__init__(message)
        self.missing = list(missing)
        self.layout = layout
