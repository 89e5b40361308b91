"""The merchant's books: products, stock, transactions, customers, uploads, receipts, recommendations."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.tenancy.models import TenantModel
from project.common.jobs import Job
from project.common.models import JobStatus

MONEY = {"max_digits": 14, "decimal_places": 2}
# A unit price keeps four places (wholesale lines priced 0.001), so a line's total is exact: it is kept
# at four places too and shown, like every amount, with two.
UNIT_PRICE = {"max_digits": 14, "decimal_places": 4}
LINE_TOTAL = {"max_digits": 18, "decimal_places": 4}
# A sum of many amounts (a customer's spend and value): each line fits MONEY, their sum needs more room.
MONEY_SUM = {"max_digits": 20, "decimal_places": 2}


class Product(TenantModel):
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    category = models.CharField(max_length=120, blank=True, default="")
    unit_price = models.DecimalField(**UNIT_PRICE, default=0)
    unit_cost = models.DecimalField(**UNIT_PRICE, null=True, blank=True)
    stock_quantity = models.IntegerField(default=0)
    reorder_point = models.PositiveIntegerField(default=0)
    # The reorder point of the product's latest forecast (whole units), stored by the forecast run. When
    # set it is the one stock status and alerts follow; ``reorder_point`` is the fallback.
    forecast_reorder_point = models.PositiveIntegerField(null=True, blank=True)
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
    monetary = models.DecimalField(**MONEY_SUM, default=0)
    segment = models.CharField(max_length=16, choices=Segment.choices, blank=True, default="")
    segment_reason = models.CharField(max_length=255, blank=True, default="")
    churn_probability = models.FloatField(null=True, blank=True)
    churn_risk = models.CharField(max_length=8, choices=ChurnRisk.choices, blank=True, default="")
    predicted_clv = models.DecimalField(**MONEY_SUM, null=True, blank=True)
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
    unit_price = models.DecimalField(**UNIT_PRICE)
    total = models.DecimalField(**LINE_TOTAL)
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


class TransactionDeletion(TenantModel):
    """What a deleted sale line said, who deleted it and when: the books keep a trace of every undo.

    Its ``line_key`` also keeps an upload of the same file from bringing the deleted line back.
    """

    transaction_id = models.BigIntegerField(help_text="The id the deleted line had")
    invoice = models.CharField(max_length=64)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    customer_id = models.BigIntegerField(null=True, blank=True)
    quantity = models.IntegerField()
    unit_price = models.DecimalField(**UNIT_PRICE)
    total = models.DecimalField(**LINE_TOTAL)
    timestamp = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Transaction.Source.choices)
    line_key = models.CharField(max_length=80)
    stock_restored = models.IntegerField(default=0, help_text="Units put back on (or taken off) stock")
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["business", "line_key"], name="transaction_deletion_unique_key"),
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
    """One piece of advice about one situation (a product to reorder, a customer to win back, ...).

    ``situation_key`` names the situation (``reorder:product:12``): unique per business, so a refresh
    updates the standing row in place instead of raising the advice again. ``figures`` are the numbers
    behind it; ``dismissed_figures`` keeps them as they were when it was dismissed, so a refresh can tell
    a material change from noise. ``resolved_at`` is set while the situation no longer holds. The
    lifecycle rules live in ``apps.advice.lifecycle``.
    """

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
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True)
    situation_key = models.CharField(max_length=160)
    figures = models.JSONField(default=dict, blank=True)
    dismissed_figures = models.JSONField(default=dict, blank=True)
    snooze_until = models.DateField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(
        null=True, blank=True, help_text="When a refresh last found the situation gone (None: it stands)"
    )

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["business", "situation_key"], name="recommendation_one_per_situation"
            )
        ]
        indexes = [models.Index(fields=["business", "status", "kind"], name="recommendation_status_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title} ({self.status})"


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


class ReceiptUploadRecord(Job, TenantModel):
    """A photo or scan of a paper receipt, the job that reads it, and what the merchant confirms.

    PENDING → PROCESSING (OCR on the ``ocr`` queue) → READY (read; the merchant checks and edits it) →
    CONFIRMED (its sales and stock movements are written, once) or REJECTED. OCR that fails leaves it
    FAILED with the reason in ``detail``; a retry puts it back to PENDING.
    """

    class Status(models.TextChoices):
        PENDING = JobStatus.PENDING
        PROCESSING = JobStatus.PROCESSING
        READY = "ready"
        FAILED = JobStatus.FAILED
        CONFIRMED = "confirmed"
        REJECTED = "rejected"

    RUNNABLE = (Status.PENDING, Status.PROCESSING)
    FINISHED = (Status.READY, Status.FAILED, Status.CONFIRMED, Status.REJECTED)
    task_name = "data.receipts.tasks.receipt_read_task"
    # The states in which the merchant may still edit what was read.
    EDITABLE = (Status.READY,)

    # Stored re-encoded, upright and without EXIF (no location); width and height are of that image.
    image = models.ImageField(upload_to="receipts/%Y/%m/", max_length=255)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True, default="")
    # Of the bytes as sent (before EXIF is stripped): the same file sent again finds this receipt.
    sha256 = models.CharField(max_length=64, blank=True, default="")
    size_bytes = models.BigIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    merchant = models.CharField(max_length=200, blank=True, default="")
    purchased_at = models.DateTimeField(null=True, blank=True)
    total = models.DecimalField(**MONEY, null=True, blank=True)
    # [{description, quantity, unit_price, total, product (id or null), confidence}], money as strings.
    line_items = models.JSONField(default=list, blank=True)
    raw_text = models.TextField(blank=True, default="")
    # Per field, 0..1: how sure the reading is (see data.parsing.receipts).
    confidence = models.JSONField(default=dict, blank=True)
    # What the reader noticed: totals that do not add up, fields not found.
    notes = models.JSONField(default=list, blank=True)
    # Which OCR engine read it, and how long it took (seconds).
    ocr_engine = models.CharField(max_length=80, blank=True, default="")
    ocr_seconds = models.FloatField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta(TenantModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["business", "sha256"], condition=~Q(sha256=""), name="receipt_unique_file"
            )
        ]
        indexes = [
            models.Index(fields=["business", "status"], name="receipt_status_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="receipt_heartbeat_idx"),
        ]

    def __str__(self) -> str:
        return f"receipt {self.pk} ({self.status})"
