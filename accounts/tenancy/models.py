"""The scoped base model for every record that belongs to a business."""

from django.db import models

from project.common.models import TimeStampedModel


class UnscopedQueryError(RuntimeError):
    """A tenant model was queried without a business. Use ``for_business()``, or ``unscoped()`` on purpose."""


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """``objects`` on tenant models: refuses every query that does not name a business."""

    def get_queryset(self):
        raise UnscopedQueryError(
            f"{self.model.__name__} is a tenant model: query it with "
            f"{self.model.__name__}.objects.for_business(business), or .unscoped() on purpose."
        )

    def for_business(self, business) -> TenantQuerySet:
        business_id = getattr(business, "pk", business)
        if business_id is None:
            raise UnscopedQueryError(f"{self.model.__name__}.objects.for_business() needs a business.")
        return self.unscoped().filter(business_id=business_id)

    def none(self) -> TenantQuerySet:
        """An empty queryset reveals nothing; schema and filter introspection asks for one."""
        return self.unscoped().none()

    def unscoped(self) -> TenantQuerySet:
        """All businesses' rows: for staff tools, migrations and workers that carry a business id."""
        return TenantQuerySet(self.model, using=self._db)


class TenantModel(TimeStampedModel):
    """A row of one business's books. ``business`` is set by the server, never taken from a request body."""

    # No index of its own: every tenant model leads a composite index or unique constraint with business,
    # which serves every scoped query; a lone index would only slow bulk inserts.
    business = models.ForeignKey(
        "accounts.Business", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    objects = TenantManager()
    # Django's own machinery (admin, related managers, unique validation) uses the default manager;
    # it is the plain one, and application code never names it.
    unscoped_objects = models.Manager()

    class Meta:
        abstract = True
        default_manager_name = "unscoped_objects"
        base_manager_name = "unscoped_objects"
