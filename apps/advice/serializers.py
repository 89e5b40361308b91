from rest_framework import serializers

from apps.advice.models import PriceSuggestion
from data.models import Recommendation


class RecommendationSerializer(serializers.ModelSerializer):
    product_name = serializers.CharField(source="product.name", read_only=True, default=None)

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "kind",
            "title",
            "reason",
            "urgency",
            "status",
            "product",
            "product_name",
            "segment",
            "customer",
            "figures",
            "snooze_until",
            "seen_at",
            "done_at",
            "dismissed_at",
            "refreshed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RecommendationUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["seen", "done", "dismissed"], required=False)
    snooze_until = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"status": ["Give a status, a snooze_until date, or both."]})
        return attrs


class PriceSuggestionSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    elasticity_interval = serializers.SerializerMethodField(help_text="[lower, upper], 95%")
    enough_evidence = serializers.SerializerMethodField()

    class Meta:
        model = PriceSuggestion
        fields = [
            "product",
            "product_sku",
            "product_name",
            "current_price",
            "unit_cost",
            "suggested_price",
            "elasticity",
            "elasticity_interval",
            "enough_evidence",
            "verdict",
            "reason",
            "weeks",
            "horizon_days",
            "baseline_units",
            "expected_revenue_change",
            "expected_margin_change",
            "updated_at",
        ]
        read_only_fields = fields

    def get_elasticity_interval(self, row) -> list[float] | None:
        if row.elasticity_lower is None:
            return None
        return [round(row.elasticity_lower, 3), round(row.elasticity_upper, 3)]

    def get_enough_evidence(self, row) -> bool:
        return row.verdict == "estimated"


class CampaignPlanRowSerializer(serializers.Serializer):
    """One plan row: a standing ``campaign`` recommendation's figures."""

    id = serializers.IntegerField()
    product = serializers.IntegerField(source="figures.product", allow_null=True)
    product_name = serializers.CharField(source="figures.product_name", allow_blank=True)
    objective = serializers.CharField(
        source="figures.objective", help_text="clear_overstock, win_back, grow_rising"
    )
    target_segment = serializers.CharField(source="figures.target_segment", allow_blank=True)
    segment_size = serializers.IntegerField(source="figures.segment_size")
    discount = serializers.IntegerField(source="figures.discount", help_text="percent off")
    margin_left = serializers.FloatField(source="figures.margin_left", allow_null=True)
    reason = serializers.CharField()
    figures = serializers.JSONField()
    status = serializers.CharField()


class CampaignGenerateSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="A campaign-plan row's id")


class CampaignCopySerializer(serializers.Serializer):
    email_subject = serializers.CharField()
    email_body = serializers.CharField()
    sms_text = serializers.CharField(max_length=160)
    source = serializers.CharField(help_text="template or llm")
    rejected = serializers.ListField(
        child=serializers.CharField(), help_text="why an LLM rewrite was not used"
    )
