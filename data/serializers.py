from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from data.models import (
    Customer,
    Product,
    ReceiptUploadRecord,
    StockAlert,
    StockMovement,
    Transaction,
    UploadRecord,
    UploadRowError,
)
from data.parsing import bounds
from data.parsing.values import normalise_key
from data.stock import StockStatus
from project.common.fields import NonZeroIntegerField, StrictDecimalField
from project.common.numbers import MoneyField
from project.common.parsers import JSONField

# The bounds of what a record may say are the uploads' too: one module (data.parsing.bounds) says them.
MAX_UNITS = bounds.MAX_UNITS
MAX_PRICE = bounds.MAX_UNIT_PRICE


class UnitPriceField(StrictDecimalField):
    """A unit price: up to four decimal places in and out ("0.0010"), between 0 and ``MAX_UNIT_PRICE``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_PRICE)
        super().__init__(max_digits=14, decimal_places=bounds.PRICE_PLACES, **kwargs)


class SaleTimestampField(serializers.DateTimeField):
    """A sale's time: refused before 1970 or more than a day after now (the uploads' bounds)."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if problem := bounds.sale_time_problem(moment):
            raise serializers.ValidationError(f"A sale's time {problem}.")
        return moment


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
    # Money in as a decimal string of the schema's pattern, nothing looser (project/common/fields.py).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: StrictDecimalField,
    }
    stock_status = serializers.ChoiceField(choices=StockStatus.CHOICES, read_only=True)
    unit_price = UnitPriceField(required=False)
    unit_cost = UnitPriceField(required=False, allow_null=True)
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
            "reorder_point": {"max_value": MAX_UNITS},
            "lead_time_days": {"max_value": bounds.MAX_LEAD_TIME_DAYS},
        }

    def validate_sku(self, value: str) -> str:
        value = normalise_key(value)
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
    change = NonZeroIntegerField(
        min_value=-MAX_UNITS, max_value=MAX_UNITS, zero_message="A change of zero changes nothing."
    )
    reason = serializers.ChoiceField(
        choices=[StockMovement.Reason.ADJUSTMENT, StockMovement.Reason.RETURN, StockMovement.Reason.RECEIPT],
        default=StockMovement.Reason.ADJUSTMENT,
    )
    note = serializers.CharField(max_length=255, allow_blank=True, required=False, default="")


class InventoryReportSerializer(serializers.Serializer):
    total_products = serializers.IntegerField()
    total_units = serializers.IntegerField()
    # A sum over every product: no digit limit, or a large enough catalogue would be a 500.
    stock_value = serializers.DecimalField(max_digits=None, decimal_places=2)
    low_stock_count = serializers.IntegerField()
    out_of_stock_count = serializers.IntegerField()
    overstock_count = serializers.IntegerField()


class TransactionSerializer(serializers.ModelSerializer):
    product = TenantPrimaryKeyRelatedField(Product)
    customer = TenantPrimaryKeyRelatedField(Customer, required=False, allow_null=True)
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    unit_price = UnitPriceField(required=False)
    total = MoneyField()
    quantity = NonZeroIntegerField(
        min_value=-MAX_UNITS,
        max_value=MAX_UNITS,
        zero_message="Quantity cannot be zero; use a negative quantity for a return.",
    )
    invoice = serializers.CharField(max_length=64, required=False, allow_blank=True)
    timestamp = SaleTimestampField(required=False)

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


class CustomerSerializer(serializers.ModelSerializer):
    # Blank until the customer's first scoring run: the schema lists "" among the answers.
    segment = serializers.ChoiceField(choices=Customer.Segment.choices, allow_blank=True, read_only=True)
    churn_risk = serializers.ChoiceField(choices=Customer.ChurnRisk.choices, allow_blank=True, read_only=True)

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


class UploadListSerializer(serializers.ModelSerializer):
    """An upload in a list: its counts (``rows_failed`` rows had errors), not the errors themselves, so a
    page of 50 uploads never carries 50,000 error objects. The detail gives the errors."""

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
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class UploadSerializer(UploadListSerializer):
    """One upload with its stored row errors (line, column, message; the first ``UPLOAD_ERRORS_KEPT``)."""

    errors = UploadRowErrorSerializer(source="row_errors", many=True, read_only=True)

    class Meta(UploadListSerializer.Meta):
        fields = [*UploadListSerializer.Meta.fields, "errors"]
        read_only_fields = fields


class StaffUploadSerializer(UploadListSerializer):
    business = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(UploadListSerializer.Meta):
        fields = ["business", *UploadListSerializer.Meta.fields]
        read_only_fields = fields


class UploadCreateSerializer(serializers.Serializer):
    file = serializers.FileField()
    column_map = JSONField(required=False, help_text="Our column name → your file's header (a JSON object)")
    date_order = serializers.ChoiceField(choices=["auto", "mdy", "dmy"], default="auto")


class UploadAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=UploadRecord.Status.choices)
    duplicate = serializers.BooleanField(
        required=False, help_text="The same bytes were uploaded before: this is that upload (200)"
    )


@extend_schema_field(OpenApiTypes.INT)
class ProductIdField(TenantPrimaryKeyRelatedField):
    """A product id of the caller's business, in a serializer without a model to say its type."""

    def __init__(self, **kwargs):
        super().__init__(Product, **kwargs)


class ReceiptLineItemSerializer(serializers.Serializer):
    """A receipt line as the merchant edits it; ``product`` is one of the business's products or null."""

    description = serializers.CharField(max_length=255)
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=-MAX_UNITS, max_value=MAX_UNITS
    )
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=4, min_value=0, max_value=MAX_PRICE)
    total = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    product = ProductIdField(required=False, allow_null=True)

    def validate_quantity(self, value):
        if value == 0:
            raise serializers.ValidationError("Quantity cannot be zero; remove the line instead.")
        return value


class ReceiptSerializer(serializers.ModelSerializer):
    """A receipt as read: ``line_items`` are ``{description, quantity, unit_price, total, product,
    match_score, confidence}`` with money as decimal strings and ``product`` an id or null."""

    class Meta:
        model = ReceiptUploadRecord
        fields = [
            "id",
            "status",
            "detail",
            "file_name",
            "sha256",
            "size_bytes",
            "width",
            "height",
            "merchant",
            "purchased_at",
            "total",
            "line_items",
            "raw_text",
            "confidence",
            "notes",
            "ocr_engine",
            "ocr_seconds",
            "attempts",
            "created_at",
            "started_at",
            "finished_at",
            "confirmed_at",
        ]
        read_only_fields = fields


class ReceiptUpdateSerializer(serializers.Serializer):
    merchant = serializers.CharField(max_length=200, allow_blank=True, required=False)
    purchased_at = serializers.DateTimeField(required=False, allow_null=True)
    total = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, max_value=10**12 - 1, required=False, allow_null=True
    )
    line_items = ReceiptLineItemSerializer(many=True, required=False)


class ReceiptCreateSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A JPEG, PNG or WebP photo or scan of the receipt")
