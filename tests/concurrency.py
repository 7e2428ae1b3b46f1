"""Start the same job twice at once from two threads (each with its own database connection)."""

import threading
from collections.abc import Callable

from django.db import connections

from rencai.core.locks import RunInProgress


def run_twice_at_once(job: Callable[[], object], monkeypatch, module, name: str) -> list[object]:
    """Both threads pass a barrier and call `job`; the one that gets the lock waits inside
    `module.name` (a step taken while holding it) until the other has been refused, so the two runs
    overlap for certain. Returns what each thread got: the job's result or the `RunInProgress`."""
    barrier = threading.Barrier(2)
    refused = threading.Event()
    original = getattr(module, name)

    def held(*args, **kwargs):
        refused.wait(timeout=10)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, held)
    results: list[object] = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(job())
        except RunInProgress as refusal:
            results.append(refusal)
            refused.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
