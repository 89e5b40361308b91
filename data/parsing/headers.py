"""Matching a file's header row to the layouts we understand, or to a merchant's own column map."""

from collections.abc import Mapping
from dataclasses import dataclass

from data.parsing.errors import HeaderError, ParsingError

# How many of the file's header names an error message quotes, so a wide file keeps the message short.
QUOTED_HEADER_LIMIT = 12


def normalise_header(name: str) -> str:
    """Reduce a header name to lower-case letters and digits: "Customer ID", "customer_id" and
    "CustomerID" all become ``"customerid"`` (punctuation such as "(£)" or "No." is dropped too)."""
    return "".join(character for character in name.casefold() if character.isalnum())


@dataclass(frozen=True, slots=True)
class Layout:
    """A known export format: which header names map to which of our fields."""

    name: str
    title: str
    # (our field, header name as this layout spells it)
    required: tuple[tuple[str, str], ...]
    optional: tuple[tuple[str, str], ...] = ()

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        return self.required + self.optional


@dataclass(frozen=True, slots=True)
class HeaderMatch:
    """The outcome of header matching: the layout's name and, for each of our fields the file has, the
    index of its column."""

    layout: str
    columns: dict[str, int]


TRANSACTION_LAYOUTS = (
    Layout(
        name="ours",
        title="the Smart Market template",
        required=(
            ("invoice", "invoice"),
            ("sku", "sku"),
            ("quantity", "quantity"),
            ("unit_price", "unit_price"),
            ("timestamp", "timestamp"),
        ),
        optional=(
            ("product_name", "product_name"),
            ("category", "category"),
            ("customer_id", "customer_id"),
            ("customer_email", "customer_email"),
            ("country", "country"),
            ("payment_method", "payment_method"),
        ),
    ),
    Layout(
        name="uci",
        title="the UCI Online Retail export",
        required=(
            ("invoice", "InvoiceNo"),
            ("sku", "StockCode"),
            ("quantity", "Quantity"),
            ("timestamp", "InvoiceDate"),
            ("unit_price", "UnitPrice"),
        ),
        optional=(("product_name", "Description"), ("customer_id", "CustomerID"), ("country", "Country")),
    ),
    Layout(
        name="uci2",
        title="the Online Retail II export",
        required=(
            ("invoice", "Invoice"),
            ("sku", "StockCode"),
            ("quantity", "Quantity"),
            ("timestamp", "InvoiceDate"),
            ("unit_price", "Price"),
        ),
        optional=(("product_name", "Description"), ("customer_id", "Customer ID"), ("country", "Country")),
    ),
    Layout(
        name="pos",
        title="a point-of-sale export",
        required=(
            ("timestamp", "Date"),
            ("product_name", "Product"),
            ("quantity", "Quantity"),
            ("amount", "Amount"),
        ),
        optional=(
            ("time", "Time"),
            ("unit_price", "UnitPrice"),
            ("customer_id", "Customer"),
            ("payment_method", "PaymentMethod"),
            ("category", "Category"),
            ("notes", "Notes"),
        ),
    ),
)

# Fields a column map may name for a sales file. "amount" (a line total) may stand in for "unit_price",
# and "time" is joined to the date when dates and times sit in separate columns.
TRANSACTION_FIELDS = (
    "invoice",
    "sku",
    "product_name",
    "category",
    "quantity",
    "unit_price",
    "amount",
    "timestamp",
    "time",
    "customer_id",
    "customer_email",
    "country",
    "payment_method",
    "notes",
)

# Header names accepted for each stock-count field, best first.
INVENTORY_ALIASES = {
    "sku": ("sku", "StockCode", "ProductCode", "ItemCode", "Code"),
    "product_name": ("product_name", "ProductName", "Product", "Name", "ItemName", "Item", "Description"),
    "category": ("category", "Department"),
    "unit_price": ("unit_price", "Price", "SellingPrice", "RetailPrice"),
    "unit_cost": ("unit_cost", "Cost", "CostPrice", "PurchasePrice"),
    "stock_quantity": (
        "stock_quantity",
        "Quantity",
        "Qty",
        "Stock",
        "OnHand",
        "QuantityOnHand",
        "InStock",
        "StockLevel",
    ),
    "reorder_point": ("reorder_point", "ReorderLevel"),
    "lead_time_days": ("lead_time_days", "LeadTime"),
}
INVENTORY_FIELDS = tuple(INVENTORY_ALIASES)


def _header_index(header: list[str]) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        # A repeated header name refers to its first column.
        index.setdefault(normalise_header(name), position)
    return index


def _quote_header(header: list[str]) -> str:
    names = [name for name in header if name.strip()]
    quoted = ", ".join(f'"{name}"' for name in names[:QUOTED_HEADER_LIMIT])
    if len(names) > QUOTED_HEADER_LIMIT:
        quoted += f" and {len(names) - QUOTED_HEADER_LIMIT} more"
    return quoted or "nothing"


def _describe(field: str, spelling: str) -> str:
    if normalise_header(field) == normalise_header(spelling):
        return field
    return f"{spelling} ({field})"


