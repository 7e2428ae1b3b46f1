from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "rencai.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from rencai.accounts.home import register_panel
        from rencai.core.calendar import home_panel
        from rencai.core.files import PRIVATE_DIR, make_private, protect_sqlite

        register_panel(home_panel)
        make_private(settings.VAR_DIR, PRIVATE_DIR)  # keys, database, logs and uploads live here
        connection_created.connect(protect_sqlite, dispatch_uid="rencai.protect_sqlite")
