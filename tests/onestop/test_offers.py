"""免申即享: the matching run's entitlements become approved applications or one-click offers, once."""

import pytest

from rencai.core.errors import ValidationFailed
from rencai.onestop import selectors, services
from rencai.onestop.models import Application, GoldCard
from rencai.policies.matching import run_match

pytestmark = pytest.mark.django_db


@pytest.fixture
def matched(onestop):
    """talent_a (tier B, with an account) and talent_b (tier C) matched against the demo policies."""
    talent = onestop.world.talent_a
    talent.tier = "B"
    talent.save()
    run_match()
    return onestop


def test_proactive_entitlements_become_completed_applications_and_offers_once(matched):
    world = matched.world
    report = services.offers_from_entitlements()
    # gold card (proactive, granted) for talent_a and talent_b; voucher and loan offers (not proactive)
    assert report.approved == 2
    cards = GoldCard.objects.order_by("talent_id")
    assert {c.talent for c in cards} == {world.talent_a, world.talent_b}
    granted = Application.objects.get(talent=world.talent_a, item__code="gold_card")
    assert granted.state == "completed" and granted.entitlement is not None
    assert [t.to_state for t in granted.transitions.all()] == ["approved", "completed"]
    offers = selectors.offers_of(world.users["talent"])
    assert {a.item.code for a in offers} >= {"education_voucher"}
    assert report.offered == Application.objects.filter(state="offered").count()

    again = services.offers_from_entitlements()
    assert (again.approved, again.offered) == (0, 0)
    assert GoldCard.objects.count() == 2


def test_a_talent_confirms_an_offer_with_one_click_and_it_goes_to_the_departments(matched):
    services.offers_from_entitlements()
    talent_user = matched.world.users["talent"]
    offer = selectors.offers_of(talent_user).get(item__code="education_voucher")
    with pytest.raises(ValidationFailed):
        services.confirm_offer(actor=talent_user, application=offer)
    services.confirm_offer(actor=talent_user, application=offer, form_data={"child_name": "江小宇"})
    offer.refresh_from_db()
    assert offer.state == "in_progress" and offer.form_data["child_name"] == "江小宇"
    assert [t.department.kind for t in offer.steps.all()] == ["education"]
    assert offer.window_officer is None  # no visit to the window
    offer.entitlement.refresh_from_db()
    assert offer.entitlement.status == "granted"  # the policy's reservation is confirmed too


def test_declining_an_offer_withdraws_it(matched):
    services.offers_from_entitlements()
    talent_user = matched.world.users["talent"]
    offer = selectors.offers_of(talent_user).get(item__code="education_voucher")
    services.decline_offer(actor=talent_user, application=offer)
    offer.refresh_from_db()
    assert offer.state == "withdrawn"
    offer.entitlement.refresh_from_db()
    assert offer.entitlement.status == "declined"
    assert services.offers_from_entitlements().offered == 0


@pytest.mark.django_db(transaction=True)
def test_two_offer_runs_started_at_once_one_runs_and_the_other_is_refused(onestop, monkeypatch):
    from rencai.core.locks import RunInProgress
    from rencai.onestop.services import offers as offers_module
    from tests.concurrency import run_twice_at_once

    talent = onestop.world.talent_a
    talent.tier = "B"
    talent.save()
    run_match()
    results = run_twice_at_once(services.offers_from_entitlements, monkeypatch, offers_module, "_in_chunks")

    assert sorted(type(r).__name__ for r in results) == ["OfferReport", "RunInProgress"]
    refusal = next(r for r in results if isinstance(r, RunInProgress))
    assert refusal.message_en == "Another offers run is running; try again later"
    report = next(r for r in results if not isinstance(r, RunInProgress))
    assert report.approved == 2 and GoldCard.objects.count() == 2
    assert services.offers_from_entitlements().approved == 0  # nothing left undone


def test_the_offers_command_says_another_run_is_going_and_writes_nothing(matched):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from rencai.core.locks import exclusive

    with exclusive("offers"), pytest.raises(CommandError) as refused:
        call_command("offers")
    assert "另一个免申即享要约生成正在运行，请稍后再试" in str(refused.value)
    assert "Another offers run is running; try again later" in str(refused.value)
    assert not Application.objects.exists()
