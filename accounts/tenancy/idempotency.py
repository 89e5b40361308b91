"""``Idempotency-Key`` on every tenant POST: a retried request returns the first answer and does nothing.

A client that did not hear back (a timeout, a dropped connection) sends the same POST again with the same
key. The first request claims ``(user, business, key)`` in a row of its own, committed at once, so a
concurrent twin finds the claim (the unique constraint decides, not a check beforehand) and is told to
retry (409); once the first answer is known it is stored, and every later request with the key gets it
back unchanged, with ``Idempotent-Replayed: true``. Answers of 500 and above are not stored: the claim is
released, so the retry runs. The same key on a different request (another path or body) is a 400.
"""

import hashlib
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status

from accounts.tenancy.models import IdempotentRequest

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# A claim whose request never finished (its process died) stops blocking the key after this long.
CLAIM_EXPIRES_AFTER = timedelta(minutes=2)


class Replay(exceptions.APIException):
    """Raised before the view runs: the answer to this key is known, send it again."""

    def __init__(self, record: IdempotentRequest):
        super().__init__()
        self.record = record


class KeyInUse(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is still in progress: retry in a moment."


def _fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}".encode())
    # JSON bodies are part of the request's identity; a multipart upload's file is identified by its
    # own bytes already (the same file again returns the existing upload) and is not read twice here.
    if (request.content_type or "").startswith("application/json"):
        digest.update(request.body)
    return digest.hexdigest()


def idempotency_claim(request) -> IdempotentRequest | None:
    """Claim the request's key, or raise :class:`Replay` / :class:`KeyInUse`; None without a key."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError({HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} characters."]})
    fingerprint = _fingerprint(request)
    scope = {"user": request.user, "business": request.business, "key": key}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(**scope, fingerprint=fingerprint)
        except IntegrityError:
            existing = IdempotentRequest.objects.filter(**scope).first()
        if existing is None:  # released meanwhile: claim it again
            continue
        if existing.fingerprint != fingerprint:
            raise exceptions.ValidationError(
                {HEADER: ["This key was used for a different request: use a new key for a new request."]}
            )
        if existing.status_code is not None:
            raise Replay(existing)
        if existing.created_at > timezone.now() - CLAIM_EXPIRES_AFTER:
            raise KeyInUse()
        IdempotentRequest.objects.filter(pk=existing.pk, status_code__isnull=True).delete()
    raise KeyInUse()


def idempotency_store(record: IdempotentRequest, response) -> None:
    """Keep the answer for the key's retries; an answer of 500 or above releases the key instead."""
    if response.status_code >= 500:
        IdempotentRequest.objects.filter(pk=record.pk).delete()
        return
    record.status_code = response.status_code
    record.body = getattr(response, "data", None)
    try:
        record.save(update_fields=["status_code", "body"])
    except (TypeError, ValueError):  # an answer that is not JSON: release the key rather than fail
        logger.warning("Idempotency-Key %s: answer not storable, key released", record.key)
        IdempotentRequest.objects.filter(pk=record.pk).delete()


def replay_response(record: IdempotentRequest):
    from rest_framework.response import Response

    return Response(record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"})
