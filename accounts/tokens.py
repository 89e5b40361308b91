"""Token families: one login's refresh tokens and every access token minted from them, revoked together.

A login starts a family: its id (claim ``sid``) is the jti of the login's first refresh token and is
copied into every rotated refresh token and every access token. Revoking a family (logout, or an old
refresh token presented again, which means someone else holds a copy) blacklists every outstanding
refresh token of the family in the database and marks the family revoked in the cache for one access
token lifetime, which is as long as any of its access tokens can live.

Why a family mark rather than a per-user "valid after" stamp or a jti denylist: a stamp ends every
session of the user when one device logs out (and rounds to whole seconds, so a login right after a
logout is refused); a jti denylist cannot reach the access tokens an attacker minted with a stolen
refresh token. A family mark does both, for one cache read per request.

While the cache is unreachable the mark cannot be read: access tokens are then accepted (with a log
line) rather than every request failing; revoked refresh tokens stay refused, from the database.
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from project.common.cache import log_cache_unreachable

logger = logging.getLogger(__name__)

FAMILY_CLAIM = "sid"


class FamilyRefreshToken(RefreshToken):
    """A refresh token that starts a family; its access tokens and rotations inherit the family id."""

    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        token[FAMILY_CLAIM] = token[api_settings.JTI_CLAIM]
        return token


def token_family(payload: dict) -> str:
    """The family of a token's payload; a token from before families is a family of its own."""
    return str(payload.get(FAMILY_CLAIM) or payload[api_settings.JTI_CLAIM])


def _revoked_key(family: str) -> str:
    return f"token-family-revoked:{family}"


def token_family_revoke(*, user_id, family: str) -> int:
    """Blacklist every outstanding refresh token of the family and refuse its access tokens from now on.

    Returns how many refresh tokens were blacklisted by this call.
    """
    outstanding = OutstandingToken.objects.filter(
        user_id=user_id, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    ).only("pk", "jti", "token")
    # The stored strings were signed by us; only their family claim is read here.
    members = [
        row for row in outstanding if token_family(token_backend.decode(row.token, verify=False)) == family
    ]
    with transaction.atomic():
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=row) for row in members], ignore_conflicts=True
        )
    leeway = api_settings.LEEWAY
    leeway = leeway if isinstance(leeway, timedelta) else timedelta(seconds=leeway)
    lifetime = int((api_settings.ACCESS_TOKEN_LIFETIME + leeway).total_seconds()) + 1
    try:
        cache.set(_revoked_key(family), 1, timeout=lifetime)
    except Exception as error:  # the refresh tokens are revoked; access tokens expire on their own
        logger.error("Token family %s: access tokens stay valid until they expire: %s", family, error)
    return len(members)


def token_family_is_revoked(payload: dict) -> bool:
    """Whether the token's family was revoked: one cache read; unknown (False) while the cache is down.

    A token from before families is its own family, so logging out still refuses that access token.
    """
    try:
        return cache.get(_revoked_key(token_family(payload))) is not None
    except Exception as error:  # the cache is down: accept the signed token rather than fail every request
        log_cache_unreachable(logger, "access tokens are accepted without the revocation check", error)
        return False
