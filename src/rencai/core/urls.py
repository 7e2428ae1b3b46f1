"""Core pages mounted at the site root: the inbox."""

from django.urls import path

from rencai.core import views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("inbox/read-all/", views.inbox_mark_all_read, name="inbox_mark_all_read"),
]
