"""URLs of the coordination app (/coordination/…): each part (targets, work lists, consultation) adds its
pages below."""

from rencai.coordination.views import consultation, targets, worklists

app_name = "coordination"

urlpatterns: list = [
    *targets.urlpatterns,
    *worklists.urlpatterns,
    *consultation.urlpatterns,
]