def match_transaction_header(header: list[str], column_map: Mapping[str, str] | None = None) -> HeaderMatch:
    """Match a sales file's header to a layout: ours, then uci, uci2 and pos, or "custom" when the
    merchant gave a column map.

    Raises :class:`HeaderError` naming the columns the closest layout still needs.
    """
    index = _header_index(header)
    if column_map:
        return _match_custom_transaction_header(header, index, column_map)
    candidates = []
    for preference, layout in enumerate(TRANSACTION_LAYOUTS):
        found = {
            field: index[normalise_header(spelling)]
            for field, spelling in layout.columns
            if normalise_header(spelling) in index
        }
        missing = [(field, spelling) for field, spelling in layout.required if field not in found]
        if not missing:
            return HeaderMatch(layout=layout.name, columns=found)
        # Closest means most columns recognised; ties go to the preferred layout.
        candidates.append(((len(found), -preference), layout, missing))
    _, closest, missing = max(candidates, key=lambda candidate: candidate[0])
    raise HeaderError(
        f"The header is missing columns needed for {closest.title}: "
        f"{', '.join(_describe(field, spelling) for field, spelling in missing)}. "
        f"The file's header has {_quote_header(header)}.",
        missing=[field for field, _ in missing],
        layout=closest.name,
    )


def _apply_column_map(
    index: dict[str, int],
    recognised: dict[str, int],
    column_map: Mapping[str, str],
    known_fields: tuple[str, ...],
) -> tuple[dict[str, int], list[str], list[str]]:
    """Lay the merchant's map over the columns recognised by name; return the columns, the mapped fields
    whose header is not in the file, and those headers quoted for a message."""
    unknown = sorted(set(column_map) - set(known_fields))
    if unknown:
        raise ParsingError(
            f"The column map names fields we do not know: {', '.join(unknown)}. "
            f"Known fields are: {', '.join(known_fields)}."
        )
    columns = dict(recognised)
    absent_fields, absent_headers = [], []
    for field, file_header in column_map.items():
        position = index.get(normalise_header(str(file_header)))
        columns.pop(field, None)
        if position is None:
            absent_fields.append(field)
            absent_headers.append(f'"{file_header}" (mapped to {field})')
            continue
        # A column the merchant mapped stops serving the field it was recognised as by its name.
        for other, other_position in list(columns.items()):
            if other_position == position and other not in column_map:
                del columns[other]
        columns[field] = position
    return columns, absent_fields, absent_headers


def _match_custom_transaction_header(
    header: list[str], index: dict[str, int], column_map: Mapping[str, str]
) -> HeaderMatch:
    # Columns already named like our fields need no mapping; the map only overrides or adds.
    recognised = {
        field: index[normalise_header(field)]
        for field in TRANSACTION_FIELDS
        if normalise_header(field) in index
    }
    columns, absent_fields, absent_headers = _apply_column_map(
        index, recognised, column_map, TRANSACTION_FIELDS
    )
    missing = [field for field in ("invoice", "quantity", "timestamp") if field not in columns]
    if "sku" not in columns and "product_name" not in columns:
        missing.append("sku")
    if "unit_price" not in columns and "amount" not in columns:
        missing.append("unit_price")
    missing.sort(key=TRANSACTION_FIELDS.index)
    if missing or absent_fields:
        problems = []
        if absent_headers:
            problems.append(f"the file has no column {', '.join(absent_headers)}")
        unmapped = [field for field in missing if field not in absent_fields]
        if unmapped:
            wanted = ", ".join(
                {"sku": "sku (or product_name)", "unit_price": "unit_price (or amount)"}.get(field, field)
                for field in unmapped
            )
            problems.append(f"these fields are not mapped to any column: {wanted}")
        raise HeaderError(
            f"The column map does not fit the file: {'; '.join(problems)}. "
            f"The file's header has {_quote_header(header)}.",
            missing=sorted({*missing, *absent_fields}, key=TRANSACTION_FIELDS.index),
            layout="custom",
        )
    return HeaderMatch(layout="custom", columns=columns)


def match_inventory_header(header: list[str], column_map: Mapping[str, str] | None = None) -> HeaderMatch:
    """Match a stock-count file's header: a sku or a product name column is required, the other fields
    (category, unit_price, unit_cost, stock_quantity, reorder_point, lead_time_days) are optional and
    accept common alternative names (e.g. "Qty", "On Hand", "Cost"). Layout "ours", or "custom" with a
    column map (which is applied on top of the recognised names)."""
    index = _header_index(header)
    columns: dict[str, int] = {}
    taken: set[int] = set()
    for field, aliases in INVENTORY_ALIASES.items():
        for alias in aliases:
            position = index.get(normalise_header(alias))
            if position is not None and position not in taken:
                columns[field] = position
                taken.add(position)
                break
    layout = "ours"
    absent_fields: list[str] = []
    absent_headers: list[str] = []
    if column_map:
        layout = "custom"
        columns, absent_fields, absent_headers = _apply_column_map(
            index, columns, column_map, INVENTORY_FIELDS
        )
    if absent_fields:
        raise HeaderError(
            f"The column map does not fit the file: the file has no column {', '.join(absent_headers)}. "
            f"The file's header has {_quote_header(header)}.",
            missing=absent_fields,
            layout=layout,
        )
    if "sku" not in columns and "product_name" not in columns:
        raise HeaderError(
            "The header needs a sku or a product name column to know which product each row counts. "
            f"The file's header has {_quote_header(header)}.",
            missing=["sku", "product_name"],
            layout=layout,
        )
    return HeaderMatch(layout=layout, columns=columns)
