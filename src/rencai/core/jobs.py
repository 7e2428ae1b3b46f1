"""Long jobs a person waits for (matching, imports, whole-registry exports, cold simulations): started once,
run by the task worker, followed on a page that polls their progress and shows how they ended.

- `start_job(...)` creates the `Job` row and enqueues its task, or hands back the job of that kind and scope
  already queued or running: the partial unique index `job_one_active_per_kind_and_scope` decides, so two
  clicks, two tabs or two officers at the same moment get one run.
- The task body runs inside `with running(job_id) as progress:` and says how far it is with
  `progress.stage(...)` / `progress.advance(n)`, or, from code that does not know about jobs (the matching
  engine, the importer), with the module functions `stage(...)` / `advance(n)`, which report to the job of
  the task running now and do nothing elsewhere. Reports are cheap: at most one UPDATE every
  `REPORT_EVERY` seconds (a stage change is written at once).
- A report made inside the caller's transaction must be seen before it commits: on PostgreSQL it goes
  through a connection of its own; on SQLite, where the transaction holds the file's write lock, it is kept
  and written with the next report outside the transaction (the page shows the stage before it).
- The job ends `done` with a summary in both languages (and a link, or a file only its owner downloads),
  or `failed` with the reason. A worker that dies mid-job: `core.stale_tasks` puts its task back on the
  queue and the job with it, or gives both up (`task_requeued` / `task_given_up`); a task that failed
  without reaching `running` is noticed when the job is next read (`refresh`).
- Who sees a job (`jobs_for`): its owner, and, unless it is private, whoever sees its region and holds the
  right it was started with (`core.access`).
"""

import contextvars
import datetime as dt
import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from rencai.core import audit
from rencai.core.access import Action, may, require, visible_to
from rencai.core.errors import DomainError, ErrorCode, NotFound
from rencai.core.files import PRIVATE_DIR, PRIVATE_FILE, make_private, var_path
from rencai.core.models import Job, JobKind, JobState, Region

logger = logging.getLogger(__name__)

ACTIVE = (JobState.QUEUED, JobState.RUNNING)
REPORT_EVERY = 0.5  # seconds between two progress writes of one job

STAGE_QUEUED = gettext_noop("等待后台处理")
STAGE_REQUEUED = gettext_noop("后台进程中断，已重新排队")
INTERNAL_ERROR = (
    "内部错误，任务未完成；错误已记录，请联系系统管理员",
    "Internal error: the job did not finish. The error was logged; contact the administrator",
)
GIVEN_UP = (
    "后台进程多次在运行此任务时中断，任务已放弃，请联系系统管理员",
    "The background worker died while running this job, several times; it was given up. "
    "Contact the administrator",
)
TASK_FAILED = (
    "后台任务失败，未完成；请重试或联系系统管理员",
    "The background task failed before finishing; retry, or contact the administrator",
)


# -- starting a job ----------------------------------------------------------------------------------------


def start_job(
    *,
    owner,
    kind: JobKind,
    scope: str,
    region: Region,
    right: Action,
    task,
    private: bool = False,
    task_kwargs: Mapping[str, Any] | None = None,
) -> tuple[Job, bool]:
    """The job of `kind` and `scope` under way, else a new one with its task enqueued: (job, created).

    The owner must hold `right` (the one permission question of starting it). The task is called with
    `job_id=` and `task_kwargs`."""
    require(owner, right)
    for _attempt in range(3):
        existing = _active(kind, scope)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                job = Job.objects.create(
                    kind=kind,
                    scope=scope,
                    owner=owner,
                    region=region,
                    right=str(right),
                    private=private,
                    stage=STAGE_QUEUED,
                )
                audit.record(
                    actor=owner, action="core.job.start", obj=job, detail={"kind": kind, "scope": scope}
                )
                if _enqueues_a_row(task):
                    # the task row commits with the job, or neither does: no job waits for a task never queued
                    _enqueue(job, task, task_kwargs)
        except IntegrityError:
            continue  # another start won the unique index a moment ago: hand back its job
        if not job.task_id:
            _enqueue(job, task, task_kwargs)  # a backend that runs the task now: after the job is committed
        job.refresh_from_db()
        return job, True
    # the index kept refusing while no active job could be read: other starts kept ending in between
    raise DomainError(
        ErrorCode.RUN_IN_PROGRESS, "任务正在启动，请稍后再试", "The job is starting; try again shortly"
    )


def _active(kind: str, scope: str) -> Job | None:
    return Job.objects.filter(kind=kind, scope=scope, state__in=ACTIVE).first()


def _enqueues_a_row(task) -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task.get_backend(), DatabaseBackend)


def _enqueue(job: Job, task, task_kwargs: Mapping[str, Any] | None) -> None:
    try:
        result = task.enqueue(job_id=job.pk, **(task_kwargs or {}))
    except Exception:
        _finish(job.pk, JobState.FAILED, message=TASK_FAILED)
        raise
    job.task_id = str(result.id)
    Job.objects.filter(pk=job.pk).update(task_id=job.task_id)


