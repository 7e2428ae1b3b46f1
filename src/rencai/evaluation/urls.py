"""URLs of the evaluation app (/evaluation/…); the public notice lives at /notice/ (no login)."""

from rencai.evaluation.views import cases, cto, integrity, panels, schemes, works

app_name = "evaluation"

urlpatterns = [
    *schemes.urlpatterns,
    *cases.urlpatterns,
    *panels.urlpatterns,
    *cto.urlpatterns,
    *integrity.urlpatterns,
    *works.urlpatterns,
]
