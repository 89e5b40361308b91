"""Fixtures shared by the whole suite."""

import os

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Role
from tests.factories import BusinessFactory, MembershipFactory, UserFactory

# CI sets this: a test that needs PostgreSQL or a real worker then fails instead of skipping.
SERVICES_REQUIRED = os.environ.get("SMART_MARKET_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    for item in items:
        if "postgres" in item.keywords:
            if SERVICES_REQUIRED:
                item.add_marker(
                    pytest.mark.xfail(reason="PostgreSQL required but not configured", strict=True)
                )
                raise pytest.UsageError("SMART_MARKET_REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL.")
            item.add_marker(skip)


def auth_client(user, business=None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    if business is not None:
        client.defaults["HTTP_X_BUSINESS_ID"] = str(business.pk)
    return client


@pytest.fixture
def business(db):
    return BusinessFactory(name="Corner Shop")


@pytest.fixture
def owner(business):
    return MembershipFactory(business=business, role=Role.OWNER).user


@pytest.fixture
def manager(business):
    return MembershipFactory(business=business, role=Role.MANAGER).user


@pytest.fixture
def viewer(business):
    return MembershipFactory(business=business, role=Role.VIEWER).user


@pytest.fixture
def api(owner, business) -> APIClient:
    """An owner's client acting for ``business``."""
    return auth_client(owner, business)


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def user_factory(db):
    return UserFactory
