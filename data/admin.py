from django.contrib import admin, messages

from data.ingestion.services import upload_retry
from data.models import (
    Customer,
    Product,
    ReceiptUploadRecord,
    Recommendation,
    StockAlert,
    StockMovement,
    Transaction,
    TransactionDeletion,
    UploadRecord,
    UploadRowError,
)
from data.receipts.services import receipts_retry


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "business", "category", "unit_price", "stock_quantity", "reorder_point"]
    list_filter = ["business"]
    search_fields = ["sku", "name"]
    list_select_related = ["business"]


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "email", "business", "segment", "churn_risk", "predicted_clv"]
    list_filter = ["business", "segment", "churn_risk"]
    search_fields = ["external_id", "email"]
    list_select_related = ["business"]


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = [
        "invoice",
        "business",
        "product",
        "quantity",
        "unit_price",
        "total",
        "timestamp",
        "source",
    ]
    list_filter = ["business", "source"]
    search_fields = ["invoice", "product__sku"]
    raw_id_fields = ["product", "customer", "upload", "created_by"]
    list_select_related = ["business", "product"]
    date_hierarchy = "timestamp"


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["product", "business", "change", "reason", "stock_after", "created_at", "user"]
    list_filter = ["business", "reason"]
    raw_id_fields = ["product", "transaction", "upload", "user"]
    list_select_related = ["business", "product", "user"]


@admin.register(TransactionDeletion)
class TransactionDeletionAdmin(admin.ModelAdmin):
    """Deleted sale lines: what they said and who deleted them (read only: the trace of an undo)."""

    list_display = [
        "transaction_id",
        "business",
        "invoice",
        "product",
        "quantity",
        "deleted_by",
        "created_at",
    ]
    list_filter = ["business"]
    raw_id_fields = ["product", "deleted_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StockAlert)
class StockAlertAdmin(admin.ModelAdmin):
    list_display = ["product", "business", "kind", "acknowledged", "created_at", "resolved_at"]
    list_filter = ["business", "kind", "acknowledged"]
    raw_id_fields = ["product"]
    list_select_related = ["business", "product"]


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["title", "business", "kind", "urgency", "status", "created_at"]
    list_filter = ["business", "kind", "status", "urgency"]
    raw_id_fields = ["product", "customer"]


@admin.register(ReceiptUploadRecord)
class ReceiptUploadRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "business", "status", "merchant", "total", "purchased_at", "created_at"]
    list_filter = ["status", "business"]
    search_fields = ["merchant", "file_name", "sha256"]
    list_select_related = ["business"]
    readonly_fields = [field.name for field in ReceiptUploadRecord._meta.fields]
    actions = ["retry_failed"]

    @admin.action(description="Retry the selected failed receipts")
    def retry_failed(self, request, queryset):
        retried = receipts_retry(receipts=list(queryset.filter(status=ReceiptUploadRecord.Status.FAILED)))
        self.message_user(request, f"Queued {retried} failed receipt(s) again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False


class UploadRowErrorInline(admin.TabularInline):
    model = UploadRowError
    extra = 0
    can_delete = False
    fields = ["line", "column", "message"]
    readonly_fields = fields
    max_num = 0  # read-only: no "add another"


@admin.register(UploadRecord)
class UploadRecordAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "business",
        "kind",
        "file_name",
        "status",
        "rows_total",
        "rows_imported",
        "rows_skipped",
        "rows_failed",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "kind", "business"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["business"]
    readonly_fields = [field.name for field in UploadRecord._meta.fields]
    inlines = [UploadRowErrorInline]
    actions = ["retry_failed"]

    @admin.action(description="Retry the selected failed uploads")
    def retry_failed(self, request, queryset):
        retried = 0
        for upload in queryset.filter(status=UploadRecord.Status.FAILED):
            upload_retry(upload=upload)
            retried += 1
        self.message_user(request, f"Queued {retried} failed upload(s) again.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False
