from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecruitmentConfig(AppConfig):
    """Recruitment: demands, stations, events, intermediaries, placements by the registry, rewards."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rencai.recruitment"
    verbose_name = _("招才引智")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from rencai.accounts.home import register_panel
        from rencai.core import sweeps
        from rencai.recruitment.home import recruitment_panel
        from rencai.recruitment.services.demands import expiry_sweep
        from rencai.recruitment.tasks import after_registry_import, placements_sweep
        from rencai.registry.models import ImportBatch

        register_panel(recruitment_panel)  # this year's arrivals, referrals in progress
        sweeps.register("recruitment_demands", expiry_sweep)  # demands whose date has passed, daily
        sweeps.register("recruitment_placements", placements_sweep)  # arrivals, leavers, retention, daily
        # the registry imports no app: recruitment listens for its imports
        post_save.connect(after_registry_import, sender=ImportBatch, dispatch_uid="recruitment_placements")
