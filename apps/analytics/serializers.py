"""Query parameters of the analytics reads (a bad one is a 400 naming it) and the answers' schema."""

from datetime import date, timedelta

from rest_framework import serializers

from apps.analytics.selectors import GRANULARITIES, Window

EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)
DEFAULT_DAYS = 30
MAX_PERIODS = 3660

MONEY_HELP = "Money: a decimal string with two places, rounded half up from the exact sum."


class WindowSerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First day, inclusive (default: 29 days before end)"
    )
    end = serializers.DateField(
        required=False, help_text="Last day, inclusive (default: the day of the latest sale)"
    )
    category = serializers.CharField(
        required=False,
        max_length=120,
        help_text="A product category; `uncategorised` for products without one",
    )
    country = serializers.CharField(required=False, max_length=80, help_text="The sale lines' country")

    def validate_start(self, value):
        return _in_range(value)

    def validate_end(self, value):
        return _in_range(value)

    def validate(self, attrs):
        if "start" in attrs and "end" in attrs and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": ["Must not be before start."]})
        return attrs

    def window(self, *, latest: date) -> Window:
        data = self.validated_data
        end = data.get("end") or (max(latest, data["start"]) if "start" in data else latest)
        start = data.get("start") or max(end - timedelta(days=DEFAULT_DAYS - 1), EARLIEST)
        return Window(start=start, end=end, category=data.get("category"), country=data.get("country"))


def _in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise serializers.ValidationError(f"Must be between {EARLIEST} and {LATEST}.")
    return value


class TrendQuerySerializer(WindowSerializer):
    granularity = serializers.ChoiceField(choices=GRANULARITIES, default="day")

    def window(self, *, latest: date) -> Window:
        window = super().window(latest=latest)
        length = {"day": 1, "week": 7, "month": 28}[self.validated_data["granularity"]]
        if window.days / length > MAX_PERIODS:
            raise serializers.ValidationError(
                {"granularity": [f"Too many periods (at most {MAX_PERIODS}): choose a coarser one."]}
            )
        return window


class TopProductsQuerySerializer(WindowSerializer):
    by = serializers.ChoiceField(choices=["revenue", "units"], default="revenue")
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)
    include_non_product = serializers.BooleanField(
        default=False, help_text="Include postage, fees, discounts, vouchers and manual lines"
    )


class FiguresSerializer(serializers.Serializer):
    revenue = serializers.CharField(help_text="Σ quantity x unit price, returns netted. " + MONEY_HELP)
    orders = serializers.IntegerField(help_text="Distinct invoices with at least one sale line")
    units = serializers.IntegerField(help_text="Net units: sales minus returns")
    customers = serializers.IntegerField(help_text="Distinct identified customers with a sale line")
    average_order_value = serializers.CharField(
        allow_null=True, help_text="revenue / orders; null without orders"
    )


class PreviousFiguresSerializer(FiguresSerializer):
    start = serializers.DateField()
    end = serializers.DateField()


class GrowthSerializer(serializers.Serializer):
    revenue = serializers.FloatField(allow_null=True)
    orders = serializers.FloatField(allow_null=True)
    units = serializers.FloatField(allow_null=True)
    customers = serializers.FloatField(allow_null=True)
    average_order_value = serializers.FloatField(allow_null=True)


class RevenueForecastSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    first_date = serializers.DateField()
    revenue = serializers.CharField()
    lower = serializers.CharField()
    upper = serializers.CharField()
    model = serializers.CharField()


class OverviewSerializer(FiguresSerializer):
    start = serializers.DateField()
    end = serializers.DateField()
    previous = PreviousFiguresSerializer(help_text="The window of equal length just before")
    growth = GrowthSerializer(help_text="(current - previous) / previous as a ratio; null when previous is 0")
    forecast = RevenueForecastSerializer(
        allow_null=True, help_text="Revenue of the next 30 days, with bounds"
    )


class TrendPointSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="The period's first day (weeks start on Monday)")
    revenue = serializers.CharField()
    orders = serializers.IntegerField()
    units = serializers.IntegerField()


class TrendSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    granularity = serializers.CharField()
    results = TrendPointSerializer(many=True)


class CategoryRowSerializer(serializers.Serializer):
    category = serializers.CharField()
    revenue = serializers.CharField()
    units = serializers.IntegerField()
    orders = serializers.IntegerField()
    revenue_share = serializers.FloatField(allow_null=True)


class CategoriesSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    revenue = serializers.CharField(help_text="The categories' sum: the window's revenue")
    results = CategoryRowSerializer(many=True)


class RegionRowSerializer(CategoryRowSerializer):
    category = None
    country = serializers.CharField()
    customers = serializers.IntegerField()


class RegionsSerializer(CategoriesSerializer):
    results = RegionRowSerializer(many=True)


class TopProductRowSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    revenue = serializers.CharField()
    units = serializers.IntegerField()
    lines = serializers.IntegerField()
    non_product = serializers.BooleanField(help_text="Postage, fees, discounts, vouchers or manual lines")


class TopProductsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    by = serializers.CharField()
    results = TopProductRowSerializer(many=True)


class IntegrityQuerySerializer(serializers.Serializer):
    verify = serializers.BooleanField(
        default=False, help_text="Recompute every tree from the database and say which changed"
    )


class ProofQuerySerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**31 - 1, help_text="The leaf's number, from 1")


class VerificationSerializer(serializers.Serializer):
    intact = serializers.BooleanField()
    root_now = serializers.CharField()
    rows_now = serializers.IntegerField()
    changed = serializers.IntegerField(help_text="Rows whose canonical bytes differ from the sealed ones")
    deleted = serializers.IntegerField(help_text="Sealed rows no longer in the database")
    added = serializers.IntegerField(help_text="Rows in the database that were not sealed")
    file_sha256_now = serializers.CharField(required=False, allow_null=True)
    file_intact = serializers.BooleanField(required=False)


class SealSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    root = serializers.CharField(help_text="RFC 6962 Merkle tree hash, hex")
    sealed_at = serializers.DateTimeField()
    verification = VerificationSerializer(required=False)


class UploadSealSerializer(SealSerializer):
    upload = serializers.IntegerField()
    file_name = serializers.CharField()
    sha256 = serializers.CharField(help_text="SHA-256 of the stored file, hex")


class DaySealSerializer(SealSerializer):
    day = serializers.DateField(help_text="Sales of that day not from an upload (API, receipts)")


class IntegritySerializer(serializers.Serializer):
    uploads = UploadSealSerializer(many=True)
    days = DaySealSerializer(many=True)
    verified_at = serializers.DateTimeField(required=False)
    changed_uploads = serializers.ListField(child=serializers.IntegerField(), required=False)
    changed_days = serializers.ListField(child=serializers.DateField(), required=False)


class ProofSerializer(serializers.Serializer):
    upload = serializers.IntegerField()
    line = serializers.IntegerField()
    tree_size = serializers.IntegerField()
    leaf_index = serializers.IntegerField()
    leaf = serializers.CharField(help_text="SHA-256(0x00 ‖ row bytes) as sealed, hex")
    audit_path = serializers.ListField(
        child=serializers.CharField(), help_text="Sibling hashes, leaf to root"
    )
    root = serializers.CharField()
    transaction = serializers.IntegerField(allow_null=True)
    line_key = serializers.CharField(allow_null=True)
    row = serializers.CharField(allow_null=True, help_text="The row's canonical bytes now (UTF-8)")
    row_matches_leaf = serializers.BooleanField()
