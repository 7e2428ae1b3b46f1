"""Nothing paid twice through the one-stop window: one open application per talent and item (a database
fact), applications reserve from the policy's budget ledger, and a talent paid by one route is refused
by the other. The races run on PostgreSQL with one connection per thread; SQLite takes them in turn."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from rencai.core.errors import DomainError
from rencai.onestop import services
from rencai.onestop.models import Application, Material, StepTask
from rencai.policies import ledger
from rencai.policies.matching import run_match
from rencai.policies.models import (
    BudgetAccount,
    Entitlement,
    Policy,
    PolicyVersion,
    Reservation,
    VersionStatus,
)
from tests import factories
from tests.concurrency import at_once, on_postgresql
from tests.onestop.builders import build_services, give_all_materials

pytestmark = pytest.mark.django_db


def _reward_policy(**budget) -> Policy:
    """The window's `platform_reward` item paying per talent, as these ledger tests need a policy that both
    routes pay. The demo's platform-enterprise reward is now a budget without a version (recruitment pays it
    per enterprise and year under its cap), so the per-talent version is given back here, for the test."""
    policy = Policy.objects.get(code="platform-enterprise-reward")
    for field, value in budget.items():
        setattr(policy, field, Decimal(value))
    policy.service_item_code = "platform_reward"
    policy.save()
    PolicyVersion.objects.get_or_create(
        policy=policy,
        number=1,
        defaults={
            "effective_from": dt.date(2017, 5, 1),
            "eligibility_rule": 'talent.employer_is_platform && talent.tier in ["A", "B", "C", "D"]',
            "amount_rule": 'talent.tier == "A" ? 1000000 : (talent.tier == "B" ? 500000 : '
            '(talent.tier == "C" ? 200000 : 50000))',
            "status": VersionStatus.ISSUED,
        },
    )
    return policy


def _committed(policy) -> Decimal:
    return BudgetAccount.objects.get(policy=policy, year=0).committed


def _employees(world, n: int) -> list:
    return [
        factories.make_talent(world.county_a, name=f"引进{i}", tier="D", current_employer=world.enterprise_a)
        for i in range(n)
    ]


def test_an_application_reserves_its_amount_and_withdrawing_it_returns_the_money(onestop):
    policy = _reward_policy(budget_total="5000000")
    item = onestop.items["platform_reward"]
    application = services.apply(
        actor=onestop.world.users["enterprise"], item=item, talent=onestop.world.talent_a
    )

    held = Reservation.objects.get(policy=policy, status="held")
    assert (held.talent_id, held.amount, held.source) == (
        onestop.world.talent_a.pk,
        Decimal("50000"),
        "application",
    )
    assert held.reference == f"application:{application.idempotency_key}"
    assert _committed(policy) == Decimal("50000")

    services.withdraw(actor=onestop.world.users["enterprise"], application=application, comment="重复")
    assert _committed(policy) == Decimal("0") and Reservation.objects.get().status == "released"
    assert ledger.discrepancies() == []


def test_a_rejected_application_returns_its_money(onestop):
    policy = _reward_policy()
    application = services.apply(
        actor=onestop.world.users["enterprise"],
        item=onestop.items["platform_reward"],
        talent=onestop.world.talent_a,
    )
    give_all_materials(onestop, "platform_reward")
    services.accept(actor=onestop.window, application=application)
    task = StepTask.objects.get(application=application, step__department_kind="economy")
    services.decide_step(actor=onestop.officers["economy"], task=task, approve=False, reason="非平台型企业")

    assert Application.objects.get(pk=application.pk).state == "rejected"
    assert _committed(policy) == Decimal("0")


def test_direct_applications_cannot_spend_a_budget_the_engine_has_committed(onestop):
    """The reported overspend: the engine queued talents for lack of budget and their employer applied
    for them directly. Each application now reserves from the same ledger, and is refused."""
    world = onestop.world
    policy = _reward_policy(budget_total="100000", budget_per_year="100000")
    queued = _employees(world, 3)
    run_match(evaluation_date=dt.date(2026, 6, 1))
    assert _committed(policy) == Decimal("100000")  # talent_a and one employee hold the budget
    waiting = [t for t in queued if Entitlement.objects.get(policy=policy, talent=t).status == "queued"]
    assert len(waiting) == 2

    for talent in waiting:
        with pytest.raises(DomainError) as refused:
            services.apply(
                actor=world.users["enterprise"], item=onestop.items["platform_reward"], talent=talent
            )
        assert refused.value.code == "budget_exhausted"
    assert not Application.objects.filter(talent__in=waiting).exists()
    assert _committed(policy) == Decimal("100000") and ledger.discrepancies() == []


def test_a_talent_paid_proactively_cannot_apply_for_the_same_policy(onestop):
    world = onestop.world
    policy = _reward_policy()
    run_match(evaluation_date=dt.date(2026, 6, 1))
    assert Entitlement.objects.get(policy=policy, talent=world.talent_a).status == "offered"
    services.offers_from_entitlements()

    with pytest.raises(DomainError) as refused:  # the offer is waiting: confirm it instead
        services.apply(
            actor=world.users["enterprise"], item=onestop.items["platform_reward"], talent=world.talent_a
        )
    assert refused.value.code == "already_open" and "一键确认" in refused.value.message_zh

    offer = Application.objects.get(
        talent=world.talent_a, item=onestop.items["platform_reward"], state="offered"
    )
    give_all_materials(onestop, "platform_reward")
    services.confirm_offer(actor=world.users["talent"], application=offer)
    with pytest.raises(DomainError) as again:  # confirmed and under way
        services.apply(
            actor=world.users["enterprise"], item=onestop.items["platform_reward"], talent=world.talent_a
        )
    assert again.value.code == "already_open"
    assert Reservation.objects.filter(policy=policy, talent=world.talent_a, status="held").count() == 1


def test_a_granted_entitlement_without_an_application_still_blocks_a_second_payment(onestop):
    world = onestop.world
    policy = _reward_policy()
    Policy.objects.filter(pk=policy.pk).update(service_item_code="")  # paid outside the window
    run_match(evaluation_date=dt.date(2026, 6, 1))

    with pytest.raises(DomainError) as refused:
        services.apply(
            actor=world.users["enterprise"], item=onestop.items["platform_reward"], talent=world.talent_a
        )
    assert refused.value.code == "already_paid"
    assert _committed(policy) == Decimal("50000")


def test_the_database_holds_one_open_application_per_talent_and_item(onestop):
    first = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    twin = Application(
        talent=first.talent, item=first.item, region=first.region, state="submitted", idempotency_key="twin"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    twin.state = "draft"  # drafts and finished applications are not limited
    twin.save()


def test_a_draft_reserves_when_submitted_and_not_before(onestop):
    policy = _reward_policy(budget_total="60000")
    world = onestop.world
    other = _employees(world, 1)[0]
    draft = services.apply(
        actor=world.users["enterprise"],
        item=onestop.items["platform_reward"],
        talent=world.talent_a,
        submit=False,
    )
    assert not Reservation.objects.exists()
    services.apply(actor=world.users["enterprise"], item=onestop.items["platform_reward"], talent=other)

    with pytest.raises(DomainError) as refused:
        services.submit_draft(actor=world.users["enterprise"], application=draft)
    assert refused.value.code == "budget_exhausted"
    assert Application.objects.get(pk=draft.pk).state == "draft"
    assert _committed(policy) == Decimal("50000")


# -- races ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_materials", [False, True])
def test_twenty_identical_applications_at_once_make_one(world, with_materials):
    """The report: twenty identical POSTs for an education voucher without a key made nineteen open
    applications (with materials, a 500 from the material constraint). One is made; the others are told
    an application is already open."""
    onestop = build_services(world)
    item = onestop.items["education_voucher"]
    talent = world.talent_a
    talent.tier = "B"
    talent.save()
    materials = [services.NewMaterial("id_copy", "电子证照 330881")] if with_materials else None

    def attempt():
        try:
            return services.apply(
                actor=onestop.talent_user, item=item, form_data={"child_name": "小明"}, materials=materials
            ).pk
        except DomainError as refused:
            return refused.code

    answers = at_once(*([attempt] * 20), parallel=on_postgresql())

    made = list(Application.objects.filter(talent=talent, item=item).values_list("pk", flat=True))
    assert len(made) == 1
    assert sorted(answers, key=str) == sorted([made[0]] + ["already_open"] * 19, key=str)
    assert Reservation.objects.filter(talent=talent, status="held").count() == 1
    assert Material.objects.filter(talent=talent, is_current=True, material_type__code="id_copy").count() == (
        1 if with_materials else 0
    )
    assert ledger.discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_twenty_retries_with_one_key_at_once_all_get_the_first_application(world):
    onestop = build_services(world)
    world.talent_a.tier = "B"
    world.talent_a.save()

    def attempt():
        return services.apply(
            actor=onestop.talent_user,
            item=onestop.items["education_voucher"],
            form_data={"child_name": "小明"},
            idempotency_key="double-tap",
        ).pk

    answers = at_once(*([attempt] * 20), parallel=on_postgresql())
    made = list(Application.objects.values_list("pk", flat=True))
    assert len(made) == 1 and answers == made * 20


@pytest.mark.django_db(transaction=True)
def test_applications_for_many_talents_at_once_never_overspend(world):
    """Twelve employees, a budget for five: exactly five are reserved, the rest told the budget is spent."""
    onestop = build_services(world)
    policy = _reward_policy(budget_total="250000", budget_per_year="250000")
    employees = _employees(world, 12)
    item = onestop.items["platform_reward"]

    def attempt(talent):
        try:
            return services.apply(actor=world.users["enterprise"], item=item, talent=talent).state
        except DomainError as refused:
            return refused.code

    answers = at_once(*(lambda t=t: attempt(t) for t in employees), parallel=on_postgresql())

    assert sorted(answers) == ["budget_exhausted"] * 7 + ["submitted"] * 5
    assert _committed(policy) == Decimal("250000")
    assert Reservation.objects.filter(policy=policy, status="held").count() == 5
    assert ledger.discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_the_same_material_uploaded_twice_at_once_leaves_one_current(world):
    onestop = build_services(world)

    def upload(n):
        return services.add_material(
            actor=onestop.talent_user, given=services.NewMaterial("photo", f"照片 {n}")
        ).pk

    answers = at_once(*(lambda n=n: upload(n) for n in range(6)), parallel=on_postgresql())
    assert all(isinstance(a, int) for a in answers), answers
    assert (
        Material.objects.filter(talent=world.talent_a, material_type__code="photo", is_current=True).count()
        == 1
    )
    assert Material.objects.filter(talent=world.talent_a, material_type__code="photo").count() == 6
