"""Forecast runs and their endpoints, on a year of real sales of ten UCI products."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.forecasting.models import ForecastRun, ProductForecast
from apps.forecasting.services import forecast_run_in_process
from data.ingestion.services import upload_process
from data.models import Product, StockAlert, Transaction
from tests.conftest import auth_client
from tests.data.real_data import read_rows_where, write_csv
from tests.factories import MembershipFactory, ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db

CODES = {"85123A", "22423", "85099B", "47566", "20725", "84879", "22720", "21212", "22197", "23203"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One business with a year of ten products' sales and one completed forecast run.

    Fitting is the slow part, so it happens once for the module, committed; each test's own writes
    are rolled back as usual, and the business is removed at the end.
    """
    header, rows = read_rows_where(lambda row: row[1] in CODES)
    content = write_csv(tmp_path_factory.mktemp("retail") / "ten.csv", header, rows).read_bytes()
    with django_db_blocker.unblock():
        membership = MembershipFactory()
        client = auth_client(membership.user, membership.business)
        response = client.post(
            "/api/data/upload/transactions/",
            {"file": SimpleUploadedFile("ten.csv", content)},
            format="multipart",
        )
        upload_process(upload_id=response.json()["id"])
        refresh = client.post("/api/data/forecast/refresh/")
        assert refresh.status_code == 202
        forecast_run_in_process(run_id=refresh.json()["id"])  # what the ml workers run
        yield SimpleNamespace(
            business=membership.business,
            owner=membership.user,
            run=ForecastRun.objects.for_business(membership.business).get(pk=refresh.json()["id"]),
        )
        Transaction.objects.for_business(membership.business).delete()
        membership.business.delete()
        membership.user.delete()


@pytest.fixture
def client(world):
    return auth_client(world.owner, world.business)


def test_a_run_stores_a_forecast_for_every_product_with_history(client, world):
    business = world.business
    run = client.get(f"/api/data/forecast/runs/{world.run.pk}/").json()

    assert (run["status"], run["products_total"], run["products_done"]) == ("completed", 10, 10)
    sold = set(Transaction.objects.for_business(business).values_list("product_id", flat=True))
    assert set(ProductForecast.objects.for_business(business).values_list("product_id", flat=True)) == sold
    assert run["data_end"] == "2011-12-09"


def test_a_second_refresh_joins_the_active_run(api, business):
    first = api.post("/api/data/forecast/refresh/").json()
    second = api.post("/api/data/forecast/refresh/").json()

    assert first["id"] == second["id"]
    assert ForecastRun.objects.for_business(business).count() == 1


def test_detail_gives_daily_points_from_the_day_after_the_latest_sale(client, world):
    product = Product.objects.for_business(world.business).get(sku="85123A")

    body = client.get(f"/api/data/forecast/{product.pk}/?horizon=30").json()

    assert body["horizon_days"] == 30
    assert len(body["points"]) == 30
    assert body["points"][0]["date"] == "2011-12-10"
    assert body["points"][-1]["date"] == "2012-01-08"
    assert all(point["lower"] <= point["predicted"] <= point["upper"] for point in body["points"])
    assert all(point["predicted"] >= 0 for point in body["points"])
    assert body["model"]
    assert body["backtest"]["metric"] == "MASE"
    assert set(body["reorder"]) >= {
        "reorder_point",
        "safety_stock",
        "order_quantity",
        "order_by",
        "days_of_cover",
        "stockout_date",
    }
    # Each point is shown to one decimal: the sum of what is shown is within 0.05 a point of the total.
    assert body["predicted_units"] == pytest.approx(
        sum(point["predicted"] for point in body["points"]), abs=0.05 * len(body["points"]) + 0.05
    )


