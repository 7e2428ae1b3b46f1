"""Integrity findings (品德/诚信): recorded by the officers whose region covers the talent; in force from the
day found up to the day before they expire, and looked up to veto an evaluation."""

import datetime as dt

import pytest

from rencai.core.errors import PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.evaluation.services import integrity

pytestmark = pytest.mark.django_db

FOUND = dt.date(2026, 3, 2)


def record(world, talent=None, *, actor="county_org_dept", **fields):
    values = {
        "found_on": FOUND,
        "source": "衢州市市场监督管理局",
        "description": "申报材料中伪造专利证书",
        "expires_on": dt.date(2029, 3, 2),
    }
    values.update(fields)
    return integrity.finding_record(actor=world.users[actor], talent=talent or world.talent_a, **values)


def test_a_finding_is_in_force_from_the_day_found_until_the_day_before_it_expires(world):
    finding = record(world)

    assert integrity.finding_in_force(world.talent_a, FOUND - dt.timedelta(days=1)) is None
    assert integrity.finding_in_force(world.talent_a, FOUND) == finding
    assert integrity.finding_in_force(world.talent_a, dt.date(2029, 3, 1)) == finding
    assert integrity.finding_in_force(world.talent_a, dt.date(2029, 3, 2)) is None
    assert integrity.finding_in_force(world.talent_a2, FOUND) is None


def test_a_finding_without_expiry_stays_in_force(world):
    finding = record(world, expires_on=None)

    assert integrity.finding_in_force(world.talent_a, dt.date(2040, 1, 1)) == finding


def test_the_latest_finding_in_force_is_returned_and_many_talents_are_looked_up_at_once(world):
    record(world, found_on=dt.date(2025, 1, 1), expires_on=None)
    latest = record(world, found_on=dt.date(2026, 1, 1), expires_on=None)
    other = record(world, world.talent_a2, found_on=dt.date(2020, 1, 1), expires_on=dt.date(2021, 1, 1))

    assert integrity.finding_in_force(world.talent_a, FOUND) == latest
    found = integrity.findings_in_force([world.talent_a.pk, world.talent_a2.pk, world.talent_b.pk], FOUND)
    assert found == {world.talent_a.pk: latest}
    assert other.pk not in {f.pk for f in found.values()}


def test_recording_a_finding_is_audited(world):
    finding = record(world)

    entry = AuditEntry.objects.get(action="evaluation.integrity.record", object_id=str(finding.pk))
    assert entry.actor_id == world.users["county_org_dept"].pk and entry.region_code == "330881"


def test_a_county_officer_cannot_record_a_finding_about_another_county_talent(world):
    with pytest.raises(PermissionDenied):
        record(world, world.talent_b)

    assert integrity.finding_in_force(world.talent_b, FOUND) is None
    assert record(world, world.talent_b, actor="city_org_dept").talent == world.talent_b


@pytest.mark.parametrize("role", ["enterprise", "talent", "department", "reviewer"])
def test_only_organization_officers_record_findings(world, role):
    with pytest.raises(PermissionDenied):
        record(world, actor=role)


def test_every_problem_of_a_finding_is_listed_at_once(world):
    with pytest.raises(ValidationFailed) as refused:
        record(
            world,
            found_on=dt.date(2099, 1, 1),
            source=" ",
            description="",
            expires_on=dt.date(2098, 1, 1),
        )

    fields = {detail["field"] for detail in refused.value.details}
    assert fields == {"found_on", "source", "description", "expires_on"}
