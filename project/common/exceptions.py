"""One error vocabulary: domain errors are one exception family, rendered by one DRF handler.

Services raise :class:`ApplicationError` (or a subclass); views never build error responses by hand.
Django's own ``ValidationError`` and ``PermissionDenied`` are translated, so bad input is always a 400
that names the field, never a 500.

Every answer under ``/api/`` is JSON, also those Django gives before or after DRF runs (an unknown URL, a
body Django refuses, an unhandled error): ``project/urls.py`` installs the ``api_*`` handlers below,
which answer ``{"detail": ...}`` under ``/api/`` and leave the admin's HTML pages alone. A 429 always
says when to come back (``Retry-After``).
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A domain rule refused the request. ``field`` names the offending input when there is one."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}

    def as_data(self) -> dict:
        if self.field:
            return {self.field: [self.message], **self.extra}
        return {"detail": self.message, **self.extra}


class ConflictError(ApplicationError):
    """The record is not in a state that allows the action (e.g. retrying an upload that did not fail)."""

    status_code = status.HTTP_409_CONFLICT


class PayloadTooLarge(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge("The request body is too large.")
    if isinstance(exc, ApplicationError):
        return Response(exc.as_data(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, exceptions.Throttled) and exc.wait is None:
        exc.wait = settings.THROTTLE_RETRY_AFTER_SECONDS  # the header is promised even when unknown
    return drf_exception_handler(exc, context)


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _json(detail: str, status_code: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status_code)


def api_bad_request(request, exception, template_name="400.html"):
    if _api(request):
        if isinstance(exception, RequestDataTooBig):
            return _json("The request body is too large.", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        return _json("Bad request.", status.HTTP_400_BAD_REQUEST)
    return defaults.bad_request(request, exception, template_name)


def api_permission_denied(request, exception, template_name="403.html"):
    if _api(request):
        return _json("You do not have permission to perform this action.", status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception, template_name)


def api_page_not_found(request, exception, template_name="404.html"):
    if _api(request):
        return _json("Not found.", status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception, template_name)


def api_server_error(request, template_name="500.html"):
    if _api(request):
        return _json("Server error.", status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request, template_name)
