"""The OpenAPI schema tells the truth about what every operation answers and needs.

drf-spectacular documents the happy path. This schema class adds, per operation, what the API really
does besides (the errors of ``project/common/exceptions.py``, all rendered as :class:`ErrorSerializer`):

* ``X-Business-ID`` on every tenant operation (views that declare ``business_header``), so Swagger UI
  and generated clients can act for one of several businesses;
* ``security: []`` on operations that need no token (register, login, refresh, health, schema):
  the project-wide ``SECURITY`` setting would otherwise mark them as needing one;
* 400 where input is read, 401 where a token is needed (or checked: login, refresh), 403 on tenant and
  role-checked operations, 404 where the path names a record, a tenant resolves the business or a list
  is paginated, 413 where a body is read, and 429 with ``Retry-After`` on operations that declare
  ``throttled = True``;
* the exact input patterns of :mod:`project.common.fields` (decimal strings, non-zero integers).
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers
from rest_framework_simplejwt.views import TokenViewBase

from project.common.fields import NonZeroIntegerField, StrictDecimalField

# A record id: what every id filter, path id and X-Business-ID accepts (PostgreSQL bigint, from 1).
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


class ErrorSerializer(serializers.Serializer):
    """``{"detail": "message"}``, or ``{"field": ["message", ...]}`` naming each offending field."""

    detail = serializers.CharField(required=False)

    class Meta:
        ref_name = "Error"


ERROR_DESCRIPTIONS = {
    "400": "Bad input: `detail`, or the offending fields each with their messages.",
    "401": "No valid access token.",
    "403": "Not a member of the business named by X-Business-ID, or the role does not allow this.",
    "404": "No such record in the caller's business (another business's records do not exist).",
    "413": "The request body is too large.",
    "429": "Too many attempts: retry after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}


class AutoSchema(openapi.AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, StrictDecimalField) and direction == "request":
            schema["pattern"] = field.pattern
            schema.pop("maximum", None), schema.pop("minimum", None)
        if isinstance(field, NonZeroIntegerField):
            schema["not"] = {"enum": [0]}
        if isinstance(field, serializers.PrimaryKeyRelatedField) and direction == "request":
            schema.update({key: value for key, value in ID_SCHEMA.items() if key != "type"})
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response":
            # Input bounds are for what a request may set; a stored value may have grown past them
            # (stock after many receipts), and an answer reports what is stored.
            for field_schema in schema.get("properties", {}).values():
                for bound in ("minimum", "maximum", "maxLength", "minLength"):
                    field_schema.pop(bound, None)
        return schema

    def map_parsers(self):
        # Bodies are documented as JSON wherever JSON is accepted (forms are accepted too, for
        # browsers, but cannot say null); uploads, which take only forms, document multipart.
        media_types = super().map_parsers()
        return ["application/json"] if "application/json" in media_types else media_types

    def _get_filter_parameters(self):
        # django-filter reads an empty value (``?start=``) as "no filter": the schema says so.
        parameters = super()._get_filter_parameters()
        for parameter in parameters:
            parameter["schema"] = {"anyOf": [parameter["schema"], {"type": "string", "enum": [""]}]}
        return parameters

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        header = getattr(self.view, "business_header", None)
        if header:
            parameters.append(
                OpenApiParameter(
                    header,
                    ID_SCHEMA,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="The business to act for: required when the user belongs to several.",
                )
            )
        return parameters

    def _needs_no_token(self) -> bool:
        permission_classes = [permission.__class__ for permission in self.view.get_permissions()]
        return not permission_classes or permissions.AllowAny in permission_classes

    def get_auth(self):
        if self._needs_no_token():
            return []
        return super().get_auth()

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        if self._needs_no_token():
            operation["security"] = []
        error = self.resolve_serializer(ErrorSerializer, "response").ref
        codes = []
        reads_input = "requestBody" in operation or any(
            parameter["in"] in {"query", "header"} for parameter in operation.get("parameters", [])
        )
        if reads_input or self.method in {"POST", "PUT", "PATCH"}:
            codes.append("400")
        if not self._needs_no_token() or isinstance(self.view, TokenViewBase):
            codes.append("401")  # token views check the credentials they are sent
        role_checked = getattr(self.view, "business_header", None) or any(
            not isinstance(permission, permissions.IsAuthenticated)
            for permission in self.view.get_permissions()
        )
        if role_checked and not self._needs_no_token():
            codes.append("403")
        paginated = self.method == "GET" and self._is_list_view() and self._get_paginator()
        if "{" in path or getattr(self.view, "business_header", None) or paginated:
            codes.append("404")  # a paginated list answers 404 for a page past its end
        if "requestBody" in operation:
            codes.append("413")
        if getattr(self.view, "throttled", False):
            codes.append("429")
        responses = operation["responses"]
        for code in codes:
            if code not in responses:
                responses[code] = {
                    "content": {"application/json": {"schema": error}},
                    "description": ERROR_DESCRIPTIONS[code],
                }
            if code == "429":
                responses[code]["headers"] = RETRY_AFTER
        return operation
