"""Pages at the site root (included before /api/ by the root URLconf): the inbox and the card check.

`/api/cards/verify` is routed here rather than in the ninja API because it is a plain Django view for speed
(see rencai.onestop.verification); a more specific pattern before `api/` wins.
"""

from django.urls import path

from rencai.core import views
from rencai.onestop.verification import verify_view

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", views.inbox_mark_read, name="inbox_mark_read"),
    path("inbox/read-all/", views.inbox_mark_all_read, name="inbox_mark_all_read"),
    path("api/cards/verify", verify_view, name="card_verify"),
]
