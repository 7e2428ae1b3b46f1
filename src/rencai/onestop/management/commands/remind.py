"""`rencai remind`: remind departments of steps due within a working day and escalate overdue ones."""

import datetime as dt
import time

from django.core.management.base import BaseCommand

from rencai.onestop.services import sweep_step_deadlines


class Command(BaseCommand):
    help = "Remind and escalate department steps by their working-day deadlines / 办理时限提醒与超期督办"

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="as of YYYY-MM-DD")

    def handle(self, *args, date, **options):
        started = time.perf_counter()
        report = sweep_step_deadlines(today=date)
        ms = (time.perf_counter() - started) * 1000
        self.stdout.write(
            f"临近时限提醒 {report.reminded} 件，超期督办 {report.escalated} 件，"
            f"发送消息 {report.notifications} 条；"
            f"用时 {ms:.0f} ms\n(reminded {report.reminded}, escalated {report.escalated}, "
            f"notifications {report.notifications})"
        )
        if report.calendar_missing:
            years = ", ".join(str(year) for year in report.calendar_missing)
            self.stderr.write(
                f"工作日历缺少 {years} 年：临近时限按周一至周五估算，请系统管理员录入该年节假日安排。\n"
                f"(the working-day calendar lacks {years}: 'due soon' was counted Monday to Friday; "
                "an administrator must enter that year's holidays)"
            )
