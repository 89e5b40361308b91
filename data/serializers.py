from rest_framework import serializers

from data.models import (
    Customer,
    Product,
    StockAlert,
    StockMovement,
    Transaction,
    UploadRecord,
    UploadRowError,
)
from data.selectors import StockStatus

# Bounds on what one request may say: a line of a million units at a million each still fits the
# money columns (14 digits), and every count fits PostgreSQL's integer.
MAX_UNITS = 1_000_000
MAX_PRICE = 1_000_000


class TenantPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to a record of the caller's business; another business's id does not exist."""

    def __init__(self, model, **kwargs):
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self):
        business = getattr(self.context.get("request"), "business", None)
        if business is None:  # schema generation: no caller, so no records
            return self.model.objects.unscoped().none()
        return self.model.objects.for_business(business)


class ProductSerializer(serializers.ModelSerializer):
    stock_status = serializers.ChoiceField(choices=StockStatus.CHOICES, read_only=True)
    stock_quantity = serializers.IntegerField(min_value=0, max_value=MAX_UNITS, required=False, default=0)

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "category",
            "unit_price",
            "unit_cost",
            "stock_quantity",
            "reorder_point",
            "lead_time_days",
            "stock_status",
            "counted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "counted_at", "created_at", "updated_at"]
        extra_kwargs = {
            "unit_price": {"min_value": 0, "max_value": MAX_PRICE},
            "unit_cost": {"min_value": 0, "max_value": MAX_PRICE},
            "reorder_point": {"max_value": MAX_UNITS},
            "lead_time_days": {"max_value": 365},
        }

    def validate_sku(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value


class StockAlertSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = StockAlert
        fields = [
            "id",
            "product",
            "product_sku",
            "product_name",
            "kind",
            "message",
            "created_at",
            "acknowledged",
        ]
        read_only_fields = fields


class StockMovementSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    user = serializers.SerializerMethodField()

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "product",
            "product_sku",
            "change",
            "reason",
            "stock_after",
            "note",
            "created_at",
            "user",
        ]
        read_only_fields = fields

    def get_user(self, movement) -> str | None:
        return movement.user.email if movement.user else None


class StockAdjustSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    change = serializers.IntegerField(min_value=-MAX_UNITS, max_value=MAX_UNITS)
    reason = serializers.ChoiceField(
        choices=[StockMovement.Reason.ADJUSTMENT, StockMovement.Reason.RETURN, StockMovement.Reason.RECEIPT],
        default=StockMovement.Reason.ADJUSTMENT,
    )
    note = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")

    def validate_change(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("A change of zero changes nothing.")
        return value


class InventoryReportSerializer(serializers.Serializer):
    total_products = serializers.IntegerField()
    total_units = serializers.IntegerField()
    stock_value = serializers.DecimalField(max_digits=18, decimal_places=2)
    low_stock_count = serializers.IntegerField()
    out_of_stock_count = serializers.IntegerField()
    overstock_count = serializers.IntegerField()


class TransactionSerializer(serializers.ModelSerializer):
    product = TenantPrimaryKeyRelatedField(Product)
    customer = TenantPrimaryKeyRelatedField(Customer, required=False, allow_null=True)
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, max_value=MAX_PRICE, required=False
    )
    quantity = serializers.IntegerField(min_value=-MAX_UNITS, max_value=MAX_UNITS)
    invoice = serializers.CharField(max_length=64, required=False, allow_blank=True)
    timestamp = serializers.DateTimeField(required=False)

    class Meta:
        model = Transaction
        fields = [
            "id",
            "invoice",
            "product",
            "product_sku",
            "product_name",
            "quantity",
            "unit_price",
            "total",
            "timestamp",
            "customer",
            "country",
            "payment_method",
            "source",
        ]
        read_only_fields = ["id", "total", "source"]

    def validate_quantity(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError(
                "Quantity cannot be zero; use a negative quantity for a return."
            )
        return value


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "email",
            "name",
            "country",
            "first_purchase_at",
            "last_purchase_at",
            "recency_days",
            "frequency",
            "monetary",
            "segment",
            "segment_reason",
            "churn_risk",
            "churn_probability",
            "predicted_clv",
            "scored_at",
        ]
        read_only_fields = fields


class UploadRowErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = UploadRowError
        fields = ["line", "column", "message"]


class UploadSerializer(serializers.ModelSerializer):
    errors = UploadRowErrorSerializer(source="row_errors", many=True, read_only=True)

    class Meta:
        model = UploadRecord
        fields = [
            "id",
            "kind",
            "file_name",
            "sha256",
            "size_bytes",
            "status",
            "detail",
            "options",
            "rows_total",
            "rows_imported",
            "rows_skipped",
            "rows_failed",
            "errors",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class StaffUploadSerializer(UploadSerializer):
    business = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(UploadSerializer.Meta):
        fields = ["business", *UploadSerializer.Meta.fields]
        read_only_fields = fields


class UploadCreateSerializer(serializers.Serializer):
    file = serializers.FileField()
    column_map = serializers.JSONField(required=False, help_text="Our column name → your file's header")
    date_order = serializers.ChoiceField(choices=["auto", "mdy", "dmy"], default="auto")


class UploadAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
