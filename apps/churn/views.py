from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.tenancy.permissions import HasBusinessRole
from accounts.tenancy.views import TenantReadOnlyViewSet, TenantViewMixin
from apps.churn import selectors, services
from apps.churn.models import CustomerScoreRun
from apps.churn.serializers import CustomerScoreRunSerializer
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

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "refresh", bool, description="Queue a scoring run (202 with the run, as POST refresh/)"
            )
        ],
        responses={200: CustomerSerializer(many=True), 202: CustomerScoreRunSerializer},
    )
    def list(self, request, *args, **kwargs):
        if request.query_params.get("refresh", "").lower() in {"1", "true", "yes"}:
            # A rescore is a write, even asked for by a GET: viewers read only.
            if not request.membership.can_write:
                raise PermissionDenied(HasBusinessRole.message)
            return self._refresh(request, trigger=CustomerScoreRun.Trigger.REQUEST)
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses={202: CustomerScoreRunSerializer})
    @action(detail=False, methods=["post"])
    def refresh(self, request):
        """Queue a scoring run (or join the active one): 202 with the run."""
        return self._refresh(request, trigger=CustomerScoreRun.Trigger.MANUAL)

    def _refresh(self, request, *, trigger: str) -> Response:
        run = services.customers_score_request(business=request.business, trigger=trigger)
        return Response(CustomerScoreRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=dict)
    @action(detail=False, methods=["get"])
    def segments(self, request):
        return Response(selectors.segment_summary(business=request.business))


class CustomerScoreRunViewSet(TenantViewMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A scoring run: status, customers_total, customers_done, started_at, finished_at."""

    serializer_class = CustomerScoreRunSerializer

    def get_tenant_queryset(self, business):
        return selectors.run_list(business=business)
