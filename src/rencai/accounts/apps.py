from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True  # this module holds the admin's config too; this one is the app's
    name = "rencai.accounts"
    label = "accounts"
    verbose_name = _("账户")

    def ready(self) -> None:
        from rencai.accounts import login_audit  # noqa: F401  (connects the login audit receivers)


class RencaiAdminConfig(admin_apps.AdminConfig):
    """`django.contrib.admin` with `accounts.admin_site.VerifiedAdminSite` as `admin.site` (listed in
    INSTALLED_APPS in place of django.contrib.admin)."""

    default = False
    default_site = "rencai.accounts.admin_site.VerifiedAdminSite"
