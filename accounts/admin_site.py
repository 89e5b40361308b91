"""The admin site: Django's, with its password login throttled like the API's (accounts/throttling.py)."""

from django.contrib import admin
from django.http import HttpResponse
from rest_framework.exceptions import Throttled

from accounts.throttling import LoginThrottle


class AdminSite(admin.AdminSite):
    def login(self, request, extra_context=None):
        if request.method != "POST":
            return super().login(request, extra_context)
        throttle = LoginThrottle(request=request, email=request.POST.get("username", ""))
        try:
            throttle.reserve()
        except Throttled as refused:
            response = HttpResponse(
                "Too many failed logins. Try again later.\n", status=429, content_type="text/plain"
            )
            response["Retry-After"] = str(refused.wait)
            return response
        response = super().login(request, extra_context)
        # Django's admin answers a wrong password with its form (200) and a right one with a redirect.
        if response.status_code == 302 and request.user.is_authenticated:
            throttle.succeeded(response)
        return response
