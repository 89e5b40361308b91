"""``GET /api/health/``: can we reach the database, the cache and the broker?"""

from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    cache.set("health-check", "ok", timeout=10)
    if cache.get("health-check") != "ok":
        raise RuntimeError("the cache did not return what was stored")
    return "ok"


def _check_broker() -> str:
    from project.celery import app

    with app.connection_for_write() as connection_:
        connection_.ensure_connection(max_retries=1, timeout=2)
    return "ok"


class HealthView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(responses={200: dict, 503: dict})
    def get(self, request):
        checks = {}
        healthy = True
        for name, check in (
            ("database", _check_database),
            ("cache", _check_cache),
            ("broker", _check_broker),
        ):
            try:
                checks[name] = check()
            except Exception as error:  # a health check reports every failure instead of raising it
                checks[name] = f"error: {error.__class__.__name__}: {error}"
                healthy = False
        return Response({"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503)
