"""Reads for accounts that are about the user rather than one business."""

from django.db.models import QuerySet

from accounts.models import Invitation, User, email_normalize


def invitation_list_pending(*, user: User) -> QuerySet[Invitation]:
    """The user's own pending invitations, from every business: those sent to their email."""
    return (
        Invitation.objects.filter(email=email_normalize(user.email), status=Invitation.Status.PENDING)
        .select_related("business")
        .order_by("-created_at", "-pk")
    )
