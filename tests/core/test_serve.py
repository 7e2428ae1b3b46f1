"""`rencai serve` supervises its processes: a killed web worker or task worker is replaced, the tasks a dead
worker left RUNNING go back on the queue, and SIGTERM stops everything.

The first tests start the real `rencai serve` on a free port against the test database (a few seconds
each); the last ones call the stale-task recovery in process.
"""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from rencai.core.models import AuditEntry
from rencai.core.stale_tasks import requeue_stale_tasks
from rencai.onestop.tasks import offers_task
from tests.concurrency import on_postgresql

RENCAI = str(Path(sys.executable).parent / "rencai")


# --- the real server -------------------------------------------------------------------------------------


def database_url() -> str:
    """The test database, as a DATABASE_URL for a process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_until(condition: Callable[[], object], timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


class Server:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process = process
        self.port = port

    @property
    def pid(self) -> int:
        return self.process.pid

    def status(self, path: str = "/accounts/login/") -> int:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0  # refused, reset or timed out

    def answer(self, path: str, cookie: str) -> tuple[int, str]:
        """(status, Retry-After) of a GET with a session cookie; status 0 when the connection failed."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.headers.get("Retry-After", "")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Retry-After", "")
        except OSError:
            return 0, ""

    def web_server(self) -> int:
        [granian] = [pid for pid in children_of(self.pid) if "granian" in " ".join(command_line(pid))]
        return granian

    def task_worker(self) -> int | None:
        workers = [pid for pid in children_of(self.pid) if "db_worker" in command_line(pid) and alive(pid)]
        return workers[0] if workers else None

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def serve(transactional_db, tmp_path):
    """Start `rencai serve` with the given arguments; it is stopped (SIGTERM) after the test."""
    started: list[Server] = []
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "RENCAI_VAR_DIR": str(tmp_path),
        # the same keys as this process, so both read the same sealed data and sessions
        "RENCAI_SECRET_KEY": settings.SECRET_KEY,
        "RENCAI_FIELD_KEY": settings.RENCAI_FIELD_KEY,
        "RENCAI_INDEX_KEY": settings.RENCAI_INDEX_KEY,
        "RENCAI_LOG_LEVEL": "WARNING",
    }

    def start(*args: str) -> Server:
        port = free_port()
        process = subprocess.Popen(
            [RENCAI, "serve", "--port", str(port), "--threads", "2", *args],
            env=env,
            stdout=subprocess.DEVNULL,  # granian's access log
        )
        server = Server(process, port)
        started.append(server)
        assert wait_until(lambda: server.status() == 200, timeout=90), "rencai serve did not start"
        return server

    yield start
    for server in started:
        server.stop()


def test_killed_web_worker_is_replaced_and_the_server_answers_within_5_s(serve):
    server = serve("--no-worker")
    granian = server.web_server()
    workers = children_of(granian)
    assert len(workers) == 2

    os.kill(workers[0], signal.SIGKILL)
    killed_at = time.monotonic()
    assert wait_until(lambda: server.status() == 200, timeout=5)
    assert time.monotonic() - killed_at < 5

    replaced = wait_until(
        lambda: len([pid for pid in children_of(granian) if pid != workers[0] and alive(pid)]) == 2, 15
    )
    assert replaced, "granian did not start a new worker"
    assert server.process.poll() is None and server.web_server() == granian  # granian itself stayed up
    assert [server.status() for _ in range(10)] == [200] * 10


def test_killed_task_worker_is_restarted_and_its_running_task_run_again(serve):
    server = serve()
    first = wait_until(server.task_worker, timeout=60)
    assert first, "no task worker"
    arguments = command_line(first)
    worker_id = arguments[arguments.index("--worker-id") + 1]
    # a task the worker had claimed when it was killed: RUNNING under its id
    with transaction.atomic():
        task = offers_task.enqueue()
        DBTaskResult.objects.filter(pk=task.id).update(
            status=TaskResultStatus.RUNNING, worker_ids=[worker_id], started_at=timezone.now()
        )

    os.kill(first, signal.SIGKILL)

    second = wait_until(lambda: (pid := server.task_worker()) not in (None, first) and pid, timeout=60)
    assert second, "the task worker was not restarted"
    assert server.process.poll() is None and server.status() == 200
    finished = wait_until(
        lambda: DBTaskResult.objects.filter(
            pk=task.id, status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
        ).first(),
        timeout=60,  # generous: these tests share a loaded machine
    )
    assert finished, "the dead worker's task stayed RUNNING"
    assert finished.worker_ids[0] == worker_id and len(finished.worker_ids) == 2  # run by the new worker
    assert AuditEntry.objects.filter(action="core.task.requeue", object_id=str(task.id)).exists()


def test_sigterm_stops_the_server_and_every_process_it_started(serve):
    server = serve()
    wait_until(server.task_worker, timeout=30)
    granian = server.web_server()
    started = [granian, *children_of(granian), *children_of(server.pid)]

    assert server.stop() == 0
    assert wait_until(lambda: not any(alive(pid) for pid in started), timeout=10)


