from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "rencai.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from rencai.accounts.home import register_panel
        from rencai.core.calendar import home_panel

        register_panel(home_panel)
