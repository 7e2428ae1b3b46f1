"""Django admin for administrators who have passed their second factor in this session.

The admin is reached through the platform's own login page (throttled, audited, followed by the second
factor); its own login form, which knows neither, only sends people there.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from rencai.accounts.two_factor import second_factor_passed


class VerifiedAdminSite(AdminSite):
    """As django-otp's OTPAdminSite: staff *and* a second factor passed in this session (a device of ours, or
    the identity provider's asserted one); logging in happens elsewhere."""

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and second_factor_passed(request)

    def login(self, request, extra_context=None):
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(target, resolve_url(settings.LOGIN_URL))
        if not second_factor_passed(request):
            return redirect_to_login(target, resolve_url("second_factor_verify"))
        raise PermissionDenied  # signed in and verified, but not staff: no admin for them
