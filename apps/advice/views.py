"""Thin views over advice: validate, call one service or selector, serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from accounts.tenancy.views import TenantAPIView, TenantGenericAPIView, TenantViewMixin
from apps.advice import selectors, services
from apps.advice.filters import RecommendationFilter
from apps.advice.serializers import (
    CampaignCopySerializer,
    CampaignGenerateSerializer,
    CampaignPlanRowSerializer,
    PriceSuggestionSerializer,
    RecommendationSerializer,
    RecommendationUpdateSerializer,
)
from data.models import Recommendation


class RecommendationViewSet(
    TenantViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The feed: standing recommendations, most urgent first; snoozed ones return on their date."""

    serializer_class = RecommendationSerializer
    filterset_class = RecommendationFilter
    ordering_fields = ["created_at", "updated_at", "kind", "status"]
    model = Recommendation

    def get_tenant_queryset(self, business):
        if self.action == "list":
            return selectors.recommendation_list(business=business)
        # One by id: snoozed and resolved ones too, so a snooze can be lifted.
        return Recommendation.objects.for_business(business).select_related("product")

    @extend_schema(request=RecommendationUpdateSerializer, responses=RecommendationSerializer)
    def partial_update(self, request, pk=None):
        self.get_object()  # another business's recommendation is a 404 before anything is validated
        serializer = RecommendationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.recommendation_update(
            business=request.business, recommendation_id=int(pk), data=serializer.validated_data
        )
        row = Recommendation.objects.for_business(request.business).select_related("product").get(pk=pk)
        return Response(RecommendationSerializer(row).data)


class PriceSuggestionListView(TenantGenericAPIView):
    """Per sold product: the elasticity with its interval and, where the evidence allows, a price."""

    serializer_class = PriceSuggestionSerializer

    def get_tenant_queryset(self, business):
        return selectors.price_suggestion_list(business=business)

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CampaignPlanView(TenantGenericAPIView):
    serializer_class = CampaignPlanRowSerializer
    model = Recommendation

    def get_tenant_queryset(self, business):
        return selectors.campaign_plan(business=business)

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CampaignGenerateView(TenantAPIView):
    @extend_schema(request=CampaignGenerateSerializer, responses=CampaignCopySerializer)
    def post(self, request):
        serializer = CampaignGenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        copy = services.campaign_copy_generate(
            business=request.business, plan_row_id=serializer.validated_data["id"]
        )
        return Response(CampaignCopySerializer(copy).data)
