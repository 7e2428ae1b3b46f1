"""Computed indicators: the engine's number rules over the registry's achievements, clamped to 0–100 with two
decimals, written to each case; a whole round at once, by those who manage the round."""

import datetime as dt
from decimal import Decimal

import pytest

from rencai.core.errors import PermissionDenied
from rencai.core.models import AuditEntry
from rencai.evaluation import indicators
from rencai.evaluation.choices import CaseState
from rencai.evaluation.models import Case
from tests import factories
from tests.evaluation.builders import make_case, make_round, make_scheme

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 7)


def patents(talent, count: int, *, on: dt.date = dt.date(2025, 6, 1)) -> None:
    for _ in range(count):
        factories.make_achievement(talent, kind="patent_granted", achieved_on=on)


def test_points_are_clamped_to_0_100_with_two_decimals():
    assert indicators.points(12.345) == Decimal("12.35")
    assert indicators.points(-3) == Decimal("0.00")
    assert indicators.points(250) == Decimal("100.00")
    assert indicators.points(float("nan")) == Decimal("0.00")


def test_computed_indicators_count_the_patents_and_transfer_income_of_each_talent(world, open_round):
    patents(world.talent_a, 2)
    patents(world.talent_b, 5)  # 5 × 25 = 125: clamped to 100
    factories.make_achievement(
        world.talent_a, kind="tech_transfer", achieved_on=dt.date(2025, 1, 1), amount=Decimal("123456.78")
    )
    factories.make_achievement(world.talent_a, kind="patent_applied", achieved_on=dt.date(2025, 1, 1))
    patents(world.talent_a2, 1, on=dt.date(2027, 1, 1))  # after the evaluation day: does not count
    cases = [make_case(open_round, t) for t in (world.talent_a, world.talent_a2, world.talent_b)]

    result = indicators.compute_for_cases(Case.objects.select_related("round"), on=DAY)

    a, a2, b = (result[case.pk] for case in cases)
    assert a == {"patents": Decimal("50.00"), "transfer": Decimal("12.00")}  # 123456 yuan / 10000, integer
    assert a2 == {"patents": Decimal("0.00"), "transfer": Decimal("0.00")}
    assert b["patents"] == Decimal("100.00")
    stored = Case.objects.get(pk=cases[0].pk).computed
    assert stored == {"patents": "50.00", "transfer": "12.00"}


def test_cases_of_different_schemes_run_their_own_rules(world, open_round):
    other = make_scheme(
        world.regions["330800"],
        code="cto",
        indicators=[("awards", "奖项", 60, "double(talent.awards) * 33.333"), ("team", "团队", 40, "")],
    )
    other_round = make_round(other, world.regions["330800"])
    factories.make_achievement(world.talent_a, kind="award", achieved_on=dt.date(2024, 1, 1))
    patents(world.talent_a, 1)
    first, second = make_case(open_round, world.talent_a), make_case(other_round, world.talent_a)

    result = indicators.compute_for_cases([first, second], on=DAY)

    assert result[first.pk] == {"patents": Decimal("25.00"), "transfer": Decimal("0.00")}
    assert result[second.pk] == {"awards": Decimal("33.33")}


def test_compute_round_covers_the_cases_not_yet_scored(world, open_round):
    patents(world.talent_a, 1)
    patents(world.talent_b, 2)
    pending = make_case(open_round, world.talent_a, state=CaseState.CONFIRMED)
    scored = make_case(open_round, world.talent_b, state=CaseState.SCORED, computed={"patents": "10.00"})

    count = indicators.compute_round(actor=world.users["city_org_dept"], round=open_round)

    assert count == 1
    assert Case.objects.get(pk=pending.pk).computed["patents"] == "25.00"
    assert Case.objects.get(pk=scored.pk).computed == {"patents": "10.00"}  # a scored case keeps its points
    assert AuditEntry.objects.filter(action="evaluation.round.compute", object_id=str(open_round.pk)).exists()


def test_compute_round_counts_as_of_the_application_deadline_once_it_has_passed(world, open_round):
    late = open_round.applications_due + dt.timedelta(days=1)
    factories.make_achievement(world.talent_a, kind="patent_granted", achieved_on=late)

    assert (
        indicators.evaluation_day(open_round, today=late + dt.timedelta(days=30))
        == open_round.applications_due
    )
    assert indicators.evaluation_day(open_round, today=open_round.opens_on) == open_round.opens_on


def test_a_county_officer_cannot_compute_a_city_round(world, open_round):
    make_case(open_round, world.talent_a)

    with pytest.raises(PermissionDenied):
        indicators.compute_round(actor=world.users["county_org_dept"], round=open_round)
