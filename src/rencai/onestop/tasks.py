"""Background work of the one-stop services (Django Tasks, database backend): the deadline sweep, offers."""

import datetime as dt

from django.utils import timezone
from django_tasks import TaskResultStatus, task

SWEEP_HOUR = 8  # local time of the daily sweep: reminders arrive at the start of the working day


def next_sweep(now: dt.datetime | None = None) -> dt.datetime:
    now = timezone.localtime(now or timezone.now())
    candidate = now.replace(hour=SWEEP_HOUR, minute=0, second=0, microsecond=0)
    return candidate if candidate > now else candidate + dt.timedelta(days=1)


@task()
def reminder_sweep(today: str | None = None, reschedule: bool = False) -> dict:
    """Remind departments of steps turning yellow and escalate red ones, then run the other apps' sweeps
    (`core.sweeps`); idempotent, so safe to rerun.

    The daily instance enqueues tomorrow's whatever happens to this one: a failed run is recorded as failed
    (with its error) by the task backend, and the chain goes on."""
    from rencai.core import jobs, sweeps
    from rencai.onestop.services import sweep_step_deadlines

    try:
        day = dt.date.fromisoformat(today) if today else timezone.localdate()
        report = sweep_step_deadlines(today=day)
        sweeps.run_all(day)  # the other apps' deadlines (evaluation: objections, stages); each audits its own
        jobs.sweep_files()  # the daily housekeeping: job files (exports, abandoned uploads) kept a week
    finally:
        if reschedule:
            schedule_daily_sweep()
    return {
        "reminded": report.reminded,
        "escalated": report.escalated,
        "notifications": report.notifications,
        "calendar_missing": report.calendar_missing,
    }


@task()
def offers_task() -> dict:
    """Turn new entitlements of the matching run into approved applications or one-click offers."""
    from rencai.onestop.services import offers_from_entitlements

    report = offers_from_entitlements()
    return {"approved": report.approved, "offered": report.offered, "skipped": report.skipped}


def schedule_daily_sweep() -> None:
    """Enqueue the next daily sweep unless one is already waiting."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path__endswith="reminder_sweep",
        status=TaskResultStatus.READY,
        args_kwargs__kwargs__reschedule=True,
    )
    if not waiting.exists():
        reminder_sweep.using(run_after=next_sweep()).enqueue(reschedule=True)
