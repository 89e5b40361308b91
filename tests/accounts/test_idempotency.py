"""Idempotency-Key: a retried POST returns the first answer and creates nothing."""

import threading

import pytest
from django.db import connection

from data.models import Product, Transaction
from tests.conftest import auth_client
from tests.factories import MembershipFactory, ProductFactory

TRANSACTIONS = "/api/data/transactions/"


@pytest.mark.django_db
def test_the_same_key_again_returns_the_first_answer_and_creates_nothing(api, business):
    product = ProductFactory(business=business, stock_quantity=10)
    body = {"product": product.pk, "quantity": 2}

    first = api.post(TRANSACTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="sale-1")
    again = api.post(TRANSACTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="sale-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Transaction.objects.for_business(business).count() == 1
    product.refresh_from_db()
    assert product.stock_quantity == 8


@pytest.mark.django_db
def test_every_tenant_post_takes_the_key_without_opting_in(api, business):
    first = api.post(
        "/api/data/inventory/products/", {"sku": "A", "name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    again = api.post(
        "/api/data/inventory/products/", {"sku": "A", "name": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert Product.objects.for_business(business).count() == 1


@pytest.mark.django_db
def test_a_new_key_or_no_key_is_a_new_request(api, business):
    product = ProductFactory(business=business, stock_quantity=10)
    body = {"product": product.pk, "quantity": 1}

    api.post(TRANSACTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="one")
    api.post(TRANSACTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="two")
    api.post(TRANSACTIONS, body, format="json")

    assert Transaction.objects.for_business(business).count() == 3


@pytest.mark.django_db
def test_the_same_key_on_a_different_request_is_400(api, business):
    product = ProductFactory(business=business, stock_quantity=10)
    api.post(TRANSACTIONS, {"product": product.pk, "quantity": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    response = api.post(
        TRANSACTIONS, {"product": product.pk, "quantity": 5}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert Transaction.objects.for_business(business).count() == 1


@pytest.mark.django_db
def test_keys_are_per_user_and_business(api, business):
    product = ProductFactory(business=business, stock_quantity=10)
    colleague = MembershipFactory(business=business).user
    body = {"product": product.pk, "quantity": 1}

    api.post(TRANSACTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    auth_client(colleague, business).post(TRANSACTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert Transaction.objects.for_business(business).count() == 2


@pytest.mark.django_db
def test_a_refused_viewer_post_stores_nothing_and_an_overlong_key_is_400(api, business, viewer):
    from accounts.tenancy.models import IdempotentRequest

    product = ProductFactory(business=business, stock_quantity=10)
    body = {"product": product.pk, "quantity": 1}

    refused = auth_client(viewer, business).post(TRANSACTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    overlong = api.post(TRANSACTIONS, body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert (refused.status_code, overlong.status_code) == (403, 400)
    assert not IdempotentRequest.objects.exists()
    assert not Transaction.objects.for_business(business).exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_key_sent_eight_times_at_once_records_one_sale():
    membership = MembershipFactory()
    product = ProductFactory(business=membership.business, stock_quantity=100)
    answers, errors = [], []
    start = threading.Barrier(8)

    def send():
        try:
            client = auth_client(membership.user, membership.business)
            start.wait()
            response = client.post(
                TRANSACTIONS,
                {"product": product.pk, "quantity": 1},
                format="json",
                HTTP_IDEMPOTENCY_KEY="twin",
            )
            answers.append(response.status_code)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Transaction.objects.for_business(membership.business).count() == 1
    assert answers.count(201) >= 1
    assert set(answers) <= {201, 409}
    product.refresh_from_db()
    assert product.stock_quantity == 99
