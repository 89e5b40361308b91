from django.urls import path
from rest_framework_simplejwt.views import TokenRefreshView

from accounts import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", TokenRefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("business/members/", views.MemberViewSet.as_view({"get": "list", "post": "create"}), name="members"),
    path(
        "business/members/<int:pk>/", views.MemberViewSet.as_view({"delete": "destroy"}), name="member-detail"
    ),
]
