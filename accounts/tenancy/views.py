"""The one base for every view that reads or writes a business's records."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import generics, permissions, viewsets
from rest_framework.views import APIView

from accounts.tenancy import idempotency
from accounts.tenancy.models import TenantModel, TenantQuerySet
from accounts.tenancy.permissions import HasBusinessRole
from accounts.tenancy.resolution import BUSINESS_HEADER, resolve_membership


class TenantViewMixin:
    """Resolves the business before any permission check and scopes every queryset to it.

    Subclasses implement :meth:`get_tenant_queryset` (usually a selector taking the business);
    ``get_object`` then looks up only inside that queryset, so a record of another business is the same
    404 as a missing one. ``perform_create`` stamps the business: a ``business`` in the body is ignored.

    Every POST accepts an ``Idempotency-Key`` header (:mod:`accounts.tenancy.idempotency`): the same key
    again returns the first answer and creates nothing.

    The scoping cannot be dropped by accident (PostHog's ``TeamAndOrgViewSetMixin`` guards it the same
    way): a subclass that defines ``get_queryset`` is refused when the class is created, and a tenant
    model's queryset from ``get_tenant_queryset`` must be scoped to the request's business.
    """

    permission_classes = [permissions.IsAuthenticated, HasBusinessRole]
    # The header naming the business; the OpenAPI schema documents it on every tenant operation.
    business_header = BUSINESS_HEADER

    # Methods that decide which rows a view sees: subclasses customise get_tenant_queryset instead.
    guarded_methods = ("get_queryset",)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cls.guarded_methods:
            if name in cls.__dict__:
                raise ImproperlyConfigured(
                    f"{cls.__name__} defines {name}(): tenant views implement get_tenant_queryset(business), "
                    "so that every query stays scoped to the request's business."
                )

    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        if request.user and request.user.is_authenticated:
            request.membership = resolve_membership(
                user=request.user, header_value=request.headers.get(BUSINESS_HEADER)
            )
            request.business = request.membership.business
        super().initial(request, *args, **kwargs)
        # After authentication and permissions: a viewer's retried POST is still a 403, not a replay.
        self.idempotent_request = idempotency.idempotency_claim(request)

    def handle_exception(self, exc):
        if isinstance(exc, idempotency.Replay):
            return idempotency.replay_response(exc.record)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        record = getattr(self, "idempotent_request", None)
        if record is not None:
            self.idempotent_request = None
            if not response.has_header("Idempotent-Replayed"):
                idempotency.idempotency_store(record, response)
        return super().finalize_response(request, response, *args, **kwargs)

    @property
    def business(self):
        return self.request.business

    def get_tenant_queryset(self, business):
        model = getattr(self, "model", None) or self.serializer_class.Meta.model
        return model.objects.for_business(business)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no request business
            model = getattr(self, "model", None) or self.serializer_class.Meta.model
            return model._default_manager.none()
        queryset = self.get_tenant_queryset(self.request.business)
        model = getattr(queryset, "model", None)
        if (
            isinstance(model, type)
            and issubclass(model, TenantModel)
            and (not isinstance(queryset, TenantQuerySet) or queryset.business_id != self.request.business.pk)
        ):
            raise ImproperlyConfigured(
                f"{type(self).__name__}.get_tenant_queryset() must return rows of the request's business "
                "(Model.objects.for_business(business))."
            )
        return queryset

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
