"""Customer scores through the API: refresh, filters, segments, and anonymous sales."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.churn.models import CustomerScoreRun
from apps.churn.services import customers_score_execute
from data.models import Customer
from tests.factories import CustomerFactory, ProductFactory, TransactionFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/data/customers/"
TODAY = timezone.make_aware(datetime(2024, 6, 30, 12))


def buy(customer, product, *, days_ago: int, quantity: int = 1, invoice: str | None = None):
    return TransactionFactory(
        product=product,
        customer=customer,
        quantity=quantity,
        invoice=invoice or f"I-{customer.external_id}-{days_ago}-{quantity}",
        timestamp=TODAY - timedelta(days=days_ago),
    )


@pytest.fixture
def shop(business):
    """A regular who buys weekly, a one-off buyer from long ago, a newcomer, and anonymous sales."""
    product = ProductFactory(business=business, unit_price=Decimal("10.00"))
    regular = CustomerFactory(business=business, external_id="REGULAR")
    for week in range(0, 40):
        buy(regular, product, days_ago=week * 7, quantity=2)
    buy(regular, product, days_ago=3, quantity=-1, invoice="C-RETURN")
    gone = CustomerFactory(business=business, external_id="GONE")
    buy(gone, product, days_ago=300)
    newcomer = CustomerFactory(business=business, external_id="NEW")
    buy(newcomer, product, days_ago=2)
    TransactionFactory(product=product, customer=None, quantity=5, timestamp=TODAY - timedelta(days=1))
    return {"regular": regular, "gone": gone, "newcomer": newcomer}


def score(api) -> dict:
    """What a client and the ml worker do: ask for a run (202), run it, read the run back."""
    response = api.post(CUSTOMERS + "refresh/")
    assert response.status_code == 202, response.content
    customers_score_execute(run_id=response.json()["id"])
    return api.get(f"{CUSTOMERS}runs/{response.json()['id']}/").json()


def test_refresh_computes_rfm_from_the_books(api, business, shop):
    run = score(api)

    assert (run["status"], run["customers_total"], run["customers_done"]) == ("completed", 3, 3)
    response = api.get(CUSTOMERS + "?ordering=external_id")
    rows = {row["external_id"]: row for row in response.json()["results"]}
    regular = rows["REGULAR"]
    # 40 weekly purchases of 2 x 10.00 less one return of 10.00; the data's today is the newest sale.
    assert (regular["frequency"], regular["monetary"], regular["recency_days"]) == (40, "790.00", 0)
    assert (rows["GONE"]["frequency"], rows["GONE"]["monetary"], rows["GONE"]["recency_days"]) == (
        1,
        "10.00",
        300,
    )
    assert rows["NEW"]["segment"] == "new"
    assert rows["GONE"]["segment"] == "lost"
    assert all(row["churn_risk"] in {"high", "medium", "low"} for row in rows.values())
    assert all(Decimal(row["predicted_clv"]) >= 0 for row in rows.values())
    assert Customer.objects.for_business(business).count() == 3  # anonymous sales made no customer
    run = CustomerScoreRun.objects.for_business(business).get()
    assert (run.status, run.customers_total, run.method) == ("completed", 3, "recency_fallback")


def test_customers_filter_by_segment_and_churn_risk(api, shop):
    score(api)

    assert [row["external_id"] for row in api.get(CUSTOMERS + "?segment=lost").json()["results"]] == ["GONE"]
    high = api.get(CUSTOMERS + "?churn_risk=high").json()["results"]
    assert "GONE" in [row["external_id"] for row in high]
    assert "REGULAR" not in [row["external_id"] for row in high]


def test_segments_summarise_counts_revenue_shares_and_offers(api, shop):
    score(api)

    body = api.get(CUSTOMERS + "segments/").json()

    by_segment = {row["segment"]: row for row in body["results"]}
    assert set(by_segment) == {"vip", "loyal", "regular", "new", "at_risk", "lost"}
    assert sum(row["count"] for row in body["results"]) == 3
    # Revenue: 790 + 10 + 10 from customers and 50 anonymous, 860 in all.
    assert by_segment["lost"]["revenue_share"] == round(10 / 860, 4)
    assert body["anonymous_revenue_share"] == round(50 / 860, 4)
    assert all(row["suggested_offer"] for row in body["results"])
    assert body["model"]["method"] == "recency_fallback"


def test_segments_before_any_scoring_are_empty_not_an_error(api, business):
    body = api.get(CUSTOMERS + "segments/").json()

    assert [row["count"] for row in body["results"]] == [0] * 6
    assert body["model"]["method"] is None


def test_another_businesss_customer_is_404(api, shop):
    stranger = CustomerFactory()

    assert api.get(f"{CUSTOMERS}{stranger.pk}/").status_code == 404
    assert api.get(f"{CUSTOMERS}{shop['regular'].pk}/").status_code == 200


def test_a_customer_with_only_returns_gets_a_segment_and_a_reason(api, business, shop):
    from apps.churn.services import customers_score_execute, customers_score_request

    returner = CustomerFactory(business=business, external_id="RETURNS-ONLY")
    buy(returner, ProductFactory(business=business), days_ago=5, quantity=-2, invoice="C-ONLY")
    idle = CustomerFactory(business=business, external_id="NO-LINES")

    customers_score_execute(run_id=customers_score_request(business=business).pk)

    returner.refresh_from_db()
    idle.refresh_from_db()
    assert (returner.segment, returner.churn_risk, returner.predicted_clv) == (
        "lost",
        "high",
        Decimal("0.00"),
    )
    assert returner.segment_reason == "Only returns on record: no purchase to score."
    assert (idle.segment, idle.segment_reason) == ("new", "No purchase yet.")
    assert not Customer.objects.for_business(business).filter(segment="").exists()
    assert not Customer.objects.for_business(business).filter(churn_risk="").exists()


def test_the_segments_answer_gives_money_as_two_place_strings(api, business, shop):
    from apps.churn.services import customers_score_execute, customers_score_request

    customers_score_execute(run_id=customers_score_request(business=business).pk)

    rows = {row["segment"]: row for row in api.get(CUSTOMERS + "segments/").json()["results"]}

    assert sorted(row["revenue"] for row in rows.values() if row["count"]) == ["10.00", "10.00", "790.00"]
    assert all(row["revenue"] == "0.00" for row in rows.values() if not row["count"])
    assert all(isinstance(row["average_monetary"], str) for row in rows.values() if row["count"])


def test_refresh_queues_a_run_and_answers_202_at_once(api, business, shop):
    response = api.post(CUSTOMERS + "refresh/")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending"
    # Nothing was scored inside the request.
    assert not Customer.objects.for_business(business).exclude(segment="").exists()
    run = api.get(f"{CUSTOMERS}runs/{body['id']}/").json()
    assert {"status", "customers_total", "customers_done", "started_at", "finished_at"} <= set(run)
    assert (run["status"], run["customers_done"], run["started_at"]) == ("pending", 0, None)


def test_a_get_with_refresh_true_queues_a_run_as_post_does(api, business, shop):
    response = api.get(CUSTOMERS + "?refresh=true")

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert CustomerScoreRun.objects.for_business(business).get().pk == response.json()["id"]
    assert not Customer.objects.for_business(business).exclude(segment="").exists()


def test_a_second_refresh_joins_the_active_run(api, business, shop):
    first = api.post(CUSTOMERS + "refresh/").json()
    second = api.get(CUSTOMERS + "?refresh=true").json()

    assert first["id"] == second["id"]
    assert CustomerScoreRun.objects.for_business(business).count() == 1


def test_a_finished_run_is_not_claimed_again(api, business, shop):
    run = score(api)

    assert customers_score_execute(run_id=run["id"]) is None
    assert CustomerScoreRun.objects.for_business(business).get().attempts == 1


def test_a_viewer_cannot_ask_for_a_rescore_either_way(business, viewer, shop):
    from tests.conftest import auth_client

    client = auth_client(viewer, business)

    assert client.post(CUSTOMERS + "refresh/").status_code == 403
    assert client.get(CUSTOMERS + "?refresh=true").status_code == 403
    assert client.get(CUSTOMERS).status_code == 200
    assert not CustomerScoreRun.objects.for_business(business).exists()


def test_a_sale_dated_year_1_or_2099_neither_breaks_nor_blanks_the_scores(api, business, shop):
    # Given the shop scored once as it is
    score(api)
    before = {row["external_id"]: row for row in api.get(CUSTOMERS).json()["results"]}
    # and then two sale lines with impossible dates, stored behind the API's back
    product = ProductFactory(business=business)
    TransactionFactory(
        product=product, customer=shop["gone"], invoice="ODD-1", timestamp=datetime(1, 1, 1, tzinfo=UTC)
    )
    TransactionFactory(
        product=product, customer=shop["regular"], invoice="ODD-2", timestamp=datetime(2099, 1, 1, tzinfo=UTC)
    )

    # When the customers are scored again
    run = score(api)

    # Then the run completes, says what it left out, and every customer scores as without them
    assert (run["status"], run["customers_total"]) == ("completed", 3)
    assert "Left out 2 sale lines" in run["detail"]
    after = {row["external_id"]: row for row in api.get(CUSTOMERS).json()["results"]}
    fields = ["recency_days", "frequency", "monetary", "segment", "churn_probability", "predicted_clv"]
    assert {key: [row[f] for f in fields] for key, row in after.items()} == {
        key: [row[f] for f in fields] for key, row in before.items()
    }
