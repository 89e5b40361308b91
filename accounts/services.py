"""Writes for users, businesses and memberships."""

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from accounts.models import Business, Membership, Role, User
from project.common.exceptions import ApplicationError, ConflictError


def user_register(*, email: str, password: str, name: str, business_name: str) -> tuple[User, Business]:
    """A new user and their first business, which they own."""
    email = email.strip().lower()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists():
            raise ApplicationError("A user with this email already exists.", field="email")
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, name=name)
        except IntegrityError as error:
            raise ApplicationError("A user with this email already exists.", field="email") from error
        business = Business.objects.create(name=business_name)
        Membership.objects.create(business=business, user=user, role=Role.OWNER)
    return user, business


def membership_create(*, business: Business, email: str, role: str) -> Membership:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise ApplicationError("No user with this email: they must register first.", field="email")
    membership, created = Membership.objects.get_or_create(
        business=business, user=user, defaults={"role": role}
    )
    if not created:
        raise ApplicationError("This user is already a member of the business.", field="email")
    return membership


def membership_delete(*, membership: Membership) -> None:
    with transaction.atomic():
        owners = Membership.objects.select_for_update().filter(
            business_id=membership.business_id, role=Role.OWNER
        )
        if membership.role == Role.OWNER and owners.count() <= 1:
            raise ConflictError("A business needs at least one owner.")
        membership.delete()


class LoginFailures:
    """Counts failed logins per account and per client address in the cache, for throttling (429)."""

    def __init__(self, *, email: str, address: str):
        self.keys = {
            f"login-failures:account:{email.strip().lower()}": settings.LOGIN_FAILURES_PER_ACCOUNT,
            f"login-failures:address:{address}": settings.LOGIN_FAILURES_PER_ADDRESS,
        }
        self.window = int(settings.LOGIN_FAILURE_WINDOW.total_seconds())

    def exceeded(self) -> bool:
        counts = cache.get_many(list(self.keys))
        return any(counts.get(key, 0) >= limit for key, limit in self.keys.items())

    def record_failure(self) -> None:
        for key in self.keys:
            if not cache.add(key, 1, timeout=self.window):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add and incr
                    cache.add(key, 1, timeout=self.window)

    def clear_account(self) -> None:
        cache.delete(next(iter(self.keys)))