def test_summary_lists_every_product_for_the_horizon(client):
    rows = client.get("/api/data/forecast/summary/?horizon=7").json()["results"]

    assert len(rows) == 10
    assert {row["horizon_days"] for row in rows} == {7}
    for row in rows:
        assert {
            "product",
            "predicted_units",
            "model",
            "backtest_error",
            "days_of_cover",
            "stockout_date",
            "reorder_now",
        } <= set(row)
    # Imported history leaves stock at zero (no count yet): every product is at or past its reorder time.
    assert all(row["reorder_now"] for row in rows if row["predicted_units"] > 0)


def test_horizon_must_be_7_30_or_90(api, business):
    product = ProductFactory(business=business)

    assert api.get("/api/data/forecast/summary/?horizon=14").status_code == 400
    assert api.get(f"/api/data/forecast/{product.pk}/?horizon=abc").status_code == 400


def test_a_product_without_a_forecast_is_404_with_a_reason(api, business):
    product = ProductFactory(business=business)

    response = api.get(f"/api/data/forecast/{product.pk}/")

    assert response.status_code == 404
    assert "No forecast" in response.json()["detail"]


def test_another_businesss_product_is_404(api, world):
    foreign = Product.objects.for_business(world.business).get(sku="85123A")

    assert api.get(f"/api/data/forecast/{foreign.pk}/").status_code == 404


def test_no_request_fits_a_model(client, world, monkeypatch):
    from ml_models import forecasting

    def refuse(*args, **kwargs):
        raise AssertionError("a request tried to fit a model")

    monkeypatch.setattr(forecasting, "select_and_forecast", refuse)
    monkeypatch.setattr(forecasting, "forecast_revenue", refuse)
    product = Product.objects.for_business(world.business).get(sku="22423")

    assert client.get("/api/data/forecast/summary/?horizon=90").status_code == 200
    assert client.get(f"/api/data/forecast/{product.pk}/?horizon=90").status_code == 200


def test_overstocked_products_raise_an_overstock_alert(client, world):
    business = world.business
    product = Product.objects.for_business(business).get(sku="85123A")
    yearly_need = ProductForecast.objects.for_business(business).get(product=product).predicted_90 * 4
    client.post(
        "/api/data/inventory/adjust-stock/",
        {"product_id": product.pk, "change": int(yearly_need * 10) + 1000},
        format="json",
    )

    from apps.forecasting.services import overstock_alerts_sync

    overstock_alerts_sync(business=business)

    assert (
        StockAlert.objects.for_business(business)
        .filter(product=product, kind="overstock", resolved_at__isnull=True)
        .exists()
    )
    listed = client.get("/api/data/inventory/products/?stock_status=over").json()["results"]
    assert [row["sku"] for row in listed] == ["85123A"]


def test_points_cover_the_longest_horizon_and_shorter_ones_are_prefixes(client, world):
    product = Product.objects.for_business(world.business).get(sku="22423")

    week = client.get(f"/api/data/forecast/{product.pk}/?horizon=7").json()["points"]
    quarter = client.get(f"/api/data/forecast/{product.pk}/?horizon=90").json()["points"]

    assert len(quarter) == 90
    assert quarter[:7] == week
    assert quarter[-1]["date"] == "2012-03-08"


def test_a_run_abandoned_by_its_worker_does_not_block_refreshes(api, business, settings):
    stuck = ForecastRun.objects.for_business(business).create(business=business, status="processing")
    ForecastRun.objects.for_business(business).filter(pk=stuck.pk).update(
        created_at=timezone.now() - settings.JOB_ABANDONED_AFTER * 2
    )

    response = api.post("/api/data/forecast/refresh/")

    assert response.status_code == 202
    assert response.json()["id"] != stuck.pk
    stuck.refresh_from_db()
    assert (stuck.status, stuck.detail) == ("failed", "Abandoned: no worker finished it.")


