from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView

from accounts import services
from accounts.models import Membership
from accounts.serializers import (
    BusinessSerializer,
    LogoutSerializer,
    MemberSerializer,
    MeSerializer,
    RegisterResponseSerializer,
    RegisterSerializer,
    UserSerializer,
)
from accounts.tenancy.views import TenantViewMixin
from project.common.exceptions import ApplicationError
from project.common.schema import ErrorSerializer


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(request=RegisterSerializer, responses={201: RegisterResponseSerializer})
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, business = services.user_register(**serializer.validated_data)
        refresh = RefreshToken.for_user(user)
        return Response(
            {
                "user": UserSerializer(user).data,
                "business": BusinessSerializer(business).data,
                "access": str(refresh.access_token),
                "refresh": str(refresh),
            },
            status=status.HTTP_201_CREATED,
        )


class LoginView(TokenObtainPairView):
    """Email and password for a token pair. Repeated failures per account or address answer 429."""

    throttled = True  # the schema documents its 429 and Retry-After

    def post(self, request, *args, **kwargs):
        failures = services.LoginFailures(
            email=str(request.data.get("email", "")), address=request.META.get("REMOTE_ADDR", "")
        )
        if failures.exceeded():
            raise Throttled(wait=failures.window, detail="Too many failed logins. Try again later.")
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            failures.record_failure()
            raise
        failures.clear_account()
        return response


class LogoutView(APIView):
    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = RefreshToken(serializer.validated_data["refresh"])
        except TokenError as error:
            raise ApplicationError(
                "This refresh token is invalid or already revoked.", field="refresh"
            ) from error
        if str(token.get("user_id")) != str(request.user.pk):
            raise ApplicationError("This refresh token is not yours.", field="refresh")
        token.blacklist()
        return Response(status=status.HTTP_205_RESET_CONTENT)


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = type(request.user).objects.prefetch_related("memberships__business").get(pk=request.user.pk)
        return Response(MeSerializer(user).data)


class MemberViewSet(
    TenantViewMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The business's members. Everyone may list them; only owners add or remove."""

    serializer_class = MemberSerializer
    owner_only_write = True
    ordering_fields = ["created_at", "role"]
    ordering = ["created_at"]

    def get_tenant_queryset(self, business):
        return (
            Membership.objects.filter(business=business).select_related("user").order_by("created_at", "pk")
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Membership.objects.none()
        return self.get_tenant_queryset(self.request.business)

    def perform_create(self, serializer):
        serializer.instance = services.membership_create(
            business=self.request.business,
            email=serializer.validated_data["user"]["email"],
            role=serializer.validated_data["role"],
        )

    @extend_schema(responses={204: None, 409: ErrorSerializer})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.membership_delete(membership=instance)
