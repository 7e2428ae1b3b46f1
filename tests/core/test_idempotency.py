"""Idempotency: `once` answers a retry with the first result, `write_once` keeps one key row per caller,
endpoint and key, and two identical requests at the same moment still make one object."""

import threading

import pytest
from django.db import IntegrityError
from django.test import RequestFactory

from rencai.core import idempotency
from rencai.core.idempotency import HEADER, KeyReused, Outcome, once, write_once
from rencai.core.models import IdempotencyKey
from rencai.registry.models import Academician
from tests import factories
from tests.concurrency import at_once, on_postgresql

ID_NUMBER = "330881198501010011"


@pytest.fixture
def actor(regions):
    return factories.make_user("county", "county_org_dept", region=regions["330881"])


class Writer:
    """A `write` for write_once that registers an academician and counts how often it ran."""

    def __init__(self, region, name: str = "徐院士") -> None:
        self.region, self.name, self.calls = region, name, 0

    def __call__(self) -> tuple[Academician, int]:
        self.calls += 1
        academician = Academician.objects.create(
            name=self.name, academy="cae", field="化工", affiliation="浙江大学", region=self.region
        )
        return academician, 201


def academicians(name: str = "徐院士") -> list[int]:
    return list(Academician.objects.filter(name=name).values_list("pk", flat=True))


# once ------------------------------------------------------------------------------------------------------


def test_once_answers_a_retry_with_the_earlier_result_without_creating_again(regions):
    created: list[Academician] = []

    def create() -> Academician:
        created.append(Writer(regions["330881"])()[0])
        return created[-1]

    def ask() -> Academician:
        return once(find=lambda: created[0] if created else None, same=lambda _earlier: True, create=create)

    first, retry = ask(), ask()

    assert retry.pk == first.pk and len(created) == 1
    assert academicians() == [first.pk]


def test_once_refuses_a_key_reused_for_a_different_request(regions):
    earlier = Writer(regions["330881"])()[0]
    create_calls = []

    with pytest.raises(KeyReused) as refused:
        once(find=lambda: earlier, same=lambda _earlier: False, create=lambda: create_calls.append(1))

    assert refused.value.status == 422 and refused.value.code == "validation_failed"
    assert [problem["field"] for problem in refused.value.details] == ["Idempotency-Key"]
    assert refused.value.details[0]["message_zh"] == "该幂等键已用于另一个不同的请求"
    assert create_calls == [] and academicians() == [earlier.pk]


def test_once_answers_with_the_twins_result_when_the_twin_inserted_the_key_first(actor):
    """The race as the loser sees it: it found no key, then the twin's key row made its own insert fail."""
    twin = IdempotencyKey.objects.create(actor=actor, scope="test", key="k", fingerprint="f", object_id="7")
    lookups = iter([None, twin])

    answer = once(
        find=lambda: next(lookups),
        same=lambda earlier: earlier.fingerprint == "f",
        create=lambda: IdempotencyKey.objects.create(
            actor=actor, scope="test", key="k", fingerprint="f", object_id="8"
        ),
    )

    assert answer.pk == twin.pk and answer.object_id == "7"
    # the failed insert was rolled back to its savepoint: the transaction goes on
    assert list(IdempotencyKey.objects.values_list("object_id", flat=True)) == ["7"]


def test_once_lets_a_failure_of_another_constraint_through(actor):
    IdempotencyKey.objects.create(actor=actor, scope="test", key="taken", fingerprint="f", object_id="1")

    with pytest.raises(IntegrityError):
        once(
            find=lambda: None,
            same=lambda _earlier: True,
            create=lambda: IdempotencyKey.objects.create(
                actor=actor, scope="test", key="taken", fingerprint="f", object_id="2"
            ),
        )

    assert IdempotencyKey.objects.count() == 1


# write_once ------------------------------------------------------------------------------------------------


def test_write_once_stores_one_key_row_per_caller_scope_and_key(actor, regions):
    write = Writer(regions["330881"])
    payload = {"name": "徐院士", "id_number": ID_NUMBER}

    first = write_once(actor=actor, scope="academicians.create", key="k-1", payload=payload, write=write)
    retry = write_once(actor=actor, scope="academicians.create", key="k-1", payload=payload, write=write)

    assert first == retry == Outcome(academicians()[0], 201)
    assert write.calls == 1
    row = IdempotencyKey.objects.get()
    assert (row.actor, row.scope, row.key, row.object_id, row.status) == (
        actor,
        "academicians.create",
        "k-1",
        str(first.object_id),
        201,
    )
    assert ID_NUMBER not in row.fingerprint and "徐院士" not in row.fingerprint  # a keyed hash, not the body


