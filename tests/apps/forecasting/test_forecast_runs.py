"""A forecast run in the foreground: batches, and stored data the models cannot use."""

from datetime import UTC, datetime, timedelta

import factory
import numpy as np
import pytest

from apps.forecasting.models import ForecastBatch, ForecastRun, ProductForecast
from apps.forecasting.services import forecast_run_in_process
from tests.factories import ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db

START = datetime(2024, 1, 1, 10, tzinfo=UTC)


@pytest.fixture
def shop(business):
    """Three products sold over 20 weeks: one every day, one on weekdays in pairs, one now and then."""
    products = [ProductFactory(business=business, sku=sku) for sku in ("DAILY", "PAIRS", "RARE")]
    random = np.random.default_rng(3)
    lines = []
    for day in range(140):
        moment = START + timedelta(days=day)
        lines.append((products[0], moment, int(random.integers(1, 6))))
        if moment.weekday() < 5:
            lines.append((products[1], moment, 2))
        if day % 9 == 0:
            lines.append((products[2], moment, 1))
    TransactionFactory.create_batch(
        len(lines),
        product=factory_iter([line[0] for line in lines]),
        timestamp=factory_iter([line[1] for line in lines]),
        quantity=factory_iter([line[2] for line in lines]),
    )
    return {product.sku: product for product in products}


def factory_iter(values):
    return factory.Iterator(values, cycle=False)


def run_now(business) -> ForecastRun:
    run = ForecastRun.objects.for_business(business).create(business=business)
    return forecast_run_in_process(run_id=run.pk)


def forecasts_of(business) -> dict:
    return {
        forecast.product.sku: (forecast.model, forecast.first_date, forecast.points)
        for forecast in ProductForecast.objects.for_business(business).select_related("product")
    }


def test_a_run_is_planned_as_batches_best_sellers_first(business, shop, settings):
    settings.FORECAST_BATCH_PRODUCTS = 2

    run = run_now(business)

    assert (run.status, run.products_total, run.products_done) == ("completed", 3, 3)
    batches = list(ForecastBatch.objects.for_business(business).filter(run=run).order_by("index"))
    assert [batch.product_ids for batch in batches] == [
        [shop["DAILY"].pk, shop["PAIRS"].pk],
        [shop["RARE"].pk],
    ]
    assert [(batch.status, batch.products_done, batch.attempts) for batch in batches] == [
        ("completed", 2, 1),
        ("completed", 1, 1),
    ]
    assert run.data_end.isoformat() == "2024-05-19"


def test_a_batch_delivered_again_after_it_finished_changes_nothing(business, shop):
    from apps.forecasting.services import forecast_batch_execute

    run = run_now(business)
    batch = ForecastBatch.objects.for_business(business).get(run=run)

    assert forecast_batch_execute(batch_id=batch.pk, token="another-delivery") is None
    run.refresh_from_db()
    assert (run.products_done, ProductForecast.objects.for_business(business).count()) == (3, 3)


def test_sales_dated_year_1_or_2099_neither_fail_nor_blank_a_run(business, shop):
    # Given the shop forecast once as it is
    run_now(business)
    before = forecasts_of(business)
    # and then two sale lines with impossible dates, stored behind the API's back
    TransactionFactory(product=shop["DAILY"], quantity=3, timestamp=datetime(1, 1, 1, tzinfo=UTC))
    TransactionFactory(product=shop["RARE"], quantity=500, timestamp=datetime(2099, 1, 1, tzinfo=UTC))

    # When the forecasts are refreshed
    run = run_now(business)

    # Then the run completes, says what it left out, and every product is forecast as without them
    assert (run.status, run.products_total, run.products_done, run.products_skipped) == ("completed", 3, 3, 0)
    assert run.data_end.isoformat() == "2024-05-19"
    assert run.detail.startswith("Left out 2 sale lines dated before 1970-01-01 or after")
    assert forecasts_of(business) == before


def test_a_product_that_stopped_selling_loses_its_stale_forecast(business, shop, settings):
    run_now(business)
    ProductForecast.objects.for_business(business).filter(product=shop["RARE"]).delete()
    stale = ProductFactory(business=business, sku="GONE")
    ProductForecast.objects.for_business(business).create(
        business=business, product=stale, model="old", first_date=START.date(), points=[[1.0, 0.0, 2.0]]
    )

    run_now(business)

    assert set(forecasts_of(business)) == {"DAILY", "PAIRS", "RARE"}
