from types import SimpleNamespace

from django.db.models import F
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.response import Response

from accounts.tenancy.views import TenantAPIView, TenantViewMixin
from apps.forecasting import selectors, services
from apps.forecasting.models import ForecastRun, ProductForecast
from apps.forecasting.serializers import (
    ForecastDetailSerializer,
    ForecastRunSerializer,
    ForecastSummarySerializer,
    HorizonSerializer,
)
from data.models import Product

HORIZON_PARAMETER = OpenApiParameter("horizon", int, enum=[7, 30, 90], description="Days ahead (default 30)")


def _horizon(request) -> int:
    serializer = HorizonSerializer(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return int(serializer.validated_data["horizon"])


class ForecastSummaryView(TenantViewMixin, generics.ListAPIView):
    """Every forecast product: expected units, model, backtest error, cover and whether to reorder now.

    A list view, so the schema documents it as the paginated list it answers.
    """

    serializer_class = ForecastSummarySerializer
    model = ProductForecast
    ordering_fields = ["predicted_units", "backtest_error", "sku", "name", "stock_quantity", "model"]

    def get_tenant_queryset(self, business):
        return selectors.forecast_list(business=business).annotate(
            predicted_units=F(f"predicted_{_horizon(self.request)}"),
            backtest_error=F("mase"),
            sku=F("product__sku"),
            name=F("product__name"),
            stock_quantity=F("product__stock_quantity"),
        )

    @extend_schema(parameters=[HORIZON_PARAMETER])
    def list(self, request, *args, **kwargs):
        horizon = _horizon(request)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = [
            SimpleNamespace(
                forecast=forecast,
                horizon_days=horizon,
                predicted_units=getattr(forecast, f"predicted_{horizon}"),
                reorder=selectors.reorder_for(forecast),
            )
            for forecast in page
        ]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class ForecastDetailView(TenantAPIView):
    @extend_schema(parameters=[HORIZON_PARAMETER], responses=ForecastDetailSerializer)
    def get(self, request, product_id: int):
        horizon = _horizon(request)
        get_object_or_404(Product.objects.for_business(request.business), pk=product_id)
        forecast = selectors.forecast_for_product(business=request.business, product_id=product_id)
        if forecast is None:
            return Response(
                {"detail": "No forecast for this product yet: it needs sales, then a refresh."},
                status=status.HTTP_404_NOT_FOUND,
            )
        points = selectors.points_frame(forecast, horizon)
        reorder = selectors.reorder_for(forecast)
        body = {
            "product": product_id,
            "horizon_days": horizon,
            "predicted_units": float(points["predicted"].sum()),
            "model": forecast.model,
            "backtest": {
                "metric": "MASE",
                "error": forecast.mase,
                "history_days": forecast.history_days,
                "note": forecast.note,
            },
            "points": [
                {"date": row.ds.date(), "predicted": row.predicted, "lower": row.lower, "upper": row.upper}
                for row in points.itertuples()
            ],
            "reorder": reorder,
            "generated_at": forecast.updated_at,
        }
        return Response(ForecastDetailSerializer(body).data)


class ForecastRefreshView(TenantAPIView):
    @extend_schema(request=None, responses={202: ForecastRunSerializer})
    def post(self, request):
        run = services.forecast_refresh_request(business=request.business, trigger=ForecastRun.Trigger.MANUAL)
        return Response(ForecastRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class ForecastRunViewSet(
    TenantViewMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet
):
    serializer_class = ForecastRunSerializer

    def get_tenant_queryset(self, business):
        return selectors.run_list(business=business)
