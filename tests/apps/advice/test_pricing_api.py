"""Pricing suggestions through the API, estimated from a synthetic business's sale lines."""

from decimal import Decimal

import pytest

from apps.advice.services import price_suggestions_refresh
from data.models import Customer, Transaction
from tests.factories import ProductFactory
from tests.ml_models.pricing.builders import synthetic_lines

pytestmark = pytest.mark.django_db


def load_lines(business, products: dict, lines) -> None:
    """Store synthetic lines as the business's transactions (identified lines get one customer)."""
    customer = Customer.objects.for_business(business).create(business=business, external_id="C-TRADE")
    Transaction.objects.for_business(business).bulk_create(
        [
            Transaction(
                business=business,
                product=products[line.product_id],
                customer=customer if line.identified else None,
                invoice=f"I{number}",
                quantity=int(line.quantity),
                unit_price=Decimal(str(line.unit_price)),
                total=Decimal(str(line.unit_price)) * int(line.quantity),
                timestamp=line.timestamp.to_pydatetime(),
                line_key=f"synthetic:{number}",
            )
            for number, line in enumerate(lines.itertuples())
        ],
        batch_size=5000,
    )


@pytest.fixture
def priced(business):
    products = {
        1: ProductFactory(
            business=business, sku="ELASTIC", unit_price=Decimal("5.00"), unit_cost=Decimal("1.50")
        ),
        2: ProductFactory(business=business, sku="INELASTIC", unit_price=Decimal("5.00"), unit_cost=None),
        3: ProductFactory(
            business=business, sku="ONE-PRICE", unit_price=Decimal("5.00"), unit_cost=Decimal("2.00")
        ),
    }
    load_lines(business, products, synthetic_lines({1: -2.0, 2: -0.5, 3: -1.0}, fixed_price={3}, scale=0.5))
    price_suggestions_refresh(business=business)
    return products


def test_each_product_with_evidence_gets_its_elasticity_interval_and_a_bounded_price(api, priced):
    body = api.get("/api/data/pricing-suggestions/").json()
    rows = {row["product_sku"]: row for row in body["results"]}

    elastic, inelastic = rows["ELASTIC"], rows["INELASTIC"]
    assert abs(elastic["elasticity"] - (-2.0)) <= 0.3
    assert abs(inelastic["elasticity"] - (-0.5)) <= 0.3
    assert elastic["elasticity_interval"][0] < elastic["elasticity"] < elastic["elasticity_interval"][1] < 0
    # Elastic with a low cost: cheaper sells enough more; inelastic: dearer loses few sales.
    assert Decimal("4.25") <= Decimal(elastic["suggested_price"]) < Decimal("5.00")
    assert Decimal("5.00") < Decimal(inelastic["suggested_price"]) <= Decimal("5.75")
    assert elastic["expected_margin_change"] is not None and Decimal(elastic["expected_margin_change"]) > 0
    assert inelastic["expected_margin_change"] is None  # no cost known
    assert Decimal(inelastic["expected_revenue_change"]) > 0
    assert (elastic["current_price"], elastic["enough_evidence"]) == ("5.00", True)


def test_a_product_sold_at_one_price_says_so_and_suggests_nothing(api, priced):
    rows = {row["product_sku"]: row for row in api.get("/api/data/pricing-suggestions/").json()["results"]}

    one_price = rows["ONE-PRICE"]
    assert (one_price["suggested_price"], one_price["elasticity"], one_price["enough_evidence"]) == (
        None,
        None,
        False,
    )
    assert one_price["verdict"] == "insufficient_evidence"
    assert "price hardly changed" in one_price["reason"]


def test_a_refresh_replaces_the_estimates_and_another_business_sees_none(api, business, priced):
    from tests.conftest import auth_client
    from tests.factories import MembershipFactory

    price_suggestions_refresh(business=business)
    stranger = MembershipFactory()

    assert api.get("/api/data/pricing-suggestions/").json()["count"] == 3
    assert (
        auth_client(stranger.user, stranger.business).get("/api/data/pricing-suggestions/").json()["count"]
        == 0
    )
