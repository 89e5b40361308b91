"""The refresh service on its own: pricing first, then the recommendations that use it."""

import pytest

from apps.advice.models import PriceSuggestion
from apps.advice.services import advice_refresh
from data.models import Recommendation
from tests.apps.advice.builders import short_product

pytestmark = pytest.mark.django_db


def test_a_refresh_estimates_prices_and_reconciles_recommendations(business):
    product = short_product(business)

    counts = advice_refresh(business=business)

    assert counts.created == 1
    suggestion = PriceSuggestion.objects.for_business(business).get()
    assert (suggestion.product, suggestion.verdict, suggestion.suggested_price) == (
        product,
        "insufficient_evidence",
        None,
    )
    assert Recommendation.objects.for_business(business).get().kind == "reorder"


def test_a_business_without_sales_gets_nothing(business):
    counts = advice_refresh(business=business)

    assert (counts.created, counts.updated) == (0, 0)
    assert not PriceSuggestion.objects.for_business(business).exists()
