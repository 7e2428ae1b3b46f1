from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    """Coordination (管协调): target responsibility, department work lists, consultation on policy drafts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rencai.coordination"
    verbose_name = _("统筹协调")

    def ready(self) -> None:
        from rencai.coordination.services.worklists import worklist_sweep
        from rencai.core import sweeps

        sweeps.register("coordination_worklists", worklist_sweep)  # milestone reminders and escalation, daily
        from rencai.coordination.services.consultation import consultation_sweep

        sweeps.register("coordination_consultations", consultation_sweep)  # deadline reminders, daily
        from rencai.accounts.home import register_panel
        from rencai.coordination.targets_home import targets_panel

        register_panel(targets_panel)  # sheets waiting for the user's move
