from django.contrib.auth import views as auth_views
from django.urls import path

from rencai.accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("token/", views.api_token, name="api_token"),
    path("token/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
