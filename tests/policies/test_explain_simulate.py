import datetime as dt
from decimal import Decimal

from rencai.policies.benefits import benefits_of, explain_version
from rencai.policies.models import Entitlement, PolicyVersion
from rencai.policies.simulation import simulate_version
from tests import factories

DAY = dt.date(2026, 6, 1)


def test_explanation_shows_each_clause_with_the_talents_values(world, issue):
    talent = factories.make_talent(
        world.county_a,
        highest_degree="doctor",
        birth_date=dt.date(1979, 1, 1),
        id_number=factories.make_id_number("330881", dt.date(1979, 1, 1)),
    )
    policy = issue("doctor", 'talent.degree == "doctor" && talent.age <= 45', "200000")
    explanation = explain_version(talent, policy.versions.get(), DAY)
    text = explanation.render("zh")
    assert not explanation.eligible
    assert "博士 ✓" in text and "47" in text and "45" in text and "✗" in text


def test_my_benefits_lists_eligible_policies_first_with_amounts(world, issue):
    issue("for-d", 'talent.tier == "D"', 'talent.tier == "D" ? 8000 : 0')
    issue("for-a", 'talent.tier == "A"', "1")
    lines = benefits_of(world.talent_a, DAY)
    assert [line.version.policy.code for line in lines] == ["for-d", "for-a"]
    assert lines[0].eligible and lines[0].amount == 8000
    assert not lines[1].eligible and "✗" in lines[1].explanation.render("zh")


def test_benefits_only_list_policies_in_force_where_the_talent_lives(world, issue):
    issue("longyou-only", "true", region=world.county_b)
    assert [line.version.policy.code for line in benefits_of(world.talent_a, DAY)] == []


def test_simulation_compares_draft_with_version_in_force_and_writes_nothing(world, issue):
    policy = issue("sim", 'talent.tier == "D"', "1000", budget_total=Decimal("1500"))
    draft = PolicyVersion(
        policy=policy,
        number=2,
        effective_from=DAY,
        eligibility_rule='talent.tier in ["D", "E"]',
        amount_rule="1000",
    )
    before = (PolicyVersion.objects.count(), Entitlement.objects.count())

    simulation = simulate_version(draft, day=DAY)

    result = simulation.result
    assert (result.current_count, result.draft_count) == (1, 2)  # talent_a is tier D; talent_a2 tier E
    assert result.added_ids == [world.talent_a2.pk]
    assert result.draft_cost == Decimal("2000") and not result.budget_holds and result.queued_count == 1
    by_region = {g.key: g.draft_count for g in result.by_region if g.draft_count}
    assert by_region == {"330881": 2}
    assert (PolicyVersion.objects.count(), Entitlement.objects.count()) == before


def test_simulating_the_age_limit_at_50_shows_who_is_added(world, issue):
    older = factories.make_talent(
        world.county_a,
        highest_degree="doctor",
        id_number=factories.make_id_number("330881", dt.date(1978, 3, 1)),
    )
    policy = issue("age", 'talent.degree == "doctor" && talent.age <= 45', "100000")
    draft = PolicyVersion(
        policy=policy,
        number=2,
        effective_from=DAY,
        eligibility_rule='talent.degree == "doctor" && talent.age <= 50',
        amount_rule="100000",
    )
    result = simulate_version(draft, day=DAY).result
    assert result.added_ids == [older.pk] and result.removed_ids == []
    assert result.draft_cost - result.current_cost == Decimal("100000")
