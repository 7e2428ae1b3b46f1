"""`rencai schedule`: put the recurring background work on the task queue (idempotent).

The nightly matching run (02:00) and the daily deadline sweep (08:00) each re-enqueue their next instance
when they finish; this command starts the chain, and does nothing for a chain that is already waiting.
`rencai serve` runs it before starting the worker.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from rencai.onestop.tasks import next_sweep, schedule_daily_sweep
from rencai.policies.tasks import next_nightly_run, schedule_nightly_match


class Command(BaseCommand):
    help = "Schedule the nightly matching run and the daily deadline sweep / 安排每晚政策匹配与每日时限巡检"

    def handle(self, *args, **options):
        schedule_nightly_match()
        schedule_daily_sweep()
        match_at = timezone.localtime(next_nightly_run()).strftime("%Y-%m-%d %H:%M")
        sweep_at = timezone.localtime(next_sweep()).strftime("%Y-%m-%d %H:%M")
        self.stdout.write(f"已安排：政策匹配 {match_at}；时限巡检 {sweep_at}")
