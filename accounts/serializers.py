from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import Business, Membership, Role, User


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
