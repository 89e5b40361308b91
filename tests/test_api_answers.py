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


@override_settings(LOGIN_FAILURES_PER_PAIR=1, LOGIN_FAILURES_PER_ADDRESS=100)
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


@pytest.mark.parametrize("value", ["", " ", "abc", "+1", "\u0661", "0", "9223372036854775808"])
def test_a_blank_or_malformed_business_header_is_a_400_not_no_header(api, value):
    response = api.get("/api/data/inventory/products/", HTTP_X_BUSINESS_ID=value)

    assert list(assert_json(response, 400)) == ["X-Business-ID"]


@pytest.mark.parametrize("value", ["0", "501", "abc", "-1", "1.5"])
def test_a_page_size_outside_1_to_500_is_a_400_naming_it(api, value):
    body = assert_json(api.get(f"/api/data/inventory/products/?page_size={value}"), 400)

    assert list(body) == ["page_size"]


def test_a_boolean_filter_refuses_what_is_not_a_boolean(api):
    assert_json(api.get("/api/data/inventory/alerts/?acknowledged=5572049072583012352"), 400)
    assert_json(api.get("/api/data/inventory/alerts/?acknowledged=true"), 200)


def test_deleting_a_product_with_sales_is_a_409_conflict(api, business):
    from tests.factories import ProductFactory, TransactionFactory

    product = ProductFactory(business=business)
    TransactionFactory(product=product)

    body = assert_json(api.delete(f"/api/data/inventory/products/{product.pk}/"), 409)
    assert "transactions" in str(body)


def test_the_schema_documents_errors_the_business_header_and_public_operations(anonymous):
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]

    products = paths["/api/data/inventory/products/"]["get"]
    assert {"400", "401", "403", "404"} <= set(products["responses"])
    header = next(p for p in products["parameters"] if p["name"] == "X-Business-ID")
    assert (header["in"], header.get("required", False), header["schema"]["minimum"]) == ("header", False, 1)
    for public in ["/api/auth/login/", "/api/auth/register/", "/api/auth/refresh/"]:
        assert paths[public]["post"]["security"] == []
        assert not any(p["name"] == "X-Business-ID" for p in paths[public]["post"].get("parameters", []))
    assert "Retry-After" in paths["/api/auth/login/"]["post"]["responses"]["429"]["headers"]
    summary = paths["/api/data/forecast/summary/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert summary["schema"]["$ref"].endswith("PaginatedForecastSummaryList")
    segment = schema["components"]["schemas"]["Customer"]["properties"]["segment"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in segment["oneOf"]
