from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """Analytics (管宏观): indicators as data over the feature frame, the standard set, dashboards, reports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rencai.analytics"
    verbose_name = _("统计分析")
