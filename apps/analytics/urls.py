from django.urls import path

from apps.analytics import views

urlpatterns = [
    path("overview/", views.OverviewView.as_view(), name="analytics-overview"),
    path("sales-trend/", views.SalesTrendView.as_view(), name="analytics-sales-trend"),
    path("categories/", views.CategoriesView.as_view(), name="analytics-categories"),
    path("top-products/", views.TopProductsView.as_view(), name="analytics-top-products"),
    path("regions/", views.RegionsView.as_view(), name="analytics-regions"),
]
