"""Pages of analytics: dashboards (city, county, department, screen), indicators, the monthly report and
the Excel downloads; one module per section, each with its own `urlpatterns`."""
