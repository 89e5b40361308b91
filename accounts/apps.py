from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    name = "accounts"
    default = True

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI extension)


class AdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with our site, whose login is throttled (in INSTALLED_APPS in its place)."""

    default = False
    default_site = "accounts.admin_site.AdminSite"
