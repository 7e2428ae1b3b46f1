"""Recover background tasks a dead task worker left RUNNING, so that a kill neither loses nor blocks work.

django-tasks' database backend marks a task RUNNING when a worker claims it (`started_at`, and the worker's
id appended to `worker_ids`) and only the same worker ever moves it on. A worker killed mid-task (kill -9,
the OOM killer, a reboot) leaves the row RUNNING for ever; the nightly chains, which look for their next
instance among READY rows, would then stall or run it never again. `rencai serve` knows which of its workers
died and calls `requeue_stale_tasks` with their ids before it starts the next one, and every few minutes
for tasks that have run implausibly long under a worker it does not know (another host's, or one of a
server that was itself killed). `rencai requeue_stale_tasks` does the same by hand.

A task goes back to READY, to be run again: the tasks here are idempotent (matching, the sweep, offers),
and running one twice is far cheaper than never. One whose workers died `max_attempts` times is marked
FAILED instead, so that a task that kills its worker (memory) cannot kill every worker after it.
"""

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from rencai.core import audit, jobs

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(hours=1)  # the nightly matching of a million talents takes under a minute
MAX_ATTEMPTS = 3


class WorkerDied(Exception):
    """Recorded as the error of a task given up because its worker died while running it, every time."""


@dataclass
class StaleTaskReport:
    requeued: list[str] = field(default_factory=list)  # task ids set READY again
    failed: list[str] = field(default_factory=list)  # task ids given up (FAILED)

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed)


def requeue_stale_tasks(
    *,
    dead_worker_ids: Collection[str] = (),
    live_worker_ids: Collection[str] = (),
    stale_after: dt.timedelta = STALE_AFTER,
    max_attempts: int = MAX_ATTEMPTS,
) -> StaleTaskReport:
    """Set READY again (or FAILED after `max_attempts` claims) every RUNNING task whose worker is one of
    `dead_worker_ids`, or that started more than `stale_after` ago under a worker not in `live_worker_ids`."""
    report = StaleTaskReport()
    started_before = timezone.now() - stale_after
    for task in DBTaskResult.objects.running().only("id", "task_path", "worker_ids", "started_at"):
        worker = task.worker_ids[-1] if task.worker_ids else ""
        if worker in live_worker_ids:
            continue
        if worker not in dead_worker_ids and (task.started_at is None or task.started_at > started_before):
            continue
        give_up = len(task.worker_ids) >= max_attempts
        if _recover(task, worker=worker, give_up=give_up):
            (report.failed if give_up else report.requeued).append(str(task.pk))
    return report


def _recover(task: DBTaskResult, *, worker: str, give_up: bool) -> bool:
    """Move one task on, unless its worker finished it (or another claimed it) since it was read."""
    if give_up:
        changes: dict[str, object] = {
            "status": TaskResultStatus.FAILED,
            "finished_at": timezone.now(),
            "exception_class_path": f"{WorkerDied.__module__}.{WorkerDied.__qualname__}",
            "traceback": f"The task worker {worker} died while running this task "
            f"({len(task.worker_ids)} attempts); not retried again.",
        }
    else:
        changes = {"status": TaskResultStatus.READY, "started_at": None}
    with transaction.atomic():
        # started_at identifies the claim: a worker that claimed the task again meanwhile is left alone
        moved = DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        ).update(**changes)
        if moved:
            audit.record(
                actor=None,
                action="core.task.give_up" if give_up else "core.task.requeue",
                object_type=DBTaskResult._meta.label_lower,
                object_id=str(task.pk),
                detail={"task": task.task_path, "worker": worker, "attempts": len(task.worker_ids)},
            )
            # the job a person follows (core.jobs) goes back on the queue with its task, or fails with it
            (jobs.task_given_up if give_up else jobs.task_requeued)(str(task.pk))
    if moved:
        logger.warning(
            "task %s (%s) of dead worker %s %s",
            task.pk,
            task.task_path,
            worker,
            "given up" if give_up else "requeued",
        )
    return bool(moved)
