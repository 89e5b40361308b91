from rest_framework import serializers

from apps.churn.models import CustomerScoreRun


class CustomerScoreRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerScoreRun
        fields = [
            "id",
            "status",
            "trigger",
            "customers_total",
            "customers_done",
            "as_of",
            "method",
            "validation_auc",
            "note",
            "detail",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
