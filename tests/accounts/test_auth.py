"""Registration, login, token rotation, logout and the JWT lifecycle."""

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts.models import Business, Membership, Role, User
from tests.conftest import auth_client
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clear_login_failures():
    cache.clear()
    yield
    cache.clear()


def login(client, email, password=PASSWORD):
    return client.post("/api/auth/login/", {"email": email, "password": password}, format="json")


def test_register_creates_user_business_and_owner_membership(anonymous):
    response = anonymous.post(
        "/api/auth/register/",
        {"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada", "business_name": "Ada's Teas"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "ada@example.com"
    assert body["business"]["name"] == "Ada's Teas"
    assert body["access"] and body["refresh"]
    membership = Membership.objects.get(user__email="ada@example.com")
    assert membership.role == Role.OWNER
    assert membership.business_id == body["business"]["id"]


def test_register_refuses_a_taken_email_and_changes_nothing(anonymous):
    UserFactory(email="taken@example.com")

    response = anonymous.post(
        "/api/auth/register/",
        {"email": "TAKEN@example.com", "password": PASSWORD, "name": "X", "business_name": "Y"},
        format="json",
    )

    assert response.status_code == 400
    assert "email" in response.json()
    assert User.objects.count() == 1
    assert Business.objects.count() == 0


def test_register_refuses_a_weak_password(anonymous):
    response = anonymous.post(
        "/api/auth/register/",
        {"email": "new@example.com", "password": "123", "name": "X", "business_name": "Y"},
        format="json",
    )

    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.filter(email="new@example.com").exists()


def test_login_returns_a_token_pair_and_bad_credentials_are_401(anonymous):
    UserFactory(email="ada@example.com")

    assert set(login(anonymous, "ada@example.com").json()) == {"access", "refresh"}
    assert login(anonymous, "ada@example.com", "wrong-password").status_code == 401
    assert login(anonymous, "nobody@example.com").status_code == 401


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=3, LOGIN_FAILURES_PER_ADDRESS=100)
def test_repeated_failed_logins_to_one_account_are_throttled(anonymous):
    UserFactory(email="ada@example.com")
    UserFactory(email="bob@example.com")

    statuses = [login(anonymous, "ada@example.com", "wrong").status_code for _ in range(4)]

    assert statuses == [401, 401, 401, 429]
    # Even the right password is refused while the account is throttled; other accounts are not.
    assert login(anonymous, "ada@example.com").status_code == 429
    assert login(anonymous, "bob@example.com").status_code == 200


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=100, LOGIN_FAILURES_PER_ADDRESS=3)
def test_failed_logins_from_one_address_across_accounts_are_throttled(anonymous):
    UserFactory(email="ada@example.com")

    statuses = [login(anonymous, f"guess{number}@example.com", "wrong").status_code for number in range(3)]

    assert statuses == [401, 401, 401]
    assert login(anonymous, "ada@example.com").status_code == 429


def test_refresh_rotates_and_the_old_refresh_token_is_then_refused(anonymous):
    UserFactory(email="ada@example.com")
    first = login(anonymous, "ada@example.com").json()

    rotated = anonymous.post("/api/auth/refresh/", {"refresh": first["refresh"]}, format="json")
    reused = anonymous.post("/api/auth/refresh/", {"refresh": first["refresh"]}, format="json")

    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first["refresh"]
    assert reused.status_code == 401


def test_logout_blacklists_the_refresh_token(anonymous):
    UserFactory(email="ada@example.com")
    tokens = login(anonymous, "ada@example.com").json()
    anonymous.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    response = anonymous.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 205
    refused = anonymous.post("/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refused.status_code == 401


def test_logout_with_a_garbage_token_is_400(api):
    response = api.post("/api/auth/logout/", {"refresh": "not-a-token"}, format="json")

    assert response.status_code == 400
    assert "refresh" in response.json()


def test_protected_routes_need_a_token(anonymous):
    assert anonymous.get("/api/auth/me/").status_code == 401
    assert anonymous.get("/api/data/inventory/products/").status_code == 401


def test_me_lists_memberships(owner, business):
    other = MembershipFactory(user=owner, role=Role.VIEWER).business

    body = auth_client(owner).get("/api/auth/me/").json()

    assert body["email"] == owner.email
    assert sorted((m["business"]["id"], m["role"]) for m in body["memberships"]) == sorted(
        [(business.pk, "owner"), (other.pk, "viewer")]
    )
