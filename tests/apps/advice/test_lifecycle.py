"""The material-change rule that lets a dismissed recommendation come back, kind by kind."""

import pytest

from apps.advice.lifecycle import material_change, status_after_refresh

REORDER = {"order_quantity": 20, "stockout_date": "2026-12-20"}


@pytest.mark.parametrize(
    ("figures", "material"),
    [
        ({"order_quantity": 39, "stockout_date": "2026-12-20"}, False),
        ({"order_quantity": 40, "stockout_date": "2026-12-20"}, True),  # the shortfall doubled
        ({"order_quantity": 20, "stockout_date": "2026-12-14"}, False),  # six days sooner
        ({"order_quantity": 20, "stockout_date": "2026-12-13"}, True),  # a week sooner
        ({"order_quantity": 20, "stockout_date": "2026-12-27"}, False),  # later is better news
    ],
)
def test_a_reorder_changes_materially_when_the_shortfall_doubles_or_the_stockout_is_a_week_sooner(
    figures, material
):
    assert material_change("reorder", REORDER, figures) is material


def test_a_stockout_where_none_was_forecast_is_material():
    assert material_change("reorder", {"order_quantity": 5, "stockout_date": None}, REORDER)


@pytest.mark.parametrize(
    ("kind", "dismissed", "figures", "material"),
    [
        (
            "markdown",
            {"condition": "overstock", "cash_tied_up": 100},
            {"condition": "overstock", "cash_tied_up": 149},
            False,
        ),
        (
            "markdown",
            {"condition": "overstock", "cash_tied_up": 100},
            {"condition": "overstock", "cash_tied_up": 150},
            True,
        ),
        (
            "markdown",
            {"condition": "overstock", "cash_tied_up": 100},
            {"condition": "dead_stock", "cash_tied_up": 90},
            True,
        ),
        (
            "win_back",
            {"segment": "at_risk", "predicted_clv": 100},
            {"segment": "at_risk", "predicted_clv": 150},
            False,
        ),
        (
            "win_back",
            {"segment": "at_risk", "predicted_clv": 100},
            {"segment": "lost", "predicted_clv": 80},
            True,
        ),
        (
            "price_change",
            {"current_price": 10, "suggested_price": 11.49},
            {"current_price": 10, "suggested_price": 11.49},
            False,
        ),
        (
            "price_change",
            {"current_price": 10, "suggested_price": 11.49},
            {"current_price": 10, "suggested_price": 8.99},
            True,
        ),
        ("campaign", {"discount": 20, "units_to_clear": 100}, {"discount": 20, "units_to_clear": 120}, False),
        ("campaign", {"discount": 20, "units_to_clear": 100}, {"discount": 30, "units_to_clear": 100}, True),
    ],
)
def test_every_kind_has_a_material_change_rule(kind, dismissed, figures, material):
    assert material_change(kind, dismissed, figures) is material


def test_only_a_resolved_situation_or_a_material_change_reopens():
    same = {"order_quantity": 20, "stockout_date": "2026-12-20"}

    assert (
        status_after_refresh(kind="reorder", status="done", resolved=False, dismissed={}, figures=same)
        == "done"
    )
    assert (
        status_after_refresh(kind="reorder", status="done", resolved=True, dismissed={}, figures=same)
        == "new"
    )
    assert (
        status_after_refresh(kind="reorder", status="seen", resolved=False, dismissed={}, figures=same)
        == "seen"
    )
    assert (
        status_after_refresh(kind="reorder", status="dismissed", resolved=False, dismissed=same, figures=same)
        == "dismissed"
    )
