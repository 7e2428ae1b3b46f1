"""The audit log: hash-chained, append-only in the database, and `rencai verify_audit` finds tampering."""

import datetime as dt
import hashlib
import importlib
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from rencai.core import audit, crypto
from rencai.core.audit import GENESIS, verify_chain
from rencai.core.models import AuditChainHead, AuditEntry
from rencai.registry import services

APPEND_ONLY = importlib.import_module("rencai.core.migrations.0003_audit_append_only")
ANCHOR = importlib.import_module("rencai.core.migrations.0007_audit_anchor")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def chain(world):
    """Five entries of different kinds on top of whatever the world's set-up wrote."""
    actor = world.users["county_org_dept"]
    for n in range(5):
        audit.record(actor=actor, action="test.write", obj=world.talent_a, ip="10.0.0.1", detail={"n": n})
    return list(AuditEntry.objects.order_by("seq"))


def verify_output() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def execute_bypassing_the_trigger(sql: str, params: list) -> None:
    """What an attacker with DDL rights could do: lift the append-only trigger, change rows, put it back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_no_change")
            cursor.execute(sql, params)
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_no_change")
        else:
            cursor.execute(APPEND_ONLY.SQLITE_BACKWARD[0])
            cursor.execute(sql, params)
            cursor.execute(APPEND_ONLY.SQLITE_FORWARD[0])


# The chain -----------------------------------------------------------------------------------


def test_each_entry_records_who_what_when_where_and_links_to_the_previous_one(chain, world):
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == GENESIS
    for previous, entry in itertools.pairwise(chain):
        assert entry.prev_hash == previous.hash
        assert entry.hash == hashlib.sha256(audit._canonical(entry)).hexdigest()
    last = chain[-1]
    assert last.actor_id == world.users["county_org_dept"].pk and last.actor_label == "county"
    assert last.action == "test.write" and last.object_type == "registry.talent"
    assert last.object_id == str(world.talent_a.pk) and last.region_code == "330881"
    assert last.ip == "10.0.0.1" and last.detail == {"n": 4} and last.at is not None
    head = AuditChainHead.objects.get(id=1)
    assert head.last_seq == last.seq and head.last_hash == last.hash


def test_a_service_write_is_audited_with_before_and_after(world):
    data = services.TalentInput(
        name="江山乙",
        id_number=crypto.decrypt(world.talent_a2.id_number_ciphertext),
        region_code="330881",
        team="high_skill",
        tier="C",
        arrival_date=world.talent_a2.arrival_date,
    )

    services.update_talent(actor=world.users["county_org_dept"], talent_id=world.talent_a2.pk, data=data)

    entry = AuditEntry.objects.get(action="talent.update")
    assert entry.actor_label == "county" and entry.object_id == str(world.talent_a2.pk)
    assert entry.detail["before"]["tier"] == "E" and entry.detail["after"]["tier"] == "C"
    assert verify_chain().ok


def test_an_entry_rolled_back_with_its_write_leaves_no_trace(chain, world):
    head_before = AuditChainHead.objects.get(id=1).last_seq

    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=world.users["city_org_dept"], action="test.rolled_back")
        raise RuntimeError("the write failed")

    assert not AuditEntry.objects.filter(action="test.rolled_back").exists()
    assert AuditChainHead.objects.get(id=1).last_seq == head_before
    assert verify_chain().ok


# Verification --------------------------------------------------------------------------------


def test_verify_audit_passes_on_a_clean_chain(chain):
    report = verify_chain()

    assert report.ok and report.entries == len(chain)
    assert f"audit chain intact, {len(chain)} entries" in verify_output()


def test_verify_audit_passes_on_an_empty_log(db):
    assert verify_chain().ok and "0 entries" in verify_output()


def test_changed_content_is_detected_at_that_entry(chain):
    target = chain[2]
    execute_bypassing_the_trigger("UPDATE core_auditentry SET action = %s WHERE seq = %s", ["x", target.seq])

    report = verify_chain()
    assert not report.ok and report.first_bad_seq == target.seq and "内容被篡改" in report.reason
    with pytest.raises(CommandError, match=f"entry {target.seq}"):
        call_command("verify_audit")


def test_a_changed_entry_with_a_recomputed_hash_breaks_the_next_link(chain):
    target = chain[1]
    target.action = "forged"
    forged_hash = hashlib.sha256(audit._canonical(target)).hexdigest()
    execute_bypassing_the_trigger(
        "UPDATE core_auditentry SET action = %s, hash = %s WHERE seq = %s",
        ["forged", forged_hash, target.seq],
    )

    report = verify_chain()
    assert not report.ok and report.first_bad_seq == target.seq + 1 and "链接断裂" in report.reason


def test_a_removed_entry_in_the_middle_is_detected(chain):
    execute_bypassing_the_trigger("DELETE FROM core_auditentry WHERE seq = %s", [chain[2].seq])

    report = verify_chain()
    assert not report.ok and report.first_bad_seq == chain[2].seq and "记录缺失" in report.reason


def test_entries_removed_from_the_end_are_detected_by_the_chain_head(chain):
    execute_bypassing_the_trigger("DELETE FROM core_auditentry WHERE seq >= %s", [chain[-2].seq])

    report = verify_chain()
    assert not report.ok and report.first_bad_seq == chain[-2].seq and "末尾记录被删除" in report.reason


# The database refuses changes ----------------------------------------------------------------


def test_the_database_trigger_refuses_update_on_both_databases(chain):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditentry SET action = 'x' WHERE seq = %s", [chain[0].seq])

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=chain[0].seq).update(detail={"forged": True})

    assert AuditEntry.objects.get(seq=chain[0].seq).action == chain[0].action
    assert verify_chain().ok


def test_delete_is_refused_by_postgresql_and_detected_on_sqlite(chain):
    target = chain[1].seq
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [target])
        assert verify_chain().ok
    else:  # SQLite has no DELETE trigger (the migration keeps it for administrators): verification finds it
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry WHERE seq = %s", [target])
        assert verify_chain().first_bad_seq == target


def test_the_model_refuses_to_save_or_delete_an_existing_entry(chain):
    entry = AuditEntry.objects.get(seq=chain[0].seq)
    entry.action = "x"

    with pytest.raises(RuntimeError, match="append-only"):
        entry.save()
    with pytest.raises(RuntimeError, match="append-only"):
        entry.delete()


# The command, run as an operator would ------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the command reads what this test committed
def test_rencai_verify_audit_command_passes_then_fails_after_tampering(regions, tmp_path):
    for n in range(3):
        audit.record(actor=None, action="test.cli", detail={"n": n})
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    else:
        url = f"sqlite:///{settings['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "RENCAI_AUDIT_ANCHOR": str(tmp_path / "anchor.log")}
    command = [str(Path(sys.executable).with_name("rencai")), "verify_audit"]

    clean = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO, timeout=120)
    execute_bypassing_the_trigger("UPDATE core_auditentry SET ip = %s WHERE seq = 2", ["6.6.6.6"])
    broken = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO, timeout=120)

    assert clean.returncode == 0 and "audit chain intact, 3 entries" in clean.stdout
    assert broken.returncode != 0 and "audit chain broken at entry 2" in broken.stderr


def test_a_departure_is_audited_with_the_talent_before_and_after(world):
    services.record_departure(
        actor=world.users["county_org_dept"], talent_id=world.talent_a.pk, departed_on=dt.date(2030, 1, 2)
    )

    entry = AuditEntry.objects.get(action="talent.depart")
    assert entry.detail["departed_on"] == "2030-01-02" and entry.region_code == "330881"
    assert entry.detail["before"]["status"] == "active" and entry.detail["after"]["status"] == "departed"
    assert {"status", "departed_on"} <= set(entry.detail["changed"])
    assert not any(key.endswith(("_ciphertext", "_index")) for key in entry.detail["after"])


# Whole-object snapshots: snapshot, record_change, record_creation ----------------------------

SEALED_TALENT_COLUMNS = {
    "id_number_ciphertext",
    "id_number_index",
    "id_number_tail_index",
    "phone_ciphertext",
}


def test_a_talents_snapshot_leaves_out_sealed_columns_and_keeps_the_masked_ones(world):
    talent = world.talent_a

    taken = audit.snapshot(talent)

    every_column = {field.attname for field in talent._meta.concrete_fields}
    assert SEALED_TALENT_COLUMNS <= every_column
    assert set(taken) == every_column - SEALED_TALENT_COLUMNS
    assert taken["id_number_masked"] == talent.id_number_masked and "*" in taken["id_number_masked"]
    assert taken["phone_masked"] == talent.phone_masked == "138****1234"
    assert taken["region_id"] == world.county_a.pk and taken["birth_date"] == str(talent.birth_date)
    text = str(taken)
    assert crypto.decrypt(talent.id_number_ciphertext) not in text and talent.id_number_ciphertext not in text


def test_record_change_lists_exactly_the_columns_that_changed(world):
    talent = world.talent_a2
    before = audit.snapshot(talent)
    talent.tier, talent.team = "C", "professional"  # talent_a2 is high_skill, tier E
    talent.save()

    entry = audit.record_change(
        actor=world.users["county_org_dept"],
        action="talent.update",
        obj=talent,
        before=before,
        detail={"note": "复核"},
    )

    assert entry.detail["changed"] == ["team", "tier", "updated_at"]  # updated_at moves with every save
    assert (entry.detail["before"]["tier"], entry.detail["after"]["tier"]) == ("E", "C")
    assert entry.detail["after"] == audit.snapshot(talent) and entry.detail["note"] == "复核"
    assert (entry.object_type, entry.object_id, entry.region_code) == (
        "registry.talent",
        str(talent.pk),
        "330881",
    )
    assert verify_chain().ok


def test_a_changed_phone_number_shows_in_the_log_only_as_its_masked_copy(world):
    from rencai.core.pii import seal_phone

    talent = world.talent_a2
    before = audit.snapshot(talent)
    sealed = seal_phone("13900005678")
    talent.phone_ciphertext, talent.phone_masked = sealed.ciphertext, sealed.masked
    talent.save()

    entry = audit.record_change(actor=None, action="talent.update", obj=talent, before=before)

    assert entry.detail["changed"] == ["phone_masked", "updated_at"]
    assert entry.detail["after"]["phone_masked"] == "139****5678"
    assert "13900005678" not in str(entry.detail) and sealed.ciphertext not in str(entry.detail)
    assert verify_chain().ok


def test_record_change_of_an_unchanged_object_lists_nothing(world):
    talent = world.talent_b

    entry = audit.record_change(actor=None, action="talent.touch", obj=talent, before=audit.snapshot(talent))

    assert entry.detail["changed"] == [] and entry.detail["before"] == entry.detail["after"]


def test_record_creation_logs_the_whole_first_snapshot_and_the_chain_still_verifies(chain, world):
    enterprise = world.enterprise_b

    entry = audit.record_creation(
        actor=world.users["city_org_dept"],
        action="enterprise.register",
        obj=enterprise,
        detail={"source": "import"},
    )

    assert entry.detail == {"source": "import", "after": audit.snapshot(enterprise)}
    assert entry.detail["after"]["credit_code"] == enterprise.credit_code
    assert entry.seq == chain[-1].seq + 1 and entry.prev_hash == chain[-1].hash
    report = verify_chain()
    assert report.ok and report.entries == len(chain) + 1


def test_an_entry_is_filed_under_the_region_its_models_tenancy_names(world):
    """The region comes from the path the model's Tenancy declares, so rows that reach their region
    through another row (a policy version through its policy) are filed without the caller's help."""
    from rencai.onestop.models import MaterialType
    from rencai.policies.models import Policy, PolicyVersion

    policy = Policy.objects.create(code="p-audit", name="测试政策", region=world.county_a, kind="subsidy")
    version = PolicyVersion.objects.create(
        policy=policy, number=1, eligibility_rule="true", amount_rule="1", effective_from=dt.date(2026, 1, 1)
    )

    assert audit.region_code_of(version) == "330881"
    assert audit.region_code_of(world.talent_a) == "330881"
    assert audit.region_code_of(world.county_a) == "330881"  # a region is its own
    assert audit.region_code_of(MaterialType(code="x", name="x")) == ""  # belongs to no region
    entry = audit.record(actor=None, action="policy.test", obj=version)
    assert entry.region_code == "330881"


