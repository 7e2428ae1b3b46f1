"""Background work of the policy engine: the nightly matching run (Django Tasks, database backend)."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_tasks import task

from rencai.core import jobs

MATCH_HOUR = 2  # local time of the nightly run


def next_nightly_run(now: dt.datetime | None = None) -> dt.datetime:
    now = timezone.localtime(now or timezone.now())
    candidate = now.replace(hour=MATCH_HOUR, minute=0, second=0, microsecond=0)
    return candidate if candidate > now else candidate + dt.timedelta(days=1)


# the summary a person who started the run reads (core.jobs): English in parts/policies.po
MATCH_DONE = gettext_noop(
    "新发要约 %(offered)s，直接兑现 %(granted)s，预算排队 %(queued)s，待复核 %(flagged)s"
)


@task()
def match_task(
    evaluation_date: str | None = None,
    actor_id: int | None = None,
    reschedule: bool = False,
    job_id: int | None = None,
) -> dict:
    """Run the matching (reporting to its job when started from the page or the API); the nightly instance
    enqueues tomorrow's before it finishes."""
    from rencai.accounts.models import User
    from rencai.policies.matching import run_match

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    day = dt.date.fromisoformat(evaluation_date) if evaluation_date else None
    try:
        with jobs.running(job_id) as progress:
            run = run_match(actor=actor, evaluation_date=day)
            counts = {
                "run": run.pk,
                "offered": run.offered,
                "granted": run.granted,
                "flagged": run.flagged,
                "queued": run.queued,
            }
            progress.finish(
                message=jobs.in_both_languages(MATCH_DONE, counts),
                result=counts,
                link=reverse("policies:policy_list"),
            )
    finally:
        if reschedule:  # tomorrow's run is enqueued even when this one was refused (another was going)
            schedule_nightly_match()
    return counts


FRAME_READY = gettext_noop("人才特征数据已准备好（%(talents)s 人），可以查看模拟结果")


@task()
def prepare_frame_task(evaluation_date: str, next_page: str = "", job_id: int | None = None) -> dict:
    """Build the day's feature frame of the whole registry and write its snapshot, so that the simulation
    pages of every server process load it instead of building it inside a request (a cold frame)."""
    from rencai.policies.features import cached_feature_frame

    with jobs.running(job_id) as progress:
        progress.stage(gettext_noop("正在读取人才库"))
        frame = cached_feature_frame(dt.date.fromisoformat(evaluation_date))
        counts = {"talents": frame.height}
        progress.finish(message=jobs.in_both_languages(FRAME_READY, counts), result=counts, link=next_page)
    return counts


def schedule_nightly_match() -> None:
    """Enqueue the next nightly run unless one is already waiting."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(
        task_path__endswith="match_task", status="READY", args_kwargs__kwargs__reschedule=True
    )
    if not waiting.exists():
        match_task.using(run_after=next_nightly_run()).enqueue(reschedule=True)
