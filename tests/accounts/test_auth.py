"""Registration, login, token rotation, logout and the JWT lifecycle."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Business, Membership, Role, User
from tests.concurrency import run_at_once
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


def me(access):
    return APIClient().get("/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {access}")


def refresh(token):
    return APIClient().post("/api/auth/refresh/", {"refresh": token}, format="json")


def test_an_access_token_stops_working_after_logout_and_other_logins_go_on(anonymous):
    UserFactory(email="ada@example.com")
    laptop = login(anonymous, "ada@example.com").json()
    phone = login(APIClient(), "ada@example.com").json()
    assert me(laptop["access"]).status_code == 200

    logout = APIClient()
    logout.credentials(HTTP_AUTHORIZATION=f"Bearer {laptop['access']}")
    assert logout.post("/api/auth/logout/", {"refresh": laptop["refresh"]}, format="json").status_code == 205

    assert me(laptop["access"]).status_code == 401
    assert me(phone["access"]).status_code == 200
    assert refresh(phone["refresh"]).status_code == 200


def test_logout_also_refuses_an_access_token_from_before_token_families(owner):
    legacy = RefreshToken.for_user(owner)  # no family claim: issued before this release
    access = str(legacy.access_token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    assert client.post("/api/auth/logout/", {"refresh": str(legacy)}, format="json").status_code == 205

    assert me(access).status_code == 401


def test_reusing_a_rotated_refresh_token_revokes_its_whole_login(anonymous):
    UserFactory(email="ada@example.com")
    first = login(anonymous, "ada@example.com").json()
    other_login = login(APIClient(), "ada@example.com").json()
    rotated = refresh(first["refresh"]).json()
    assert me(rotated["access"]).status_code == 200

    # Someone presents the old refresh token again: a copy exists, so the whole login is revoked.
    assert refresh(first["refresh"]).status_code == 401

    assert refresh(rotated["refresh"]).status_code == 401
    assert me(rotated["access"]).status_code == 401
    assert me(first["access"]).status_code == 401
    assert me(other_login["access"]).status_code == 200
    assert refresh(other_login["refresh"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_simultaneous_rotations_of_one_refresh_token_do_not_fork_the_login():
    UserFactory(email="ada@example.com")
    tokens = login(APIClient(), "ada@example.com").json()

    responses = run_at_once(4, lambda _: refresh(tokens["refresh"]))

    winners = [response.json() for response in responses if response.status_code == 200]
    assert len(winners) <= 1
    assert all(response.status_code in {200, 401} for response in responses)
    # The others were reuses: the login is revoked, the winner's new tokens with it.
    for winner in winners:
        assert refresh(winner["refresh"]).status_code == 401
        assert me(winner["access"]).status_code == 401


def test_login_ignores_the_case_of_the_email(anonymous):
    UserFactory(email="demo@smartmarket.local")

    response = login(anonymous, "Demo@SmartMarket.local")

    assert response.status_code == 200


def test_emails_are_stored_normalised_whatever_path_writes_them():
    created = User.objects.create_user("  Ada@Example.COM ", PASSWORD)
    saved = User(email="Bob@Example.com")
    saved.save()

    assert User.objects.get(pk=created.pk).email == "ada@example.com"
    assert User.objects.get(pk=saved.pk).email == "bob@example.com"


def test_the_database_refuses_a_case_variant_of_a_taken_email():
    UserFactory(email="ada@example.com")
    other = UserFactory(email="other@example.com")

    with pytest.raises(IntegrityError):
        User.objects.filter(pk=other.pk).update(email="ADA@example.com")  # bypasses save()
