"""Thin views over the merchant's books: validate, call one service or selector, serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tenancy.views import TenantAPIView, TenantModelViewSet, TenantReadOnlyViewSet, TenantViewMixin
from data import selectors, services
from data.filters import ProductFilter, StockAlertFilter, StockMovementFilter, TransactionFilter
from data.ingestion import services as ingestion
from data.models import UploadRecord
from data.receipts import services as receipts
from data.receipts.images import receipt_size_check
from data.serializers import (
    InventoryReportSerializer,
    ProductSerializer,
    ReceiptCreateSerializer,
    ReceiptSerializer,
    ReceiptUpdateSerializer,
    StaffUploadSerializer,
    StockAdjustSerializer,
    StockAlertSerializer,
    StockMovementSerializer,
    TransactionSerializer,
    UploadAcceptedSerializer,
    UploadCreateSerializer,
    UploadListSerializer,
    UploadSerializer,
)
from project.common.schema import ErrorSerializer


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

    @extend_schema(responses={204: None, 409: ErrorSerializer})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.product_delete(product=instance)


class InventoryReportView(TenantAPIView):
    @extend_schema(responses=InventoryReportSerializer)
    def get(self, request):
        report = selectors.inventory_report(business=request.business)
        return Response(InventoryReportSerializer(report).data)


class StockAlertViewSet(TenantReadOnlyViewSet):
    serializer_class = StockAlertSerializer
    filterset_class = StockAlertFilter
    ordering_fields = ["created_at", "kind"]

    def get_tenant_queryset(self, business):
        return selectors.alert_list(business=business)

    @extend_schema(request=None, responses=StockAlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        # Not through the list's filters (which hide acknowledged alerts): acknowledging twice is a 200.
        alert = get_object_or_404(self.get_queryset(), pk=pk)
        alert = services.alert_acknowledge(alert=alert, user=request.user)
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
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Sales and returns. Creating one moves stock in the same database transaction; deleting one
    (managers and owners) gives the stock back and keeps a record of who deleted it."""

    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    ordering_fields = ["timestamp", "total", "quantity", "invoice"]

    def get_tenant_queryset(self, business):
        return selectors.transaction_list(business=business)

    def perform_create(self, serializer):
        serializer.instance = services.transaction_create(
            business=self.request.business, user=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.transaction_delete(sale=instance, user=self.request.user)


class UploadCreateView(TenantAPIView):
    """Store a CSV file and queue its import: 202 with the upload's id (200 when the same bytes exist)."""

    parser_classes = [MultiPartParser, FormParser]
    kind: str = ""

    @extend_schema(
        request={"multipart/form-data": UploadCreateSerializer},
        responses={202: UploadAcceptedSerializer, 200: UploadAcceptedSerializer},
    )
    def post(self, request):
        # Refuse an oversized body before reading it: DRF parses the multipart body on first access.
        ingestion.upload_size_check(int(request.META.get("CONTENT_LENGTH") or 0), allowance=64 * 1024)
        serializer = UploadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        options = ingestion.upload_options_clean(
            column_map=serializer.validated_data.get("column_map"),
            date_order=serializer.validated_data["date_order"],
        )
        upload, created = ingestion.upload_create(
            business=request.business,
            user=request.user,
            kind=self.kind,
            file=serializer.validated_data["file"],
            options=options,
        )
        return Response(
            {"id": upload.pk, "status": upload.status, "duplicate": not created},
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class TransactionUploadView(UploadCreateView):
    kind = UploadRecord.Kind.TRANSACTIONS


class InventoryUploadView(UploadCreateView):
    kind = UploadRecord.Kind.INVENTORY


class UploadViewSet(TenantReadOnlyViewSet):
    """The list gives each upload's counts; the detail of one gives its row errors."""

    serializer_class = UploadSerializer
    filterset_fields = ["status", "kind"]
    ordering_fields = ["created_at", "status"]

    def get_serializer_class(self):
        return UploadListSerializer if self.action == "list" else UploadSerializer

    def get_tenant_queryset(self, business):
        if self.action == "retrieve":
            return selectors.upload_with_errors(business=business)
        return selectors.upload_list(business=business)

    @extend_schema(request=None, responses={202: UploadAcceptedSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        upload = ingestion.upload_retry(upload=self.get_object())
        return Response({"id": upload.pk, "status": upload.status}, status=status.HTTP_202_ACCEPTED)


class StaffFailedUploadsView(generics.ListAPIView):
    """Failed uploads of every business, newest first: for operators."""

    permission_classes = [permissions.IsAdminUser]
    serializer_class = StaffUploadSerializer

    def get_queryset(self):
        return selectors.uploads_failed_all()


class StaffUploadStatusView(APIView):
    """How many uploads are in each status, across all businesses, and the oldest still running."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses=dict)
    def get(self, request):
        return Response(selectors.uploads_status_all())


class ReceiptUploadView(TenantAPIView):
    """Check a receipt image and queue its OCR: 202 with the receipt's id (200 when the same bytes exist)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ReceiptCreateSerializer}, responses={202: UploadAcceptedSerializer}
    )
    def post(self, request):
        receipt_size_check(int(request.META.get("CONTENT_LENGTH") or 0), allowance=64 * 1024)
        serializer = ReceiptCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        receipt, created = receipts.receipt_create(
            business=request.business, user=request.user, file=serializer.validated_data["file"]
        )
        return Response(
            {"id": receipt.pk, "status": receipt.status, "duplicate": not created},
            status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK,
        )


class ReceiptViewSet(
    TenantViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Receipts read by OCR: check and correct them (PATCH while ready), then confirm or reject."""

    serializer_class = ReceiptSerializer
    filterset_fields = ["status"]
    ordering_fields = ["created_at", "purchased_at", "total", "status"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_tenant_queryset(self, business):
        return selectors.receipt_list(business=business)

    @extend_schema(request=ReceiptUpdateSerializer, responses=ReceiptSerializer)
    def partial_update(self, request, pk=None):
        receipt = self.get_object()
        serializer = ReceiptUpdateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        receipt = receipts.receipt_update(receipt=receipt, data=serializer.validated_data)
        return Response(ReceiptSerializer(receipt).data)

    @extend_schema(request=None, responses=ReceiptSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        receipt = receipts.receipt_confirm(receipt=self.get_object(), user=request.user)
        return Response(ReceiptSerializer(receipt).data)

    @extend_schema(request=None, responses=ReceiptSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        receipt = receipts.receipt_reject(receipt=self.get_object())
        return Response(ReceiptSerializer(receipt).data)

    @extend_schema(request=None, responses={202: UploadAcceptedSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        receipt = receipts.receipt_retry(receipt=self.get_object())
        return Response({"id": receipt.pk, "status": receipt.status}, status=status.HTTP_202_ACCEPTED)
