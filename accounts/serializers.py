from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from rest_framework import serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from accounts.models import Business, Invitation, Membership, Role, User
from accounts.tokens import FAMILY_CLAIM, FamilyRefreshToken, token_family, token_family_revoke


class BusinessSerializer(serializers.ModelSerializer):
    class Meta:
        model = Business
        fields = ["id", "name"]


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name"]


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False)
    name = serializers.CharField(max_length=150, allow_blank=True, required=False, default="")
    business_name = serializers.CharField(max_length=200)

    def validate(self, attrs):
        candidate = User(email=attrs["email"], name=attrs.get("name", ""))
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"password": list(error.messages)}) from error
        return attrs


class RegisterResponseSerializer(serializers.Serializer):
    user = UserSerializer()
    business = BusinessSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class MembershipSummarySerializer(serializers.ModelSerializer):
    business = BusinessSerializer()

    class Meta:
        model = Membership
        fields = ["business", "role"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSummarySerializer(many=True)

    class Meta:
        model = User
        fields = ["id", "email", "name", "memberships"]


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.name", read_only=True)
    user_id = serializers.IntegerField(read_only=True)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)

    class Meta:
        model = Membership
        fields = ["id", "user_id", "email", "name", "role", "created_at"]
        read_only_fields = ["id", "created_at"]


class InvitationCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.VIEWER)


class InvitationSerializer(serializers.ModelSerializer):
    business = BusinessSerializer(read_only=True)

    class Meta:
        model = Invitation
        fields = ["id", "business", "email", "role", "status", "created_at", "responded_at"]
        read_only_fields = fields


class LoginRequestSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=4096, write_only=True, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class LoginSerializer(TokenObtainPairSerializer):
    """Email and password for a token pair that starts a new token family."""

    token_class = FamilyRefreshToken


class RefreshSerializer(TokenRefreshSerializer):
    """Rotates a refresh token, once: presenting one already used revokes its whole family.

    The old token is blacklisted before the new one is issued, with a unique row, so two requests
    rotating the same token at once cannot both succeed: the second is a reuse like any other.
    """

    token_class = FamilyRefreshToken

    def validate(self, attrs):
        raw = attrs["refresh"]
        try:
            payload = token_backend.decode(raw, verify=True)  # signature and expiry; not the blacklist
        except Exception as error:
            raise TokenError("Token is invalid or expired") from error
        if payload.get(api_settings.TOKEN_TYPE_CLAIM) == "refresh" and self._already_used(payload):
            self._revoke(payload)
        refresh = self.token_class(raw)
        user = User.objects.filter(pk=refresh.payload.get(api_settings.USER_ID_CLAIM)).first()
        if user is None or not api_settings.USER_AUTHENTICATION_RULE(user):
            raise TokenError("No active account found for the given token.")
        refresh[FAMILY_CLAIM] = token_family(refresh.payload)
        # One transaction: a concurrent reuse waits on the blacklist row's unique index until the new
        # token is stored too, so the family it then revokes includes the token issued here.
        with transaction.atomic():
            _, blacklisted_now = refresh.blacklist()
            if blacklisted_now:
                data = {"access": str(refresh.access_token)}
                refresh.set_jti()
                refresh.set_exp()
                refresh.set_iat()
                refresh.outstand()
                data["refresh"] = str(refresh)
        if not blacklisted_now:  # another request rotated it a moment ago
            self._revoke(payload)
        return data

    @staticmethod
    def _already_used(payload) -> bool:
        return BlacklistedToken.objects.filter(token__jti=payload[api_settings.JTI_CLAIM]).exists()

    @staticmethod
    def _revoke(payload):
        token_family_revoke(user_id=payload.get(api_settings.USER_ID_CLAIM), family=token_family(payload))
        raise TokenError("This refresh token was already used: every token of its login is now revoked.")
