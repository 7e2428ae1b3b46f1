from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "rencai.registry"
    label = "registry"
    verbose_name = _("人才登记")

    def ready(self) -> None:
        from rencai.accounts.home import FIRST, register_panel
        from rencai.registry.home import home_panel

        register_panel(home_panel, order=FIRST)
