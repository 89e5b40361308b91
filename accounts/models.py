"""Users, businesses (the tenant) and the memberships that tie them together with a role."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from project.common.models import TimeStampedModel


def email_normalize(email: str) -> str:
    """The one form an email address is stored and looked up in: trimmed and lower-cased.

    Mail systems treat the local part case-insensitively in practice, and people type ``Ada@Example.com``
    as readily as ``ada@example.com``: both must name the same account everywhere.
    """
    return str(email).strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return email_normalize(email or "")

    def get_by_natural_key(self, username: str) -> "User":
        """Login (API and admin) finds the account whatever the case of the email typed."""
        return self.get(**{self.model.USERNAME_FIELD: email_normalize(username)})

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=email_normalize(email), **fields)
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

    class Meta:
        constraints = [
            # Emails are stored normalised (``save``); this refuses a case variant whatever path wrote it.
            models.UniqueConstraint(Lower("email"), name="user_email_unique_case_insensitive"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = email_normalize(self.email)

    def save(self, *args, **kwargs) -> None:
        # Every path (admin forms, createsuperuser, scripts) stores the one normalised form.
        self.email = email_normalize(self.email)
        super().save(*args, **kwargs)


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


class Invitation(TimeStampedModel):
    """An owner's offer of a role in their business to an email address.

    Nothing changes for the invited person until they accept: the membership is created then. The
    invitation names an email, not a user, so inviting says nothing about whether that email has an
    account; whoever logs in with that email (compared in its normalised form) sees it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open invitation per business and email: inviting again updates it.
            models.UniqueConstraint(
                fields=["business", "email"],
                condition=models.Q(status="pending"),
                name="invitation_unique_pending",
            ),
        ]
        indexes = [models.Index(fields=["email", "status"], name="invitation_email_status")]

    def __str__(self) -> str:
        return f"{self.email} → {self.business} ({self.role}, {self.status})"

    def save(self, *args, **kwargs) -> None:
        self.email = email_normalize(self.email)
        super().save(*args, **kwargs)


# Defined with the tenancy primitives it serves; imported here so that the app registers it.
from accounts.tenancy.models import IdempotentRequest  # noqa: E402, F401
