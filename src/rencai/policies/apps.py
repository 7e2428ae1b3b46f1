from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "rencai.policies"
    label = "policies"
    verbose_name = _("人才政策")

    def ready(self) -> None:
        from rencai.accounts.home import register_panel
        from rencai.policies.home import home_panel

        register_panel(home_panel)
