"""The one base for every view that reads or writes a business's records."""

from rest_framework import generics, permissions, viewsets
from rest_framework.views import APIView

from accounts.tenancy.permissions import HasBusinessRole
from accounts.tenancy.resolution import BUSINESS_HEADER, resolve_membership


class TenantViewMixin:
    """Resolves the business before any permission check and scopes every queryset to it.

    Subclasses implement :meth:`get_tenant_queryset` (usually a selector taking the business);
    ``get_object`` then looks up only inside that queryset, so a record of another business is the same
    404 as a missing one. ``perform_create`` stamps the business: a ``business`` in the body is ignored.
    """

    permission_classes = [permissions.IsAuthenticated, HasBusinessRole]

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        if request.user and request.user.is_authenticated:
            request.membership = resolve_membership(
                user=request.user, header_value=request.headers.get(BUSINESS_HEADER)
            )
            request.business = request.membership.business
        super().initial(request, *args, **kwargs)

    @property
    def business(self):
        return self.request.business

    def get_tenant_queryset(self, business):
        model = getattr(self, "model", None) or self.serializer_class.Meta.model
        return model.objects.for_business(business)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no request business
            model = getattr(self, "model", None) or self.serializer_class.Meta.model
            return model.objects.unscoped().none()
        return self.get_tenant_queryset(self.request.business)

    def perform_create(self, serializer):
        serializer.save(business=self.request.business)


class TenantAPIView(TenantViewMixin, APIView):
    pass


class TenantGenericAPIView(TenantViewMixin, generics.GenericAPIView):
    pass


class TenantReadOnlyViewSet(TenantViewMixin, viewsets.ReadOnlyModelViewSet):
    pass


class TenantModelViewSet(TenantViewMixin, viewsets.ModelViewSet):
    pass
