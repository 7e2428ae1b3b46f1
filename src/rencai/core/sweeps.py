"""The daily deadline sweep's registry: each app registers its own sweep in `ready()` (core imports no app),
and the one daily task (`onestop.tasks.reminder_sweep`) runs them all.

A sweep is a function `sweep(today) -> dict` (what it did, for the task's result). It must be idempotent
(a rerun the same day changes nothing and sends nothing twice): the task may be retried.
"""

import datetime as dt
from collections.abc import Callable

Sweep = Callable[[dt.date], dict]
_SWEEPS: dict[str, Sweep] = {}


def register(name: str, fn: Sweep) -> Sweep:
    """Register (or replace) the sweep called `name`; called from the app's `ready()`."""
    _SWEEPS[name] = fn
    return fn


def registered() -> list[str]:
    return sorted(_SWEEPS)


def run_all(today: dt.date) -> dict[str, dict]:
    """Run every registered sweep for `today`, in name order; their reports by name. A sweep that fails
    stops the run with its error (the task records it; the next day's sweep runs again)."""
    return {name: _SWEEPS[name](today) for name in sorted(_SWEEPS)}
