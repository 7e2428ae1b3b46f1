"""Two settlements at once (a retried job, two officers): on PostgreSQL each runs on its own connection, the
second waits for the first's lock on the funding policy and then finds its rewards. Neither passes the
budget nor the 1,000,000 cap, and nobody is paid twice. SQLite runs them one after the other."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from rencai.policies import ledger
from rencai.policies.models import TOTAL, BudgetAccount, Reservation
from rencai.recruitment.models import Reward, RewardCap
from rencai.recruitment.services.rewards import reward_scheme_create, rewards_settle
from tests import factories
from tests.concurrency import at_once, on_postgresql
from tests.recruitment.builders import TODAY, make_placement
from tests.recruitment.test_rewards import make_fund, scheme_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_settlements_at_once_never_overspend_never_pass_the_cap_never_pay_twice(world):
    policy = make_fund(world, total="2500000", yearly=None)
    reward_scheme_create(actor=world.users["city_org_dept"], data=scheme_data(world, policy))
    second_platform = factories.make_enterprise(world.county_b, is_platform_enterprise=True)
    for enterprise in (world.enterprise_a, second_platform):
        for day in range(1, 9):  # 8 B-tier arrivals each: 2,400,000 asked per enterprise
            talent = factories.make_talent(enterprise.region, tier="B", current_employer=enterprise)
            make_placement(talent, enterprise, arrived_on=dt.date(2026, 2, day))
    actor = world.users["city_org_dept"]

    def settle():
        return rewards_settle(actor=actor, today=TODAY)

    first, second = at_once(settle, settle, parallel=on_postgresql())

    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert first.created + second.created == Reward.objects.count()
    assert 0 in (first.created, second.created)  # the second found the first's rewards
    # each enterprise is capped at 1,000,000 (300,000 × 3 and 100,000 of the fourth), inside the budget
    per_enterprise = dict(
        Reward.objects.values("enterprise_id").annotate(s=Sum("amount")).values_list("enterprise_id", "s")
    )
    assert per_enterprise == {
        world.enterprise_a.pk: Decimal("1000000"),
        second_platform.pk: Decimal("1000000"),
    }
    assert all(cap.committed <= cap.cap for cap in RewardCap.objects.all())
    assert BudgetAccount.objects.get(policy=policy, year=TOTAL).committed == Decimal("2000000")
    assert not Reward.objects.values("placement", "purpose").annotate(n=Count("pk")).filter(n__gt=1).exists()
    assert (
        not Reservation.objects.filter(status="held").values("talent").annotate(n=Count("pk")).filter(n__gt=1)
    )
    assert ledger.discrepancies() == []


def test_three_settlements_at_once_stop_at_the_budget(world):
    policy = make_fund(world, total="800000", yearly=None)
    reward_scheme_create(actor=world.users["city_org_dept"], data=scheme_data(world, policy))
    for day in range(1, 13):  # 12 C-tier arrivals of 100,000: the budget covers 8
        talent = factories.make_talent(world.county_a, tier="C", current_employer=world.enterprise_a)
        make_placement(talent, world.enterprise_a, arrived_on=dt.date(2026, 3, day))
    actor = world.users["city_org_dept"]

    def settle():
        return rewards_settle(actor=actor, today=TODAY)

    results = at_once(settle, settle, settle, parallel=on_postgresql())

    assert not any(isinstance(r, BaseException) for r in results), results
    assert sum(r.created for r in results) == Reward.objects.count() == 8
    assert all(r.budget_exhausted == 4 for r in results)  # every run reports the four still waiting
    assert BudgetAccount.objects.get(policy=policy, year=TOTAL).committed == Decimal("800000")
    assert ledger.discrepancies() == []
