"""The scoped base model for every record that belongs to a business."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from project.common.models import TimeStampedModel


class UnscopedQueryError(RuntimeError):
    """A tenant model was queried without a business. Use ``for_business()``, or ``unscoped()`` on purpose."""


class CrossTenantWriteError(RuntimeError):
    """A queryset scoped to one business was asked to write a row of another."""


class TenantQuerySet(models.QuerySet):
    """A queryset that knows the business it is scoped to (``business_id``; None for ``unscoped()``).

    Scoped, it writes only that business's rows: ``create`` and ``bulk_create`` stamp the business on
    rows that name none and refuse rows of another; ``update`` and ``bulk_update`` refuse to move rows to
    another business. Reads are scoped by the filter ``for_business`` applied.
    """

    def __init__(self, *args, business_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.business_id = business_id

    def _clone(self):
        clone = super()._clone()
        clone.business_id = self.business_id
        return clone

    def _claim(self, obj) -> None:
        if self.business_id is None:
            return
        if obj.business_id is None:
            obj.business_id = self.business_id
        elif obj.business_id != self.business_id:
            raise CrossTenantWriteError(
                f"A {self.model.__name__} of business {obj.business_id} cannot be written through a "
                f"queryset of business {self.business_id}."
            )

    def _check_values(self, values: dict) -> None:
        if self.business_id is None:
            return
        for key in ("business", "business_id"):
            if key in values:
                value = getattr(values[key], "pk", values[key])
                if value != self.business_id:
                    raise CrossTenantWriteError(
                        f"{self.model.__name__} rows of business {self.business_id} cannot move to {value}."
                    )

    def create(self, **kwargs):
        self._check_values(kwargs)
        if self.business_id is not None and not {"business", "business_id"} & set(kwargs):
            kwargs["business_id"] = self.business_id
        return super().create(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            self._claim(obj)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        self._check_values(kwargs)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            self._claim(obj)
        return super().bulk_update(objs, fields, *args, **kwargs)

    def get_or_create(self, defaults=None, **kwargs):
        self._check_values({**(defaults or {}), **kwargs})
        return super().get_or_create(defaults=defaults, **kwargs)

    def update_or_create(self, defaults=None, create_defaults=None, **kwargs):
        self._check_values({**(defaults or {}), **(create_defaults or {}), **kwargs})
        return super().update_or_create(defaults=defaults, create_defaults=create_defaults, **kwargs)


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
        queryset = self.unscoped().filter(business_id=business_id)
        queryset.business_id = business_id
        return queryset

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


class IdempotentRequest(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` (see ``accounts.tenancy.idempotency``).

    ``status_code`` is null while the first request runs. Keyed per user and business: two users (or one
    user acting for two businesses) may use the same key for different requests.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    business = models.ForeignKey("accounts.Business", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="sha256 of the method, path and JSON body")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "accounts"
        constraints = [
            models.UniqueConstraint(fields=["user", "business", "key"], name="idempotent_request_unique_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'in progress'})"
