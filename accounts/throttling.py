"""Throttling of password logins (API and admin) and of registrations: one implementation for all three.

Counters live in the cache and are *reserved* before the password is checked: each attempt increments
its counters atomically (``add`` then ``incr``, never read-then-write) and is refused with 429 when a
counter passes its limit, so 24 simultaneous guesses against a limit of 5 check 5 passwords, not 24.

A login attempt is counted against three buckets:

- the account *and* client pair (``LOGIN_FAILURES_PER_PAIR``): an attacker elsewhere spends only their
  own pair, so they cannot lock the owner out;
- the client address across accounts (``LOGIN_FAILURES_PER_ADDRESS``): one address guessing many accounts;
- the account across addresses (``LOGIN_FAILURES_PER_ACCOUNT``): many addresses guessing one account.

A *known* client skips the last two and keeps only its own pair: a browser holding the signed device
cookie this module sets after a successful login for that account, or an address that logged in to that
account successfully within ``LOGIN_KNOWN_ADDRESS_LIFETIME``. A device's pair is keyed by the device, not
the address, so even a guesser behind the owner's own NAT does not spend it.

The client address is ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_HEADER`` names the header a trusted proxy
sets (``X-Forwarded-For``, counted from the right by ``TRUSTED_PROXY_COUNT``); IPv6 clients are grouped
by /64, which one host usually holds whole.

When the cache cannot be reached, counting falls back to this process's memory, with a log line: logins
keep working (a throttle is defence in depth, and a login that answers 500 while Redis restarts locks
everyone out), guessing stays bounded per process, and the database is not asked to carry counters
during the same outage.
"""

import contextlib
import hashlib
import ipaddress
import logging
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.exceptions import Throttled

from accounts.models import email_normalize
from project.common.cache import log_cache_unreachable

logger = logging.getLogger(__name__)

DEVICE_COOKIE = "sm_login_device"
_DEVICE_SALT = "accounts.throttling.login-device"

# Counters of this process, used only while the shared cache is unreachable (tests clear it too).
fallback_counters = LocMemCache("accounts-throttling-fallback", {"OPTIONS": {"MAX_ENTRIES": 50_000}})


def _cache_call(operation):
    """``operation(store)`` on the shared cache, or on this process's counters when it is down."""
    try:
        return operation(cache)
    except Exception as error:  # any cache failure degrades to local counting, never to a 500
        log_cache_unreachable(logger, "throttle counters fall back to this process's memory", error)
        return operation(fallback_counters)


@dataclass(frozen=True)
class Bucket:
    """A counter that lives ``window`` seconds from its first hit and refuses hits past ``limit``."""

    key: str
    limit: int
    window: int

    def hit(self) -> int:
        return _cache_call(self._hit)

    def _start(self, store) -> bool:
        """Create the counter at zero if it does not exist; whether this call created it."""
        created = store.add(self.key, 0, timeout=self.window)
        if created:
            store.set(f"{self.key}:reset", time.time() + self.window, timeout=self.window)
        return created

    def _hit(self, store) -> int:
        created = self._start(store)
        try:
            count = store.incr(self.key)
        except ValueError:  # expired between add and incr: this hit starts a new window
            created = self._start(store)
            count = store.incr(self.key)
        if count == 1 and not created:
            # Django's Redis incr is EXISTS then INCR: a key expiring in between comes back without a
            # timeout. Give it one, so that no counter can outlive its window.
            store.touch(self.key, self.window)
        return count

    def release(self) -> None:
        """Give back one hit (an attempt that was refused, or that turned out not to be a failure)."""

        def decrement(store):
            with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
                store.decr(self.key)

        _cache_call(decrement)

    def clear(self) -> None:
        _cache_call(lambda store: store.delete_many([self.key, f"{self.key}:reset"]))

    def retry_after(self) -> int:
        reset = _cache_call(lambda store: store.get(f"{self.key}:reset"))
        if reset is None:
            return self.window
        return max(1, math.ceil(reset - time.time()))


def buckets_reserve(buckets: list[Bucket]) -> None:
    """Count one attempt in every bucket, or in none: 429 with ``Retry-After`` when one is full.

    Buckets are hit in order and the first full one stops the walk, so a refused attempt never inflates
    a later bucket, even for a moment.
    """
    reserved = []
    for bucket in buckets:
        if bucket.hit() > bucket.limit:
            bucket.release()
            for earlier in reserved:
                earlier.release()
            raise Throttled(wait=bucket.retry_after(), detail="Too many attempts. Try again later.")
        reserved.append(bucket)


