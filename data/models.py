"""The merchant's books: products, stock, transactions, customers, uploads, receipts, recommendations."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.tenancy.models import TenantModel
from project.common.jobs import Job

MONEY = {"max_digits": 14, "decimal_places": 2}


class Product(TenantModel):
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    category = models.CharField(max_length=120, blank=True, default="")
    unit_price = models.DecimalField(**MONEY, default=0)
    unit_cost = models.DecimalField(**MONEY, null=True, blank=True)
    stock_quantity = models.IntegerField(default=0)
    reorder_point = models.PositiveIntegerField(default=0)
    lead_time_days = models.PositiveIntegerField(default=7)
    # When stock was last set by a count (an inventory upload): sales dated before it are history.
    counted_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["business", "sku"], name="product_unique_sku"),
            models.CheckConstraint(condition=Q(stock_quantity__gte=0), name="product_stock_not_negative"),
        ]
        indexes = [
            models.Index(fields=["business", "category"], name="product_category_idx"),
            models.Index(fields=["business", "name"], name="product_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Customer(TenantModel):
    """A buyer known by the merchant's own id (or email). Scores are filled by ``apps.churn``."""

    class Segment(models.TextChoices):
        VIP = "vip"
        LOYAL = "loyal"
        REGULAR = "regular"
        NEW = "new"
        AT_RISK = "at_risk"
        LOST = "lost"

    class ChurnRisk(models.TextChoices):
        HIGH = "high"
        MEDIUM = "medium"
        LOW = "low"

    external_id = models.CharField(max_length=128)
    email = models.EmailField(blank=True, default="")
    name = models.CharField(max_length=200, blank=True, default="")
    country = models.CharField(max_length=80, blank=True, default="")
    first_purchase_at = models.DateTimeField(null=True, blank=True)
    last_purchase_at = models.DateTimeField(null=True, blank=True)
    recency_days = models.IntegerField(null=True, blank=True)
    frequency = models.IntegerField(default=0)
    monetary = models.DecimalField(**MONEY, default=0)
    segment = models.CharField(max_length=16, choices=Segment.choices, blank=True, default="")
    segment_reason = models.CharField(max_length=255, blank=True, default="")
    churn_probability = models.FloatField(null=True, blank=True)
    churn_risk = models.CharField(max_length=8, choices=ChurnRisk.choices, blank=True, default="")
    predicted_clv = models.DecimalField(**MONEY, null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["business", "external_id"], name="customer_unique_external_id"),
        ]
        indexes = [
            models.Index(fields=["business", "segment"], name="customer_segment_idx"),
            models.Index(fields=["business", "churn_risk"], name="customer_churn_risk_idx"),
            models.Index(fields=["business", "email"], name="customer_email_idx"),
        ]

    def __str__(self) -> str:
        return self.external_id


class Transaction(TenantModel):
    """One sale line (or a return, with a negative quantity).

    The bulk of the database, loaded by the hundred thousand: PostgreSQL checks a deferred foreign key
    for every row at commit, so only the keys that guard something (product, customer) are enforced by
    the database; business, upload and creator are set by the server and cascade through Django.
    """

    class Source(models.TextChoices):
        API = "api"
        UPLOAD = "upload"
        RECEIPT = "receipt"

    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    invoice = models.CharField(max_length=64)
    # No single-column indexes on the keys: queries are scoped by business and served by the composite
    # indexes below.
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
    )
    quantity = models.IntegerField()
    unit_price = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    timestamp = models.DateTimeField()
    country = models.CharField(max_length=80, blank=True, default="")
    payment_method = models.CharField(max_length=40, blank=True, default="")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.API)
    upload = models.ForeignKey(
        "UploadRecord",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,
        db_constraint=False,
    )
    # The natural key of a sale line: the same line in a re-uploaded or overlapping file has the same
    # key, so the unique constraint makes imports idempotent.
    line_key = models.CharField(max_length=80)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["business", "line_key"], name="transaction_unique_line_key"),
            models.CheckConstraint(condition=~Q(quantity=0), name="transaction_quantity_not_zero"),
        ]
        indexes = [
            models.Index(fields=["business", "timestamp"], name="transaction_time_idx"),
            models.Index(fields=["business", "product", "timestamp"], name="transaction_product_time_idx"),
            models.Index(fields=["business", "customer", "timestamp"], name="transaction_customer_time_idx"),
            models.Index(fields=["business", "invoice"], name="transaction_invoice_idx"),
        ]


