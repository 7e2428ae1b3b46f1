"""Computed conflicts of interest: each kind found from the registry, excluded from the draw, set-based."""

import datetime as dt

import pytest

from rencai.evaluation.choices import CaseState, ConflictKind
from rencai.evaluation.conflicts import conflicts_for_case, recent_since
from rencai.evaluation.models import DeclaredRelation, ExpertEmployment, ExpertPlatform
from rencai.evaluation.services import panels
from rencai.registry.models import Achievement, AchievementHolder, Employment, PlatformMembership
from tests.evaluation.builders import TODAY, make_case, make_experts

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world, open_round):
    return make_case(open_round, world.talent_a, state=CaseState.FIRST_PASSED)


@pytest.fixture
def pool(world):
    return make_experts(world.regions["330800"], 9)


def test_expert_who_is_the_candidate_is_in_conflict(case, pool, world):
    pool[0].talent = world.talent_a
    pool[0].save()
    assert conflicts_for_case(case, on=TODAY) == {pool[0].pk: [ConflictKind.SELF]}


def test_expert_at_the_candidates_employer_is_in_conflict(case, pool, world):
    pool[1].employer = world.enterprise_a
    pool[1].save()
    assert conflicts_for_case(case, on=TODAY)[pool[1].pk] == [ConflictKind.EMPLOYER]


def test_expert_who_left_the_candidates_employer_within_three_years_is_in_conflict(case, pool, world):
    ExpertEmployment.objects.create(
        expert=pool[2],
        enterprise=world.enterprise_a,
        employer_name="x",
        ended_on=TODAY - dt.timedelta(days=700),
    )
    ExpertEmployment.objects.create(
        expert=pool[3], enterprise=world.enterprise_a, employer_name="x", ended_on=recent_since(TODAY)
    )
    ExpertEmployment.objects.create(
        expert=pool[4],
        enterprise=world.enterprise_a,
        employer_name="x",
        ended_on=recent_since(TODAY) - dt.timedelta(days=1),
    )
    found = conflicts_for_case(case, on=TODAY)
    assert found[pool[2].pk] == found[pool[3].pk] == [ConflictKind.EMPLOYER]
    assert pool[4].pk not in found  # left more than three years ago


def test_candidate_recently_employed_at_the_experts_employer_is_a_conflict(case, pool, world):
    pool[5].employer = world.enterprise_b
    pool[5].save()
    Employment.objects.create(
        talent=world.talent_a,
        enterprise=world.enterprise_b,
        employer_name=world.enterprise_b.name,
        employment_type="full_time",
        started_on=dt.date(2015, 1, 1),
        ended_on=TODAY - dt.timedelta(days=400),
    )
    assert conflicts_for_case(case, on=TODAY)[pool[5].pk] == [ConflictKind.EMPLOYER]


def test_expert_without_a_registry_employer_matches_by_the_employers_name(case, pool, world):
    pool[6].employer_name = world.enterprise_a.name
    pool[6].save()
    assert conflicts_for_case(case, on=TODAY)[pool[6].pk] == [ConflictKind.EMPLOYER]


def test_expert_on_the_candidates_platform_is_in_conflict(case, pool, world):
    PlatformMembership.objects.create(talent=world.talent_a, platform=world.platform_b, joined_on=TODAY)
    ExpertPlatform.objects.create(expert=pool[0], platform=world.platform_b)
    # platform_a is the academician station hosted by the candidate's employer
    ExpertPlatform.objects.create(expert=pool[1], platform=world.platform_a)
    found = conflicts_for_case(case, on=TODAY)
    assert found == {pool[0].pk: [ConflictKind.PLATFORM], pool[1].pk: [ConflictKind.PLATFORM]}


def test_expert_sharing_an_achievement_with_the_candidate_is_in_conflict(case, pool, world):
    pool[2].talent = world.talent_b
    pool[2].save()
    patent = Achievement.objects.create(
        kind="patent_granted",
        title="一种特种纸",
        reference="ZL2020100001",
        achieved_on=TODAY,
        region=world.county_a,
    )
    AchievementHolder.objects.create(achievement=patent, talent=world.talent_a, rank=1)
    AchievementHolder.objects.create(achievement=patent, talent=world.talent_b, rank=2)
    assert conflicts_for_case(case, on=TODAY) == {pool[2].pk: [ConflictKind.ACHIEVEMENT]}


def test_declared_relation_is_a_conflict(case, pool, world):
    DeclaredRelation.objects.create(expert=pool[3], talent=world.talent_a, relation="师生")
    assert conflicts_for_case(case, on=TODAY) == {pool[3].pk: [ConflictKind.DECLARED]}


def test_several_kinds_are_all_listed_in_order(case, pool, world):
    pool[4].employer = world.enterprise_a
    pool[4].talent = world.talent_a
    pool[4].save()
    DeclaredRelation.objects.create(expert=pool[4], talent=world.talent_a, relation="本人")
    assert conflicts_for_case(case, on=TODAY)[pool[4].pk] == [
        ConflictKind.SELF,
        ConflictKind.EMPLOYER,
        ConflictKind.DECLARED,
    ]


def test_only_the_asked_experts_are_answered(case, pool, world):
    DeclaredRelation.objects.create(expert=pool[3], talent=world.talent_a, relation="同学")
    assert conflicts_for_case(case, experts=[pool[0], pool[1].pk], on=TODAY) == {}
    assert conflicts_for_case(case, experts=[pool[3].pk], on=TODAY) == {pool[3].pk: [ConflictKind.DECLARED]}


def test_conflict_check_costs_the_same_queries_for_any_pool_size(case, world, django_assert_max_num_queries):
    make_experts(world.regions["330800"], 40)
    with django_assert_max_num_queries(10):
        conflicts_for_case(case, on=TODAY)


def test_experts_in_conflict_are_excluded_from_the_draw_with_their_kinds(case, pool, world):
    more = make_experts(world.regions["330800"], 3, field="electronics", employer_name="衢州学院")
    DeclaredRelation.objects.create(expert=more[0], talent=world.talent_a, relation="配偶")
    more[1].employer = world.enterprise_a
    more[1].save()
    panel = panels.panel_draw(actor=world.users["city_org_dept"], case=case, seed="conflicts")
    seated = set(panel.seats.values_list("expert_id", flat=True))
    assert more[0].pk not in seated and more[1].pk not in seated
    assert panel.draw["excluded"] == {
        str(more[0].pk): [ConflictKind.DECLARED],
        str(more[1].pk): [ConflictKind.EMPLOYER],
    }


def test_experts_of_another_field_or_out_of_the_pool_are_not_drawn(case, pool, world):
    other = make_experts(world.regions["330800"], 3, field="biomedicine")
    pool[0].active = False
    pool[0].save()
    panel = panels.panel_draw(actor=world.users["city_org_dept"], case=case, seed="field")
    assert panel.draw["pool"] == sorted(e.pk for e in pool[1:])
    assert not {e.pk for e in other} & set(panel.seats.values_list("expert_id", flat=True))
