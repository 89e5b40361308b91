"""The no-nagging rules: what a refresh does to a recommendation that already exists. Pure functions.

A recommendation is one row per situation (``situation_key``). On every refresh:

* a situation that **still stands** updates its row in place (title, reason, figures, urgency); the
  status the merchant gave it is kept: nothing is raised again;
* a **dismissed** one stays dismissed until its situation changes materially against the figures it
  had when it was dismissed (``material_change``); then it is ``new`` again;
* a **done** one stays done while the situation persists (the order placed may not have arrived yet);
  when a refresh finds the situation gone, the row is marked resolved, and only if the situation then
  arises anew is it ``new`` again. The same holds for a dismissed one whose situation went away: a
  problem that was solved and came back is a new problem;
* a situation that is gone marks its row resolved (hidden from the feed), never deletes it, so its
  history decides what the next occurrence does.

Material change, per kind (``figures`` now against ``dismissed`` figures):

* ``reorder``: the quantity to order at least doubles, or the stockout date comes 7 or more days
  sooner (or a stockout appears where none was forecast);
* ``markdown``: the cash tied up grows by half (x1.5), or overstock turns into dead stock;
* ``win_back``: the customer moves from at risk to lost, or their expected value doubles;
* ``price_change``: the suggested move changes direction, or the suggested price moves by 5% or more;
* ``campaign``: the discount changes, or the stock to clear grows by half.
"""

from __future__ import annotations

from datetime import date

NEW, SEEN, DONE, DISMISSED = "new", "seen", "done", "dismissed"

STOCKOUT_SOONER_DAYS = 7
SHORTFALL_FACTOR = 2.0
CASH_FACTOR = 1.5
VALUE_FACTOR = 2.0
PRICE_MOVE = 0.05


def _grew(now, then, factor: float) -> bool:
    now, then = float(now or 0), float(then or 0)
    return now > 0 and now >= then * factor if then > 0 else now > 0


def _day(value) -> date | None:
    return date.fromisoformat(value) if value else None


def material_change(kind: str, dismissed: dict, figures: dict) -> bool:
    """Whether the situation moved enough since it was dismissed to be raised again (module docstring)."""
    if kind == "reorder":
        if _grew(figures.get("order_quantity"), dismissed.get("order_quantity"), SHORTFALL_FACTOR):
            return True
        now, then = _day(figures.get("stockout_date")), _day(dismissed.get("stockout_date"))
        if now is None:
            return False
        return then is None or (then - now).days >= STOCKOUT_SOONER_DAYS
    if kind == "markdown":
        if dismissed.get("condition") == "overstock" and figures.get("condition") == "dead_stock":
            return True
        return _grew(figures.get("cash_tied_up"), dismissed.get("cash_tied_up"), CASH_FACTOR)
    if kind == "win_back":
        if dismissed.get("segment") == "at_risk" and figures.get("segment") == "lost":
            return True
        return _grew(figures.get("predicted_clv"), dismissed.get("predicted_clv"), VALUE_FACTOR)
    if kind == "price_change":
        now, then = float(figures.get("suggested_price", 0)), float(dismissed.get("suggested_price", 0))
        current = float(figures.get("current_price", 0))
        if (now > current) != (then > float(dismissed.get("current_price", current))):
            return True
        return then > 0 and abs(now - then) / then >= PRICE_MOVE
    if kind == "campaign":
        if figures.get("discount") != dismissed.get("discount"):
            return True
        return _grew(figures.get("units_to_clear"), dismissed.get("units_to_clear"), CASH_FACTOR)
    return False


def status_after_refresh(*, kind: str, status: str, resolved: bool, dismissed: dict, figures: dict) -> str:
    """The status a standing situation's row has after a refresh found it (again)."""
    if resolved:  # the situation had gone and has arisen anew
        return NEW
    if status == DISMISSED and material_change(kind, dismissed, figures):
        return NEW
    return status
