"""URL map: each app mounts its own pages; the API lives under /api/."""

from django.contrib import admin
from django.urls import include, path

from rencai.accounts import views as account_views
from rencai.api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("rencai.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("rencai.registry.urls")),
    path("policies/", include("rencai.policies.urls")),
    path("services/", include("rencai.onestop.urls")),
    path("", include("rencai.core.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
