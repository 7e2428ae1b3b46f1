"""`rencai requeue_stale_tasks`: put back on the queue the background tasks whose worker died mid-run."""

import datetime as dt

from django.core.management.base import BaseCommand

from rencai.core.stale_tasks import MAX_ATTEMPTS, STALE_AFTER, requeue_stale_tasks


class Command(BaseCommand):
    help = (
        "Requeue tasks left RUNNING by a dead task worker / 将因后台任务进程终止而停在“运行中”的任务重新排队"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dead-worker",
            action="append",
            default=[],
            metavar="WORKER_ID",
            help="id of a task worker known to be dead (its RUNNING tasks are requeued at once); repeatable",
        )
        parser.add_argument(
            "--older-than",
            type=float,
            default=STALE_AFTER.total_seconds() / 60,
            metavar="MINUTES",
            help="also requeue tasks RUNNING for longer than this under any worker (default: %(default)g)",
        )
        parser.add_argument("--max-attempts", type=int, default=MAX_ATTEMPTS)

    def handle(self, *args, dead_worker, older_than, max_attempts, **options):
        report = requeue_stale_tasks(
            dead_worker_ids=dead_worker,
            stale_after=dt.timedelta(minutes=older_than),
            max_attempts=max_attempts,
        )
        self.stdout.write(
            f"重新排队 {len(report.requeued)} 个任务，放弃 {len(report.failed)} 个 / "
            f"{len(report.requeued)} tasks requeued, {len(report.failed)} given up"
        )
