from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnestopConfig(AppConfig):
    """One-stop talent services (最多跑一次): applications, steps, gold cards, vouchers, loans."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rencai.onestop"
    verbose_name = _("一站式人才服务")
