"""How a request picks its business, and what each role may do."""

import pytest

from accounts.models import Membership, Role
from accounts.tenancy.models import UnscopedQueryError
from data.models import Product
from tests.conftest import auth_client
from tests.factories import BusinessFactory, MembershipFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/data/inventory/products/"


def test_the_only_business_is_used_when_no_header_is_sent(owner, business):
    ProductFactory(business=business, sku="MINE")

    response = auth_client(owner).get(PRODUCTS)

    assert response.status_code == 200
    assert [row["sku"] for row in response.json()["results"]] == ["MINE"]


def test_several_businesses_and_no_header_is_400(owner):
    MembershipFactory(user=owner)

    response = auth_client(owner).get(PRODUCTS)

    assert response.status_code == 400
    assert "X-Business-ID" in response.json()


def test_header_naming_a_business_the_user_is_not_in_is_403(owner):
    stranger = BusinessFactory()

    assert auth_client(owner, stranger).get(PRODUCTS).status_code == 403


def test_header_naming_no_business_at_all_is_403_not_404(owner):
    client = auth_client(owner)

    assert client.get(PRODUCTS, HTTP_X_BUSINESS_ID="999999").status_code == 403
    assert client.get(PRODUCTS, HTTP_X_BUSINESS_ID="abc").status_code == 400


def test_a_viewer_reads_but_cannot_write(viewer, business):
    client = auth_client(viewer, business)
    product = ProductFactory(business=business, stock_quantity=5)

    assert client.get(PRODUCTS).status_code == 200
    assert client.post(PRODUCTS, {"sku": "NEW", "name": "New"}, format="json").status_code == 403
    assert client.patch(f"{PRODUCTS}{product.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    adjust = client.post(
        "/api/data/inventory/adjust-stock/", {"product_id": product.pk, "change": 1}, format="json"
    )
    assert adjust.status_code == 403
    product.refresh_from_db()
    assert (product.name, product.stock_quantity) == (product.name, 5)
    assert Product.objects.for_business(business).count() == 1


def test_a_manager_writes_data_but_cannot_manage_members(manager, business):
    client = auth_client(manager, business)

    assert client.post(PRODUCTS, {"sku": "NEW", "name": "New"}, format="json").status_code == 201
    newcomer = UserFactory()
    response = client.post(
        "/api/business/members/", {"email": newcomer.email, "role": "viewer"}, format="json"
    )
    assert response.status_code == 403
    assert not Membership.objects.filter(user=newcomer).exists()


def test_owner_adds_and_removes_members_but_never_the_last_owner(api, owner, business):
    newcomer = UserFactory(email="new@example.com")

    added = api.post("/api/business/members/", {"email": "NEW@example.com", "role": "manager"}, format="json")
    assert added.status_code == 201
    assert added.json()["role"] == "manager"
    assert Membership.objects.get(user=newcomer, business=business).role == Role.MANAGER

    listed = api.get("/api/business/members/").json()
    assert sorted(row["email"] for row in listed["results"]) == sorted([owner.email, "new@example.com"])

    assert api.delete(f"/api/business/members/{added.json()['id']}/").status_code == 204
    own = Membership.objects.get(user=owner, business=business)
    assert api.delete(f"/api/business/members/{own.pk}/").status_code == 409  # a conflict with the state
    assert Membership.objects.filter(business=business).count() == 1


def test_adding_an_unknown_email_is_400(api):
    response = api.post(
        "/api/business/members/", {"email": "ghost@example.com", "role": "viewer"}, format="json"
    )

    assert response.status_code == 400
    assert "email" in response.json()


def test_the_business_in_a_request_body_is_never_trusted(api, business):
    stranger = BusinessFactory()

    response = api.post(PRODUCTS, {"sku": "X1", "name": "X", "business": stranger.pk}, format="json")

    assert response.status_code == 201
    assert Product.objects.for_business(business).filter(sku="X1").exists()
    assert not Product.objects.for_business(stranger).exists()


def test_tenant_models_refuse_unscoped_queries(business):
    with pytest.raises(UnscopedQueryError):
        Product.objects.all()
    with pytest.raises(UnscopedQueryError):
        Product.objects.filter(sku="X")
    with pytest.raises(UnscopedQueryError):
        Product.objects.for_business(None)
    assert Product.objects.for_business(business).count() == 0
