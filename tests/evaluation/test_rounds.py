"""Rounds: opened by the city or a county with working-day deadlines from the calendar, closed when done."""

import datetime as dt

import pytest

from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.evaluation.choices import CaseState, RoundState
from rencai.evaluation.models import Round
from rencai.evaluation.services import rounds
from tests.evaluation.builders import make_case, make_round, make_scheme

pytestmark = pytest.mark.django_db


def test_deadlines_are_counted_in_working_days_across_the_national_day_holiday(world, scheme):
    city = world.regions["330800"]
    # Monday 21 September 2026: 25–27 September (Mid-autumn) and 1–7 October are holidays, 10 October a
    # worked Saturday
    round_ = rounds.round_open(
        actor=world.users["city_org_dept"],
        scheme=scheme,
        name="2026年度人才认定第一批",
        region=city,
        opens_on=dt.date(2026, 9, 21),
        days={"applications": 5, "employer": 2},
    )

    assert round_.state == RoundState.OPEN and round_.year == 2026
    # 22, 23, 24, 28, 29 September: the holiday is skipped
    assert round_.applications_due == dt.date(2026, 9, 29)
    # 30 September, then 8 October (the first working day after the holiday)
    assert round_.employer_due == dt.date(2026, 10, 8)
    # ten working days on, the worked Saturday 10 October among them
    assert round_.first_review_due == dt.date(2026, 10, 21)
    assert round_.calendar_estimated == ()


def test_a_year_the_calendar_lacks_is_estimated_monday_to_friday_and_said(world, scheme):
    round_ = rounds.round_open(
        actor=world.users["city_org_dept"],
        scheme=scheme,
        name="跨年批次",
        region=world.regions["330800"],
        opens_on=dt.date(2026, 12, 21),
    )

    assert round_.calendar_estimated == (2027,)
    # 15 working days from Monday 21 December: eight in December, then 2027 counted Monday to Friday (New
    # Year's Day, a Friday, among them until the calendar knows better)
    assert round_.applications_due == dt.date(2027, 1, 11)


def test_a_county_officer_opens_county_rounds_but_not_city_ones(world, scheme):
    county = world.users["county_org_dept"]
    opened = rounds.round_open(
        actor=county, scheme=scheme, name="江山市第一批", region=world.county_a, opens_on=dt.date(2026, 9, 1)
    )
    assert opened.region == world.county_a

    with pytest.raises(PermissionDenied):
        rounds.round_open(
            actor=county,
            scheme=scheme,
            name="市级",
            region=world.regions["330800"],
            opens_on=dt.date(2026, 9, 1),
        )
    with pytest.raises(PermissionDenied):
        rounds.round_open(
            actor=world.users["enterprise"],
            scheme=scheme,
            name="企业",
            region=world.county_a,
            opens_on=dt.date(2026, 9, 1),
        )


def test_a_draft_scheme_out_of_force_and_bad_stage_lengths_are_listed_at_once(world):
    draft = make_scheme(
        world.regions["330800"], code="draft", publish=False, effective_from=dt.date(2027, 1, 1)
    )

    with pytest.raises(ValidationFailed) as caught:
        rounds.round_open(
            actor=world.users["city_org_dept"],
            scheme=draft,
            name=" ",
            region=world.regions["330800"],
            opens_on=dt.date(2026, 9, 1),
            days={"applications": 0, "lunch": 3},
        )
    fields = sorted(d["field"] for d in caught.value.details)
    assert fields == ["days.applications", "days.lunch", "name", "scheme", "scheme"]
    assert not Round.objects.exists()


def test_a_county_scheme_does_not_apply_to_another_county(world):
    longyou = make_scheme(world.county_b, code="longyou")
    with pytest.raises(ValidationFailed):
        rounds.round_open(
            actor=world.users["city_org_dept"],
            scheme=longyou,
            name="江山",
            region=world.county_a,
            opens_on=dt.date(2026, 9, 1),
        )


def test_a_round_closes_only_when_every_case_has_ended(world, scheme):
    round_ = make_round(scheme, world.regions["330800"])
    case = make_case(round_, world.talent_a, state=CaseState.CONFIRMED)
    city = world.users["city_org_dept"]

    with pytest.raises(DomainError) as caught:
        rounds.round_close(actor=city, round=round_)
    assert caught.value.code == "round_closed"

    case.state = CaseState.WITHDRAWN
    case.save()
    closed = rounds.round_close(actor=city, round=round_)
    assert closed.state == RoundState.CLOSED


def test_another_countys_officer_cannot_close_a_round(world, scheme):
    round_ = make_round(scheme, world.county_b)
    with pytest.raises((PermissionDenied, NotFound)):
        rounds.round_close(actor=world.users["county_org_dept"], round=round_)
    assert Round.objects.get(pk=round_.pk).state == RoundState.OPEN
