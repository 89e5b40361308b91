"""Advice routes, under /api/data/ as the contract names them."""

from django.urls import path

from apps.advice import views

recommendations = views.RecommendationViewSet

urlpatterns = [
    path("recommendations/", recommendations.as_view({"get": "list"}), name="recommendation-list"),
    path(
        "recommendations/<int:pk>/",
        recommendations.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="recommendation-detail",
    ),
    path("pricing-suggestions/", views.PriceSuggestionListView.as_view(), name="pricing-suggestion-list"),
    path("campaign-plan/", views.CampaignPlanView.as_view(), name="campaign-plan"),
    path("campaigns/generate/", views.CampaignGenerateView.as_view(), name="campaign-generate"),
]