def test_two_callers_may_use_the_same_key(actor, regions):
    other = factories.make_user("city", "city_org_dept", region=regions["330800"])
    write = Writer(regions["330881"])

    mine = write_once(actor=actor, scope="academicians.create", key="k", payload={}, write=write)
    theirs = write_once(actor=other, scope="academicians.create", key="k", payload={}, write=write)

    assert mine.object_id != theirs.object_id and write.calls == 2
    assert set(academicians()) == {mine.object_id, theirs.object_id}
    stored = IdempotencyKey.objects.values_list("actor__username", "key", "object_id")
    assert set(stored) == {("county", "k", str(mine.object_id)), ("city", "k", str(theirs.object_id))}


def test_the_same_key_on_another_endpoint_is_another_request(actor, regions):
    write = Writer(regions["330881"])

    created = write_once(actor=actor, scope="academicians.create", key="k", payload={}, write=write)
    imported = write_once(actor=actor, scope="academicians.import", key="k", payload={}, write=write)

    assert created.object_id != imported.object_id
    assert sorted(IdempotencyKey.objects.values_list("scope", flat=True)) == [
        "academicians.create",
        "academicians.import",
    ]


def test_write_once_refuses_a_reused_key_with_another_body_and_writes_nothing(actor, regions):
    write = Writer(regions["330881"])
    write_once(actor=actor, scope="academicians.create", key="k", payload={"name": "徐院士"}, write=write)

    with pytest.raises(KeyReused) as refused:
        write_once(actor=actor, scope="academicians.create", key="k", payload={"name": "另一位"}, write=write)

    assert refused.value.status == 422
    assert refused.value.details[0]["field"] == "Idempotency-Key"
    assert write.calls == 1 and len(academicians()) == 1 and IdempotencyKey.objects.count() == 1


def test_write_once_without_a_key_writes_every_time_and_stores_no_key(actor, regions):
    write = Writer(regions["330881"])

    first = write_once(actor=actor, scope="academicians.create", key="", payload={}, write=write)
    second = write_once(actor=actor, scope="academicians.create", key="", payload={}, write=write)

    assert first.object_id != second.object_id and write.calls == 2
    assert not IdempotencyKey.objects.exists()


def test_the_key_is_read_from_the_header_trimmed_and_capped():
    factory = RequestFactory()

    assert idempotency.key_from(factory.post("/", headers={HEADER: "  batch-7  "})) == "batch-7"
    assert idempotency.key_from(factory.post("/", headers={HEADER: "x" * 500})) == "x" * 200
    assert idempotency.key_from(factory.post("/")) == ""


# Two identical requests at the same moment ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_request_twice_at_once_makes_one_object_and_one_key_row(regions):
    """On PostgreSQL two threads with their own connections both find no key and both write, each in its own
    transaction; the unique key row decides, the loser's write is rolled back and it answers with the
    winner's object. SQLite takes them in turn."""
    actor = factories.make_user("county", "county_org_dept", region=regions["330881"])
    parallel = on_postgresql()
    both_writing = threading.Barrier(2)
    writer = Writer(regions["330881"])

    def write() -> tuple[Academician, int]:
        academician, status = writer()
        if parallel:  # both got past the lookup and wrote before either inserts its key
            both_writing.wait(timeout=10)
        return academician, status

    def attempt() -> int:
        return write_once(
            actor=actor, scope="academicians.create", key="tap-tap", payload={}, write=write
        ).object_id

    answers = at_once(attempt, attempt, parallel=parallel)
    failures = [answer for answer in answers if isinstance(answer, BaseException)]

    assert failures == []
    assert writer.calls == (2 if parallel else 1)  # on PostgreSQL both really wrote: the race happened
    stored = academicians()
    assert len(stored) == 1 and answers == stored * 2
    keys = IdempotencyKey.objects.filter(actor=actor, scope="academicians.create", key="tap-tap")
    assert list(keys.values_list("object_id", flat=True)) == [str(stored[0])]
