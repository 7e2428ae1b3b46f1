from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    """Evaluation by results: schemes, rounds, expert panels, public notice, chief technology officers."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rencai.evaluation"
    verbose_name = _("人才评价")

    def ready(self) -> None:
        from rencai.accounts.home import register_panel
        from rencai.core import sweeps
        from rencai.evaluation.home import evaluation_panel
        from rencai.evaluation.services import cto
        from rencai.evaluation.tasks import deadline_sweep

        register_panel(evaluation_panel)  # rounds and cases waiting for the user
        sweeps.register("evaluation", deadline_sweep)  # objections and stage deadlines, daily
        sweeps.register("evaluation_cto", cto.terms_sweep)  # chief technology officers' terms that are over
