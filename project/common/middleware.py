"""Headers on every API answer: a strict Content-Security-Policy, no caching, no server version."""

from django.conf import settings

# A JSON answer loads nothing and is framed by nobody.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The Swagger UI page (SpectacularSwaggerSplitView: its script is a file of its own, not inline) loads
# its bundle and styles from our static files and calls the API on the same origin. Swagger UI sets
# style attributes, hence 'unsafe-inline' for styles only; its logos are data: URLs.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
SERVER_NAME = "smart-market"


class ApiHeadersMiddleware:
    """Security headers for answers under ``/api/``.

    * ``Content-Security-Policy``: :data:`API_CSP`, or :data:`DOCS_CSP` on the Swagger UI page.
    * ``Cache-Control: no-store``: API answers carry a business's books or tokens (login, refresh), so
      no browser or proxy keeps them; a view that set its own ``Cache-Control`` keeps it.
    * ``Server``: gunicorn sends ``gunicorn`` without a version; a server that would send its version
      (Django's development server: ``WSGIServer/0.2 CPython/3.11``) gets ours instead, which it then
      keeps. gunicorn adds its own header regardless, so ours is not added there (two would be sent).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.docs_path = settings.API_DOCS_PATH

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        response.headers.setdefault(
            "Content-Security-Policy", DOCS_CSP if request.path == self.docs_path else API_CSP
        )
        response.headers.setdefault("Cache-Control", "no-store")
        if not request.META.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
            response.headers["Server"] = SERVER_NAME
        return response
