"""Staged benefits (阶段性评价): a staged policy's entitlement is paid in yearly instalments, each released
by that year's evaluation; a failed one is withheld and its money returns to the budget through the ledger."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from rencai.core.errors import ValidationFailed
from rencai.policies import instalments, ledger, services
from rencai.policies.matching import run_match
from rencai.policies.models import BudgetAccount, Entitlement, Instalment, Policy, Reservation

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 1)


def _staged(issue, *, proactive=False, shares=(40, 30, 30)):
    return issue(
        "research-staged",
        'talent.employment_type == "full_time"',
        "90000",
        budget_total=Decimal("1000000"),
        is_proactive=proactive,
        instalment_shares=list(shares),
    )


def _committed(policy) -> Decimal:
    return BudgetAccount.objects.get(policy=policy, year=0).committed


def _granted(world, issue, **kwargs) -> Entitlement:
    policy = _staged(issue, **kwargs)
    run_match(evaluation_date=DAY)
    entitlement = Entitlement.objects.get(policy=policy, talent=world.talent_a)
    if entitlement.status == "offered":
        entitlement = services.confirm_offer(actor=world.users["talent"], entitlement=entitlement)
    return entitlement


def test_shares_must_be_whole_percentages_summing_to_100():
    assert instalments.share_problems([40, 30, 30]) == []
    assert instalments.share_problems([]) == []
    [wrong_sum] = instalments.share_problems([50, 40])
    assert wrong_sum["message_zh"] == "分期比例合计须为100%，现为90%"
    assert wrong_sum["message_en"] == "Instalment shares must sum to 100%, not 90%"
    assert len(instalments.share_problems([120, -30])) == 2  # a share below 1%, besides the sum
    assert instalments.share_problems(["40", 60])[0]["field"] == "instalment_shares"


@pytest.mark.parametrize("shares", [[50, 40], [100, 0], [60, 40.5], {"a": 100}])
def test_the_database_refuses_shares_that_do_not_make_100(world, shares):
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.create(
            code="bad", name="坏", region=world.regions["330800"], kind="subsidy", instalment_shares=shares
        )
    policy = Policy.objects.create(code="ok", name="好", region=world.regions["330800"], kind="subsidy")
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.filter(pk=policy.pk).update(instalment_shares=shares)


def test_create_policy_lists_the_share_problem_in_both_languages(world):
    with pytest.raises(ValidationFailed) as refused:
        services.create_policy(
            actor=world.users["city_org_dept"],
            code="staged",
            name="分期",
            region=world.regions["330800"],
            kind="subsidy",
            instalment_shares=[50, 40],
        )
    assert refused.value.details[0]["message_en"] == "Instalment shares must sum to 100%, not 90%"
    assert not Policy.objects.filter(code="staged").exists()


def test_split_gives_the_last_instalment_what_rounding_left():
    assert instalments.split(Decimal("100.00"), [33, 33, 34]) == [
        Decimal("33.00"),
        Decimal("33.00"),
        Decimal("34.00"),
    ]
    parts = instalments.split(Decimal("1000.01"), [40, 30, 30])
    assert sum(parts) == Decimal("1000.01") and parts[:2] == [Decimal("400.00"), Decimal("300.00")]


def test_confirming_a_staged_offer_writes_its_schedule_with_the_first_instalment_paid(world, issue):
    entitlement = _granted(world, issue)

    schedule = list(entitlement.instalments.all())
    assert [(i.number, i.due_year, i.amount, i.status) for i in schedule] == [
        (1, 2026, Decimal("36000.00"), "released"),
        (2, 2027, Decimal("27000.00"), "scheduled"),
        (3, 2028, Decimal("27000.00"), "scheduled"),
    ]
    assert schedule[0].reference == "grant"
    instalments.schedule(entitlement)  # granting twice changes nothing
    assert entitlement.instalments.count() == 3


def test_a_proactive_staged_grant_gets_its_schedule_from_the_matching_run(world, issue):
    entitlement = _granted(world, issue, proactive=True)
    assert entitlement.status == "granted"
    assert entitlement.instalments.count() == 3
    run_match(evaluation_date=DAY)
    assert Instalment.objects.count() == 3


def test_a_passed_evaluation_releases_that_years_instalment_and_keeps_the_money_committed(world, issue):
    entitlement = _granted(world, issue)

    released = instalments.release_for_evaluation(
        talent_id=world.talent_a.pk, year=2027, passed=True, reference="evaluation_case:1"
    )

    assert [(i.number, i.status) for i in released] == [(2, "released")]
    assert _committed(entitlement.policy) == Decimal("90000")
    assert ledger.discrepancies() == []
    assert entitlement.instalments.get(number=3).status == "scheduled"


def test_a_failed_evaluation_withholds_the_instalment_and_returns_its_money_through_the_ledger(world, issue):
    entitlement = _granted(world, issue)

    withheld = instalments.release_for_evaluation(
        talent_id=world.talent_a.pk, year=2027, passed=False, reference="evaluation_case:2"
    )

    assert [(i.number, i.status) for i in withheld] == [(2, "withheld")]
    assert _committed(entitlement.policy) == Decimal("63000")
    assert Reservation.objects.get(policy=entitlement.policy, status="held").amount == Decimal("63000")
    assert ledger.discrepancies() == []
    # the next year is judged on its own
    instalments.release_for_evaluation(talent_id=world.talent_a.pk, year=2028, passed=True, reference="e:3")
    assert entitlement.instalments.get(number=3).status == "released"
    assert ledger.discrepancies() == []


def test_the_same_evaluation_reported_twice_changes_nothing_the_second_time(world, issue):
    entitlement = _granted(world, issue)
    first = instalments.release_for_evaluation(
        talent_id=world.talent_a.pk, year=2027, passed=False, reference="evaluation_case:9"
    )
    again = instalments.release_for_evaluation(
        talent_id=world.talent_a.pk, year=2027, passed=False, reference="evaluation_case:9"
    )
    assert [i.pk for i in again] == [i.pk for i in first]
    assert _committed(entitlement.policy) == Decimal("63000")  # withheld once, not twice
    assert ledger.discrepancies() == []


def test_withholding_every_later_instalment_leaves_only_the_first_committed(world, issue):
    entitlement = _granted(world, issue)
    for year in (2027, 2028):
        instalments.release_for_evaluation(
            talent_id=world.talent_a.pk, year=year, passed=False, reference=f"e{year}"
        )
    assert _committed(entitlement.policy) == Decimal("36000")
    assert ledger.discrepancies() == []


def test_a_revoked_entitlement_cancels_its_waiting_instalments_and_frees_the_rest(world, issue):
    entitlement = _granted(world, issue)
    services.revoke_refused(actor=None, entitlement_id=entitlement.pk, reason="部门不予兑现")

    assert list(entitlement.instalments.values_list("status", flat=True)) == [
        "released",
        "cancelled",
        "cancelled",
    ]
    assert _committed(entitlement.policy) == Decimal("0")
    assert ledger.discrepancies() == []
    # a later evaluation finds nothing to release
    assert (
        instalments.release_for_evaluation(talent_id=world.talent_a.pk, year=2027, passed=True, reference="x")
        == []
    )


def test_the_talent_sees_the_schedule_under_the_benefit(client, world, issue):
    _granted(world, issue)
    instalments.release_for_evaluation(talent_id=world.talent_a.pk, year=2027, passed=False, reference="e")
    client.force_login(world.users["talent"])

    html = client.get(reverse("policies:my_benefits")).content.decode()

    table = html[html.index("data-instalments") : html.index("</table>", html.index("data-instalments"))]
    assert "分期兑现（阶段性评价）" in table
    assert 'data-instalment="1" data-status="released"' in table and "2026" in table and "已发放" in table
    assert 'data-instalment="2" data-status="withheld"' in table and "考核未通过，不予发放" in table
    assert 'data-instalment="3" data-status="scheduled"' in table and "2028" in table and "待考核" in table
    assert "27,000" in table or "27000" in table
