"""The cross-tenant sweep: every API route, every method, called by another business.

It walks the URL resolver, so a new route is covered or this module fails: each route name must have an
entry in ``ROUTES`` saying how to fill its path with the first business's real ids. Then, acting for
the second business, every method of every route must answer 404 on the first business's records (or
403 where the role forbids the method), never leak a marker of the first business's data, and leave
every row of the first business unchanged.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Invitation, Membership, Role
from apps.advice.models import PriceSuggestion
from apps.churn.models import CustomerScoreRun
from apps.forecasting.models import ForecastRun, ProductForecast
from data.models import Recommendation, UploadRecord
from data.services import StockChange, alerts_sync, stock_apply
from tests.conftest import auth_client
from tests.factories import (
    BusinessFactory,
    CustomerFactory,
    MembershipFactory,
    ProductFactory,
    ReceiptFactory,
    TransactionFactory,
)

PUBLIC = {"auth-register", "auth-login", "auth-refresh", "health", "schema", "docs"}
# Routes about the caller, not a business: they ignore X-Business-ID, and another user's record is a 404.
USER_SCOPED = {"auth-me", "auth-logout", "invitation-list", "invitation-accept", "invitation-decline"}
MARKER = "ALPHASECRET"


@dataclass
class Tenant:
    """The first business with one of every record, each carrying MARKER so a leak is visible."""

    business: object
    owner: object
    records: dict


def build_first_business() -> Tenant:

    business = BusinessFactory(name=f"{MARKER} Ltd")
    owner = MembershipFactory(
        business=business, role=Role.OWNER, user__email=f"{MARKER.lower()}@example.com"
    ).user
    product = ProductFactory(
        business=business, sku=f"{MARKER}-SKU", name=f"{MARKER} widget", reorder_point=200
    )
    customer = CustomerFactory(business=business, external_id=f"{MARKER}-CUSTOMER", email="alpha@example.com")
    sale = TransactionFactory(product=product, customer=customer, invoice=f"{MARKER}-INV")
    stock_apply(business=business, changes=[StockChange(product.pk, -1)], reason="sale", note=MARKER)
    alerts_sync(business=business, products=[product])
    records = {
        "product": product,
        "customer": customer,
        "transaction": sale,
        "alert": product.alerts.get(),
        "movement": product.movements.get(),
        "membership": Membership.objects.get(business=business, user=owner),
        # Sent to someone who is not the intruder: theirs to accept, nobody else's.
        "invitation": Invitation.objects.create(
            business=business,
            email=f"{MARKER.lower()}-invitee@example.com",
            role=Role.MANAGER,
            invited_by=owner,
        ),
    }
    records["upload"] = UploadRecord.objects.for_business(business).create(
        business=business,
        kind=UploadRecord.Kind.TRANSACTIONS,
        file_name=f"{MARKER}.csv",
        sha256="0" * 64,
        status=UploadRecord.Status.FAILED,
        detail=MARKER,
    )
    records["receipt"] = ReceiptFactory(business=business, merchant=f"{MARKER} Bakery", raw_text=MARKER)
    records["failed_receipt"] = ReceiptFactory(
        business=business, status="failed", detail=MARKER, sha256="f" * 64
    )
    records["forecast_run"] = ForecastRun.objects.for_business(business).create(
        business=business, status=ForecastRun.Status.COMPLETED, detail=MARKER
    )
    records["score_run"] = CustomerScoreRun.objects.for_business(business).create(
        business=business, status=CustomerScoreRun.Status.COMPLETED, detail=MARKER
    )
    records["forecast"] = ProductForecast.objects.for_business(business).create(
        business=business,
        product=product,
        run=records["forecast_run"],
        model="seasonal_naive",
        note=MARKER,
        first_date=date(2024, 1, 2),
        points=[[1.0, 0.0, 2.0]] * 90,
    )
    records["recommendation"] = Recommendation.objects.for_business(business).create(
        business=business,
        kind=Recommendation.Kind.REORDER,
        situation_key=f"reorder:product:{product.pk}",
        title=f"Reorder {MARKER} widget",
        reason=MARKER,
        product=product,
        figures={"order_quantity": 5, "stockout_date": None},
    )
    records["campaign"] = Recommendation.objects.for_business(business).create(
        business=business,
        kind=Recommendation.Kind.CAMPAIGN,
        situation_key=f"campaign:grow_rising:product:{product.pk}",
        title=f"Campaign: push {MARKER} widget",
        reason=MARKER,
        product=product,
        segment="loyal",
        figures={
            "product": product.pk,
            "product_name": product.name,
            "objective": "grow_rising",
            "target_segment": "loyal",
            "segment_size": 1,
            "current_price": 10.0,
            "discount": 0,
            "margin_left": None,
        },
    )
    PriceSuggestion.objects.for_business(business).create(
        business=business,
        product=product,
        verdict="insufficient_evidence",
        reason=MARKER,
        current_price=product.unit_price,
    )
    return Tenant(business=business, owner=owner, records=records)


# Every named API route: how to fill its path from the first business's records (None: no path id).
ROUTES: dict = {
    "auth-logout": None,
    "auth-me": None,
    "members": None,
    "member-detail": lambda records: {"pk": records["membership"].pk},
    "invitation-list": None,
    "invitation-accept": lambda records: {"pk": records["invitation"].pk},
    "invitation-decline": lambda records: {"pk": records["invitation"].pk},
    "inventory-report": None,
    "inventory-adjust-stock": None,
    "product-list": None,
    "product-detail": lambda records: {"pk": records["product"].pk},
    "stock-alert-list": None,
    "stock-alert-detail": lambda records: {"pk": records["alert"].pk},
    "stock-alert-acknowledge": lambda records: {"pk": records["alert"].pk},
    "stock-movement-list": None,
    "stock-movement-detail": lambda records: {"pk": records["movement"].pk},
    "transaction-list": None,
    "transaction-detail": lambda records: {"pk": records["transaction"].pk},
    "customer-list": None,
    "customer-detail": lambda records: {"pk": records["customer"].pk},
    "customer-segments": None,
    "customer-refresh": None,
    "customer-score-run-detail": lambda records: {"pk": records["score_run"].pk},
    "upload-transactions": None,
    "upload-inventory": None,
    "upload-list": None,
    "upload-detail": lambda records: {"pk": records["upload"].pk},
    "upload-retry": lambda records: {"pk": records["upload"].pk},
    "staff-uploads-failed": None,
    "staff-uploads-status": None,
    "forecast-summary": None,
    "forecast-refresh": None,
    "forecast-run-list": None,
    "forecast-run-detail": lambda records: {"pk": records["forecast_run"].pk},
    "forecast-detail": lambda records: {"product_id": records["product"].pk},
    "recommendation-list": None,
    "recommendation-detail": lambda records: {"pk": records["recommendation"].pk},
    "pricing-suggestion-list": None,
    "campaign-plan": None,
    "campaign-generate": None,
    "upload-receipt": None,
    "receipt-list": None,
    "receipt-detail": lambda records: {"pk": records["receipt"].pk},
    "receipt-confirm": lambda records: {"pk": records["receipt"].pk},
    "receipt-reject": lambda records: {"pk": records["receipt"].pk},
    "receipt-retry": lambda records: {"pk": records["failed_receipt"].pk},
    "analytics-overview": None,
    "analytics-sales-trend": None,
    "analytics-categories": None,
    "analytics-top-products": None,
    "analytics-regions": None,
    "integrity": None,
    "integrity-proof": lambda records: {"upload_id": records["upload"].pk},
}


def api_routes():
    """(name, methods) for every named route under /api/, from the resolver itself."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    for route, pattern in walk(get_resolver().url_patterns):
        if not route.startswith("api/") or pattern.name in PUBLIC:
            continue
        view = pattern.callback.cls
        actions = getattr(pattern.callback, "actions", None) or {
            method: method for method in ("get", "post", "put", "patch", "delete") if hasattr(view, method)
        }
        methods = sorted(
            method for method in actions if method in view.http_method_names and method != "head"
        )
        yield pattern.name, route, methods