# -- running a job (in the task) ---------------------------------------------------------------------------


class Progress:
    """What a running job reports. Without a job (`job_id` None: a nightly run, a command) it only counts."""

    def __init__(self, job_id: int | None):
        self.job_id = job_id
        self.done = 0
        self.total: int | None = None
        self.stage_text = ""
        self.finished = False
        self._written_at = 0.0
        self._pending = False
        self._side: Any = None  # PostgreSQL: a connection of its own, for reports inside a transaction

    def stage(self, text: str, *, done: int | None = None, total: int | None = None) -> None:
        """Enter a stage (`text` a Chinese msgid marked with gettext_noop), optionally setting the figures."""
        changed = text != self.stage_text
        self.stage_text = text
        if total is not None:
            self.total = total
        if done is not None:
            self.done = done
        self._report(force=changed)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._report()

    def _report(self, *, force: bool = False) -> None:
        if self.job_id is None:
            return
        now = time.monotonic()
        if not force and not self._pending and now - self._written_at < REPORT_EVERY:
            return
        self._written_at = now
        self._pending = not self._write()

    def _figures(self) -> dict[str, Any]:
        done = self.done if self.total is None else min(self.done, self.total)
        return {
            "done": done,
            "total": self.total,
            "stage": self.stage_text[:200],
            "heartbeat_at": timezone.now(),
        }

    def _write(self) -> bool:
        """Write the figures where a poller sees them now; False when that cannot be done yet (SQLite)."""
        figures = self._figures()
        assert self.job_id is not None  # _report writes for a job only
        if not connection.in_atomic_block:
            Job.objects.filter(pk=self.job_id, state=JobState.RUNNING).update(**figures)
            return True
        if connection.vendor != "postgresql":
            return False  # SQLite: a second connection would wait for the write lock this transaction holds
        if self._side is None:
            self._side = connections.create_connection("default")
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Job._meta.db_table} SET done = %s, total = %s, stage = %s, heartbeat_at = %s "
                "WHERE id = %s AND state = %s",
                [
                    figures["done"],
                    figures["total"],
                    figures["stage"],
                    figures["heartbeat_at"],
                    self.job_id,
                    "running",
                ],
            )
        return True

    def finish(
        self,
        *,
        message: tuple[str, str],
        result: Mapping[str, Any] | None = None,
        link: str = "",
        file_path: str = "",
        file_name: str = "",
    ) -> None:
        """The job ends done: `message` (Chinese, English) is the summary the user reads."""
        self.finished = True
        if self.job_id is None:
            return
        _finish(
            self.job_id,
            JobState.DONE,
            message=message,
            result=dict(result or {}),
            link=link,
            file_path=file_path,
            file_name=file_name,
            done=self.total if self.total is not None else self.done,
        )

    def fail(self, message: tuple[str, str]) -> None:
        self.finished = True
        if self.job_id is not None:
            _finish(self.job_id, JobState.FAILED, message=message, done=self.done)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


_current: contextvars.ContextVar[Progress | None] = contextvars.ContextVar("rencai_job", default=None)


def stage(text: str, *, done: int | None = None, total: int | None = None) -> None:
    """Report a stage to the job of the task running now (nothing happens outside a job)."""
    progress = _current.get()
    if progress is not None:
        progress.stage(text, done=done, total=total)


def advance(n: int = 1) -> None:
    """Count `n` more units of work done for the job of the task running now (nothing outside a job)."""
    progress = _current.get()
    if progress is not None:
        progress.advance(n)


@contextmanager
def running(job_id: int | None) -> Iterator[Progress]:
    """Run a job's work: the job is marked running, reports go to it, and it ends failed (with the reason
    the user reads) if the block raises; the exception goes on, so the task is recorded as failed too. A
    job no longer queued or running (or no job) gets a progress that reports nowhere; the work still runs."""
    progress = Progress(job_id if job_id is not None and _claim(job_id) else None)
    token = _current.set(progress)
    try:
        yield progress
    except DomainError as error:
        progress.fail((error.message_zh, error.message_en))
        raise
    except BaseException:
        logger.exception("job %s failed", job_id)
        progress.fail(INTERNAL_ERROR)
        raise
    else:
        if not progress.finished:
            progress.finish(message=("已完成", "Finished"))
    finally:
        _current.reset(token)
        progress.close()


def _claim(job_id: int) -> bool:
    now = timezone.now()
    return bool(
        Job.objects.filter(pk=job_id, state__in=ACTIVE).update(
            state=JobState.RUNNING, started_at=now, heartbeat_at=now, stage=""
        )
    )


