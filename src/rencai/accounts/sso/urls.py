"""The code flow's routes, mounted under /oidc/ by rencai.urls; both answer 404 while single sign-on is not
configured, so that an unconfigured server behaves as if they did not exist, and a configuration set at run
time (or by a test) needs no reloading of the URL map."""

from django.urls import path

from rencai.accounts.sso.views import AuthenticateView, CallbackView

urlpatterns = [
    path("authenticate/", AuthenticateView.as_view(), name="oidc_authentication_init"),
    path("callback/", CallbackView.as_view(), name="oidc_authentication_callback"),
]
