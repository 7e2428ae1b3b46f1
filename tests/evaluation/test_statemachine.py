"""The case lifecycle: every transition of the table is allowed for its parties, every other one refused."""

import itertools

import pytest

from rencai.core.audit import verify_chain
from rencai.evaluation.choices import CaseState
from rencai.evaluation.models import Case, CaseTransition
from rencai.evaluation.statemachine import ALLOWED, NEW, IllegalCaseTransition, Party, allowed_targets, move
from tests.evaluation.builders import make_case

pytestmark = pytest.mark.django_db

EXISTING = [
    (start, to, party) for (start, to), parties in ALLOWED.items() if start != NEW for party in parties
]


@pytest.mark.parametrize(("start", "to", "party"), EXISTING)
def test_every_allowed_transition_moves_the_case_logs_and_audits_it(world, open_round, start, to, party):
    case = make_case(open_round, world.talent_a, state=start)
    actor = world.users["city_org_dept"]

    move(case, to, actor=actor, party=party, comment="ok")

    assert Case.objects.get(pk=case.pk).state == to
    log = CaseTransition.objects.get(case=case)
    assert (log.from_state, log.to_state, log.actor, log.comment) == (start, to, actor, "ok")
    assert verify_chain().ok


def test_a_new_case_starts_as_a_draft_or_submitted_by_its_applicant_only(world, open_round):
    for party in Party:
        case = Case(round=open_round, talent=world.talent_a, region=world.county_a, field="electronics")
        if party == Party.APPLICANT:
            move(case, CaseState.SUBMITTED, actor=None, party=party)
            assert case.pk and case.submitted_at is not None
            case.delete()
        else:
            with pytest.raises(IllegalCaseTransition):
                move(case, CaseState.SUBMITTED, actor=None, party=party)
            assert case.pk is None


def test_every_transition_missing_from_the_table_is_refused_and_changes_nothing(world, open_round):
    case = make_case(open_round, world.talent_a)
    refused = 0
    for start, to, party in itertools.product(CaseState.values, CaseState.values, Party.values):
        if party in ALLOWED.get((start, to), frozenset()):
            continue
        Case.objects.filter(pk=case.pk).update(state=start)
        with pytest.raises(IllegalCaseTransition) as caught:
            move(case, to, actor=None, party=party)
        assert caught.value.code == "illegal_transition" and caught.value.status == 409
        assert Case.objects.get(pk=case.pk).state == start
        refused += 1
    assert refused == len(CaseState.values) ** 2 * len(Party.values) - len(EXISTING)
    assert not CaseTransition.objects.exists()


def test_the_refusal_names_both_states_in_both_languages(world, open_round):
    case = make_case(open_round, world.talent_a, state=CaseState.SUBMITTED)
    with pytest.raises(IllegalCaseTransition) as caught:
        move(case, CaseState.RECOGNIZED, actor=None, party=Party.MANAGER)
    assert "已申报，待单位确认" in caught.value.message_zh and "评价通过" in caught.value.message_zh
    assert (
        "submitted, awaiting the employer" in caught.value.message_en
        and "recognized" in caught.value.message_en
    )


def test_the_buttons_of_a_page_come_from_the_same_table():
    assert set(allowed_targets(CaseState.CONFIRMED, Party.COUNTY)) == {
        CaseState.RETURNED,
        CaseState.FIRST_PASSED,
        CaseState.NOT_RECOGNIZED,
    }
    assert allowed_targets(CaseState.RECOGNIZED, Party.APPLICANT) == []
