"""`core.locks.exclusive`: one holder at a time, decided by the database, freed on exit and on error."""

import datetime as dt
import threading

import pytest
from django.utils import timezone

from rencai.core.errors import ErrorCode
from rencai.core.locks import RunInProgress, _lock_row, advisory_key, exclusive
from rencai.core.models import JobLock
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


def test_a_second_holder_is_refused_and_the_lock_is_freed_on_exit():
    with exclusive("match"):
        with pytest.raises(RunInProgress) as refused, exclusive("match"):
            pass
        with exclusive("offers"):  # another name is another lock
            pass
    assert refused.value.code == ErrorCode.RUN_IN_PROGRESS and refused.value.status == 409
    assert refused.value.message_zh == "另一个政策匹配正在运行，请稍后再试"
    assert refused.value.message_en == "Another policy matching run is running; try again later"
    with exclusive("match"):  # freed
        pass
    assert not JobLock.objects.exists()


def test_the_lock_is_freed_when_the_job_fails():
    with pytest.raises(ZeroDivisionError), exclusive("match"):
        1 / 0  # noqa: B018
    with exclusive("match"):
        pass


def test_the_advisory_key_is_stable_and_fits_64_bits():
    assert advisory_key("match") == advisory_key("match") != advisory_key("offers")
    assert -(2**63) <= advisory_key("match") < 2**63


def test_a_lock_row_left_by_a_dead_process_is_taken_over():
    # The lock-row flavour (SQLite's) is exercised directly so that it runs on both databases;
    # PostgreSQL's advisory lock is freed by the server when a dead process's session ends.
    import socket

    JobLock.objects.create(
        name="match", holder=f"{socket.gethostname()}:999999999", acquired_at=timezone.now()
    )
    with _lock_row("match"):
        pass
    JobLock.objects.create(
        name="match", holder="elsewhere:1", acquired_at=timezone.now() - dt.timedelta(hours=7)
    )
    with _lock_row("match"):
        pass
    JobLock.objects.create(name="match", holder="elsewhere:1", acquired_at=timezone.now())
    with pytest.raises(RunInProgress), _lock_row("match"):
        pass


@pytest.mark.django_db(transaction=True)
def test_two_threads_at_once_one_holds_the_other_is_refused():
    refused = threading.Event()

    def attempt() -> str:
        try:
            with exclusive("match"):
                refused.wait(timeout=10)  # hold until the other has been refused
                return "ran"
        except RunInProgress:
            refused.set()
            return "refused"

    outcomes = at_once(attempt, attempt)
    assert sorted(outcomes) == ["ran", "refused"]
    with exclusive("match"):  # and it is free again
        pass
