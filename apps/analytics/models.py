"""Daily roll-ups of the sales lines, kept by PostgreSQL triggers, and the integrity ledger.

The roll-up tables are written only by the triggers of migration ``0002_rollup_triggers`` (and by the
``analytics_rebuild`` command): every figure is additive, so each write adds its signed delta. Each
row also carries ``writer``, the PostgreSQL backend that wrote the delta (0 for a rebuild): two
connections writing at once (two chunks of an upload, two API sales) never update the same roll-up row,
so they never wait on each other's row locks, whatever order they commit in. Readers sum over writers.
"""

from django.db import models

MONEY_EXACT = {"max_digits": 24, "decimal_places": 4}


class ProductDay(models.Model):
    """Per business, day (business time zone), product and country: revenue, net units, lines."""

    pk = models.CompositePrimaryKey("business_id", "day", "product_id", "country", "writer")
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    day = models.DateField()
    product = models.ForeignKey(
        "data.Product", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False
    )
    country = models.CharField(max_length=80)
    writer = models.IntegerField()
    revenue = models.DecimalField(**MONEY_EXACT)
    units = models.BigIntegerField()
    lines = models.IntegerField()

    class Meta:
        db_table = "analytics_product_day"

    def __str__(self) -> str:
        return f"product {self.product_id} on {self.day}"


class ProductMonth(models.Model):
    """:class:`ProductDay` summed by calendar month (``month`` is its first day): long windows read
    whole months here and only their partial months' days from :class:`ProductDay`."""

    pk = models.CompositePrimaryKey("business_id", "month", "product_id", "country", "writer")
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    month = models.DateField()
    product = models.ForeignKey(
        "data.Product", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False
    )
    country = models.CharField(max_length=80)
    writer = models.IntegerField()
    revenue = models.DecimalField(**MONEY_EXACT)
    units = models.BigIntegerField()
    lines = models.IntegerField()

    class Meta:
        db_table = "analytics_product_month"

    def __str__(self) -> str:
        return f"product {self.product_id} in {self.month:%Y-%m}"


class InvoiceDay(models.Model):
    """Per business, day, invoice, category and country: revenue, units, lines and sale lines.

    An invoice is an order of a window when its sale lines (positive quantity) there add up to more
    than zero; ``count`` of such invoices is exact over any window, unlike a sum of daily counts.
    """

    pk = models.CompositePrimaryKey("business_id", "day", "invoice", "category", "country", "writer")
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    day = models.DateField()
    invoice = models.CharField(max_length=64)
    category = models.CharField(max_length=120)
    country = models.CharField(max_length=80)
    writer = models.IntegerField()
    revenue = models.DecimalField(**MONEY_EXACT)
    units = models.BigIntegerField()
    lines = models.IntegerField()
    sale_lines = models.IntegerField()

    class Meta:
        db_table = "analytics_invoice_day"

    def __str__(self) -> str:
        return f"invoice {self.invoice} on {self.day}"


class CustomerDay(models.Model):
    """Per business, day, identified customer, category and country: the customer's sale lines."""

    pk = models.CompositePrimaryKey("business_id", "day", "customer_id", "category", "country", "writer")
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    day = models.DateField()
    customer = models.ForeignKey(
        "data.Customer", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False
    )
    category = models.CharField(max_length=120)
    country = models.CharField(max_length=80)
    writer = models.IntegerField()
    lines = models.IntegerField()
    sale_lines = models.IntegerField()

    class Meta:
        db_table = "analytics_customer_day"

    def __str__(self) -> str:
        return f"customer {self.customer_id} on {self.day}"


class LedgerSeal(models.Model):
    """The sealed Merkle tree of one upload's rows, or of one day's rows entered by the API or receipts.

    ``leaves`` holds the leaf hashes (32 bytes each) in tree order (rows by line key, byte order) and
    ``keys`` the first 8 bytes of SHA-256 of each row's line key, in the same order: 40 bytes a row
    (21.7 MB for the 541,909 rows of the UCI file), enough to say which rows changed, went or came.
    """

    class Scope(models.TextChoices):
        UPLOAD = "upload"
        DAY = "day"

    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    scope = models.CharField(max_length=8, choices=Scope.choices)
    upload = models.OneToOneField(
        "data.UploadRecord", on_delete=models.CASCADE, null=True, blank=True, related_name="ledger_seal"
    )
    day = models.DateField(null=True, blank=True)
    rows = models.IntegerField()
    root = models.CharField(max_length=64)
    leaves = models.BinaryField()
    keys = models.BinaryField()
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["business", "day"], condition=models.Q(scope="day"), name="ledger_one_seal_per_day"
            ),
            models.CheckConstraint(
                condition=(models.Q(scope="upload", upload__isnull=False, day__isnull=True))
                | models.Q(scope="day", upload__isnull=True, day__isnull=False),
                name="ledger_seal_scope_matches",
            ),
        ]
        indexes = [models.Index(fields=["business", "scope"], name="ledger_seal_business_idx")]

    def __str__(self) -> str:
        return f"{self.scope} seal {self.upload_id or self.day}: {self.root}"
