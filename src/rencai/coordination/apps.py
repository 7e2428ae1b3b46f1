from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    """Coordination (管协调): target responsibility, department work lists, consultation on policy drafts."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rencai.coordination"
    verbose_name = _("统筹协调")
