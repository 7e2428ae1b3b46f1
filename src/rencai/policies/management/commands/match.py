"""`rencai match`: evaluate every policy in force against every active talent (免申即享) and report."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from rencai.core.locks import RunInProgress
from rencai.policies.features import last_refresh
from rencai.policies.matching import run_match


class Command(BaseCommand):
    help = "Match policies in force against the registry / 政策匹配（免申即享）"

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", type=dt.date.fromisoformat, default=None, help="evaluation date YYYY-MM-DD"
        )

    def handle(self, *args, date, **options):
        try:
            run = run_match(evaluation_date=date)
        except RunInProgress as refused:  # another run holds the lock: say so, write nothing
            raise CommandError(f"{refused.message_zh}\n{refused.message_en}") from None
        self.stdout.write(
            f"评估日期 {run.evaluation_date}：人才 {run.talents_evaluated} 人，"
            f"政策版本 {run.versions_evaluated} 个；"
            f"新发要约 {run.offered}，直接兑现 {run.granted}，预算排队 {run.queued}，待复核 {run.flagged}，"
            f"无变化 {run.unchanged}；用时 {run.duration_ms} ms\n"
            f"(offered {run.offered}, granted {run.granted}, queued {run.queued}, flagged {run.flagged}, "
            f"unchanged {run.unchanged}; feature frame {last_refresh()})"
        )
