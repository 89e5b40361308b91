import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field

from data.models import Customer, Product, StockAlert, StockMovement, Transaction
from data.stock import StockStatus
from project.common.schema import ID_SCHEMA


@extend_schema_field(ID_SCHEMA)
class IdFilter(django_filters.NumberFilter):
    """A record id. Not a model choice: choices would be checked against every business's rows (a 400
    for ids that exist nowhere, 200 for another business's) and the queryset is scoped already."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (also ``1``/``0``, any case); anything else is a 400, not "no filter"."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).lower()]
        except KeyError as error:
            raise forms.ValidationError("Must be true or false.") from error


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ProductFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="SKU or name contains")
    category = django_filters.CharFilter(field_name="category", lookup_expr="iexact")
    stock_status = django_filters.ChoiceFilter(choices=[(status, status) for status in StockStatus.CHOICES])

    class Meta:
        model = Product
        fields = ["search", "category", "stock_status"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value))


class StockMovementFilter(django_filters.FilterSet):
    product = IdFilter(field_name="product_id")

    class Meta:
        model = StockMovement
        fields = ["product", "reason"]


class StockAlertFilter(django_filters.FilterSet):
    """Active alerts are the ones nobody has acknowledged yet; ``?acknowledged=true`` lists the others."""

    product = IdFilter(field_name="product_id")
    acknowledged = BooleanFilter()

    class Meta:
        model = StockAlert
        fields = ["product", "kind", "acknowledged"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("acknowledged") is None:
            queryset = queryset.filter(acknowledged=False)
        return queryset


class TransactionFilter(django_filters.FilterSet):
    start = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte", label="From date")
    end = django_filters.DateFilter(
        field_name="timestamp", lookup_expr="date__lte", label="To date (inclusive)"
    )
    product = IdFilter(field_name="product_id")
    customer = IdFilter(field_name="customer_id")

    class Meta:
        model = Transaction
        fields = ["start", "end", "product", "customer", "invoice"]


class CustomerFilter(django_filters.FilterSet):
    class Meta:
        model = Customer
        fields = ["segment", "churn_risk", "country"]