# Anchors outside the database ----------------------------------------------------------------


def _rewind_head(to_seq: int) -> None:
    """The attacker's second step on SQLite: rewind the head to match the shortened chain."""
    entry = AuditEntry.objects.get(seq=to_seq)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditchainhead DISABLE TRIGGER core_auditchainhead_forward")
        else:
            cursor.execute(ANCHOR.SQLITE_BACKWARD[0])
        cursor.execute(
            "UPDATE core_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1", [to_seq, entry.hash]
        )
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditchainhead ENABLE TRIGGER core_auditchainhead_forward")
        else:
            cursor.execute(ANCHOR.SQLITE_FORWARD[0])


def test_a_deleted_tail_with_a_rewound_head_is_found_by_the_anchor(chain):
    call_command("verify_audit", stdout=open(os.devnull, "w"))  # anchors the head outside the database
    cut = chain[-2].seq
    execute_bypassing_the_trigger("DELETE FROM core_auditentry WHERE seq >= %s", [cut])
    _rewind_head(cut - 1)

    report = verify_chain()
    assert not report.ok and report.first_bad_seq == cut and "锚点" in report.reason
    with pytest.raises(CommandError, match="末尾记录被删除"):
        call_command("verify_audit")


def test_every_hundredth_entry_is_anchored_as_it_is_written(world, django_capture_on_commit_callbacks):
    audit.record(actor=None, action="test.first")
    head = AuditChainHead.objects.get()
    with django_capture_on_commit_callbacks(execute=True):  # written once the entry is committed
        for n in range(audit.ANCHOR_EVERY - head.last_seq % audit.ANCHOR_EVERY):
            audit.record(actor=None, action="test.bulk", detail={"n": n})
    lines = Path(audit.anchor_path()).read_text().split("\n")
    chain_id, seq, digest, _at = lines[0].split()
    head.refresh_from_db()
    assert (chain_id, int(seq), digest) == (head.chain_id, head.last_seq, head.last_hash)
    assert int(seq) % audit.ANCHOR_EVERY == 0
    assert oct(os.stat(audit.anchor_path()).st_mode & 0o777) == "0o600"


def test_a_replaced_chain_is_found_by_the_anchor(chain):
    call_command("verify_audit", stdout=open(os.devnull, "w"))
    with connection.cursor() as cursor:  # a wholly new log: the head is given another chain id
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditchainhead DISABLE TRIGGER core_auditchainhead_forward")
        else:
            cursor.execute(ANCHOR.SQLITE_BACKWARD[0])
        cursor.execute("UPDATE core_auditchainhead SET chain_id = 'f' WHERE id = 1")
    report = verify_chain()
    assert not report.ok and "整体替换" in report.reason


def test_the_head_only_moves_forward_on_both_databases(chain):
    with pytest.raises(DatabaseError, match="only moves forward"), transaction.atomic():
        AuditChainHead.objects.filter(id=1).update(last_seq=1)
    with pytest.raises(DatabaseError, match="only moves forward"), transaction.atomic():
        AuditChainHead.objects.filter(id=1).update(chain_id="forged")
    assert AuditChainHead.objects.get().last_seq == chain[-1].seq
