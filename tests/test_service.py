"""Health, the OpenAPI schema and the Swagger UI."""

import pytest

pytestmark = pytest.mark.django_db


def test_health_reports_database_cache_and_broker(anonymous):
    response = anonymous.get("/api/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["broker"].startswith("ok")


def test_schema_is_openapi_3_and_lists_the_contract_paths(anonymous):
    response = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in [
        "/api/auth/register/",
        "/api/auth/login/",
        "/api/data/inventory/products/{id}/",
        "/api/data/inventory/adjust-stock/",
        "/api/data/transactions/",
        "/api/data/customers/",
    ]:
        assert path in schema["paths"]


def test_swagger_ui_is_served_without_a_cdn(anonymous):
    response = anonymous.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn." not in page and "unpkg" not in page


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/data/inventory/products/999999/")

    assert response.status_code == 404
    assert list(response.json()) == ["detail"]