@pytest.mark.skipif(not on_postgresql(), reason="connection pool and pg_stat_activity: PostgreSQL")
def test_server_holds_no_more_connections_than_its_budget_and_answers_no_500_when_they_run_out(
    serve, world, client
):
    # 2 workers with pools of 2 connections, 8 request threads each: most requests wait for a connection
    server = serve("--no-worker", "--db-connections", "6", "--threads", "8")
    client.force_login(world.users["county_org_dept"])
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    connections.close_all()  # from now on only the server is connected to the test database
    peak, answers, done = [0], [], threading.Event()

    def watch() -> None:
        params = connection.settings_dict
        with psycopg.connect(
            dbname=params["NAME"],
            user=params["USER"],
            host=params["HOST"],
            port=params["PORT"] or None,
            autocommit=True,  # pg_stat_activity is read once per transaction
        ) as own:
            while not done.is_set():
                row = own.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()
                peak[0] = max(peak[0], row[0] if row else 0)
                time.sleep(0.05)

    def load() -> None:
        for _ in range(4):
            answers.append(server.answer("/registry/talents/", cookie))

    watcher = threading.Thread(target=watch)
    watcher.start()
    clients = [threading.Thread(target=load) for _ in range(24)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(timeout=120)
    done.set()
    watcher.join(timeout=10)

    assert len(answers) == 96
    assert {status for status, _ in answers} <= {200, 503}, answers
    assert all(retry_after for status, retry_after in answers if status == 503)
    assert [status for status, _ in answers].count(200) >= 48  # most wait for a connection and get one
    assert 2 <= peak[0] <= 6


def test_serve_refuses_a_connection_budget_too_small_for_its_workers():
    with pytest.raises(CommandError, match="too few"):
        call_command("serve", "--workers", "4", "--db-connections", "6")


# --- recovering tasks of dead workers, in process ----------------------------------------------------------


def running_task(*worker_ids: str, started: dt.timedelta = dt.timedelta(seconds=5)) -> DBTaskResult:
    result = offers_task.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=list(worker_ids), started_at=timezone.now() - started
    )
    return DBTaskResult.objects.get(pk=result.id)


def status_of(task: DBTaskResult) -> str:
    return DBTaskResult.objects.get(pk=task.pk).status


@pytest.mark.django_db
def test_tasks_of_a_dead_worker_go_back_on_the_queue():
    orphan = running_task("host:1:1")
    other = running_task("host:1:2")

    report = requeue_stale_tasks(dead_worker_ids={"host:1:1"})

    assert report.requeued == [str(orphan.pk)] and report.failed == []
    assert status_of(orphan) == TaskResultStatus.READY and status_of(other) == TaskResultStatus.RUNNING
    assert DBTaskResult.objects.ready().filter(pk=orphan.pk).exists()  # what a worker claims next
    entry = AuditEntry.objects.get(action="core.task.requeue")
    assert entry.object_id == str(orphan.pk) and entry.detail["worker"] == "host:1:1"


@pytest.mark.django_db
def test_a_task_running_for_hours_under_an_unknown_worker_goes_back_on_the_queue():
    stuck = running_task("elsewhere:9:1", started=dt.timedelta(hours=2))
    recent = running_task("elsewhere:9:2", started=dt.timedelta(minutes=5))

    requeue_stale_tasks()

    assert status_of(stuck) == TaskResultStatus.READY and status_of(recent) == TaskResultStatus.RUNNING


@pytest.mark.django_db
def test_a_long_task_of_a_live_worker_is_left_running():
    long_run = running_task("host:1:3", started=dt.timedelta(hours=2))

    assert not requeue_stale_tasks(live_worker_ids={"host:1:3"})
    assert status_of(long_run) == TaskResultStatus.RUNNING


@pytest.mark.django_db
def test_a_task_whose_workers_died_three_times_is_given_up():
    killer = running_task("host:1:1", "host:1:2", "host:1:3")

    report = requeue_stale_tasks(dead_worker_ids={"host:1:3"})

    assert report.failed == [str(killer.pk)]
    failed = DBTaskResult.objects.get(pk=killer.pk)
    assert failed.status == TaskResultStatus.FAILED and failed.finished_at is not None
    assert failed.exception_class_path == "rencai.core.stale_tasks.WorkerDied"
    assert "host:1:3" in failed.traceback
    assert AuditEntry.objects.filter(action="core.task.give_up", object_id=str(killer.pk)).exists()


@pytest.mark.django_db
def test_requeue_stale_tasks_command_takes_dead_worker_ids_and_an_age(capsys):
    orphan = running_task("host:2:1")
    old = running_task("host:3:1", started=dt.timedelta(minutes=20))

    call_command("requeue_stale_tasks", "--dead-worker", "host:2:1", "--older-than", "10")

    assert status_of(orphan) == status_of(old) == TaskResultStatus.READY
    assert "2 tasks requeued" in capsys.readouterr().out
