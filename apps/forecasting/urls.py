from django.urls import path

from apps.forecasting import views

urlpatterns = [
    path("summary/", views.ForecastSummaryView.as_view(), name="forecast-summary"),
    path("refresh/", views.ForecastRefreshView.as_view(), name="forecast-refresh"),
    path("runs/", views.ForecastRunViewSet.as_view({"get": "list"}), name="forecast-run-list"),
    path("runs/<int:pk>/", views.ForecastRunViewSet.as_view({"get": "retrieve"}), name="forecast-run-detail"),
    path("<int:product_id>/", views.ForecastDetailView.as_view(), name="forecast-detail"),
]
