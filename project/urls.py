from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

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
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api)),
]
