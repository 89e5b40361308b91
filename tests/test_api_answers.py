"""Every answer under /api/ is JSON, and carries the API's security headers; CORS lets a browser client
send the headers the contract defines."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings

from project import urls
from project.common.exceptions import api_server_error
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

FRONTEND = "http://localhost:3000"


def assert_json(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/nothing-here/",
        "/api/data/inventory/products/abc/",
        "/api/business/members/abc/",
        "/api/data/forecast/not-a-product/",
        "/api/data/customers/runs/x/",
    ],
)
def test_unknown_urls_and_non_numeric_ids_are_json_404s(api, path):
    body = assert_json(api.get(path), 404)

    assert body == {"detail": "Not found."}


def test_pages_outside_the_api_keep_django_s_own_404(api):
    response = api.get("/not-the-api/")

    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_a_method_the_route_does_not_have_is_a_json_405(api):
    assert_json(api.put("/api/data/inventory/report/", {}, format="json"), 405)


def test_a_browser_asking_for_html_still_gets_json(api):
    response = api.get(
        "/api/data/inventory/products/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8"
    )

    assert_json(response, 200)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_an_oversized_form_body_is_a_json_413(api):
    response = api.post(
        "/api/data/upload/transactions/",
        {"file": SimpleUploadedFile("s.csv", b"a,b\n"), "column_map": '{"sku": "' + "x" * 4096 + '"}'},
        format="multipart",
    )

    assert_json(response, 413)


def test_an_unhandled_error_under_the_api_is_a_json_500():
    assert urls.handler500 == "project.common.exceptions.api_server_error"

    response = api_server_error(RequestFactory().get("/api/data/transactions/"))

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"


@override_settings(LOGIN_FAILURES_PER_ACCOUNT=1, LOGIN_FAILURES_PER_ADDRESS=100)
def test_a_429_is_json_and_says_when_to_retry(anonymous):
    UserFactory(email="ada@example.com")
    credentials = {"email": "ada@example.com", "password": "wrong"}
    anonymous.post("/api/auth/login/", credentials, format="json")

    response = anonymous.post("/api/auth/login/", credentials, format="json")

    assert_json(response, 429)
    assert int(response["Retry-After"]) > 0


def test_json_answers_have_a_strict_csp_no_store_and_no_server_version(api):
    response = api.get("/api/data/inventory/products/")

    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response["Cache-Control"] == "no-store"
    assert response["Server"] == "smart-market"


def test_token_answers_are_not_cached(anonymous):
    UserFactory(email="ada@example.com")

    response = anonymous.post(
        "/api/auth/login/", {"email": "ada@example.com", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_the_swagger_page_has_its_own_csp_and_no_inline_script(anonymous):
    response = anonymous.get("/api/docs/")

    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    page = response.content.decode()
    assert "<script>" not in page.replace(" ", "")  # every script is a file the CSP allows


def test_the_cors_preflight_allows_the_business_and_idempotency_headers(anonymous):
    response = anonymous.options(
        "/api/data/transactions/",
        HTTP_ORIGIN=FRONTEND,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, x-business-id, idempotency-key",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    allowed = {header.strip() for header in response["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-business-id", "idempotency-key"} <= allowed


def test_a_browser_client_can_read_retry_after(anonymous):
    response = anonymous.get("/api/health/", HTTP_ORIGIN=FRONTEND)

    assert "retry-after" in response["Access-Control-Expose-Headers"].lower()
