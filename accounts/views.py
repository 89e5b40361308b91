from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts import selectors, services
from accounts.models import Membership
from accounts.serializers import (
    BusinessSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    LoginRequestSerializer,
    LogoutSerializer,
    MemberSerializer,
    MeSerializer,
    RegisterResponseSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.tenancy.views import TenantViewMixin
from accounts.throttling import LoginThrottle, registration_reserve
from accounts.tokens import FamilyRefreshToken, token_family, token_family_revoke
from project.common.exceptions import ApplicationError
from project.common.schema import ErrorSerializer

TOO_MANY_ATTEMPTS = OpenApiResponse(description="Too many attempts from this client; see Retry-After.")


class RegisterView(APIView):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    @extend_schema(
        request=RegisterSerializer, responses={201: RegisterResponseSerializer, 429: TOO_MANY_ATTEMPTS}
    )
    def post(self, request):
        """Every attempt counts against the address (429 past the limit): this bounds probing for emails."""
        registration_reserve(request)
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, business = services.user_register(**serializer.validated_data)
        refresh = FamilyRefreshToken.for_user(user)
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
    """Email and password for a token pair. Failed attempts are throttled (``accounts/throttling.py``)."""

    throttled = True  # the schema documents its 429 and Retry-After

    @extend_schema(
        request=LoginRequestSerializer, responses={200: TokenPairSerializer, 429: TOO_MANY_ATTEMPTS}
    )
    def post(self, request, *args, **kwargs):
        credentials = LoginRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        throttle = LoginThrottle(request=request, email=credentials.validated_data["email"])
        throttle.reserve()
        response = super().post(
            request, *args, **kwargs
        )  # a wrong password raises: the attempt stays counted
        throttle.succeeded(response)
        return response


class RefreshView(TokenRefreshView):
    """Rotates the refresh token; an old one presented again revokes its whole login (accounts/tokens.py)."""

    @extend_schema(responses={200: TokenPairSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


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
        # The whole login ends: its refresh tokens, and the access tokens minted from them (this one too).
        families = {token_family(token.payload)}
        if request.auth is not None:
            families.add(token_family(request.auth.payload))
        for family in families:
            token_family_revoke(user_id=request.user.pk, family=family)
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
    """The business's members. Everyone may list them; only owners invite (POST) or remove."""

    serializer_class = MemberSerializer
    owner_only_write = True
    ordering_fields = ["created_at", "role"]
    ordering = ["created_at"]

    def get_tenant_queryset(self, business):
        return (
            Membership.objects.filter(business=business).select_related("user").order_by("created_at", "pk")
        )

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def create(self, request, *args, **kwargs):
        """Invite an email: 201 with the invitation, the same whether or not the email has an account."""
        serializer = InvitationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_create(
            business=request.business, invited_by=request.user, **serializer.validated_data
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 409: ErrorSerializer})
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        services.membership_delete(membership=instance)


class InvitationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own pending invitations, from any business: about the user, so no ``X-Business-ID``.

    An invitation sent to anyone else's email does not exist for the caller (404), whatever their role
    in the inviting business.
    """

    serializer_class = InvitationSerializer
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return InvitationSerializer.Meta.model.objects.none()
        return selectors.invitation_list_pending(user=self.request.user)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept: the membership is created now, with the invited role."""
        invitation = services.invitation_accept(user=request.user, invitation_id=pk)
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        invitation = services.invitation_decline(user=request.user, invitation_id=pk)
        return Response(InvitationSerializer(invitation).data)
