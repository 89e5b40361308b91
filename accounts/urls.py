from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh/", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("business/members/", views.MemberViewSet.as_view({"get": "list", "post": "create"}), name="members"),
    path(
        "business/members/<int:pk>/", views.MemberViewSet.as_view({"delete": "destroy"}), name="member-detail"
    ),
    path("business/invitations/", views.InvitationViewSet.as_view({"get": "list"}), name="invitation-list"),
    path(
        "business/invitations/<int:pk>/accept/",
        views.InvitationViewSet.as_view({"post": "accept"}),
        name="invitation-accept",
    ),
    path(
        "business/invitations/<int:pk>/decline/",
        views.InvitationViewSet.as_view({"post": "decline"}),
        name="invitation-decline",
    ),
]
