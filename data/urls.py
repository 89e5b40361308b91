from django.urls import include, path
from rest_framework.routers import SimpleRouter

from apps.churn.views import CustomerScoreRunViewSet, CustomerViewSet
from data import views

inventory = SimpleRouter()
inventory.register("products", views.ProductViewSet, basename="product")
inventory.register("alerts", views.StockAlertViewSet, basename="stock-alert")
inventory.register("movements", views.StockMovementViewSet, basename="stock-movement")

records = SimpleRouter()
records.register("transactions", views.TransactionViewSet, basename="transaction")
records.register("customers", CustomerViewSet, basename="customer")
records.register("uploads", views.UploadViewSet, basename="upload")
records.register("receipts", views.ReceiptViewSet, basename="receipt")

urlpatterns = [
    path("inventory/report/", views.InventoryReportView.as_view(), name="inventory-report"),
    path("inventory/adjust-stock/", views.StockAdjustView.as_view(), name="inventory-adjust-stock"),
    path("inventory/", include(inventory.urls)),
    path("upload/transactions/", views.TransactionUploadView.as_view(), name="upload-transactions"),
    path("upload/inventory/", views.InventoryUploadView.as_view(), name="upload-inventory"),
    path("upload/receipt/", views.ReceiptUploadView.as_view(), name="upload-receipt"),
    path("forecast/", include("apps.forecasting.urls")),
    path("integrity/", include("apps.analytics.integrity_urls")),
    path(
        "customers/runs/<int:pk>/",
        CustomerScoreRunViewSet.as_view({"get": "retrieve"}),
        name="customer-score-run-detail",
    ),
    path("", include(records.urls)),
]
