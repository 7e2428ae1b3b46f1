"""`rencai serve`: the production server (granian, 2 workers) on loopback, with the task worker beside it.

granian (Rust HTTP, Python WSGI workers) rather than gunicorn: card verification, the hottest path, ran
~1.4-1.7x faster under it in bench/onestop.py on this 2-core machine. `--server gunicorn` remains.

The command is a supervisor, and stays up whatever its children do:
- granian replaces a web worker that dies (`--respawn-failed-workers`); the other worker keeps answering
  meanwhile. Should granian itself exit (it gives up when a worker dies again within seconds), it is
  started again after a pause that grows while it keeps failing.
- the task worker (`rencai db_worker`) is started again the same way. Before each start the tasks the dead
  worker left RUNNING are put back on the queue (`rencai.core.stale_tasks`, keyed on the worker ids this
  supervisor gave out) and `rencai schedule` makes sure the nightly chains wait; every few minutes both
  run again, recovering tasks RUNNING implausibly long under a worker nobody here knows.
- SIGTERM (systemd, `kill`) or Ctrl-C stops all of them.

Database connections are bounded (PostgreSQL's `max_connections` is shared with every other database on
the server): --db-connections (20) minus the task worker's and this supervisor's (while it recovers
tasks) is shared out between the web workers, each a connection pool of that size (RENCAI_DB_POOL_MAX,
see settings) serving one request thread per connection but one, which the verification log's thread
uses. With 2 workers: 2 × 9 + 1 + 1 = 20, and 8 request threads per worker. More --threads than that wait
for a pooled connection and are answered 503 with Retry-After when none frees up in time.
"""

import io
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from rencai.core.errors import DomainError
from rencai.core.stale_tasks import STALE_AFTER, requeue_stale_tasks

logger = logging.getLogger(__name__)

DB_CONNECTIONS = 20  # PostgreSQL's max_connections (100 by default) is shared with every other database
POLL_SECONDS = 0.5  # how often children are looked at
FIRST_PAUSE, LONGEST_PAUSE = 0.5, 30.0  # seconds before restarting a child; doubled while it keeps dying
STEADY_SECONDS = 60.0  # a child that ran this long before dying is restarted after the first pause again
STALE_SWEEP_SECONDS = 300.0  # how often tasks RUNNING for longer than STALE_AFTER are looked for
# Keep-alive connections a web worker holds open at once. granian's backpressure counts connections, not
# requests: each open one holds a permit, so a low figure leaves the clients beyond it unanswered. The
# request threads, not this, bound the work in progress and the database connections.
OPEN_CONNECTIONS_PER_WORKER = 512


