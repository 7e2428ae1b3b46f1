from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnestopConfig(AppConfig):
    """One-stop talent services (最多跑一次): applications, steps, gold cards, vouchers, loans."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "rencai.onestop"
    verbose_name = _("一站式人才服务")

    def ready(self) -> None:
        from rencai.accounts.home import LEADING, register_panel
        from rencai.onestop import benefit_story, inbox
        from rencai.onestop.home import counter_panel, work_panel

        register_panel(work_panel, order=LEADING)  # a department's queue, a talent's card
        register_panel(counter_panel)
        inbox.register()
        benefit_story.register()  # 我的政策红利 reads and answers benefits through onestop