def fingerprint(business) -> str:
    """A digest of every row that belongs to the business, in every model with a business."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        field_names = {field.name for field in model._meta.concrete_fields}
        if "business" not in field_names:
            continue
        manager = model.objects
        queryset = (
            manager.for_business(business)
            if hasattr(manager, "for_business")
            else manager.filter(business=business)
        )
        rows = list(queryset.order_by("pk").values())
        digest.update(f"{model._meta.label}:{json.dumps(rows, default=str, sort_keys=True)}".encode())
    return digest.hexdigest()


def body_with_foreign_ids(records) -> dict:
    """A request body that names the first business's records wherever a field could take an id."""
    product, customer = records["product"], records["customer"]
    return {
        "product": product.pk,
        "product_id": product.pk,
        "customer": customer.pk,
        "change": -1,
        "quantity": 1,
        "sku": "INTRUDER-1",
        "name": "Intruder",
        "email": "nobody-here@example.com",
        "role": "viewer",
        "status": "dismissed",
        "id": records["campaign"].pk,
        "refresh": "not-a-token",
        "business": records["product"].business_id,
    }


def call(client, method: str, url: str, records):
    """One request; writes carry a body naming the first business's records (a GET carries none)."""
    if method == "get":
        return client.get(url)
    return getattr(client, method)(url, body_with_foreign_ids(records), format="json")


