"""Pages at the site root that belong to core: the inbox, the status of long jobs.

The card check (`/api/cards/verify`) is routed by the root URLconf, rencai/urls.py: core sits below the
apps and imports none of them.
"""

from django.urls import path

from rencai.core import job_views, views

urlpatterns = [
    path("jobs/<int:job_id>/", job_views.job_status, name="job_status"),
    path("jobs/<int:job_id>/download/", job_views.job_download, name="job_download"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("inbox/read-all/", views.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("favicon.ico", views.favicon, name="favicon"),
]
