"""The CTO quota and the yearly check are database facts: refused behind the services' back, and when two
appointments race (on PostgreSQL the race is real)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from rencai.core.errors import DomainError, ErrorCode
from rencai.evaluation.choices import AppointmentStatus, CaseState, Purpose
from rencai.evaluation.models import CtoAppointment, CtoYearlyCheck
from rencai.evaluation.services import cto
from rencai.registry.models import Honour
from tests import factories
from tests.concurrency import at_once, on_postgresql
from tests.evaluation.builders import make_case, make_round, make_scheme

TODAY = timezone.localdate()


def _cases(world, enterprise, region, count, *, publish=True):
    # a transactional test's scheme stays a draft: SQLite empties its tables with DELETE at the end, which
    # migration 0002's triggers refuse for a published scheme's indicators (the cases do not need it)
    scheme = make_scheme(
        world.regions["330800"], code="cto-2026", purpose=Purpose.CHIEF_TECH_OFFICER, publish=publish
    )
    round_ = make_round(scheme, world.regions["330800"], opens_on=TODAY)
    talents = [factories.make_talent(region, current_employer=enterprise) for _ in range(count)]
    return [
        make_case(
            round_,
            t,
            state=CaseState.RECOGNIZED,
            enterprise=enterprise,
            region=region,
            decided_at=timezone.now(),
        )
        for t in talents
    ]


def _appointment(case, slot, *, platform=False, **fields):
    return CtoAppointment.objects.create(
        enterprise=case.enterprise,
        talent=case.talent,
        case=case,
        slot=slot,
        platform_enterprise=platform,
        term_starts=TODAY,
        term_ends=TODAY + dt.timedelta(days=1000),
        certificate_number=f"T-{case.pk}",
        **fields,
    )


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_cto_in_one_slot(world):
    first, second = _cases(world, world.enterprise_b, world.county_b, 2)
    _appointment(first, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _appointment(second, 1)
    # an ended appointment frees its slot
    CtoAppointment.objects.filter(case=first).update(status=AppointmentStatus.ENDED)
    _appointment(second, 1)


@pytest.mark.django_db
def test_the_database_refuses_a_second_slot_for_an_enterprise_that_is_not_a_platform(world):
    [case] = _cases(world, world.enterprise_b, world.county_b, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        _appointment(case, 2, platform=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        _appointment(case, 3, platform=True)


@pytest.mark.django_db
def test_the_database_refuses_one_person_as_active_cto_of_two_enterprises(world):
    [case_b] = _cases(world, world.enterprise_b, world.county_b, 1)
    _appointment(case_b, 1)
    scheme_round = case_b.round
    other = make_case(
        scheme_round,
        factories.make_talent(world.county_a),
        state=CaseState.RECOGNIZED,
        enterprise=world.enterprise_a,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CtoAppointment.objects.create(
            enterprise=world.enterprise_a,
            talent=case_b.talent,
            case=other,
            slot=1,
            platform_enterprise=True,
            term_starts=TODAY,
            term_ends=TODAY + dt.timedelta(days=10),
            certificate_number="T-x",
        )


@pytest.mark.django_db
def test_the_database_refuses_a_second_check_of_the_same_year(world):
    [case] = _cases(world, world.enterprise_b, world.county_b, 1)
    appointment = _appointment(case, 1)
    CtoYearlyCheck.objects.create(appointment=appointment, year=2026, passed=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        CtoYearlyCheck.objects.create(appointment=appointment, year=2026, passed=False)


@pytest.mark.django_db(transaction=True)
def test_two_appointments_racing_for_one_enterprise_give_one_cto_and_one_quota_refusal(world):
    first, second = _cases(world, world.enterprise_b, world.county_b, 2, publish=False)
    city = world.users["city_org_dept"]

    results = at_once(
        lambda: cto.appoint_from_case(actor=city, case=first),
        lambda: cto.appoint_from_case(actor=city, case=second),
        parallel=on_postgresql(),  # SQLite serialises writers: there the two run one after the other
    )

    appointed = [r for r in results if isinstance(r, CtoAppointment)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(appointed) == 1 and len(refused) == 1, results
    assert refused[0].code == ErrorCode.QUOTA_EXCEEDED
    assert CtoAppointment.objects.filter(enterprise=world.enterprise_b, status="active").count() == 1
    winner = appointed[0].talent_id
    assert list(
        Honour.objects.filter(programme="chief_tech_officer").values_list("talent_id", flat=True)
    ) == [winner]


@pytest.mark.django_db(transaction=True)
def test_two_appointments_racing_for_a_platform_enterprise_take_both_slots(world):
    first, second = _cases(world, world.enterprise_a, world.county_a, 2, publish=False)
    city = world.users["city_org_dept"]

    results = at_once(
        lambda: cto.appoint_from_case(actor=city, case=first),
        lambda: cto.appoint_from_case(actor=city, case=second),
        parallel=on_postgresql(),  # SQLite serialises writers: there the two run one after the other
    )

    assert all(isinstance(r, CtoAppointment) for r in results), results
    assert sorted(r.slot for r in results) == [1, 2]
