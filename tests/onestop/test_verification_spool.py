"""The verification log's spool: checks are kept on disk at once and reach the database in batches."""

import datetime as dt
import subprocess
import sys

import pytest
from django.utils import timezone

from rencai.onestop.models import CardVerification, GoldCard
from rencai.onestop.tokens import card_token
from rencai.onestop.verification import VerificationLog, _log, verify_card

pytestmark = pytest.mark.django_db(transaction=True)  # the spool is used outside transactions only


@pytest.fixture
def card(world):
    return GoldCard.objects.create(
        card_number="QZ2026000555",
        talent=world.talent_a,
        region=world.county_a,
        tier="C",
        issued_on=dt.date(2026, 1, 10),
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )


@pytest.fixture
def spool_log(tmp_path, monkeypatch):
    """A log with a long delay (the background thread never fires during the test) in a private folder."""
    log = VerificationLog(delay=3600, directory=tmp_path / "spool")
    monkeypatch.setattr("rencai.onestop.verification.verification_log", log)
    return log


def dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    return int(finished.stdout)


def test_checks_wait_in_the_spool_and_reach_the_database_on_flush(world, card, spool_log):
    provider = world.users["provider"]
    for _ in range(3):
        assert verify_card(provider=provider, token=card_token(card)).result == "ok"
    assert CardVerification.objects.count() == 0
    assert len(list(spool_log.directory.glob("*.spool"))) == 1
    assert spool_log.flush() == 3
    rows = list(CardVerification.objects.filter(card=card).values_list("provider_id", "result", "channel"))
    assert rows == [(provider.pk, "ok", "online")] * 3
    assert list(spool_log.directory.iterdir()) == []
    assert spool_log.flush() == 0  # nothing written twice


def test_spool_left_by_a_dead_process_is_written_by_the_next_flush(world, card, spool_log):
    orphan = spool_log.directory / f"{dead_pid()}.spool"
    at = timezone.now().isoformat()
    orphan.write_text(
        f'[{card.pk}, "QZ2026000555", {world.users["provider"].pk}, "{at}", "ok", "online"]\n'
        '[null, "", 1, "2026-11-2',  # the last line was cut short when that process was killed
        encoding="utf-8",
    )
    assert spool_log.flush() == 1
    assert CardVerification.objects.get().card == card
    assert not orphan.exists()


def test_spool_of_a_live_process_is_left_to_it(world, card, spool_log):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        other = spool_log.directory / f"{live.pid}.spool"
        other.write_text(
            f'[{card.pk}, "QZ2026000555", null, "{timezone.now().isoformat()}", "ok", "online"]\n'
        )
        assert spool_log.flush() == 0 and other.exists()
    finally:
        live.kill()
        live.wait()
    assert spool_log.flush() == 1


def test_a_card_deleted_before_the_flush_keeps_its_check_without_the_link(world, card, spool_log):
    _log(provider=world.users["provider"], result=verify_card_result(card), channel="offline")
    GoldCard.objects.filter(pk=card.pk).delete()
    assert spool_log.flush() == 1
    row = CardVerification.objects.get()
    assert (row.card_id, row.card_number, row.channel) == (None, "QZ2026000555", "offline")


def verify_card_result(card):
    from rencai.onestop.verification import OK, VerificationResult

    return VerificationResult(OK, card_number=card.card_number, tier=card.tier, card_id=card.pk)
