"""Run jobs at the same moment from threads, each with its own database connection.

On PostgreSQL this is a real race between sessions. SQLite serialises writers on its file lock, so tests
that only want the outcome of two identical requests run them one after the other (`parallel=False`).
"""

import threading
from collections.abc import Callable

from django.db import connection, connections

from rencai.core.locks import RunInProgress


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def drop_database_connections() -> int:
    """PostgreSQL ends every other session on the test database, as a server restart or failover would:
    from a connection of its own, so the connections Django keeps are left broken. Returns how many."""
    import psycopg

    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    ) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return ended[0] if ended else 0


def at_once(*jobs: Callable[[], object], parallel: bool = True) -> list[object]:
    """Call every job, released together by a barrier when `parallel`; returns, in job order, what each
    returned or the exception it raised (the caller asserts on both)."""
    results: list[object] = [None] * len(jobs)

    def run(index: int, job: Callable[[], object], barrier: threading.Barrier | None) -> None:
        try:
            if barrier is not None:
                barrier.wait(timeout=10)
            results[index] = job()
        except BaseException as error:  # handed to the test, which asserts on it
            results[index] = error
        finally:
            if barrier is not None:
                connections.close_all()

    if not parallel:
        for index, job in enumerate(jobs):
            run(index, job, None)
        return results
    barrier = threading.Barrier(len(jobs))
    threads = [threading.Thread(target=run, args=(i, job, barrier)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def run_twice_at_once(job: Callable[[], object], monkeypatch, module, name: str) -> list[object]:
    """Both threads call `job`; the one that gets the lock waits inside `module.name` (a step taken while
    holding it, still run for real afterwards) until the other has been refused, so the two runs overlap
    for certain. Returns what each thread got: the job's result or the `RunInProgress`."""
    refused = threading.Event()
    original = getattr(module, name)

    def held(*args, **kwargs):
        refused.wait(timeout=10)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, held)

    def attempt() -> object:
        try:
            return job()
        except RunInProgress as refusal:
            refused.set()
            return refusal

    return at_once(attempt, attempt)
