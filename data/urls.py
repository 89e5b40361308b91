from django.urls import include, path
from rest_framework.routers import SimpleRouter

from data import views

inventory = SimpleRouter()
inventory.register("products", views.ProductViewSet, basename="product")
inventory.register("alerts", views.StockAlertViewSet, basename="stock-alert")
inventory.register("movements", views.StockMovementViewSet, basename="stock-movement")

records = SimpleRouter()
records.register("transactions", views.TransactionViewSet, basename="transaction")
records.register("customers", views.CustomerViewSet, basename="customer")

urlpatterns = [
    path("inventory/report/", views.InventoryReportView.as_view(), name="inventory-report"),
    path("inventory/adjust-stock/", views.StockAdjustView.as_view(), name="inventory-adjust-stock"),
    path("inventory/", include(inventory.urls)),
    path("", include(records.urls)),
]
