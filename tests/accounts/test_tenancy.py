"""How a request picks its business, and what each role may do."""

import pytest

from accounts.models import Invitation, Membership
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


@pytest.mark.parametrize("header", ["9223372036854775808", "-1", "0", str(10**30)])
def test_a_business_id_out_of_range_is_400_naming_the_header(owner, header):
    response = auth_client(owner).get(PRODUCTS, HTTP_X_BUSINESS_ID=header)

    assert response.status_code == 400
    assert "X-Business-ID" in response.json()


def test_a_viewer_reads_but_cannot_write(viewer, business):
    client = auth_client(viewer, business)
    product = ProductFactory(business=business, name="Green tea", stock_quantity=5)

    assert client.get(PRODUCTS).status_code == 200
    assert client.post(PRODUCTS, {"sku": "NEW", "name": "New"}, format="json").status_code == 403
    assert client.patch(f"{PRODUCTS}{product.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    adjust = client.post(
        "/api/data/inventory/adjust-stock/", {"product_id": product.pk, "change": 1}, format="json"
    )
    assert adjust.status_code == 403
    product.refresh_from_db()
    assert (product.name, product.stock_quantity) == ("Green tea", 5)
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
    assert not Invitation.objects.exists()


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


def test_a_scoped_queryset_refuses_to_write_rows_of_another_business(business):
    from accounts.tenancy.models import CrossTenantWriteError

    stranger = BusinessFactory()
    products = Product.objects.for_business(business)

    with pytest.raises(CrossTenantWriteError):
        products.create(business=stranger, sku="X", name="X")
    with pytest.raises(CrossTenantWriteError):
        products.create(business_id=stranger.pk, sku="X", name="X")
    with pytest.raises(CrossTenantWriteError):
        products.bulk_create([Product(business=stranger, sku="Y", name="Y")])
    mine = ProductFactory(business=business, sku="MINE")
    with pytest.raises(CrossTenantWriteError):
        products.filter(pk=mine.pk).update(business=stranger)
    theirs = ProductFactory(business=stranger, sku="THEIRS")
    theirs.name = "Renamed"
    with pytest.raises(CrossTenantWriteError):
        products.bulk_update([theirs], ["name"])

    assert not Product.objects.for_business(stranger).exclude(pk=theirs.pk).exists()
    assert Product.objects.for_business(stranger).get().name != "Renamed"
    assert Product.objects.for_business(business).get().business_id == business.pk


def test_a_scoped_queryset_stamps_its_business_on_rows_that_name_none(business):
    created = Product.objects.for_business(business).create(sku="A", name="A")
    Product.objects.for_business(business).bulk_create([Product(sku="B", name="B")])

    assert created.business_id == business.pk
    assert sorted(Product.objects.for_business(business).values_list("sku", flat=True)) == ["A", "B"]


def test_a_tenant_view_cannot_define_get_queryset():
    from django.core.exceptions import ImproperlyConfigured

    from accounts.tenancy.views import TenantReadOnlyViewSet

    with pytest.raises(ImproperlyConfigured):

        class Leaky(TenantReadOnlyViewSet):
            def get_queryset(self):
                return Product.objects.unscoped().all()


def test_a_tenant_view_whose_queryset_is_not_scoped_to_the_request_fails_closed(api, business, rf):
    from django.core.exceptions import ImproperlyConfigured

    from accounts.tenancy.views import TenantReadOnlyViewSet
    from data.serializers import ProductSerializer

    class Unscoped(TenantReadOnlyViewSet):
        serializer_class = ProductSerializer

        def get_tenant_queryset(self, business):
            return Product.objects.unscoped().all()

    view = Unscoped()
    view.request = rf.get("/")
    view.request.business = business
    view.swagger_fake_view = False
    with pytest.raises(ImproperlyConfigured):
        view.get_queryset()
