from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from data.views import StaffFailedUploadsView, StaffUploadStatusView
from project.common.health import HealthView

api = [
    path("", include("accounts.urls")),
    path("data/", include("data.urls")),
    path("data/", include("apps.advice.urls")),
    path("analytics/", include("apps.analytics.urls")),
    path("admin/uploads/failed/", StaffFailedUploadsView.as_view(), name="staff-uploads-failed"),
    path("admin/uploads/status/", StaffUploadStatusView.as_view(), name="staff-uploads-status"),
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

# Under /api/ every answer is JSON, the ones Django gives outside DRF included.
handler400 = "project.common.exceptions.api_bad_request"
handler403 = "project.common.exceptions.api_permission_denied"
handler404 = "project.common.exceptions.api_page_not_found"
handler500 = "project.common.exceptions.api_server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api)),
]
