"""Which business a request acts for."""

from rest_framework import exceptions

from accounts.models import Membership

BUSINESS_HEADER = "X-Business-ID"
# Ids are PostgreSQL bigints, bounded like every id the API reads (path, body or filter).
MAX_ID = 2**63 - 1


def resolve_membership(*, user, header_value: str | None) -> Membership:
    """The caller's membership for this request.

    The ``X-Business-ID`` header names the business; without it, the user's only business is used.
    400 when the header is malformed or the user has several businesses and names none; 403 when the
    header names a business the user is not a member of (whether or not it exists).
    """
    memberships = Membership.objects.select_related("business").filter(user=user)
    if header_value is not None:
        # Sent at all, it must be an id: a blank or malformed header is not the same as none.
        if not (header_value.isascii() and header_value.isdigit()):
            raise exceptions.ValidationError({BUSINESS_HEADER: ["Must be a business id (an integer)."]})
        business_id = int(header_value)
        if not 1 <= business_id <= MAX_ID:
            raise exceptions.ValidationError(
                {BUSINESS_HEADER: [f"Must be a business id from 1 to {MAX_ID}."]}
            )
        membership = memberships.filter(business_id=business_id).first()
        if membership is None:
            raise exceptions.PermissionDenied("You are not a member of that business.")
        return membership
    found = list(memberships[:2])
    if not found:
        raise exceptions.PermissionDenied("You are not a member of any business.")
    if len(found) > 1:
        raise exceptions.ValidationError(
            {BUSINESS_HEADER: ["You belong to several businesses: name one with the X-Business-ID header."]}
        )
    return found[0]