def test_stock_status_alerts_and_the_summary_follow_the_forecasts_reorder_point(client, world):
    from data import services

    products = Product.objects.for_business(world.business).order_by("sku")
    assert all(product.forecast_reorder_point is not None for product in products)
    short, plenty = [product for product in products if product.forecast_reorder_point > 1][:2]
    # Under the forecast's point but over a static one of 0; over the forecast's point but under 1,000.
    services.product_update(
        product=short, user=world.owner, data={"stock_quantity": short.forecast_reorder_point - 1}
    )
    services.product_update(
        product=plenty,
        user=world.owner,
        data={"stock_quantity": plenty.forecast_reorder_point + 5, "reorder_point": 1000},
    )

    status = {
        row["id"]: row["stock_status"]
        for row in client.get("/api/data/inventory/products/?page_size=100").json()["results"]
    }
    summary = {
        row["product"]: row["reorder_now"]
        for row in client.get("/api/data/forecast/summary/?page_size=100").json()["results"]
    }
    alerts = {
        (row["product"], row["kind"])
        for row in client.get("/api/data/inventory/alerts/?page_size=100").json()["results"]
    }
    report = client.get("/api/data/inventory/report/").json()

    assert (status[short.pk], summary[short.pk], (short.pk, "low_stock") in alerts) == ("low", True, True)
    assert (status[plenty.pk], summary[plenty.pk]) == ("ok", False)
    assert not {(plenty.pk, "low_stock"), (plenty.pk, "out_of_stock")} & alerts
    assert report["low_stock_count"] == list(status.values()).count("low")
    for product_id, reorder_now in summary.items():
        assert reorder_now == (status[product_id] in ("low", "out")), product_id


def test_the_summary_takes_ordering(client, world):
    rows = client.get("/api/data/forecast/summary/?ordering=sku&page_size=100").json()["results"]
    reverse = client.get("/api/data/forecast/summary/?ordering=-sku&page_size=100").json()["results"]

    skus = [row["sku"] for row in rows]
    assert skus == sorted(skus)
    assert [row["sku"] for row in reverse] == sorted(skus, reverse=True)


def test_unit_figures_are_rounded_to_one_decimal(client, world):
    product = Product.objects.for_business(world.business).get(sku="85123A")

    body = client.get(f"/api/data/forecast/{product.pk}/").json()
    summary = client.get("/api/data/forecast/summary/?page_size=100").json()["results"]

    figures = [body["reorder"]["safety_stock"], body["reorder"]["reorder_point"], body["predicted_units"]]
    figures += [point[key] for point in body["points"] for key in ("predicted", "lower", "upper")]
    figures += [row["predicted_units"] for row in summary]
    assert all(round(figure, 1) == figure for figure in figures)


def test_a_one_day_wholesale_product_gets_a_shrunk_forecast_and_no_reorder_advice(api, business):
    from datetime import timedelta

    import numpy as np

    today = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    steady = ProductFactory(business=business, sku="STEADY", stock_quantity=50, reorder_point=5)
    rng = np.random.default_rng(5)
    for day in range(120):
        units = int(rng.poisson(5)) or 1
        TransactionFactory(product=steady, quantity=units, timestamp=today - timedelta(days=day))
    newcomer = ProductFactory(business=business, sku="WHOLESALE", stock_quantity=20, reorder_point=0)
    TransactionFactory(product=newcomer, quantity=458, timestamp=today)  # one order, its only day
    run = ForecastRun.objects.for_business(business).create(business=business)

    forecast_run_in_process(run_id=run.pk)

    summary = {row["sku"]: row for row in api.get("/api/data/forecast/summary/?horizon=90").json()["results"]}
    detail = api.get(f"/api/data/forecast/{newcomer.pk}/?horizon=90").json()
    newcomer.refresh_from_db()
    assert summary["WHOLESALE"]["model"] == "ShrunkMean"
    assert summary["WHOLESALE"]["predicted_units"] < 41220 / 20
    assert (summary["WHOLESALE"]["reorder_now"], summary["WHOLESALE"]["order_quantity"]) == (False, 0)
    assert detail["reorder"]["advice"].startswith("No reorder advice: only 1 open days of history")
    assert max(point["upper"] for point in detail["points"]) >= 400  # the interval says how unsure
    assert newcomer.forecast_reorder_point is None  # stock status falls back to the static point
    assert summary["STEADY"]["model"] != "ShrunkMean"
