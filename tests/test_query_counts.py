"""Query-count ceilings on list endpoints: a page costs the same queries for 2 rows or 20, so an N+1 fails.

(The idea of InvenTree's ``unit_test.py``.) Each list is read with a few rows and with ten times as many;
the count must not grow, and must stay under the ceiling.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.forecasting.models import ProductForecast
from data import services
from data.models import StockMovement
from tests.factories import CustomerFactory, ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db

CEILING = 12


def add_rows(business, owner, count: int) -> None:
    for _ in range(count):
        product = ProductFactory(business=business, stock_quantity=0, reorder_point=5)
        services.alerts_sync(business=business, products=[product])
        customer = CustomerFactory(business=business)
        TransactionFactory(product=product, customer=customer, timestamp=timezone.now() - timedelta(days=1))
        StockMovement.objects.for_business(business).create(
            product=product, change=1, reason="adjustment", stock_after=1, user=owner
        )
        ProductForecast.objects.for_business(business).create(
            product=product, model="WeekdayMean8", first_date=date.today(), points=[[1.0, 0.0, 2.0]] * 90
        )


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/api/data/inventory/products/",
        "/api/data/inventory/alerts/",
        "/api/data/inventory/movements/",
        "/api/data/transactions/",
        "/api/data/customers/",
        "/api/data/uploads/",
        "/api/data/forecast/summary/",
        "/api/data/forecast/runs/",
        "/api/business/members/",
    ],
)
def test_a_list_costs_the_same_queries_for_few_rows_and_many(api, business, owner, url):
    add_rows(business, owner, 2)
    few = queries(api, url)
    add_rows(business, owner, 18)
    many = queries(api, url)

    assert many == few, f"{url}: {few} queries for 2 rows, {many} for 20 (an N+1)"
    assert many <= CEILING
