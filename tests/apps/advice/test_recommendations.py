"""The recommendations feed: each kind raised from a hand-built situation, once, and the no-nagging rules."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.advice import selectors
from apps.advice.models import PriceSuggestion
from apps.advice.services import recommendations_refresh
from data.models import Product, Recommendation
from tests.apps.advice.builders import (
    TODAY,
    cheap_customer,
    dead_product,
    forecast,
    overstocked_product,
    sell,
    short_product,
    slipping_customer,
)
from tests.conftest import auth_client
from tests.factories import BusinessFactory, MembershipFactory, ProductFactory

pytestmark = pytest.mark.django_db


def feed(business, **filters):
    return list(selectors.recommendation_list(business=business).filter(**filters))


def only(business, **filters) -> Recommendation:
    (row,) = feed(business, **filters)
    return row


def test_a_short_product_gets_one_reorder_with_its_figures_in_plain_words(business):
    product = short_product(business)

    recommendations_refresh(business=business)

    row = only(business, kind="reorder")
    assert row.product == product
    assert row.title == "Reorder Tea towel"
    assert row.reason.startswith("14 on hand, 31 expected to sell in the next 7 days, order ")
    assert f"by {TODAY.day} {TODAY:%b}" in row.reason
    assert row.urgency == "high"
    assert row.figures["order_quantity"] > 31 - 14


def test_a_product_with_cover_beyond_the_week_gets_no_reorder(business):
    short_product(business, stock=500)

    recommendations_refresh(business=business)

    assert feed(business, kind="reorder") == []


def test_overstock_and_dead_stock_are_markdowns_with_the_cash_tied_up(business):
    over = overstocked_product(business)
    dead = dead_product(business)
    sell(ProductFactory(business=business, stock_quantity=0))  # today's sale: the data's today

    recommendations_refresh(business=business)

    overstock = only(business, kind="markdown", product=over)
    assert overstock.figures["condition"] == "overstock"
    # 1000 on hand, 90 expected in 90 days; 104 days of cover are kept (lead 7 + review 7 + 90).
    assert overstock.figures["excess_units"] == 1000 - 104
    assert overstock.figures["cash_tied_up"] == 896 * 6.0
    assert "£5,376.00 tied up at cost" in overstock.reason
    stale = only(business, kind="markdown", product=dead)
    assert stale.figures["condition"] == "dead_stock"
    assert stale.figures["days_without_sale"] == 120
    assert stale.reason.startswith("No sale since ")
    assert "50 sit on the shelf: £200.00 tied up at cost" in stale.reason


def test_win_back_targets_valuable_slipping_customers_with_when_they_were_due(business):
    sell(ProductFactory(business=business))
    worth = slipping_customer(business)
    slipping_customer(business, clv="1.00", external_id="C-NOT-WORTH")
    for number in range(3):
        cheap_customer(business, external_id=f"C-{number}", clv="100.00")

    recommendations_refresh(business=business)

    row = only(business, kind="win_back")
    assert row.customer == worth
    assert row.segment == "at_risk"
    due = (worth.last_purchase_at + timedelta(days=21)).date()
    assert row.figures["expected_back"] == due.isoformat()
    assert f"expected back by {due.day} {due:%b}, {(TODAY - due).days} days ago" in row.reason
    assert "Worth about £450.00 over the next 12 months" in row.reason


def test_a_price_suggestion_becomes_a_price_change(business):
    product = ProductFactory(business=business, name="Candle")
    sell(product)
    PriceSuggestion.objects.for_business(business).create(
        business=business,
        product=product,
        verdict="estimated",
        reason="",
        elasticity=-0.5,
        elasticity_lower=-0.8,
        elasticity_upper=-0.2,
        weeks=30,
        current_price=Decimal("10.00"),
        suggested_price=Decimal("11.49"),
        expected_revenue_change=Decimal("40.00"),
        expected_margin_change=Decimal("35.00"),
    )

    recommendations_refresh(business=business)

    row = only(business, kind="price_change")
    assert row.title == "Raise the price of Candle"
    assert "£10.00 → £11.49" in row.reason
    assert "95% interval -0.80 to -0.20" in row.reason


def test_the_plan_becomes_campaign_recommendations(business):
    over = overstocked_product(business)
    slipping_customer(business)

    recommendations_refresh(business=business)

    campaigns = {row.figures["objective"]: row for row in feed(business, kind="campaign")}
    assert set(campaigns) == {"clear_overstock", "win_back"}
    assert campaigns["clear_overstock"].product == over
    assert campaigns["win_back"].segment == "at_risk"


def test_a_second_refresh_updates_in_place_and_raises_nothing_again(business):
    product = short_product(business)
    overstocked_product(business)
    dead_product(business)
    slipping_customer(business)
    recommendations_refresh(business=business)
    first = {row.situation_key: row.pk for row in Recommendation.objects.for_business(business)}
    Product.objects.for_business(business).filter(pk=product.pk).update(stock_quantity=12)

    counts = recommendations_refresh(business=business)

    again = {row.situation_key: row.pk for row in Recommendation.objects.for_business(business)}
    assert again == first
    assert counts.created == 0
    assert len({row.kind for row in feed(business)}) == 4  # reorder, markdown, win_back, campaign
    assert only(business, kind="reorder").reason.startswith("12 on hand")


def dismiss(business, row):
    client = auth_client(MembershipFactory(business=business, role="manager").user, business)
    response = client.patch(f"/api/data/recommendations/{row.pk}/", {"status": "dismissed"}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_dismissed_recommendation_stays_dismissed_while_the_situation_barely_moves(business):
    product = short_product(business, daily=31 / 7)
    recommendations_refresh(business=business)
    dismiss(business, only(business, kind="reorder"))
    forecast(product, daily=5.0)  # a little more demand: a bigger order, not a double one

    recommendations_refresh(business=business)

    row = Recommendation.objects.for_business(business).get(kind="reorder")
    assert row.status == "dismissed"
    assert row.figures["order_quantity"] < 2 * row.dismissed_figures["order_quantity"]


def test_a_dismissed_reorder_returns_when_the_shortfall_doubles(business):
    product = short_product(business, stock=40, daily=3.0)
    recommendations_refresh(business=business)
    dismiss(business, only(business, kind="reorder"))
    forecast(product, daily=9.0)

    recommendations_refresh(business=business)

    row = only(business, kind="reorder")
    assert row.status == "new"
    assert row.dismissed_at is None


def test_a_dismissed_reorder_returns_when_a_bigger_demand_brings_the_stockout_a_week_sooner(business):
    product = ProductFactory(business=business, stock_quantity=100, lead_time_days=14)
    sell(product)
    forecast(product, daily=5.0)  # runs out in 21 days; order within the week
    recommendations_refresh(business=business)
    dismissed = dismiss(business, only(business, kind="reorder"))
    forecast(product, daily=7.5)  # runs out in 14 days

    recommendations_refresh(business=business)

    row = only(business, kind="reorder")
    assert row.status == "new"
    assert dismissed["figures"]["stockout_date"] == (TODAY + timedelta(days=21)).isoformat()
    assert row.figures["stockout_date"] == (TODAY + timedelta(days=14)).isoformat()


def test_a_done_recommendation_stays_done_then_returns_only_when_the_situation_recurs(business):
    product = short_product(business)
    recommendations_refresh(business=business)
    row = only(business, kind="reorder")
    services_patch = auth_client(MembershipFactory(business=business, role="manager").user, business)
    assert (
        services_patch.patch(
            f"/api/data/recommendations/{row.pk}/", {"status": "done"}, format="json"
        ).status_code
        == 200
    )

    recommendations_refresh(business=business)  # the order has not arrived yet: still short
    assert Recommendation.objects.for_business(business).get(pk=row.pk).status == "done"

    Product.objects.for_business(business).filter(pk=product.pk).update(stock_quantity=500)  # it arrived
    recommendations_refresh(business=business)
    resolved = Recommendation.objects.for_business(business).get(pk=row.pk)
    assert resolved.status == "done" and resolved.resolved_at is not None
    assert feed(business, kind="reorder") == []

    Product.objects.for_business(business).filter(pk=product.pk).update(stock_quantity=10)  # short again
    recommendations_refresh(business=business)
    back = only(business, kind="reorder")
    assert (back.pk, back.status, back.done_at, back.resolved_at) == (row.pk, "new", None, None)


def test_a_snoozed_recommendation_leaves_the_feed_until_its_date(api, business):
    short_product(business)
    recommendations_refresh(business=business)
    row = only(business, kind="reorder")
    until = timezone.localdate() + timedelta(days=3)

    response = api.patch(
        f"/api/data/recommendations/{row.pk}/", {"snooze_until": until.isoformat()}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["snooze_until"] == until.isoformat()
    assert api.get("/api/data/recommendations/").json()["count"] == 0
    recommendations_refresh(business=business)
    assert Recommendation.objects.for_business(business).get(pk=row.pk).snooze_until == until
    later = selectors.recommendation_list(business=business, today=until)
    assert [item.pk for item in later] == [row.pk]


def test_the_feed_filters_and_orders_by_urgency(api, business):
    tea = short_product(business)
    overstocked_product(business)
    slipping_customer(business)
    recommendations_refresh(business=business)

    everything = api.get("/api/data/recommendations/").json()
    reorders = api.get("/api/data/recommendations/?kind=reorder").json()
    of_tea = api.get(f"/api/data/recommendations/?product={tea.pk}").json()
    at_risk = api.get("/api/data/recommendations/?segment=at_risk").json()
    high = api.get("/api/data/recommendations/?urgency=high&status=new").json()

    assert everything["results"][0]["urgency"] == "high"
    assert [row["kind"] for row in reorders["results"]] == ["reorder"]
    assert {row["kind"] for row in of_tea["results"]} == {"reorder"}
    assert {row["kind"] for row in at_risk["results"]} == {"win_back", "campaign"}
    assert {row["urgency"] for row in high["results"]} == {"high"}
    assert api.get("/api/data/recommendations/?kind=nagging").status_code == 400


def test_patch_takes_seen_done_or_dismissed_and_names_the_field_otherwise(api, business):
    short_product(business)
    recommendations_refresh(business=business)
    row = only(business, kind="reorder")
    url = f"/api/data/recommendations/{row.pk}/"

    seen = api.patch(url, {"status": "seen"}, format="json")
    back_to_new = api.patch(url, {"status": "new"}, format="json")
    past = api.patch(url, {"snooze_until": "2001-01-01"}, format="json")
    nothing = api.patch(url, {}, format="json")

    assert (seen.status_code, seen.json()["status"]) == (200, "seen")
    assert seen.json()["seen_at"] is not None
    assert (back_to_new.status_code, list(back_to_new.json())) == (400, ["status"])
    assert (past.status_code, list(past.json())) == (400, ["snooze_until"])
    assert nothing.status_code == 400
    assert Recommendation.objects.for_business(business).get(pk=row.pk).status == "seen"


def test_another_business_sees_none_of_it(business):
    row_product = short_product(business)
    recommendations_refresh(business=business)
    row = only(business, kind="reorder")
    other = BusinessFactory()
    stranger = auth_client(MembershipFactory(business=other).user, other)

    assert stranger.get("/api/data/recommendations/").json()["count"] == 0
    assert stranger.get(f"/api/data/recommendations/{row.pk}/").status_code == 404
    assert (
        stranger.patch(f"/api/data/recommendations/{row.pk}/", {"status": "done"}, format="json").status_code
        == 404
    )
    assert stranger.get(f"/api/data/recommendations/?product={row_product.pk}").json()["count"] == 0
    assert Recommendation.objects.for_business(business).get(pk=row.pk).status == "new"


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_at_once_create_each_recommendation_once():
    business = BusinessFactory()
    for number in range(5):
        short_product(business, name=f"Short {number}")
        overstocked_product(business, name=f"Heavy {number}")
    errors = []
    start = threading.Barrier(2)

    def refresh():
        try:
            start.wait()
            recommendations_refresh(business=business)
        except Exception as error:  # the assertion below reports it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    rows = Recommendation.objects.for_business(business)
    assert rows.count() == len(selectors.situations_current(business=business))
    assert rows.filter(kind="reorder").count() == 5
    assert rows.values("situation_key").distinct().count() == rows.count()


def test_a_rising_product_with_stock_for_it_gets_a_push_without_discount(business):
    product = ProductFactory(business=business, name="Hot water bottle", stock_quantity=200)
    for day in range(20):
        sell(product, day=TODAY - timedelta(days=day))
    forecast(product, daily=2.0)  # 60 in the next 30 days against 20 in the last 30

    recommendations_refresh(business=business)

    row = only(business, kind="campaign")
    assert row.figures["objective"] == "grow_rising"
    assert (row.figures["discount"], row.figures["last_30_days"], row.figures["expected_30_days"]) == (
        0,
        20,
        60.0,
    )
    assert "demand is rising" in row.reason


def test_a_snooze_can_be_lifted(api, business):
    short_product(business)
    recommendations_refresh(business=business)
    row = only(business, kind="reorder")
    url = f"/api/data/recommendations/{row.pk}/"
    api.patch(url, {"snooze_until": (timezone.localdate() + timedelta(days=3)).isoformat()}, format="json")

    response = api.patch(url, {"snooze_until": None}, format="json")

    assert (response.status_code, response.json()["snooze_until"]) == (200, None)
    assert [item["id"] for item in api.get("/api/data/recommendations/").json()["results"]] == [row.pk]
