"""Background work of the policy engine: the nightly matching run (Django Tasks, database backend)."""

import datetime as dt

from django.utils import timezone
from django_tasks import task

MATCH_HOUR = 2  # local time of the nightly run


def next_nightly_run(now: dt.datetime | None = None) -> dt.datetime:
    now = timezone.localtime(now or timezone.now())
    candidate = now.replace(hour=MATCH_HOUR, minute=0, second=0, microsecond=0)
    return candidate if candidate > now else candidate + dt.timedelta(days=1)


@task()
def match_task(
    evaluation_date: str | None = None, actor_id: int | None = None, reschedule: bool = False
) -> dict:
    """Run the matching; the nightly instance enqueues tomorrow's before it finishes."""
    from rencai.accounts.models import User
    from rencai.policies.matching import run_match

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    day = dt.date.fromisoformat(evaluation_date) if evaluation_date else None
    try:
        run = run_match(actor=actor, evaluation_date=day)
    finally:
        if reschedule:  # tomorrow's run is enqueued even when this one was refused (another was going)
            schedule_nightly_match()
    return {
        "run": run.pk,
        "offered": run.offered,
        "granted": run.granted,
        "flagged": run.flagged,
        "queued": run.queued,
    }


def schedule_nightly_match() -> None:
    """Enqueue the next nightly run unless one is already waiting."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path__endswith="match_task", status="READY", args_kwargs__kwargs__reschedule=True
    )
    if not waiting.exists():
        match_task.using(run_after=next_nightly_run()).enqueue(reschedule=True)
