"""The integrity ledger's routes, under ``/api/data/integrity/`` (included by ``data/urls.py``)."""

from django.urls import path

from apps.analytics import views

urlpatterns = [
    path("", views.IntegrityView.as_view(), name="integrity"),
    path("<int:upload_id>/proof/", views.IntegrityProofView.as_view(), name="integrity-proof"),
]
