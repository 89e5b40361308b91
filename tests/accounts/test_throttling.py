"""Throttling of logins (API and admin) and registrations: atomic, per account and client, fail-safe."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.throttling import DEVICE_COOKIE, fallback_counters
from tests.concurrency import run_at_once
from tests.factories import PASSWORD, UserFactory

LOGIN = "/api/auth/login/"
ATTACKER = "203.0.113.66"
OWNER_HOME = "198.51.100.7"
DEAD_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Nothing listens on port 1: every cache call fails at once, as when Redis is down.
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture(autouse=True)
def clear_counters():
    cache.clear()
    fallback_counters.clear()
    yield
    cache.clear()
    fallback_counters.clear()


def login(client, email, password=PASSWORD, address=ATTACKER, **headers):
    return client.post(
        LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=address, **headers
    )


def guess(client, email, times, address=ATTACKER):
    return [login(client, email, "wrong-password", address).status_code for _ in range(times)]


@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_FAILURES_PER_PAIR=5)
def test_simultaneous_wrong_passwords_check_only_the_limit():
    UserFactory(email="ada@example.com")

    responses = run_at_once(24, lambda _: login(APIClient(), "ada@example.com", "wrong-password"))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [401] * 5 + [429] * 19
    for response in responses:
        if response.status_code == 429:
            assert 0 < int(response["Retry-After"]) <= 15 * 60
            assert "detail" in response.json()


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=3)
def test_a_guesser_elsewhere_cannot_lock_the_owner_out(anonymous):
    UserFactory(email="ada@example.com")

    assert guess(anonymous, "ada@example.com", 4) == [401, 401, 401, 429]
    # The guesser's own pair stays refused, even with the right password...
    assert login(anonymous, "ada@example.com").status_code == 429
    # ...while the owner, from anywhere else, logs in.
    assert login(anonymous, "ada@example.com", address=OWNER_HOME).status_code == 200


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=3, LOGIN_FAILURES_PER_ADDRESS=3)
def test_one_address_guessing_many_accounts_is_throttled(anonymous):
    UserFactory(email="ada@example.com")

    statuses = [login(anonymous, f"guess{number}@example.com", "wrong").status_code for number in range(3)]

    assert statuses == [401, 401, 401]
    assert login(anonymous, "ada@example.com").status_code == 429


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=3, LOGIN_FAILURES_PER_ACCOUNT=4)
def test_a_known_address_gets_through_a_distributed_guess(anonymous):
    UserFactory(email="ada@example.com")
    assert login(anonymous, "ada@example.com", address=OWNER_HOME).status_code == 200

    for number in range(4):  # four guessers, one guess each: the account bucket fills
        assert guess(APIClient(), "ada@example.com", 1, address=f"192.0.2.{number + 1}") == [401]

    assert login(APIClient(), "ada@example.com", address="192.0.2.200").status_code == 429
    assert login(APIClient(), "ada@example.com", address=OWNER_HOME).status_code == 200


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=3, LOGIN_FAILURES_PER_ADDRESS=3)
def test_a_known_device_gets_through_from_the_guessers_own_address():
    UserFactory(email="ada@example.com")
    owner = APIClient()
    first = login(owner, "ada@example.com", address="192.0.2.10")
    assert first.status_code == 200
    assert DEVICE_COOKIE in first.cookies

    # Someone behind the same shared address fills both the pair and the address bucket.
    assert guess(APIClient(), "ada@example.com", 4) == [401, 401, 401, 429]
    assert login(APIClient(), "ada@example.com").status_code == 429

    # The owner's browser carries the device cookie: its own pair, untouched by the guesses.
    assert login(owner, "ada@example.com").status_code == 200


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=3)
def test_a_device_cookie_of_another_account_or_forged_is_not_known(anonymous):
    UserFactory(email="ada@example.com")
    UserFactory(email="bob@example.com")
    bob_browser = APIClient()
    assert login(bob_browser, "bob@example.com", address="192.0.2.10").status_code == 200
    assert guess(APIClient(), "ada@example.com", 4) == [401, 401, 401, 429]

    assert login(bob_browser, "ada@example.com").status_code == 429
    forged = APIClient()
    forged.cookies[DEVICE_COOKIE] = "forged-value"
    assert login(forged, "ada@example.com").status_code == 429


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=3)
def test_a_right_password_forgets_the_pair_failures(anonymous):
    UserFactory(email="ada@example.com")

    assert guess(anonymous, "ada@example.com", 2) == [401, 401]
    assert login(anonymous, "ada@example.com").status_code == 200
    assert guess(APIClient(), "ada@example.com", 3) == [401, 401, 401]


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=3, TRUSTED_PROXY_HEADER="X-Forwarded-For", TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_each_client_has_its_own_address():
    UserFactory(email="ada@example.com")
    proxy = "10.0.0.2"

    # The guesser's first entry is a lie it chose; the proxy appended the address it really came from.
    guesser = {"HTTP_X_FORWARDED_FOR": f"{OWNER_HOME}, {ATTACKER}"}
    statuses = [
        login(APIClient(), "ada@example.com", "wrong", proxy, **guesser).status_code for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]

    owner = {"HTTP_X_FORWARDED_FOR": OWNER_HOME}
    assert login(APIClient(), "ada@example.com", address=proxy, **owner).status_code == 200


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=3)
def test_without_the_setting_a_forwarded_header_is_not_believed():
    UserFactory(email="ada@example.com")

    for number in range(3):
        spoofed = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{number}"}
        assert login(APIClient(), "ada@example.com", "wrong", **spoofed).status_code == 401

    assert (
        login(APIClient(), "ada@example.com", "wrong", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
    )


@pytest.mark.django_db
@override_settings(LOGIN_FAILURES_PER_PAIR=5)
def test_the_admin_login_is_throttled_the_same_way():
    User.objects.create_superuser("root@example.com", PASSWORD)
    guesser = Client(REMOTE_ADDR=ATTACKER)

    statuses = [
        guesser.post("/admin/login/", {"username": "root@example.com", "password": "wrong"}).status_code
        for _ in range(12)
    ]
    right = guesser.post("/admin/login/", {"username": "root@example.com", "password": PASSWORD})

    assert statuses == [200] * 5 + [429] * 7  # the admin answers a wrong password with its form again
    assert right.status_code == 429
    assert 0 < int(right["Retry-After"]) <= 15 * 60
    assert "_auth_user_id" not in guesser.session

    owner = Client(REMOTE_ADDR=OWNER_HOME)
    logged_in = owner.post("/admin/login/", {"username": "ROOT@example.com", "password": PASSWORD})
    assert logged_in.status_code == 302
    assert owner.session["_auth_user_id"] == str(User.objects.get().pk)


@pytest.mark.django_db(transaction=True)
@override_settings(LOGIN_FAILURES_PER_PAIR=5)
def test_simultaneous_admin_guesses_check_only_the_limit():
    User.objects.create_superuser("root@example.com", PASSWORD)

    responses = run_at_once(
        16,
        lambda _: Client(REMOTE_ADDR=ATTACKER).post(
            "/admin/login/", {"username": "root@example.com", "password": "wrong"}
        ),
    )

    assert sorted(response.status_code for response in responses) == [200] * 5 + [429] * 11


@pytest.mark.django_db
@override_settings(REGISTRATIONS_PER_ADDRESS=3)
def test_registration_is_rate_limited_per_address(anonymous):
    def register(number, address=ATTACKER):
        body = {"email": f"new{number}@example.com", "password": PASSWORD, "business_name": "Shop"}
        return anonymous.post("/api/auth/register/", body, format="json", REMOTE_ADDR=address)

    statuses = [register(number).status_code for number in range(4)]

    assert statuses == [201, 201, 201, 429]
    assert int(register(9)["Retry-After"]) > 0
    assert not User.objects.filter(email__in=["new3@example.com", "new9@example.com"]).exists()
    assert register(10, address=OWNER_HOME).status_code == 201


@pytest.mark.django_db
@override_settings(CACHES=DEAD_CACHE, LOGIN_FAILURES_PER_PAIR=3)
def test_login_works_while_the_cache_is_down(anonymous, caplog, monkeypatch):
    UserFactory(email="ada@example.com")
    monkeypatch.setattr("project.common.cache._last_logged", {})  # say it again even if said a moment ago

    tokens = login(anonymous, "Ada@example.com")

    assert tokens.status_code == 200
    me = anonymous.get("/api/auth/me/", HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    assert me.status_code == 200
    # Counting goes on in this process's memory: guessing is still bounded.
    assert guess(anonymous, "ada@example.com", 4) == [401, 401, 401, 429]
    assert "The cache is unreachable" in caplog.text
