"""Reading a shop receipt's text: merchant, date and time, total, line items, each with a confidence.

Pure functions, no ORM. The input is positioned text, :class:`Word` boxes (from Tesseract's TSV output,
an external OCR service, or a data set's ground truth), because a receipt prints labels in one column
and their amounts in another: :func:`lines_from_words` rebuilds the reading lines by position, so
``TOTAL RM`` and ``7,838.80`` printed side by side end up on one line. :func:`receipt_parse` then reads
the lines.

How each field is found, in short:

* **total**: the amount on (or just under) a total label (``TOTAL``, ``GRAND TOTAL``, ``TOTAL INCL GST``,
  ``NETT TOTAL``, ``AMOUNT DUE``, ``JUMLAH``…), never one on a subtotal, tax, discount, quantity, cash,
  change or tender line. After a ``ROUNDING`` line the rounded total wins. Candidates are cross-checked
  against what the receipt says elsewhere (the items' sum, subtotal plus tax and rounding, a card
  payment of the same amount, cash minus change), and the confidence says how much agreed.
* **date**: day-first unless the figures say otherwise (``25/12/2018``, ``26/02/18``, ``18-10-17``,
  ``2018-01-05``, ``14/JUN/2017``, ``05 MAR 2018``, ``MAR 05, 2018``); a date next to a ``DATE`` label
  wins over one elsewhere. The time is the ``HH:MM[:SS] [AM|PM]`` nearest to it.
* **merchant**: the first line near the top that looks like a business name (a company suffix such as
  ``SDN BHD``, ``LTD``, ``ENTERPRISE`` is strong evidence), not a greeting, a document title or a number.
* **line items**: lines between the header and the totals that end with an amount, in the common
  layouts (``DESC QTY PRICE TOTAL``, ``QTY X PRICE TOTAL`` under the description, ``QTY PCS @ PRICE``,
  ``DESC TOTAL``).
"""

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal, InvalidOperation

from data.parsing.bounds import EARLIEST_SALE, latest_sale_time
from data.parsing.dates import DAY_FIRST, MONTH_FIRST
from data.parsing.values import plain_number

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Word:
    """A piece of text on the page and its box in pixels (a word, or a whole line from some sources)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    confidence: float = 100.0

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @property
    def middle(self) -> float:
        return self.top + self.height / 2


@dataclass
class LineItem:
    description: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    confidence: float

    def as_dict(self) -> dict:
        return {
            "description": self.description,
            "quantity": str(self.quantity.normalize() if self.quantity % 1 == 0 else self.quantity),
            "unit_price": str(self.unit_price),
            "total": str(self.total),
            "confidence": round(self.confidence, 2),
        }


@dataclass
class ParsedReceipt:
    lines: list[str]
    merchant: str = ""
    purchase_date: date | None = None
    purchase_time: time | None = None
    total: Decimal | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    line_items: list[LineItem] = field(default_factory=list)
    # Per field, 0 (a guess, or nothing found) to 1 (found and corroborated).
    confidence: dict[str, float] = field(default_factory=dict)
    # Why a confidence is low, for the merchant checking the receipt ("items sum to 8.90, not 9.00").
    notes: list[str] = field(default_factory=list)

    @property
    def raw_text(self) -> str:
        return "\n".join(self.lines)


# --- lines from positioned words --------------------------------------------------------------------


def words_from_tesseract_tsv(tsv: str, *, min_confidence: float = 0.0) -> list[Word]:
    """The words of Tesseract's ``image_to_data`` TSV output (level 5 rows with text)."""
    words = []
    rows = tsv.splitlines()
    for row in rows[1:]:
        parts = row.split("\t")
        if len(parts) < 12 or parts[0] != "5":
            continue
        text = parts[11].strip()
        try:
            confidence = float(parts[10])
        except ValueError:
            continue
        if not text or confidence < min_confidence:
            continue
        left, top, width, height = (int(value) for value in parts[6:10])
        words.append(Word(text, left, top, width, height, confidence))
    return words