class StockMovement(TenantModel):
    """Every change of stock, signed, with the stock it left behind."""

    class Reason(models.TextChoices):
        SALE = "sale"
        ADJUSTMENT = "adjustment"
        UPLOAD = "upload"
        RECEIPT = "receipt"
        RETURN = "return"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements")
    change = models.IntegerField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    stock_after = models.IntegerField()
    note = models.CharField(max_length=255, blank=True, default="")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    transaction = models.ForeignKey(Transaction, on_delete=models.SET_NULL, null=True, blank=True)
    upload = models.ForeignKey("UploadRecord", on_delete=models.SET_NULL, null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["business", "product", "created_at"], name="movement_product_idx")]


class StockAlert(TenantModel):
    """An open problem with a product's stock. At most one active alert per product and kind."""

    class Kind(models.TextChoices):
        LOW_STOCK = "low_stock"
        OUT_OF_STOCK = "out_of_stock"
        OVERSTOCK = "overstock"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    message = models.CharField(max_length=255, blank=True, default="")
    acknowledged = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["product", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="stock_alert_one_active",
            )
        ]
        indexes = [models.Index(fields=["business", "resolved_at"], name="stock_alert_active_idx")]


class Recommendation(TenantModel):
    class Kind(models.TextChoices):
        REORDER = "reorder"
        MARKDOWN = "markdown"
        WIN_BACK = "win_back"
        PRICE_CHANGE = "price_change"
        CAMPAIGN = "campaign"

    class Urgency(models.TextChoices):
        HIGH = "high"
        MEDIUM = "medium"
        LOW = "low"

    class Status(models.TextChoices):
        NEW = "new"
        SEEN = "seen"
        DONE = "done"
        DISMISSED = "dismissed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    reason = models.TextField(blank=True, default="")
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.MEDIUM)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, null=True, blank=True)
    segment = models.CharField(max_length=16, blank=True, default="")

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["business", "status", "kind"], name="recommendation_status_idx")]


def upload_path(instance, filename: str) -> str:
    return f"uploads/{instance.business_id}/{instance.kind}/{filename}"


class UploadRecord(TenantModel, Job):
    """One uploaded CSV file and the job that imports it."""

    task_name = "data.tasks.upload_process_task"

    class Kind(models.TextChoices):
        TRANSACTIONS = "transactions"
        INVENTORY = "inventory"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    file = models.FileField(upload_to=upload_path, max_length=255)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True)
    rows_total = models.IntegerField(default=0)
    rows_imported = models.IntegerField(default=0)
    rows_skipped = models.IntegerField(default=0)
    rows_failed = models.IntegerField(default=0)
    # The physical line the import has committed up to: a restarted job resumes after it.
    last_line_done = models.IntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["business", "kind", "sha256"], name="upload_unique_file"),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="upload_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind} upload {self.pk} ({self.status})"


class UploadRowError(models.Model):
    """A malformed row: its physical line number in the file, the column and what is wrong."""

    upload = models.ForeignKey(UploadRecord, on_delete=models.CASCADE, related_name="row_errors")
    line = models.IntegerField()
    column = models.CharField(max_length=120, blank=True, default="")
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["line", "id"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "line", "column"], name="upload_error_unique")
        ]

    def __str__(self) -> str:
        return f"line {self.line}, {self.column or 'row'}: {self.message}"


class ReceiptUploadRecord(TenantModel):
    """A photo of a receipt and the job that reads it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"

    image = models.ImageField(upload_to="receipts/%Y/%m/")
    file_name = models.CharField(max_length=255, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    merchant = models.CharField(max_length=200, blank=True, default="")
    purchased_at = models.DateTimeField(null=True, blank=True)
    total = models.DecimalField(**MONEY, null=True, blank=True)
    line_items = models.JSONField(default=list, blank=True)
    raw_text = models.TextField(blank=True, default="")
    detail = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta(TenantModel.Meta):
        indexes = [models.Index(fields=["business", "status"], name="receipt_status_idx")]
