"""Thin views over the merchant's books: validate, call one service or selector, serialize."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.tenancy.views import TenantAPIView, TenantModelViewSet, TenantReadOnlyViewSet, TenantViewMixin
from data import selectors, services
from data.filters import CustomerFilter, ProductFilter, StockMovementFilter, TransactionFilter
from data.serializers import (
    CustomerSerializer,
    InventoryReportSerializer,
    ProductSerializer,
    StockAdjustSerializer,
    StockAlertSerializer,
    StockMovementSerializer,
    TransactionSerializer,
)


class ProductViewSet(TenantModelViewSet):
    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    ordering_fields = ["sku", "name", "category", "unit_price", "stock_quantity", "created_at"]
    ordering = ["sku"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_tenant_queryset(self, business):
        return selectors.product_list(business=business)

    def perform_create(self, serializer):
        product = services.product_create(
            business=self.request.business, user=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=product.pk)

    def perform_update(self, serializer):
        services.product_update(
            product=serializer.instance, user=self.request.user, data=serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=serializer.instance.pk)

    def perform_destroy(self, instance):
        services.product_delete(product=instance)


class InventoryReportView(TenantAPIView):
    @extend_schema(responses=InventoryReportSerializer)
    def get(self, request):
        report = selectors.inventory_report(business=request.business)
        return Response(InventoryReportSerializer(report).data)


class StockAlertViewSet(TenantReadOnlyViewSet):
    serializer_class = StockAlertSerializer
    filterset_fields = ["kind", "acknowledged", "product"]
    ordering_fields = ["created_at", "kind"]

    def get_tenant_queryset(self, business):
        return selectors.alert_list(business=business)

    @extend_schema(request=None, responses=StockAlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = services.alert_acknowledge(alert=self.get_object(), user=request.user)
        return Response(self.get_serializer(alert).data)


class StockMovementViewSet(TenantReadOnlyViewSet):
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilter
    ordering_fields = ["created_at", "change"]

    def get_tenant_queryset(self, business):
        return selectors.movement_list(business=business)


class StockAdjustView(TenantAPIView):
    """Add or remove stock by hand; refused (400) when stock would go below zero."""

    @extend_schema(request=StockAdjustSerializer, responses=ProductSerializer)
    def post(self, request):
        serializer = StockAdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product_id = serializer.validated_data["product_id"]
        products = selectors.product_list(business=request.business)
        get_object_or_404(products, pk=product_id)  # another business's product is not there
        services.stock_adjust(business=request.business, user=request.user, **serializer.validated_data)
        return Response(ProductSerializer(products.get(pk=product_id)).data)


class TransactionViewSet(
    TenantViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Sales and returns. Creating one moves stock in the same database transaction."""

    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    ordering_fields = ["timestamp", "total", "quantity", "invoice"]

    def get_tenant_queryset(self, business):
        return selectors.transaction_list(business=business)

    def perform_create(self, serializer):
        serializer.instance = services.transaction_create(
            business=self.request.business, user=self.request.user, **serializer.validated_data
        )


class CustomerViewSet(TenantReadOnlyViewSet):
    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = [
        "external_id",
        "recency_days",
        "frequency",
        "monetary",
        "churn_probability",
        "predicted_clv",
    ]

    def get_tenant_queryset(self, business):
        return selectors.customer_list(business=business)

    @extend_schema(parameters=[OpenApiParameter("refresh", bool, description="Recompute scores first")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