def words_from_quadrilaterals(text: str) -> list[Word]:
    """Words from ``x1,y1,…,x4,y4,text`` rows (the ICDAR/SROIE ground-truth layout), text after the
    eighth comma."""
    words = []
    for row in text.splitlines():
        parts = row.split(",", 8)
        if len(parts) < 9 or not parts[8].strip():
            continue
        try:
            xs = [int(value) for value in parts[0:8:2]]
            ys = [int(value) for value in parts[1:8:2]]
        except ValueError:
            continue
        words.append(Word(parts[8].strip(), min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
    return words


def lines_from_words(words: Iterable[Word]) -> list[str]:
    """Rebuild reading lines: words whose vertical middles fall within the same band join one line,
    left to right, with a wide gap kept as two spaces (so columns stay apart).

    Words are taken top to bottom; a word joins the current line when its middle lies inside the
    line's band (the band follows a slightly tilted line because it is the running mean of its words).
    """
    words = sorted((word for word in words if word.text.strip()), key=lambda word: (word.middle, word.left))
    lines: list[list[Word]] = []
    bands: list[tuple[float, float]] = []  # (mean middle, mean height) of each open line
    for word in words:
        placed = False
        # Only the last few lines can still take a word: the list is sorted by middle.
        for index in range(len(lines) - 1, max(-1, len(lines) - 4), -1):
            middle, height = bands[index]
            if abs(word.middle - middle) <= max(height, word.height) * 0.5:
                lines[index].append(word)
                count = len(lines[index])
                bands[index] = (
                    middle + (word.middle - middle) / count,
                    height + (word.height - height) / count,
                )
                placed = True
                break
        if not placed:
            lines.append([word])
            bands.append((word.middle, float(word.height)))
    order = sorted(range(len(lines)), key=lambda index: bands[index][0])
    return [_join(sorted(lines[index], key=lambda word: word.left)) for index in order]


def _join(words: Sequence[Word]) -> str:
    parts = [words[0].text]
    for before, word in itertools.pairwise(words):
        gap = word.left - (before.left + before.width)
        parts.append("  " if gap > 1.5 * max(before.height, word.height, 1) else " ")
        parts.append(word.text)
    return "".join(parts).strip()


# --- amounts ----------------------------------------------------------------------------------------

# An amount as receipts print it: optional currency and sign, thousands with commas, two decimals.
_AMOUNT = re.compile(
    r"(?<![\w.,/:])(?P<sign>-)?\s?(?:RM|MYR|\$|£|€|S\$)?\s?(?P<sign2>-)?"
    r"(?P<number>\d{1,3}(?:,\d{3})+\.\d{2}|\d+[.,]\d{2})(?![\d/:%])(?!\.\d)"
)


# OCR's usual slips inside figures: letters for digits ("9.0O", "l2.50") and a lost decimal point
# after a currency ("RM 64 13").
_FIGURE_WITH_LETTERS = re.compile(r"(?<![A-Za-z\d])(?=[OoIl|]*\d)[\dOoIl|]+[.,][\dOoIl|]{2}(?![A-Za-z\d])")
_LOST_POINT = re.compile(r"\b(RM|MYR)\s?(\d{1,6}) (\d{2})\b(?![.,]?\d)", re.IGNORECASE)
_DIGIT_FOR = str.maketrans("OoIl|", "00111")


def _figures_mended(line: str) -> str:
    line = _FIGURE_WITH_LETTERS.sub(lambda match: match[0].translate(_DIGIT_FOR), line)
    return _LOST_POINT.sub(r"\1 \2.\3", line)


def amounts(line: str) -> list[Decimal]:
    """The money amounts on a line, left to right (``RM 3.30``, ``-0.02``, ``7,838.80``, ``9,00``)."""
    found = []
    for match in _AMOUNT.finditer(_figures_mended(line)):
        number = match["number"]
        if "," in number and "." not in number:
            number = number.replace(",", ".")
        text = plain_number(number, decimal_comma=False)
        if not text:
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            continue
        if match["sign"] or match["sign2"]:
            value = -value
        found.append(value)
    return found


# --- total ------------------------------------------------------------------------------------------


def _words(*phrases: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.IGNORECASE)


_TOTAL = _words(
    r"TOTAL",
    r"TOTAL\s*:",
    r"AMOUNT\s+DUE",
    r"BALANCE\s+DUE",
    r"AMT\s+DUE",
    r"JUMLAH",
    r"NETT",
    r"NET\s+AMOUNT",
    r"GRAND",
    r"PAYABLE",
    r"DUE",
    r"TOTAL\w*",
)
# A total after rounding, or one that says it is the final figure, beats a plain TOTAL.
_FINAL_TOTAL = _words(
    r"GRAND\s*TOTAL",
    r"NETT?\s*TOTAL",
    r"TOTAL\s*(?:AMOUNT\s*)?(?:DUE|PAYABLE)",
    r"TOTAL\s*INCL\w*",
    r"ROUNDED\s*TOTAL",
    r"TOTAL\s*AFTER\s*ROUND\w*",
    r"AMOUNT\s*DUE",
    r"BALANCE\s*DUE",
    r"JUMLAH",
    r"DUE",
)
_NOT_TOTAL = _words(
    r"SUB\s*-?\s*TOTAL",
    r"TOTAL\s*(?:QTY|QUANTITY|ITEMS?|ITEM\(S\)|QTY\(S\)|PCS|UNITS?|DISC\w*|SAVINGS?|SAVED|GST|TAX|VAT)",
    r"TOTAL\s*(?:EXCL\w*|EXCLUSIVE|BEFORE)",
    r"(?:GST|TAX|VAT)\s*TOTAL",
    r"TOTAL\s*\((?:EXCL|BEFORE)\w*",
    r"QTY",
    r"ITEMS?\s*:",
    r"POINTS?",
)
_SUBTOTAL = _words(
    r"SUB\s*-?\s*TOTAL", r"TOTAL\s*(?:EXCL\w*|EXCLUSIVE|BEFORE\s+\w+)", r"TOTAL\s+SALES?\s+EXCL\w*"
)
_TAX = _words(r"GST", r"SST", r"VAT", r"TAX", r"SERVICE\s*(?:CHARGE|TAX)", r"SVC\s*CHG")
_ROUNDING = _words(r"ROUNDING\w*", r"ROUND\w*\s*(?:ADJ\w*)?", r"RND\w*")
_CASH = _words(r"CASH", r"TUNAI", r"TENDERED?", r"PAID", r"PAY", r"PAYMENT", r"RECEIVED")
_CHANGE = _words(r"CHANGE", r"CHANGE\s*DUE", r"BAKI", r"BALANCE")
_CARD = _words(
    r"VISA", r"MASTER\w*", r"CARD", r"DEBIT", r"CREDIT", r"AMEX", r"E-?WALLET", r"BOOST", r"GRABPAY"
)
_DISCOUNT = _words(r"DISC\w*", r"DISCOUNT", r"SAVINGS?", r"VOUCHER", r"COUPON", r"LESS")


@dataclass
class _Candidate:
    value: Decimal
    line: int
    score: float
    reasons: list[str] = field(default_factory=list)


def _label_amount(lines: Sequence[str], index: int) -> tuple[Decimal | None, int]:
    """The amount a label on ``lines[index]`` refers to: the last amount on its line, else the first
    amount on one of the next two lines (amounts printed under, or in a column beside, their labels)."""
    found = amounts(lines[index])
    if found:
        return found[-1], index
    for offset in (1, 2):
        if index + offset >= len(lines):
            break
        following = lines[index + offset]
        if re.search(r"[A-Za-z]{3,}", _AMOUNT.sub("", following)) and not re.fullmatch(
            r"\s*(?:RM|MYR|\$|£|€)?\s*[-\d.,\s]*(?:RM|MYR|[A-Z]{1,2})?\s*", following, re.IGNORECASE
        ):
            break
        found = amounts(following)
        if found:
            return found[0], index + offset
    return None, index


def _labelled(lines: Sequence[str], pattern: re.Pattern, *, exclude: re.Pattern | None = None) -> list:
    results = []
    for index, line in enumerate(lines):
        if pattern.search(line) and not (exclude and exclude.search(line)):
            value, at = _label_amount(lines, index)
            if value is not None:
                results.append((index, at, value))
    return results


def _find_total(parsed: ParsedReceipt, lines: Sequence[str], items: Sequence[LineItem]) -> None:
    candidates: dict[Decimal, _Candidate] = {}
    for index, line in enumerate(lines):
        if not _TOTAL.search(line) or (_NOT_TOTAL.search(line) and not _FINAL_TOTAL.search(line)):
            continue
        if _CASH.search(line) or (_CHANGE.search(line) and not _FINAL_TOTAL.search(line)):
            continue
        value, _ = _label_amount(lines, index)
        if value is None or value <= 0:
            continue
        score = 3.0 if _FINAL_TOTAL.search(line) else 1.0
        if line.startswith("(") or re.search(r"@\s*\d+\s*%\s*:", line):
            score -= 1.5  # "(TOTAL INCLUDED GST @ 6% : 1.42)" states the tax, not the total
        # Later totals are more often the final figure (after discounts and rounding).
        score += index / max(len(lines), 1) * 0.5
        candidate = candidates.get(value)
        if candidate is None or candidate.score < score:
            candidates[value] = _Candidate(value, index, max(score, candidate.score if candidate else 0))
    subtotals = [value for _, _, value in _labelled(lines, _SUBTOTAL)]
    roundings = [value for _, _, value in _labelled(lines, _ROUNDING) if abs(value) < Decimal("1.00")]
    taxes = [
        value
        for index, _, value in _labelled(
            lines, _TAX, exclude=_words(r"TOTAL", r"INCL\w*", r"ID", r"REG", r"NO")
        )
        if value > 0
    ]
    cards = [value for _, _, value in _labelled(lines, _CARD, exclude=_CHANGE)]
    cash = [value for _, _, value in _labelled(lines, _CASH, exclude=_CHANGE) if value > 0]
    change = [value for _, _, value in _labelled(lines, _CHANGE, exclude=_DISCOUNT) if value >= 0]
    items_sum = sum((item.total for item in items), Decimal(0)) if items else None

    evidence: dict[Decimal, list[str]] = {}

    def agree(value: Decimal, reason: str) -> None:
        evidence.setdefault(value, []).append(reason)

    for value in cards:
        agree(value, "a card payment of the same amount")
    for paid in cash:
        for given in change:
            if paid - given > 0:
                agree(paid - given, "cash minus change")
    for subtotal in subtotals:
        for rounding in [Decimal(0), *roundings]:
            agree(subtotal + rounding, "subtotal and rounding")
            for tax in taxes:
                agree(subtotal + tax + rounding, "subtotal, tax and rounding")
    if items_sum:
        agree(items_sum, "the items' sum")
        for rounding in roundings:
            agree(items_sum + rounding, "the items' sum and rounding")
    # A rounding line turns a candidate into the rounded total: prefer the rounded one if printed.
    for rounding in roundings:
        for value in list(candidates):
            rounded = value + rounding
            if rounded in candidates and rounding != 0:
                candidates[rounded].score += 1.0
                candidates[rounded].reasons.append("the total after rounding")

    for value, candidate in candidates.items():
        reasons = set(evidence.get(value, []))
        candidate.reasons.extend(reasons)
        # What the customer paid is stronger evidence than the items, whose reading is less sure.
        candidate.score += sum(0.75 if "items" in reason else 1.5 for reason in reasons)

    if not candidates:
        # No total label read: the amount that the payment lines agree on, or nothing.
        agreed = sorted(evidence.items(), key=lambda pair: (-len(set(pair[1])), -pair[0]))
        if agreed and len(set(agreed[0][1])) >= 1 and agreed[0][0] > 0:
            parsed.total = agreed[0][0].quantize(CENT)
            parsed.confidence["total"] = 0.4
            parsed.notes.append(f"No total label read; {agreed[0][0]} is what {agreed[0][1][0]} gives.")
        else:
            parsed.confidence["total"] = 0.0
            parsed.notes.append("No total read.")
        return
    best = max(candidates.values(), key=lambda candidate: (candidate.score, candidate.line))
    # A rounding printed after the total applies to it; when the rounded figure was not read, add it.
    after = [
        value for index, _, value in _labelled(lines, _ROUNDING) if index > best.line and 0 < abs(value) < 1
    ]
    if after and best.value + after[0] not in candidates:
        parsed.notes.append(f"The total {best.value} is followed by a rounding of {after[0]}: added.")
        best = _Candidate(best.value + after[0], best.line, best.score, [*best.reasons, "rounding after it"])
    parsed.total = best.value.quantize(CENT)
    corroborations = len(set(evidence.get(best.value, [])))
    parsed.confidence["total"] = round(min(1.0, 0.6 + 0.2 * corroborations), 2)
    if corroborations == 0:
        parsed.notes.append(f"The total {best.value} is not confirmed by a payment, subtotal or items.")
    if subtotals:
        parsed.subtotal = subtotals[-1].quantize(CENT)
    if taxes:
        parsed.tax = taxes[-1].quantize(CENT)
    if (
        items_sum is not None
        and items_sum != best.value
        and not any(items_sum + rounding == best.value for rounding in roundings)
    ):
        parsed.notes.append(f"The items sum to {items_sum}, the total is {best.value}.")


# --- date and time ----------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("JAN", "JANUARY"),
            ("FEB", "FEBRUARY"),
            ("MAR", "MARCH"),
            ("APR", "APRIL"),
            ("MAY",),
            ("JUN", "JUNE"),
            ("JUL", "JULY"),
            ("AUG", "AUGUST"),
            ("SEP", "SEPT", "SEPTEMBER"),
            ("OCT", "OCTOBER"),
            ("NOV", "NOVEMBER"),
            ("DEC", "DECEMBER"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAME = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMERIC_DATE = re.compile(
    r"(?<![\d./-])(?:(?P<year>(?:19|20)\d{2})[-/.](?P<year_month>\d{1,2})[-/.](?P<year_day>\d{1,2})"
    r"|(?P<first>\d{1,2})\s?[-/.]\s?(?P<second>\d{1,2})\s?[-/.]\s?(?P<last>(?:19|20)\d{2}|\d{2}))(?![\d/])"
)
_NAMED_DATE = re.compile(
    rf"(?<![\dA-Z])(?:(?P<day>\d{{1,2}})\s*[-/. ]?\s*(?P<month>{_MONTH_NAME})\.?\s*[-/. ,]?\s*"
    rf"(?P<year>(?:19|20)\d{{2}}|\d{{2}})"
    rf"|(?P<month2>{_MONTH_NAME})\.?\s*(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,?\s*(?P<year2>(?:19|20)\d{{2}}))"
    r"(?![\d])",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"(?<![\d:])(?P<hour>[01]?\d|2[0-3])\s?[:.]\s?(?P<minute>[0-5]\d)(?:\s?[:.]\s?(?P<second>[0-5]\d))?"
    r"(?!\d)(?!\.\d\d\b)\s*(?P<meridiem>[AP]\.?M\.?)?",
    re.IGNORECASE,
)
_DATE_LABEL = _words(r"DATE", r"DATED", r"TARIKH", r"DT")
_TIME_LABEL = _words(r"TIME", r"MASA")


def _year(text: str) -> int:
    value = int(text)
    if len(text) == 2:
        value += 2000 if value < 70 else 1900
    return value


def _date_candidates(line: str, order: str) -> list[tuple[date, float, tuple[int, int]]]:
    """Dates on a line with a plausibility weight: (date, weight, span)."""
    found = []
    for match in _NAMED_DATE.finditer(line):
        day = match["day"] or match["day2"]
        month = _MONTHS[(match["month"] or match["month2"]).upper()]
        year = _year(match["year"] or match["year2"])
        try:
            found.append((date(year, month, int(day)), 1.0, match.span()))
        except ValueError:
            continue
    for match in _NUMERIC_DATE.finditer(line):
        if match["year"]:
            parts = [(int(match["year"]), int(match["year_month"]), int(match["year_day"]), 1.0)]
        else:
            first, second, year = int(match["first"]), int(match["second"]), _year(match["last"])
            weight = 0.9 if len(match["last"]) == 4 else 0.8
            if first > 12 >= second:
                parts = [(year, second, first, weight)]
            elif second > 12 >= first:
                parts = [(year, first, second, weight)]
            elif order == MONTH_FIRST:
                parts = [(year, first, second, weight * 0.9)]
            else:
                parts = [(year, second, first, weight * 0.9)]
        for year, month, day, weight in parts:
            try:
                found.append((date(year, month, day), weight, match.span()))
            except ValueError:
                continue
    # A receipt's date obeys the books' bounds: a misread year (1018, 2081) is not a candidate.
    earliest, latest = EARLIEST_SALE.date(), latest_sale_time().date()
    return [candidate for candidate in found if earliest <= candidate[0] <= latest]


def _find_date(parsed: ParsedReceipt, lines: Sequence[str], order: str) -> None:
    best = None
    for index, line in enumerate(lines):
        for value, weight, span in _date_candidates(line, order):
            score = weight
            labelled = _DATE_LABEL.search(line) or (index and _DATE_LABEL.search(lines[index - 1]))
            if labelled:
                score += 0.5
            if _TIME.search(line[span[1] :]):
                score += 0.3
            if value.year < 1990:
                score -= 0.5
            if best is None or score > best[0]:
                best = (score, value, index, span)
    if best is None:
        parsed.confidence["purchase_date"] = 0.0
        parsed.notes.append("No purchase date read.")
        return
    score, value, index, span = best
    parsed.purchase_date = value
    parsed.confidence["purchase_date"] = round(min(1.0, 0.3 + score * 0.5), 2)
    # The time: after the date on its line, else on the next lines, else anywhere near a TIME label.
    line = lines[index]
    places = [line[span[1] :], *(lines[index + 1 : index + 3]), line[: span[0]]]
    for place in places:
        found = _parse_time(place)
        if found is not None:
            parsed.purchase_time = found
            break
    else:
        for position, text in enumerate(lines):
            if _TIME_LABEL.search(text):
                found = _parse_time(" ".join(lines[position : position + 3]))
                if found is not None:
                    parsed.purchase_time = found
                    break
    parsed.confidence["purchase_time"] = 0.8 if parsed.purchase_time else 0.0


def _parse_time(text: str) -> time | None:
    for match in _TIME.finditer(text):
        hour, minute = int(match["hour"]), int(match["minute"])
        meridiem = (match["meridiem"] or "").upper()
        if meridiem:
            if not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if meridiem.startswith("P") else 0)
        return time(hour, minute, int(match["second"] or 0))
    return None


# --- merchant ---------------------------------------------------------------------------------------

_COMPANY = _words(
    r"SDN\.?\s*BH?[DN]\.?",
    r"S/B",
    r"BHD",
    r"BERHAD",
    r"ENTERPRISES?",
    r"TRADING",
    r"LTD\.?",
    r"LIMITED",
    r"LLC",
    r"INC\.?",
    r"PLC",
    r"GMBH",
    r"CORP\w*",
    r"COMPANY",
    r"CO\.",
    r"RESTORAN",
    r"RESTAURANT",
    r"CAFE",
    r"BAKER\w*",
    r"STORES?",
    r"SHOP",
    r"MART",
    r"MARKET",
    r"SUPERMARKET",
    r"PHARMACY",
    r"KEDAI",
    r"SYARIKAT",
    r"STATIONERY",
    r"BOOKSTORES?",
    r"HARDWARE",
    r"HOUSE",
    r"FURNISHING",
)
_NOT_MERCHANT = _words(
    r"TAX\s*INVOICE",
    r"INVOICE",
    r"RECEIPT",
    r"CASH\s*BILL",
    r"WELCOME",
    r"THANK",
    r"TEL",
    r"FAX",
    r"PHONE",
    r"GST",
    r"REG",
    r"CO\.?\s*NO",
    r"COMPANY\s*NO",
    r"NO\s*[:.]",
    r"LOT",
    r"JALAN",
    r"JLN",
    r"ROAD",
    r"STREET",
    r"DATE",
    r"SLIP",
    r"ORDER",
    r"TABLE",
)


def _find_merchant(parsed: ParsedReceipt, lines: Sequence[str]) -> None:
    top = [line.strip() for line in lines[:8]]
    for line in top:
        if (_COMPANY.search(line) and not _NOT_MERCHANT.search(line)) or re.search(
            r"SDN\.?\s*BH?[DN]", line, re.IGNORECASE
        ):
            parsed.merchant = _clean_name(line)
            parsed.confidence["merchant"] = 0.8
            return
    for line in top:
        letters = sum(character.isalpha() for character in line)
        if letters >= 3 and letters >= 0.5 * len(line.replace(" ", "")) and not _NOT_MERCHANT.search(line):
            parsed.merchant = _clean_name(line)
            parsed.confidence["merchant"] = 0.4
            return
    parsed.confidence["merchant"] = 0.0


def _clean_name(line: str) -> str:
    return re.sub(r"\s+", " ", line).strip(" -*:|")[:200]


# --- line items -------------------------------------------------------------------------------------

_QTY_PRICE_TOTAL = re.compile(
    r"^(?P<description>.*?[A-Za-z].*?)?\s*(?P<quantity>\d{1,4}(?:\.\d{1,3})?)\s*(?:X|x|\*|@|PCS?\s*@|UNITS?\s*@)\s*"
    r"(?:RM\s?)?(?P<price>\d{1,3}(?:,\d{3})*\.\d{2,4})(?:\s+(?P<total>-?(?:RM\s?)?\d{1,3}(?:,\d{3})*\.\d{2}))?"
    r"\s*(?:[A-Z]{1,2})?\s*$"
)
_DESC_QTY_PRICE_TOTAL = re.compile(
    r"^(?P<description>.*?[A-Za-z].*?)\s+(?P<quantity>\d{1,4})\s+(?:RM\s?)?(?P<price>\d{1,3}(?:,\d{3})*\.\d{2,4})"
    r"\s+(?:[\d.]+%?\s+)?(?P<total>(?:RM\s?)?\d{1,3}(?:,\d{3})*\.\d{2})\s*(?:[A-Z]{1,2})?\s*$"
)
_DESC_TOTAL = re.compile(
    r"^(?:(?P<quantity>\d{1,3})\s+)?(?P<description>[^\d\s].*?[A-Za-z].*?)\s+"
    r"(?P<total>(?:RM\s?)?\d{1,3}(?:,\d{3})*\.\d{2})\s*(?:[A-Z]{1,2})?\s*$"
)
_ITEM_HEADER = _words(r"QTY", r"DESC\w*", r"ITEMS?", r"PRICE", r"AMOUNT", r"AMT")
_NOT_ITEM = re.compile(
    "|".join(
        pattern.pattern
        for pattern in (_TOTAL, _SUBTOTAL, _TAX, _ROUNDING, _CASH, _CHANGE, _CARD, _DISCOUNT, _DATE_LABEL)
    )
    + r"|\bTEL\b|\bFAX\b|\bINVOICE\b|\bRECEIPT\b|\bNO\s*[:.]|\bCASHIER\b",
    re.IGNORECASE,
)


def _decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    number = plain_number(text, decimal_comma=False, currency=True)
    if not number:
        return None
    try:
        return Decimal(number)
    except InvalidOperation:
        return None


def _find_items(lines: Sequence[str]) -> list[LineItem]:
    end = len(lines)
    for index, line in enumerate(lines):
        if _SUBTOTAL.search(line) or (_TOTAL.search(line) and not _NOT_TOTAL.search(line)):
            end = index
            break
    start = 0
    for index in range(end):
        if len(_ITEM_HEADER.findall(lines[index])) >= 2:
            start = index + 1
    items: list[LineItem] = []
    description_lines: list[str] = []
    for index in range(start, end):
        line = lines[index].strip()
        if not line or (_NOT_ITEM.search(line) and not _QTY_PRICE_TOTAL.match(line)):
            description_lines = []
            continue
        if not start and _date_candidates(line, DAY_FIRST):
            continue
        item = _item_from_line(line, description_lines)
        if item is None:
            if re.search(r"[A-Za-z]{3,}", line) and not amounts(line):
                description_lines = [*description_lines[-1:], line]
            elif amounts(line) and items and not re.search(r"[A-Za-z]{3,}", line):
                # An amount alone after a "QTY @ PRICE" line: that line's total, printed below it.
                value = amounts(line)[-1]
                last = items[-1]
                if last.total == (last.quantity * last.unit_price).quantize(CENT) and value == last.total:
                    last.confidence = 0.9
            continue
        items.append(item)
        description_lines = []
    return items


def _item_from_line(line: str, description_lines: Sequence[str]) -> LineItem | None:
    for pattern in (_DESC_QTY_PRICE_TOTAL, _QTY_PRICE_TOTAL):
        match = pattern.match(line)
        if not match:
            continue
        quantity, price = _decimal(match["quantity"]), _decimal(match["price"])
        total = _decimal(match["total"]) if match["total"] else None
        if not quantity or price is None:
            continue
        expected = (quantity * price).quantize(CENT)
        total = expected if total is None else total
        description = (match["description"] or "").strip() or " ".join(description_lines[-1:])
        if not description:
            continue
        confidence = 0.9 if total == expected else 0.5
        return LineItem(_clean_description(description), quantity, price, total, confidence)
    match = _DESC_TOTAL.match(line)
    if match:
        total = _decimal(match["total"])
        if total is None or total <= 0:
            return None
        quantity = Decimal(match["quantity"]) if match["quantity"] else Decimal(1)
        if quantity == 0:
            return None  # "0 ..." is a code or a misread, not a quantity of nothing
        unit_price = (total / quantity).quantize(Decimal("0.0001"))
        return LineItem(_clean_description(match["description"]), quantity, unit_price, total, 0.6)
    return None


def _clean_description(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip(" -*:|")
    return text[:255]


# --- the whole receipt ------------------------------------------------------------------------------


def receipt_parse(lines: Sequence[str], *, date_order: str = DAY_FIRST) -> ParsedReceipt:
    """Read a receipt's reading lines (top to bottom). ``date_order`` decides dates such as ``05/03/18``
    that could be read either way; dates that cannot be (``25/12/18``) ignore it."""
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in lines if line and line.strip()]
    parsed = ParsedReceipt(lines=list(lines))
    _find_merchant(parsed, lines)
    _find_date(parsed, lines, date_order)
    parsed.line_items = _find_items(lines)
    _find_total(parsed, lines, parsed.line_items)
    parsed.confidence["line_items"] = (
        round(sum(item.confidence for item in parsed.line_items) / len(parsed.line_items), 2)
        if parsed.line_items
        else 0.0
    )
    return parsed


def receipt_parse_words(words: Iterable[Word], *, date_order: str = DAY_FIRST) -> ParsedReceipt:
    return receipt_parse(lines_from_words(words), date_order=date_order)
