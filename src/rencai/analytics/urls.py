"""URLs of the analytics app (/analytics/…): dashboards, indicators, the monthly report, downloads."""

from rencai.analytics.views import dashboards, downloads, indicators, reports

app_name = "analytics"

urlpatterns = [
    *dashboards.urlpatterns,
    *indicators.urlpatterns,
    *reports.urlpatterns,
    *downloads.urlpatterns,
]
