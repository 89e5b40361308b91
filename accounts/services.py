"""Writes for users, businesses, memberships and invitations."""

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import Business, Invitation, Membership, Role, User, email_normalize
from project.common.exceptions import ApplicationError, ConflictError


def user_register(*, email: str, password: str, name: str, business_name: str) -> tuple[User, Business]:
    """A new user and their first business, which they own."""
    email = email_normalize(email)
    with transaction.atomic():
        if User.objects.filter(email=email).exists():
            raise ApplicationError("A user with this email already exists.", field="email")
        try:
            with transaction.atomic():
                user = User.objects.create_user(email=email, password=password, name=name)
        except IntegrityError as error:
            raise ApplicationError("A user with this email already exists.", field="email") from error
        business = Business.objects.create(name=business_name)
        Membership.objects.create(business=business, user=user, role=Role.OWNER)
    return user, business


def membership_delete(*, membership: Membership) -> None:
    """Remove a member; refuses to remove the business's last owner.

    The business's owner memberships are locked (in primary-key order, so two removals cannot deadlock)
    before they are counted: two owners removing each other at once take turns, and the second sees
    one owner left. The membership's role is read again under the lock, not trusted from the caller.
    """
    with transaction.atomic():
        owners = list(
            Membership.objects.select_for_update()
            .filter(business_id=membership.business_id, role=Role.OWNER)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        current = Membership.objects.select_for_update().filter(pk=membership.pk).first()
        if current is None:  # removed meanwhile by someone else
            return
        if current.role == Role.OWNER and len(owners) <= 1:
            raise ConflictError("A business needs at least one owner.")
        current.delete()


def invitation_create(*, business: Business, email: str, role: str, invited_by: User) -> Invitation:
    """Invite an email address to the business with a role; nothing changes for anyone until they accept.

    The answer is the same whether or not the email has an account, so inviting cannot be used to learn
    who is registered. Inviting an address that already has a pending invitation updates its role.
    Refused (400) only for what the owner can see anyway: an email that is already a member.
    """
    email = email_normalize(email)
    with transaction.atomic():
        if Membership.objects.filter(business=business, user__email=email).exists():
            raise ApplicationError("This email is already a member of the business.", field="email")
        invitation, created = Invitation.objects.select_for_update().get_or_create(
            business=business,
            email=email,
            status=Invitation.Status.PENDING,
            defaults={"role": role, "invited_by": invited_by},
        )
        if not created and (invitation.role, invitation.invited_by_id) != (role, invited_by.pk):
            invitation.role, invitation.invited_by = role, invited_by
            invitation.save(update_fields=["role", "invited_by", "updated_at"])
    return invitation


def _pending_invitation_locked(*, user: User, invitation_id: int) -> Invitation:
    """The user's own pending invitation, locked; anyone else's (or a settled one) does not exist: 404."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("business")
        .filter(pk=invitation_id, email=email_normalize(user.email), status=Invitation.Status.PENDING)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def invitation_accept(*, user: User, invitation_id: int) -> Invitation:
    """Accept one's own pending invitation: the membership is created now, with the invited role."""
    with transaction.atomic():
        invitation = _pending_invitation_locked(user=user, invitation_id=invitation_id)
        Membership.objects.get_or_create(
            business=invitation.business, user=user, defaults={"role": invitation.role}
        )
        invitation.status = Invitation.Status.ACCEPTED
        invitation.responded_at = timezone.now()
        invitation.save(update_fields=["status", "responded_at", "updated_at"])
    return invitation


def invitation_decline(*, user: User, invitation_id: int) -> Invitation:
    """Decline one's own pending invitation; no membership is created."""
    with transaction.atomic():
        invitation = _pending_invitation_locked(user=user, invitation_id=invitation_id)
        invitation.status = Invitation.Status.DECLINED
        invitation.responded_at = timezone.now()
        invitation.save(update_fields=["status", "responded_at", "updated_at"])
    return invitation