def _finish(job_id: int, state: JobState, *, message: tuple[str, str], **fields: Any) -> None:
    Job.objects.filter(pk=job_id, state__in=ACTIVE).update(
        state=state, message_zh=message[0], message_en=message[1], finished_at=timezone.now(), **fields
    )


def in_both_languages(msgid: str, params: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """A Chinese msgid with %(name)s placeholders, filled in Chinese and in English (a job's summary)."""
    params = params or {}
    with translation.override("en"):
        english = gettext(msgid) % params
    return msgid % params, english


def job_folder() -> Path:
    """Where jobs keep files (an upload waiting for its import, an export): var/jobs, the owner's only."""
    folder = var_path("RENCAI_JOB_DIR", "jobs")
    folder.mkdir(parents=True, exist_ok=True)
    make_private(folder, PRIVATE_DIR)
    return folder


def write_private_file(name: str, content: bytes | Iterator[bytes]) -> Path:
    """A file in `job_folder()` readable by its owner only (0600 from the start)."""
    path = job_folder() / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as handle:
        for chunk in [content] if isinstance(content, bytes) else content:
            handle.write(chunk)
    return path


FILES_KEPT = dt.timedelta(days=7)


def sweep_files(now: dt.datetime | None = None) -> int:
    """Delete what jobs left on disk a week on: an export's file (its page then says to export again), and
    any file in the folder no job refers to (an upload whose task was given up). Returns how many."""
    now = now or timezone.now()
    cutoff = now - FILES_KEPT
    deleted = 0
    expired = Job.objects.filter(finished_at__lt=cutoff).exclude(file_path="")
    for job_id, file_path in list(expired.values_list("pk", "file_path")):
        Path(file_path).unlink(missing_ok=True)
        Job.objects.filter(pk=job_id).update(file_path="")
        deleted += 1
    referred = {
        Path(path).name for path in Job.objects.exclude(file_path="").values_list("file_path", flat=True)
    }
    for path in job_folder().iterdir():
        if not path.is_file() or path.name in referred:
            continue
        if dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC) < cutoff:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


# -- a worker that died, a task that failed ------------------------------------------------------------------


def task_requeued(task_id: str) -> None:
    """The task of a job went back on the queue (its worker died): so does the job."""
    Job.objects.filter(task_id=task_id, state=JobState.RUNNING).update(
        state=JobState.QUEUED, stage=STAGE_REQUEUED, heartbeat_at=timezone.now()
    )


def task_given_up(task_id: str) -> None:
    """The task of a job was given up after its workers died: the job failed."""
    for job_id in Job.objects.filter(task_id=task_id, state__in=ACTIVE).values_list("pk", flat=True):
        _finish(job_id, JobState.FAILED, message=GIVEN_UP)


def refresh(job: Job) -> Job:
    """An active job whose task has already ended (failed before the job ran, or lost) is marked failed."""
    if not job.is_active or not job.task_id:
        return job
    from django_tasks import TaskResultStatus, task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends["default"], DatabaseBackend):
        return job  # another backend keeps its results elsewhere
    status = DBTaskResult.objects.filter(pk=job.task_id).values_list("status", flat=True).first()
    # ended without the job hearing of it, or the row is gone (pruned): nothing will run the job any more
    if status is None or status in (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL):
        _finish(job.pk, JobState.FAILED, message=TASK_FAILED)
        job.refresh_from_db()
    return job


# -- reading jobs ------------------------------------------------------------------------------------------


def jobs_for(user) -> QuerySet[Job]:
    """The jobs `user` may see: their own; in their scope, those not private whose right they hold."""
    if user is None or not user.is_authenticated:
        return Job.objects.none()
    held = [str(action) for action in Action if may(user, action)]
    shared = visible_to(user, Job.objects.filter(private=False, right__in=held)).values("pk")
    return Job.objects.filter(Q(owner_id=user.pk) | Q(pk__in=shared))


def get_job(user, job_id: int) -> Job:
    """A job the user may see, brought up to date (`refresh`); NotFound otherwise."""
    job = jobs_for(user).select_related("owner").filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return refresh(job)


def active_job(user, *, kind: str, scope: str = "") -> Job | None:
    """The job of this kind and scope queued or running now, if the user may see it."""
    job = jobs_for(user).filter(kind=kind, scope=scope, state__in=ACTIVE).first()
    return refresh(job) if job is not None else None


def open_result_file(*, user, job: Job):
    """The file a finished job produced, for its owner only (anyone else: NotFound); the read is audited."""
    if job.owner_id != user.pk or job.state != JobState.DONE or not job.file_name:
        raise NotFound()
    path = Path(job.file_path) if job.file_path else None
    if path is None or not path.is_file():
        raise NotFound(
            "文件已不存在（导出的文件保留 7 天），请重新导出",
            "The file is gone (exports are kept 7 days); export again",
        )
    audit.record(
        actor=user, action="core.job.download", obj=job, detail={"kind": job.kind, "file": job.file_name}
    )
    return path.open("rb")
