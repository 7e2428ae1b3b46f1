from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Analytics (管宏观): indicators as data over the feature frame, the standard set, dashboards and
    reports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rencai.analytics"
    verbose_name = _("统计分析")

    def ready(self) -> None:
        from rencai.accounts.home import register_panel
        from rencai.analytics.home import analytics_panel

        register_panel(analytics_panel)  # links to the dashboard, the screen, the report
