"""Agencies under contract: created and changed by the organization departments of their region, with
every problem listed at once, audited; intermediary logins linked to one agency at a time."""

import datetime as dt
from decimal import Decimal

import pytest

from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.recruitment.models import Agency, AgencyMember
from rencai.recruitment.services import agencies
from tests import factories
from tests.recruitment.builders import make_agency, make_agency_user

pytestmark = pytest.mark.django_db


def _data(region, **overrides) -> dict:
    data = {
        "name": "衢州英才猎头有限公司",
        "credit_code": factories.make_credit_code(),
        "region": region,
        "contract_starts": dt.date(2026, 1, 1),
        "contract_ends": dt.date(2027, 12, 31),
        "fee_schedule": {"A": "200000", "C": 50000},
        "target_count": 12,
    }
    data.update(overrides)
    return data


def test_county_officer_puts_an_agency_under_contract_and_it_is_audited(world):
    agency = agencies.agency_create(actor=world.users["county_org_dept"], data=_data(world.county_a))
    assert agency.fee_schedule == {"A": "200000.00", "C": "50000.00"}
    assert Decimal(agency.fee_schedule["C"]) == Decimal(50000)
    entry = AuditEntry.objects.get(action="recruitment.agency.create")
    assert entry.detail["after"]["name"] == "衢州英才猎头有限公司"


def test_every_problem_of_an_agency_is_listed_at_once(world):
    bad = _data(
        world.county_a,
        name=" ",
        credit_code="91330800MA28F0000X",
        contract_starts=dt.date(2027, 1, 1),
        contract_ends=dt.date(2026, 1, 1),
        fee_schedule={"Z": 1, "B": -5},
        target_count=-1,
    )
    with pytest.raises(ValidationFailed) as refused:
        agencies.agency_create(actor=world.users["county_org_dept"], data=bad)
    fields = [detail["field"] for detail in refused.value.details]
    assert fields == ["name", "credit_code", "contract_ends", "fee_schedule", "fee_schedule", "target_count"]
    assert all(detail["message_en"] for detail in refused.value.details)
    assert not Agency.objects.exists()


def test_county_officer_cannot_contract_for_another_county(world):
    with pytest.raises(PermissionDenied):
        agencies.agency_create(actor=world.users["county_org_dept"], data=_data(world.county_b))
    with pytest.raises(PermissionDenied):
        agencies.agency_create(actor=world.users["enterprise"], data=_data(world.county_a))


def test_agency_update_changes_the_contract_with_a_before_and_after(world):
    agency = make_agency(world.county_a)
    agencies.agency_update(
        actor=world.users["county_org_dept"], agency=agency, data={"target_count": 20, "active": False}
    )
    agency.refresh_from_db()
    assert (agency.target_count, agency.active) == (20, False)
    entry = AuditEntry.objects.get(action="recruitment.agency.update")
    assert set(entry.detail["changed"]) >= {"target_count", "active"}
    assert entry.detail["before"]["target_count"] == 10


def test_intermediary_login_is_linked_to_one_agency_at_a_time(world):
    first, second = make_agency(world.county_a), make_agency(world.county_a)
    agent = make_agency_user(username="headhunter")
    officer = world.users["county_org_dept"]
    member = agencies.agency_member_add(actor=officer, agency=first, username="headhunter")
    assert member.agency == first and agencies.agency_of(agent) == first
    with pytest.raises(DomainError):
        agencies.agency_member_add(actor=officer, agency=second, username="headhunter")
    agencies.agency_member_remove(actor=officer, member=member)
    assert agencies.agency_of(agent) is None
    agencies.agency_member_add(actor=officer, agency=second, username="headhunter")
    assert agencies.agency_of(agent) == second
    assert AgencyMember.objects.filter(user=agent).count() == 1


def test_only_an_intermediary_login_can_join_an_agency(world):
    agency = make_agency(world.county_a)
    with pytest.raises(ValidationFailed):
        agencies.agency_member_add(actor=world.users["county_org_dept"], agency=agency, username="ent")
    with pytest.raises(ValidationFailed):
        agencies.agency_member_add(actor=world.users["county_org_dept"], agency=agency, username="nobody")


def test_agency_users_see_only_their_own_agency(world):
    mine, other = make_agency(world.county_a), make_agency(world.county_a)
    agent = make_agency_user(mine)
    assert list(agencies.agencies_for(agent)) == [mine]
    assert set(agencies.agencies_for(world.users["county_org_dept"])) == {mine, other}
    assert not agencies.agencies_for(world.users["enterprise"]).exists()
    with pytest.raises((NotFound, PermissionDenied)):
        agencies.agency_update(actor=agent, agency=other, data={"target_count": 1})
