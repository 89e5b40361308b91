"""Every tenancy primitive in one place, so a security review reads one folder.

- :class:`TenantModel` and its manager: tenant rows cannot be queried without naming a business
  (``Model.objects.for_business(business)``); the grep-able escape hatch is ``unscoped()``.
- :func:`resolve_membership`: which business a request acts for (``X-Business-ID`` or the only one).
- :class:`TenantViewMixin`: the one base for every tenant view; it owns querysets and object lookup,
  so another business's record is the same 404 as a missing one.
"""
