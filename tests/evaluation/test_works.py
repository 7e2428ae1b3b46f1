"""Representative works (代表作): a few achievements the applicant holds, each with a contribution statement,
chosen while the application may still change; the whole choice replaced at once."""

import pytest

from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.evaluation.choices import CaseState
from rencai.evaluation.models import CaseWork
from rencai.evaluation.services import works
from tests import factories
from tests.evaluation.builders import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(world, open_round):
    return make_case(open_round, world.talent_a, state=CaseState.DRAFT)


def held(world, count: int) -> list[int]:
    return [factories.make_achievement(world.talent_a).pk for _ in range(count)]


def chosen(case) -> list[tuple[int, int, str]]:
    return list(CaseWork.objects.filter(case=case).values_list("position", "achievement_id", "statement"))


def test_the_talent_chooses_works_in_order_and_a_new_choice_replaces_the_old(world, case):
    first, second, third = held(world, 3)
    talent = world.users["talent"]

    works.case_works_set(actor=talent, case=case, choices=[(first, "第一发明人"), (second, "主要完成人")])
    works.case_works_set(actor=talent, case=case, choices=[(third, "项目负责人"), (first, "第一发明人")])

    assert chosen(case) == [(1, third, "项目负责人"), (2, first, "第一发明人")]
    assert AuditEntry.objects.filter(action="evaluation.case.works", object_id=str(case.pk)).count() == 2


def test_the_employer_may_choose_for_its_employee(world, case):
    (work,) = held(world, 1)

    works.case_works_set(actor=world.users["enterprise"], case=case, choices=[(work, "核心贡献")])

    assert [row[1] for row in chosen(case)] == [work]


def test_more_works_than_the_scheme_allows_are_refused(world, case):
    ids = held(world, 4)  # the scheme allows 3

    with pytest.raises(ValidationFailed) as refused:
        works.case_works_set(actor=world.users["talent"], case=case, choices=[(i, "贡献") for i in ids])

    assert refused.value.details[0]["field"] == "works" and "3" in refused.value.details[0]["message_en"]
    assert chosen(case) == []


def test_an_achievement_the_talent_does_not_hold_is_refused_and_nothing_is_half_written(world, case):
    (own,) = held(world, 1)
    works.case_works_set(actor=world.users["talent"], case=case, choices=[(own, "本人贡献")])
    someone_elses = factories.make_achievement(world.talent_a2).pk

    with pytest.raises(ValidationFailed) as refused:
        works.case_works_set(
            actor=world.users["talent"],
            case=case,
            choices=[(own, "本人贡献"), (someone_elses, "借用"), (own, "")],
        )

    fields = [detail["field"] for detail in refused.value.details]
    assert fields == ["works.2", "works.3", "works.3"]  # not held; chosen twice and no statement
    assert [row[1] for row in chosen(case)] == [own]  # the previous choice stands


def test_works_cannot_change_once_the_employer_has_confirmed(world, case):
    (work,) = held(world, 1)
    case.state = CaseState.CONFIRMED
    case.save()

    with pytest.raises(DomainError) as refused:
        works.case_works_set(actor=world.users["talent"], case=case, choices=[(work, "贡献")])

    assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION


def test_a_returned_case_may_change_its_works(world, case):
    (work,) = held(world, 1)
    case.state = CaseState.RETURNED
    case.save()

    works.case_works_set(actor=world.users["talent"], case=case, choices=[(work, "补正后的贡献说明")])

    assert len(chosen(case)) == 1


def test_nobody_else_chooses_a_talent_works(world, case, open_round):
    (work,) = held(world, 1)
    with pytest.raises(PermissionDenied):
        works.case_works_set(actor=world.users["city_org_dept"], case=case, choices=[(work, "代选")])
    other_case = make_case(open_round, world.talent_b, state=CaseState.DRAFT)
    with pytest.raises(NotFound):
        works.case_works_set(actor=world.users["enterprise"], case=other_case, choices=[])
