"""Thin analytics views: validate the filters, call one selector, return its figures."""

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from accounts.tenancy.views import TenantAPIView
from apps.analytics import ledger, selectors
from apps.analytics import serializers as schema
from apps.analytics.models import LedgerSeal
from data.models import UploadRecord
from project.common.exceptions import ApplicationError


class AnalyticsView(TenantAPIView):
    query_serializer = schema.WindowSerializer

    def query(self, request):
        """The validated query and the window it names (a bad parameter is a 400 naming it)."""
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        latest = selectors.latest_sale_day(business=request.business) or timezone.localdate(
            timezone=_zone(request.business)
        )
        return query.validated_data, query.window(latest=latest)


def _zone(business):
    from zoneinfo import ZoneInfo

    return ZoneInfo(business.timezone)


class OverviewView(AnalyticsView):
    @extend_schema(parameters=[schema.WindowSerializer], responses=schema.OverviewSerializer)
    def get(self, request):
        _, window = self.query(request)
        body = selectors.overview(business=request.business, window=window)
        body["forecast"] = selectors.revenue_forecast(business=request.business)
        return Response(body)


class SalesTrendView(AnalyticsView):
    query_serializer = schema.TrendQuerySerializer

    @extend_schema(parameters=[schema.TrendQuerySerializer], responses=schema.TrendSerializer)
    def get(self, request):
        query, window = self.query(request)
        results = selectors.sales_trend(
            business=request.business, window=window, granularity=query["granularity"]
        )
        return Response(
            {
                "start": window.start,
                "end": window.end,
                "granularity": query["granularity"],
                "results": results,
            }
        )


class CategoriesView(AnalyticsView):
    @extend_schema(parameters=[schema.WindowSerializer], responses=schema.CategoriesSerializer)
    def get(self, request):
        _, window = self.query(request)
        return Response(selectors.categories(business=request.business, window=window))


class RegionsView(AnalyticsView):
    @extend_schema(parameters=[schema.WindowSerializer], responses=schema.RegionsSerializer)
    def get(self, request):
        _, window = self.query(request)
        return Response(selectors.regions(business=request.business, window=window))


class TopProductsView(AnalyticsView):
    query_serializer = schema.TopProductsQuerySerializer

    @extend_schema(parameters=[schema.TopProductsQuerySerializer], responses=schema.TopProductsSerializer)
    def get(self, request):
        query, window = self.query(request)
        results = selectors.top_products(
            business=request.business,
            window=window,
            by=query["by"],
            limit=query["limit"],
            include_non_product=query["include_non_product"],
        )
        return Response({"start": window.start, "end": window.end, "by": query["by"], "results": results})


class IntegrityView(TenantAPIView):
    """Per upload its file's SHA-256 and the Merkle root of its rows; per closed day, the root of the
    sales entered by the API and by receipts. Seals what is due first; ``?verify=true`` recomputes."""

    @extend_schema(parameters=[schema.IntegrityQuerySerializer], responses=schema.IntegritySerializer)
    def get(self, request):
        query = schema.IntegrityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        ledger.ledger_seal_due(business=request.business)
        return Response(
            ledger.ledger_report(business=request.business, verify=query.validated_data["verify"])
        )


class IntegrityProofView(TenantAPIView):
    """The inclusion proof of one row of an upload: leaf, audit path and root."""

    @extend_schema(parameters=[schema.ProofQuerySerializer], responses=schema.ProofSerializer)
    def get(self, request, upload_id: int):
        upload = get_object_or_404(UploadRecord.objects.for_business(request.business), pk=upload_id)
        query = schema.ProofQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        seal = LedgerSeal.objects.filter(business_id=request.business.pk, upload=upload).first()
        if seal is None:
            raise NotFound("This upload has no sealed ledger: only completed uploads are sealed.")
        line = query.validated_data["line"]
        if line > seal.rows:
            raise ApplicationError(f"The upload's tree has {seal.rows} rows.", field="line")
        return Response(ledger.ledger_proof(seal=seal, index=line - 1))
