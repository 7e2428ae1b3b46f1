"""The budget ledger: one account per policy budget, one held reservation per talent and policy.

What the matching run and the officers' budget changes do to it; the application route is in
tests/onestop/test_paying_once.py.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from rencai.core.errors import DomainError
from rencai.policies import ledger, services
from rencai.policies.matching import run_match
from rencai.policies.models import BudgetAccount, Entitlement, PolicyVersion, Reservation
from tests import factories

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 1)


def _account(policy, year=0) -> BudgetAccount:
    return BudgetAccount.objects.get(policy=policy, year=year)


def _reserve(policy, talent, amount, year=2026):
    return ledger.reserve(
        policy_id=policy.pk,
        talent_id=talent.pk,
        amount=Decimal(amount),
        year=year,
        source="application",
        reference=f"test:{talent.pk}",
    )


def test_a_reservation_commits_its_amount_on_the_total_and_the_years_account(world, issue):
    policy = issue("p", "true", "100", budget_total=Decimal("1000"), budget_per_year=Decimal("300"))
    _reserve(policy, world.talent_a, "250")
    assert (_account(policy).limit, _account(policy).committed) == (Decimal("1000"), Decimal("250"))
    assert (_account(policy, 2026).limit, _account(policy, 2026).committed) == (
        Decimal("300"),
        Decimal("250"),
    )
    assert ledger.discrepancies() == []


def test_the_years_budget_and_the_total_each_refuse_what_they_cannot_cover(world, issue):
    policy = issue("p", "true", "100", budget_total=Decimal("500"), budget_per_year=Decimal("300"))
    _reserve(policy, world.talent_a, "250", year=2025)
    with pytest.raises(ledger.BudgetExhausted) as refused:  # the year 2026 has 300, the total only 250 left
        _reserve(policy, world.talent_a2, "260")
    assert refused.value.code == "budget_exhausted" and "预算余额不足" in refused.value.message_zh
    with pytest.raises(ledger.BudgetExhausted):  # the year 2025 has only 50 left
        _reserve(policy, world.talent_a2, "60", year=2025)
    assert Reservation.objects.filter(talent=world.talent_a2).count() == 0
    assert _account(policy).committed == Decimal("250")
    _reserve(policy, world.talent_a2, "250")  # exactly what is left
    assert _account(policy).committed == Decimal("500") and ledger.discrepancies() == []


def test_a_talent_is_paid_once_per_policy_whatever_the_route(world, issue):
    policy = issue("p", "true", "100")
    _reserve(policy, world.talent_a, "100")
    with pytest.raises(ledger.AlreadyPaid) as refused:
        _reserve(policy, world.talent_a, "100")
    assert refused.value.code == "already_paid" and "依申请" in refused.value.message_zh
    assert _account(policy).committed == Decimal("100")


def test_the_database_refuses_overspending_and_a_second_held_reservation_even_behind_the_ledgers_back(
    world, issue
):
    policy = issue("p", "true", "100", budget_total=Decimal("1000"))
    _reserve(policy, world.talent_a, "900")
    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetAccount.objects.filter(policy=policy, year=0).update(committed=Decimal("1000.01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Reservation.objects.create(
            policy=policy, talent=world.talent_a, budget_year=2026, amount=1, source="reward", reference="x"
        )
    assert _account(policy).committed == Decimal("900")


def test_release_returns_the_amount_and_the_talent_may_be_paid_again(world, issue):
    policy = issue("p", "true", "100", budget_total=Decimal("100"))
    _reserve(policy, world.talent_a, "100")
    released = ledger.release(policy_id=policy.pk, talent_id=world.talent_a.pk)
    assert released.status == "released" and released.released_at is not None
    assert _account(policy).committed == Decimal("0") and _account(policy, 2026).committed == Decimal("0")
    _reserve(policy, world.talent_a2, "100")
    assert ledger.discrepancies() == []


def test_zero_amounts_reserve_nothing(world, issue):
    policy = issue("card", "true", "0")
    assert _reserve(policy, world.talent_a, "0") is None
    assert not Reservation.objects.exists()


def test_discrepancies_finds_an_account_changed_without_a_reservation(world, issue):
    policy = issue("p", "true", "100", budget_total=Decimal("1000"))
    _reserve(policy, world.talent_a, "100")
    BudgetAccount.objects.filter(policy=policy, year=2026).update(committed=Decimal("40"))
    assert ledger.discrepancies() == [
        {
            "policy": "p",
            "year": 2026,
            "limit": None,
            "committed": Decimal("40.00"),
            "reserved": Decimal("100.00"),
        }
    ]


# -- the matching run reserves what its entitlements hold ---------------------------------------


def test_offers_and_grants_of_a_run_reserve_and_queued_ones_do_not(world, issue):
    for n in range(3):
        factories.make_talent(world.county_a, name=f"D{n}", tier="D", arrival_date=dt.date(2019, 1, n + 1))
    policy = issue("tier-d", 'talent.tier == "D"', "1000", budget_per_year=Decimal("2500"))

    run = run_match(evaluation_date=DAY)

    assert (run.offered, run.queued) == (2, 2)
    held = Reservation.objects.filter(policy=policy, status="held")
    assert set(held.values_list("talent_id", flat=True)) == set(
        Entitlement.objects.filter(policy=policy, status="offered").values_list("talent_id", flat=True)
    )
    assert held.first().reference == f"match_run:{run.pk}" and held.first().source == "entitlement"
    assert _account(policy, 2026).committed == Decimal("2000") and ledger.discrepancies() == []
    run_match(evaluation_date=DAY)  # a second run changes nothing, the ledger included
    assert held.count() == 2 and _account(policy, 2026).committed == Decimal("2000")


def test_a_declined_offer_returns_its_money_and_the_next_run_gives_it_to_the_queue(world, issue):
    world.talent_a2.tier = "D"
    world.talent_a2.arrival_date = dt.date(2020, 1, 1)
    world.talent_a2.save()
    policy = issue("tier-d", 'talent.tier == "D"', "1000", budget_total=Decimal("1000"))
    run_match(evaluation_date=DAY)
    offer = Entitlement.objects.get(policy=policy, talent=world.talent_a)
    assert offer.status == "offered"  # the earlier arrival comes first; talent_a2 queues

    services.decline_offer(actor=world.users["talent"], entitlement=offer)
    assert _account(policy).committed == Decimal("0")
    run_match(evaluation_date=DAY)

    assert Entitlement.objects.get(policy=policy, talent=world.talent_a2).status == "offered"
    assert list(Reservation.objects.filter(status="held").values_list("talent_id", flat=True)) == [
        world.talent_a2.pk
    ]
    assert _account(policy).committed == Decimal("1000") and ledger.discrepancies() == []


def test_a_run_counts_money_committed_by_applications(world, issue):
    """The budget the engine allocates is what the ledger has left, applications included."""
    policy = issue("tier-d", 'talent.tier in ["D", "E"]', "1000", budget_total=Decimal("1500"))
    _reserve(policy, world.talent_a2, "1000")  # talent_a2 (tier E) was paid on application

    run = run_match(evaluation_date=DAY)

    assert run.queued == 1 and run.offered == 0  # 500 left: talent_a's 1000 waits
    assert not Entitlement.objects.filter(talent=world.talent_a2, policy=policy).exists()
    assert _account(policy).committed == Decimal("1000")


def test_a_talent_paid_on_application_is_not_offered_again_and_leaves_the_queue(world, issue):
    policy = issue("tier-d", 'talent.tier == "D"', "1000", budget_total=Decimal("500"))
    run_match(evaluation_date=DAY)
    assert Entitlement.objects.get(policy=policy, talent=world.talent_a).status == "queued"
    policy.budget_total = Decimal("5000")
    policy.save()
    _reserve(policy, world.talent_a, "1000")  # paid through the window meanwhile

    run_match(evaluation_date=DAY)

    assert not Entitlement.objects.filter(policy=policy, talent=world.talent_a).exists()
    assert Reservation.objects.filter(policy=policy, status="held").count() == 1
    assert _account(policy).committed == Decimal("1000")


# -- officers change budgets --------------------------------------------------------------------


def test_a_budget_change_reaches_the_accounts_and_cannot_go_below_what_is_committed(world, issue):
    policy = issue("p", "true", "100", budget_total=Decimal("1000"), budget_per_year=Decimal("800"))
    _reserve(policy, world.talent_a, "600")
    policy.budget_total, policy.budget_per_year = Decimal("2000"), Decimal("700")
    policy.save()
    assert (_account(policy).limit, _account(policy, 2026).limit) == (Decimal("2000"), Decimal("700"))

    draft = PolicyVersion.objects.create(
        policy=policy,
        number=2,
        effective_from=dt.date(2026, 7, 1),
        eligibility_rule="true",
        amount_rule="100",
        budget_total=Decimal("500"),
        created_by=world.users["city_org_dept"],
    )
    with pytest.raises(DomainError) as refused:
        services.issue_version(actor=world.users["city_org_dept"], version=draft)

    assert refused.value.code == "budget_below_committed"
    draft.refresh_from_db()
    policy.refresh_from_db()
    assert draft.status == "draft" and policy.budget_total == Decimal("2000")  # nothing half-written
    assert _account(policy).limit == Decimal("2000")


def test_ledger_check_command_reports_balance_and_discrepancies(world, issue):
    from django.core.management import CommandError, call_command

    policy = issue("p", "true", "100", budget_total=Decimal("1000"))
    _reserve(policy, world.talent_a, "100")
    call_command("ledger_check")
    BudgetAccount.objects.filter(policy=policy, year=0).update(committed=Decimal("90"))
    with pytest.raises(CommandError, match="1 处不符"):
        call_command("ledger_check")


def test_a_budget_below_what_is_committed_is_not_saved_by_any_route(world, issue):
    policy = issue("p", "true", "100", budget_total=Decimal("1000"))
    _reserve(policy, world.talent_a, "600")
    policy.budget_total = Decimal("500")
    with pytest.raises(DomainError):
        policy.save()  # e.g. the Django admin
    policy.refresh_from_db()
    assert policy.budget_total == Decimal("1000") and _account(policy).limit == Decimal("1000")
