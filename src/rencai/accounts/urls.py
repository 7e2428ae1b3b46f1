from django.contrib.auth import views as auth_views
from django.urls import path

from rencai.accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("token/", views.api_token, name="api_token"),
    path("token/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("password/", views.password_change, name="password_change"),
    # Under /accounts/2fa/: reachable before the second factor is passed (accounts.middleware)
    path("2fa/setup/", views.second_factor_setup, name="second_factor_setup"),
    path("2fa/verify/", views.second_factor_verify, name="second_factor_verify"),
    path("2fa/recovery-codes/", views.recovery_codes, name="recovery_codes"),
]
