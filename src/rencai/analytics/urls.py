from django.urls import path  # noqa: F401  (each part adds its pages below)

app_name = "analytics"

urlpatterns: list = []
