"""Users, businesses (the tenant) and the memberships that tie them together with a role."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone

from project.common.models import TimeStampedModel


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an email address; acts for one or more businesses."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    def __str__(self) -> str:
        return self.email


class Business(TimeStampedModel):
    """The tenant: every record of the merchant's books belongs to exactly one business."""

    class DateOrder(models.TextChoices):
        """How the business writes day-month dates; blank means "as is usual in its country"."""

        FROM_COUNTRY = "", "As usual in the country"
        MONTH_FIRST = "mdy", "Month first (01/31/2026)"
        DAY_FIRST = "dmy", "Day first (31/01/2026)"

    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="GBP")
    timezone = models.CharField(max_length=64, default="UTC")
    country = models.CharField(max_length=2, blank=True, default="", help_text="ISO 3166 code, e.g. GB")
    # Used by uploads with date_order "auto" when no date of the file tells day from month.
    date_order = models.CharField(max_length=3, choices=DateOrder.choices, blank=True, default="")
    members = models.ManyToManyField(User, through="Membership", related_name="businesses")

    class Meta:
        verbose_name_plural = "businesses"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    VIEWER = "viewer", "Viewer"


class Membership(TimeStampedModel):
    """A user's role in one business. Owners manage members; managers write data; viewers only read."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["business", "user"], name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} — {self.business} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in {Role.OWNER, Role.MANAGER}


# Defined with the tenancy primitives it serves; imported here so that the app registers it.
from accounts.tenancy.models import IdempotentRequest  # noqa: E402, F401
