"""Personal data: encrypted at rest, found by a keyed blind index, masked, revealed only with an audit."""

import hashlib
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test import override_settings

from rencai.core import crypto, pii
from rencai.core.errors import PermissionDenied, ValidationFailed
from rencai.core.masking import mask_id_number, mask_phone
from rencai.core.models import AuditEntry
from rencai.registry import services
from rencai.registry.models import Talent
from rencai.registry.selectors import TalentFilters, talents_for
from tests import factories

REPO = Path(__file__).resolve().parents[2]
ID_NUMBER = "330881199003070020"  # valid (GLOSSARY)
PHONE = "13912345678"


def raw_talent_row(talent_id: int) -> dict:
    """The stored row as the database holds it, read past the ORM."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_talent WHERE id = %s", [talent_id])
        columns = [column[0] for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


@pytest.fixture
def registered(world):
    data = services.TalentInput(
        name="江山丁",
        id_number=ID_NUMBER,
        phone=PHONE,
        region_code="330881",
        team="professional",
        arrival_date=world.talent_a.arrival_date,
    )
    return services.register_talent(actor=world.users["county_org_dept"], data=data)


# Encryption at rest --------------------------------------------------------------------------


def test_id_number_and_phone_are_stored_only_encrypted(registered):
    row = raw_talent_row(registered.pk)
    stored = " ".join(str(value) for value in row.values())

    assert ID_NUMBER not in stored and PHONE not in stored
    assert ID_NUMBER[-8:] not in stored  # not even the tail beyond what the mask shows
    assert row["id_number_ciphertext"].startswith("v1:") and row["phone_ciphertext"].startswith("v1:")
    assert crypto.decrypt(row["id_number_ciphertext"]) == ID_NUMBER
    assert crypto.decrypt(row["phone_ciphertext"]) == PHONE


def test_the_same_number_encrypts_differently_each_time_but_indexes_the_same(db):
    first, second = pii.seal_id_number(ID_NUMBER), pii.seal_id_number(ID_NUMBER)

    assert first.ciphertext != second.ciphertext
    assert first.index == second.index == pii.id_number_index(ID_NUMBER)


def test_a_different_key_cannot_read_the_ciphertext(db):
    sealed = crypto.encrypt(ID_NUMBER)

    with override_settings(RENCAI_FIELD_KEY="another-key-entirely"), pytest.raises(InvalidTag):
        crypto.decrypt(sealed)


def test_a_tampered_ciphertext_is_refused(db):
    sealed = crypto.encrypt(PHONE)
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]

    with pytest.raises(InvalidTag):
        crypto.decrypt(flipped)


# Blind index ---------------------------------------------------------------------------------


def test_blind_index_is_keyed_and_not_a_plain_hash_of_the_number(db):
    index = pii.id_number_index(ID_NUMBER)

    assert ID_NUMBER not in index
    assert index not in {
        hashlib.sha256(ID_NUMBER.encode()).hexdigest()[:40],
        hashlib.md5(ID_NUMBER.encode()).hexdigest(),  # what an attacker would try
    }
    with override_settings(RENCAI_INDEX_KEY="another-index-key"):
        assert pii.id_number_index(ID_NUMBER) != index
    assert crypto.blind_index(PHONE, purpose="phone") != crypto.blind_index(PHONE, purpose="id_number")


def test_exact_lookup_by_id_number_goes_through_the_blind_index(registered, world):
    assert services.find_talent_by_id_number(ID_NUMBER) == registered
    officer = world.users["county_org_dept"]
    assert list(talents_for(officer, TalentFilters(q=ID_NUMBER))) == [registered]
    assert list(talents_for(officer, TalentFilters(q=ID_NUMBER[:-1] + "1"))) == []


def test_registering_the_same_id_number_twice_is_refused(registered, world):
    again = services.TalentInput(
        name="另一个名字",
        id_number=f" {ID_NUMBER} ",
        region_code="330881",
        team="rural",
        arrival_date=registered.arrival_date,
    )

    with pytest.raises(ValidationFailed) as refusal:
        services.register_talent(actor=world.users["city_org_dept"], data=again)

    assert refusal.value.details[0]["field"] == "id_number"
    assert refusal.value.details[0]["message_en"] == services.ID_NUMBER_TAKEN[1]
    assert Talent.objects.filter(id_number_index=pii.id_number_index(ID_NUMBER)).count() == 1


def test_the_database_itself_refuses_a_duplicate_blind_index(registered, world):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.make_talent(world.county_b, name="绕过服务", id_number=ID_NUMBER)


def test_an_x_check_character_is_found_in_either_case(world):
    number = next(n for n in (factories.make_id_number("330881") for _ in range(200)) if n.endswith("X"))
    talent = factories.make_talent(world.county_a, name="末位X", id_number=number)
    officer = world.users["county_org_dept"]

    assert list(talents_for(officer, TalentFilters(q=number.lower()))) == [talent]


# Masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("330881199003070020", "33****************"),
        ("33082519850101123X", "33****************"),
        ("E12345678", "E1*******"),
        ("AB123", "*****"),
    ],
)
def test_id_number_masking_keeps_only_the_first_two(value, masked):
    """Never the last four (sequence and check digit): see core.masking and registry/test_inference.py."""
    assert mask_id_number(value) == masked
    assert mask_id_number("3308**********0020") == mask_id_number("330881199003070020")  # re-masking


@pytest.mark.parametrize(("value", "masked"), [("13912345678", "139****5678"), ("1234567", "*******")])
def test_phone_masking_keeps_the_first_three_and_last_four(value, masked):
    assert mask_phone(value) == masked


def test_the_stored_masks_are_what_lists_show(registered):
    row = raw_talent_row(registered.pk)

    assert row["id_number_masked"] == "33****************" and row["phone_masked"] == "139****5678"


# Reveal --------------------------------------------------------------------------------------


def test_reveal_gives_the_full_value_and_writes_who_what_when_where(registered, world, caplog):
    officer = world.users["county_org_dept"]
    caplog.set_level(logging.DEBUG)

    value = pii.reveal(actor=officer, obj=registered, field="id_number", ip="192.0.2.7")

    assert value == ID_NUMBER
    entry = AuditEntry.objects.filter(action="pii.reveal").get()
    assert entry.actor_id == officer.pk and entry.actor_label == officer.username
    assert entry.object_type == "registry.talent" and entry.object_id == str(registered.pk)
    assert entry.detail == {"field": "id_number"} and entry.ip == "192.0.2.7" and entry.at is not None
    assert ID_NUMBER not in str(entry.detail) and ID_NUMBER not in caplog.text


@pytest.mark.parametrize("role", ["department", "enterprise", "reviewer", "provider"])
def test_reveal_refused_without_the_right_writes_nothing(world, role):
    with pytest.raises(PermissionDenied):
        pii.reveal(actor=world.users[role], obj=world.talent_a, field="phone")

    assert not AuditEntry.objects.filter(action="pii.reveal").exists()


def test_reveal_refused_for_an_officer_of_another_county(world):
    with pytest.raises(PermissionDenied):
        pii.reveal(actor=world.users["county_org_dept"], obj=world.talent_b, field="id_number")


def test_a_talent_may_reveal_their_own_number_only(world):
    talent_user = world.users["talent"]

    assert pii.reveal(actor=talent_user, obj=world.talent_a, field="phone") == "13800001234"
    with pytest.raises(PermissionDenied):
        pii.reveal(actor=talent_user, obj=world.talent_a2, field="phone")


def test_only_personal_data_fields_can_be_revealed(world):
    with pytest.raises(ValueError, match="not a personal-data field"):
        pii.reveal(actor=world.users["superuser"], obj=world.talent_a, field="name")


# The admin -----------------------------------------------------------------------------------


def test_admin_talent_list_shows_the_masked_number_and_searches_by_name(client, registered, world):
    client.force_login(world.users["superuser"])

    listing = client.get("/admin/registry/talent/", {"q": "江山丁"}).content.decode()

    assert "33****************" in listing and "江山丁" in listing
    assert ID_NUMBER not in listing and "江山甲" not in listing


def test_admin_talent_form_has_no_personal_data_field_and_no_plaintext(client, registered, world):
    client.force_login(world.users["superuser"])

    form = client.get(f"/admin/registry/talent/{registered.pk}/change/").content.decode()

    assert form.count('name="name"') == 1
    for sealed in ("id_number_ciphertext", "id_number_index", "phone_ciphertext", 'name="id_number_masked"'):
        assert sealed not in form
    assert ID_NUMBER not in form and PHONE not in form and "33****************" in form
    assert client.get("/admin/registry/talent/add/").status_code == 403


def test_admin_change_of_a_talent_keeps_the_sealed_number_and_is_audited(client, registered, world):
    client.force_login(world.users["superuser"])
    data = {
        "name": "江山丁（改）",
        "nationality": "CN",
        "region": registered.region_id,
        "team": registered.team,
        "tier": registered.tier,
        "title_level": registered.title_level,
        "skill_level": registered.skill_level,
        "highest_degree": registered.highest_degree,
        "current_employer": "",
        "employment_type": registered.employment_type,
        "arrival_date": registered.arrival_date.isoformat(),
        "status": "active",
        "departed_on": "",
    }

    response = client.post(f"/admin/registry/talent/{registered.pk}/change/", data)

    assert response.status_code == 302
    registered.refresh_from_db()
    assert registered.name == "江山丁（改）" and crypto.decrypt(registered.id_number_ciphertext) == ID_NUMBER
    entry = AuditEntry.objects.filter(action="admin.change").get()
    assert entry.detail == {"fields": ["name"]} and entry.actor_label == "root"
    assert entry.object_id == str(registered.pk)


# Keys ----------------------------------------------------------------------------------------


def test_keys_come_from_the_environment_when_set(tmp_path):
    env = {
        **os.environ,
        "RENCAI_FIELD_KEY": "env-field-key",
        "RENCAI_INDEX_KEY": "env-index-key",
        "RENCAI_VAR_DIR": str(tmp_path),
    }
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.RENCAI_FIELD_KEY, s.RENCAI_INDEX_KEY)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "DJANGO_SETTINGS_MODULE": "rencai.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == ["env-field-key", "env-index-key"]
    assert not (tmp_path / "field.key").exists() and not (tmp_path / "index.key").exists()


def test_without_environment_keys_they_are_generated_once_under_var_readable_by_the_owner_only(tmp_path):
    env = {
        key: value for key, value in os.environ.items() if key not in ("RENCAI_FIELD_KEY", "RENCAI_INDEX_KEY")
    }
    env.update(RENCAI_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="rencai.settings")
    script = "import django;django.setup();from django.conf import settings as s;print(s.RENCAI_FIELD_KEY)"

    first = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    second = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )

    key_file = tmp_path / "field.key"
    assert first.stdout.strip() == second.stdout.strip() == key_file.read_text().strip()
    assert len(first.stdout.strip()) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_no_key_is_in_the_repository():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    ).stdout.split("\n")

    assert not [path for path in tracked if path.endswith(".key") or path.startswith("var/")]
    assert "var/" in (REPO / ".gitignore").read_text().split()
    secrets = {settings.RENCAI_FIELD_KEY, settings.RENCAI_INDEX_KEY}
    for path in tracked:
        file = REPO / path
        if path and file.is_file() and file.stat().st_size < 5_000_000:
            content = file.read_bytes()
            assert not any(secret.encode() in content for secret in secrets), path
