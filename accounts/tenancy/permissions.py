from rest_framework import permissions

from accounts.models import Role


class HasBusinessRole(permissions.BasePermission):
    """Viewers read; managers and owners write; views that set ``owner_only_write`` need an owner."""

    message = "Your role in this business does not allow this."

    def has_permission(self, request, view) -> bool:
        membership = getattr(request, "membership", None)
        if membership is None:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        if getattr(view, "owner_only_write", False):
            return membership.role == Role.OWNER
        return membership.can_write