def client_address(request) -> str:
    """The client's address: ``REMOTE_ADDR``, or what the trusted proxy put in its header.

    Only the entry the nearest trusted proxy wrote is believed (``TRUSTED_PROXY_COUNT`` from the right):
    anything left of it is whatever the client chose to send.
    """
    raw = request.META.get("REMOTE_ADDR", "")
    header = settings.TRUSTED_PROXY_HEADER
    if header:
        values = [value.strip() for value in request.headers.get(header, "").split(",") if value.strip()]
        if values:
            raw = values[max(len(values) - settings.TRUSTED_PROXY_COUNT, 0)]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64] or "unknown"
    if address.version == 6:
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _account_key(email: str) -> str:
    # Cache keys carry a digest, not the address a guesser typed.
    return hashlib.sha256(email_normalize(email).encode()).hexdigest()[:32]


def _window(setting) -> int:
    return int(setting.total_seconds())


def registration_reserve(request) -> None:
    """Count a registration attempt from the client's address; 429 past ``REGISTRATIONS_PER_ADDRESS``."""
    buckets_reserve(
        [
            Bucket(
                f"register-throttle:address:{client_address(request)}",
                settings.REGISTRATIONS_PER_ADDRESS,
                _window(settings.REGISTRATION_WINDOW),
            )
        ]
    )


class LoginThrottle:
    """One password login attempt: ``reserve()`` before checking the password, then ``succeeded()``.

    A failure needs no call: the reserved hits stay counted. ``succeeded`` gives back the account and
    address hits, forgets the pair's failures and makes the client known for this account.
    """

    def __init__(self, *, request, email: str):
        self.request = request
        self.account = _account_key(email)
        self.address = client_address(request)
        self.device = self._device_from_cookie()
        client = f"device:{self.device}" if self.device else f"address:{self.address}"
        window = _window(settings.LOGIN_FAILURE_WINDOW)
        self.pair = Bucket(
            f"login-throttle:pair:{self.account}:{client}", settings.LOGIN_FAILURES_PER_PAIR, window
        )
        self.shared = []
        if not self.known:
            self.shared = [
                Bucket(f"login-throttle:address:{self.address}", settings.LOGIN_FAILURES_PER_ADDRESS, window),
                Bucket(f"login-throttle:account:{self.account}", settings.LOGIN_FAILURES_PER_ACCOUNT, window),
            ]

    @property
    def _known_address_key(self) -> str:
        return f"login-known-address:{self.account}:{self.address}"

    @property
    def known(self) -> bool:
        if self.device:
            return True
        return bool(_cache_call(lambda store: store.get(self._known_address_key)))

    def _device_from_cookie(self) -> str | None:
        raw = self.request.COOKIES.get(DEVICE_COOKIE)
        if not raw:
            return None
        try:
            value = signing.loads(
                raw, salt=_DEVICE_SALT, max_age=_window(settings.LOGIN_KNOWN_DEVICE_LIFETIME)
            )
        except signing.BadSignature:
            return None
        if not isinstance(value, dict) or value.get("account") != self.account:
            return None
        return str(value.get("device", "")) or None

    def reserve(self) -> None:
        """Count this attempt; raises ``Throttled`` (429, ``wait`` seconds) when a bucket is full."""
        buckets_reserve([self.pair, *self.shared])

    def succeeded(self, response) -> None:
        """The password was right: forget the pair's failures, remember the client, mark the browser."""
        self.pair.clear()
        for bucket in self.shared:
            bucket.release()
        lifetime = _window(settings.LOGIN_KNOWN_ADDRESS_LIFETIME)
        _cache_call(lambda store: store.set(self._known_address_key, 1, timeout=lifetime))
        device = self.device or secrets.token_urlsafe(16)
        response.set_cookie(
            DEVICE_COOKIE,
            signing.dumps({"account": self.account, "device": device}, salt=_DEVICE_SALT),
            max_age=_window(settings.LOGIN_KNOWN_DEVICE_LIFETIME),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Strict",
        )