@dataclass
class Child:
    """One supervised process: started again, after a pause, whenever it dies."""

    name: str
    command: Callable[[], list[str]]  # called at each start (the task worker gets a new id each time)
    env: dict[str, str]
    before_start: Callable[[], None] = lambda: None
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # when dead: the monotonic time of the next start
    failures: int = 0  # deaths in a row, each after less than STEADY_SECONDS

    def start(self) -> None:
        self.before_start()
        self.process = subprocess.Popen(self.command(), env=self.env)
        self.started_at = time.monotonic()
        self.restart_at = None

    def watch(self) -> None:
        """Notice a death and schedule the restart; restart when its pause is over."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        lived = now - self.started_at
        self.failures = 0 if lived >= STEADY_SECONDS else self.failures + 1
        pause = min(FIRST_PAUSE * 2 ** max(self.failures - 1, 0), LONGEST_PAUSE)
        logger.warning(
            "%s (pid %s) exited with %s after %.0f s; restarting in %.1f s",
            self.name,
            self.process.pid,
            self.process.returncode,
            lived,
            pause,
        )
        self.restart_at = now + pause

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self, timeout: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class TaskWorkerIds:
    """The ids this supervisor gives its task workers (django-tasks records them on the tasks they claim)."""

    def __init__(self) -> None:
        self.prefix = f"{socket.gethostname()[:40]}:{os.getpid()}"
        self.current: str | None = None
        self.dead: set[str] = set()
        self.started = 0

    def new(self) -> str:
        self.started += 1
        self.current = f"{self.prefix}:{self.started}"
        return self.current

    def retire(self) -> None:
        """The current worker has exited: whatever it left RUNNING will never finish."""
        if self.current is not None:
            self.dead.add(self.current)
            self.current = None

    @property
    def live(self) -> set[str]:
        return {self.current} if self.current else set()


class Command(BaseCommand):
    help = "Serve Rencai (granian) with a supervised background-task worker / 启动平台及后台任务（进程守护）"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--db-connections",
            type=int,
            default=int(os.environ.get("RENCAI_DB_CONNECTIONS", DB_CONNECTIONS)),
            help="the most PostgreSQL connections the server holds, all processes together (%(default)s)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            help="request threads per web worker (default: one per pooled connection but the log's)",
        )
        parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the django-tasks database worker"
        )

    def handle(self, *args, host, port, workers, db_connections, threads, server, no_worker, **options):
        bin_dir = os.path.dirname(sys.executable)
        # the supervisor's own (while it recovers tasks) and the task worker's; the rest is shared out
        pool = (db_connections - 1 - (0 if no_worker else 1)) // workers
        if pool < 2:
            raise CommandError(
                f"数据库连接上限 {db_connections} 不足以运行 {workers} 个进程 / "
                f"{db_connections} database connections are too few for {workers} workers"
            )
        if server == "gunicorn":
            threads, web_command = 1, gunicorn_command(bin_dir, host, port, workers)  # sync: one at a time
        else:
            threads = threads or pool - 1
            web_command = granian_command(bin_dir, host, port, workers, threads)
        children = [Child("web server", lambda: web_command, web_environment(min(pool, threads + 1)))]
        worker_ids = None if no_worker else TaskWorkerIds()
        if worker_ids is not None:
            children.append(task_worker(bin_dir, worker_ids))
        self.stdout.write(
            f"Rencai 已启动：http://{host}:{port}/  (Ctrl-C 退出)  {workers} × {threads} 线程，"
            f"数据库连接至多 {db_connections} 个 / {workers} workers × {threads} threads, "
            f"at most {db_connections} database connections"
        )
        supervise(children, worker_ids)


def granian_command(bin_dir: str, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        os.path.join(bin_dir, "granian"),
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--backpressure",
        str(OPEN_CONNECTIONS_PER_WORKER),
        "--respawn-failed-workers",
        "--workers-kill-timeout",
        "20",  # a worker stuck in a request does not hold up a stop for ever
        "--access-log",
        "rencai.wsgi:application",
    ]


def gunicorn_command(bin_dir: str, host: str, port: int, workers: int) -> list[str]:
    # gunicorn's arbiter replaces dead workers by itself
    return [
        os.path.join(bin_dir, "gunicorn"),
        "rencai.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
    ]


def web_environment(pool: int) -> dict[str, str]:
    return {
        **os.environ,
        # one pool per web worker (see settings): a request thread that finds it empty waits, then gets 503
        "RENCAI_DB_POOL_MAX": str(pool),
        # card checks are logged through a spool file and written in batches (see onestop.verification)
        "RENCAI_VERIFICATION_LOG_DELAY": os.environ.get("RENCAI_VERIFICATION_LOG_DELAY", "0.5"),
    }


def task_worker(bin_dir: str, ids: TaskWorkerIds) -> Child:
    """The django-tasks worker, with the dead one's tasks put back on the queue before each start."""
    rencai = os.path.join(bin_dir, "rencai")
    # one thread, one connection: no pool
    env = {name: value for name, value in os.environ.items() if name != "RENCAI_DB_POOL_MAX"}

    def before_start() -> None:
        ids.retire()
        recover_tasks(dead=ids.dead, live=set())

    return Child(
        "task worker",
        # a single worker has no herd to spread out: no random delay before its first poll
        lambda: [rencai, "db_worker", "--no-startup-delay", "--worker-id", ids.new()],
        env,
        before_start=before_start,
    )


def recover_tasks(*, dead: set[str], live: set[str]) -> None:
    """Requeue the tasks of dead workers, then make sure the nightly chains wait (`rencai schedule`).

    In this process rather than as commands of their own: a new Django process would cost seconds before
    the worker could start again. A failure is logged and does not keep the worker down: the next start or
    sweep tries again.
    """
    try:
        report = requeue_stale_tasks(dead_worker_ids=dead, live_worker_ids=live, stale_after=STALE_AFTER)
        if report:
            logger.warning("tasks requeued: %s; given up: %s", report.requeued, report.failed)
        # The nightly chains re-enqueue themselves when a run ends; a run given up (or failed) ends its
        # chain, so it is started again here (idempotent: nothing happens while the next run waits).
        call_command("schedule", stdout=io.StringIO())
    except (DatabaseError, DomainError) as error:
        logger.error("stale tasks or the schedule not checked (%s); tried again later", error)
    finally:
        connections.close_all()  # the supervisor holds no connection between its rounds


def supervise(children: list[Child], worker_ids: TaskWorkerIds | None) -> None:
    # A SIGTERM (systemd, `kill`) stops the server and the worker too instead of orphaning them.
    signal.signal(signal.SIGTERM, _stop)
    next_sweep = time.monotonic() + STALE_SWEEP_SECONDS
    try:
        for child in children:
            child.start()
        while True:
            time.sleep(POLL_SECONDS)
            for child in children:
                child.watch()
            if worker_ids is not None and time.monotonic() >= next_sweep:
                recover_tasks(dead=worker_ids.dead, live=worker_ids.live)
                next_sweep = time.monotonic() + STALE_SWEEP_SECONDS
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for child in children:
            child.stop()
        for child in children:
            child.wait(timeout=30)


def _stop(signum, frame):
    raise SystemExit(0)
