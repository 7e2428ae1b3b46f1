"""URL map: each app mounts its own pages; the API lives under /api/."""

from django.contrib import admin
from django.urls import include, path

from rencai.accounts import views as account_views
from rencai.api import api
from rencai.evaluation.views.cases import public_urlpatterns as notice_urlpatterns
from rencai.onestop.verification import verify_view

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("rencai.accounts.urls")),
    path("oidc/", include("rencai.accounts.sso.urls")),  # single sign-on; 404 unless configured
    path("i18n/", include("django.conf.urls.i18n")),
    path("registry/", include("rencai.registry.urls")),
    path("policies/", include("rencai.policies.urls")),
    path("services/", include("rencai.onestop.urls")),
    path("evaluation/", include("rencai.evaluation.urls")),
    path("recruitment/", include("rencai.recruitment.urls")),
    path("analytics/", include("rencai.analytics.urls")),
    path("coordination/", include("rencai.coordination.urls")),
    # the public notice (公示) and its objection form: no login (the views carry no login_required)
    path("notice/", include((notice_urlpatterns, "notice"))),
    path("", include("rencai.core.urls")),
    # A plain Django view rather than a ninja operation, for speed (see rencai.onestop.verification);
    # it must come before `api/` so that the more specific pattern wins.
    path("api/cards/verify", verify_view, name="card_verify"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

# Errors that escape every view and middleware; the database being unavailable among them answers 503
handler500 = "rencai.core.middleware.server_error"