@pytest.mark.django_db
def test_every_api_route_is_registered_with_the_sweep():
    names = {name for name, _, _ in api_routes()}

    assert names - set(ROUTES) == set(), "new routes: add them to ROUTES in tests/test_tenancy_sweep.py"


@pytest.mark.django_db
def test_another_business_gets_404_and_changes_nothing():
    first = build_first_business()
    second = BusinessFactory(name="Second Shop")
    intruder = MembershipFactory(business=second, role=Role.OWNER).user
    client = auth_client(intruder, second)
    before = fingerprint(first.business)
    checked = 0

    for name, _, methods in api_routes():
        path_kwargs = ROUTES[name]
        url = reverse(name, kwargs=path_kwargs(first.records) if path_kwargs else None)
        for method in methods:
            response = call(client, method, url, first.records)
            checked += 1
            if path_kwargs:
                assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
            else:
                assert response.status_code < 500, f"{method.upper()} {url} answered {response.status_code}"
            assert MARKER.lower() not in response.content.decode().lower(), f"{method.upper()} {url} leaked"
            assert fingerprint(first.business) == before, f"{method.upper()} {url} changed the first business"

    assert checked >= len(ROUTES)


@pytest.mark.django_db
def test_naming_a_business_you_are_not_in_is_403_everywhere():
    first = build_first_business()
    intruder = MembershipFactory(role=Role.OWNER).user
    client = auth_client(intruder, first.business)
    before = fingerprint(first.business)

    for name, _, methods in api_routes():
        if name in USER_SCOPED:  # about the user, not a business
            continue
        path_kwargs = ROUTES[name]
        url = reverse(name, kwargs=path_kwargs(first.records) if path_kwargs else None)
        for method in methods:
            response = call(client, method, url, first.records)
            assert response.status_code == 403, f"{method.upper()} {url} answered {response.status_code}"

    assert fingerprint(first.business) == before


@pytest.mark.django_db
def test_user_scoped_routes_give_another_user_404_on_their_records():
    first = build_first_business()
    # A member of the inviting business, even its owner, is not the invited person.
    members = [first.owner, MembershipFactory(business=first.business, role=Role.VIEWER).user]
    stranger = MembershipFactory(role=Role.OWNER).user
    before = fingerprint(first.business)

    for user in [*members, stranger]:
        for business in (None, first.business):
            client = auth_client(user, business)
            for name, _, methods in api_routes():
                if name not in USER_SCOPED or not ROUTES[name]:
                    continue
                url = reverse(name, kwargs=ROUTES[name](first.records))
                for method in methods:
                    response = call(client, method, url, first.records)
                    assert response.status_code == 404, (
                        f"{method.upper()} {url} answered {response.status_code}"
                    )
            assert MARKER.lower() not in client.get(reverse("invitation-list")).content.decode().lower()

    assert fingerprint(first.business) == before


@pytest.mark.django_db
def test_a_viewer_is_refused_every_write():
    first = build_first_business()
    viewer = MembershipFactory(business=first.business, role=Role.VIEWER).user
    client = auth_client(viewer, first.business)
    before = fingerprint(first.business)

    for name, _, methods in api_routes():
        if name in USER_SCOPED:
            continue
        path_kwargs = ROUTES[name]
        url = reverse(name, kwargs=path_kwargs(first.records) if path_kwargs else None)
        for method in set(methods) - {"get"}:
            response = call(client, method, url, first.records)
            assert response.status_code == 403, f"{method.upper()} {url} answered {response.status_code}"

    assert fingerprint(first.business) == before
