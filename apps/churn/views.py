from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.tenancy.views import TenantReadOnlyViewSet
from apps.churn import selectors, services
from data.filters import CustomerFilter
from data.selectors import customer_list
from data.serializers import CustomerSerializer


class CustomerViewSet(TenantReadOnlyViewSet):
    """Customers with their RFM figures, segment, churn risk and predicted 12-month value."""

    serializer_class = CustomerSerializer
    filterset_class = CustomerFilter
    ordering_fields = [
        "external_id",
        "recency_days",
        "frequency",
        "monetary",
        "churn_probability",
        "predicted_clv",
    ]

    def get_tenant_queryset(self, business):
        return customer_list(business=business)

    @extend_schema(parameters=[OpenApiParameter("refresh", bool, description="Recompute every score first")])
    def list(self, request, *args, **kwargs):
        if request.query_params.get("refresh", "").lower() in {"1", "true", "yes"}:
            services.customers_score(business=request.business, trigger="request")
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=dict)
    @action(detail=False, methods=["get"])
    def segments(self, request):
        return Response(selectors.segment_summary(business=request.business))
