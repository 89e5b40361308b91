from rest_framework import serializers

from apps.forecasting.models import ForecastRun
from project.common.numbers import UnitsField


class HorizonSerializer(serializers.Serializer):
    horizon = serializers.ChoiceField(choices=[7, 30, 90], default=30)


class ReorderSerializer(serializers.Serializer):
    reorder_point = UnitsField()
    safety_stock = UnitsField()
    order_quantity = serializers.IntegerField()
    order_by = serializers.DateField(allow_null=True)
    days_of_cover = serializers.IntegerField(allow_null=True)
    stockout_date = serializers.DateField(allow_null=True)
    reorder_now = serializers.BooleanField()
    position = serializers.CharField(help_text="under, ok or over")
    advice = serializers.CharField(help_text="Why no reorder advice is given (too little history), or empty")


class ForecastSummarySerializer(serializers.Serializer):
    product = serializers.IntegerField(source="forecast.product_id")
    sku = serializers.CharField(source="forecast.product.sku")
    name = serializers.CharField(source="forecast.product.name")
    stock_quantity = serializers.IntegerField(source="forecast.product.stock_quantity")
    horizon_days = serializers.IntegerField()
    predicted_units = UnitsField()
    model = serializers.CharField(source="forecast.model")
    backtest_error = serializers.FloatField(source="forecast.mase", allow_null=True, help_text="MASE")
    note = serializers.CharField(source="forecast.note")
    days_of_cover = serializers.IntegerField(source="reorder.days_of_cover", allow_null=True)
    stockout_date = serializers.DateField(source="reorder.stockout_date", allow_null=True)
    reorder_now = serializers.BooleanField(source="reorder.reorder_now")
    order_quantity = serializers.IntegerField(source="reorder.order_quantity")


class PointSerializer(serializers.Serializer):
    date = serializers.DateField()
    predicted = UnitsField()
    lower = UnitsField()
    upper = UnitsField()


class BacktestSerializer(serializers.Serializer):
    metric = serializers.CharField()
    error = serializers.FloatField(allow_null=True)
    history_days = serializers.IntegerField()
    note = serializers.CharField()


class ForecastDetailSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    horizon_days = serializers.IntegerField()
    predicted_units = UnitsField()
    model = serializers.CharField()
    backtest = BacktestSerializer()
    points = PointSerializer(many=True)
    reorder = ReorderSerializer()
    generated_at = serializers.DateTimeField()


class ForecastRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ForecastRun
        fields = [
            "id",
            "status",
            "trigger",
            "products_total",
            "products_done",
            "products_skipped",
            "data_end",
            "detail",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
