"""Education vouchers: a school redeems a voucher once; a second redemption, even concurrent, is refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from rencai.core.errors import NotFound, PermissionDenied
from rencai.core.models import AuditEntry
from rencai.onestop import selectors, services
from rencai.onestop.models import EducationVoucher, VoucherRedemption
from tests import factories
from tests.concurrency import at_once, on_postgresql


def make_voucher(world) -> EducationVoucher:
    return EducationVoucher.objects.create(
        voucher_number="JY2026ABCD1234",
        talent=world.talent_a,
        region=world.county_a,
        child_name="江小宇",
        amount=Decimal("20000"),
        issued_on=dt.date(2026, 9, 1),
    )


@pytest.mark.django_db
def test_a_voucher_is_redeemed_once_and_the_second_attempt_is_refused_and_logged(world):
    voucher = make_voucher(world)
    school = world.users["provider"]
    redeemed = services.redeem_voucher(provider=school, voucher_number="jy2026abcd1234")
    assert redeemed.status == "redeemed" and redeemed.redeemed_by == school and redeemed.redeemed_at
    other_school = factories.make_user("school2", "provider")
    with pytest.raises(services.VoucherRefused) as refused:
        services.redeem_voucher(provider=other_school, voucher_number=voucher.voucher_number)
    assert refused.value.code == "voucher_redeemed" and refused.value.status == 409
    voucher.refresh_from_db()
    assert voucher.redeemed_by == school
    log = list(VoucherRedemption.objects.order_by("id").values_list("provider__username", "result"))
    assert log == [("provider", "ok"), ("school2", "already_redeemed")]
    # the voucher's life is visible to the talent
    mine = selectors.vouchers_of(world.users["talent"]).get()
    assert mine.status == "redeemed" and len(mine.redemptions.all()) == 2


@pytest.mark.django_db
def test_only_providers_redeem_and_unknown_numbers_are_not_found(world):
    make_voucher(world)
    with pytest.raises(PermissionDenied):
        services.redeem_voucher(provider=world.users["talent"], voucher_number="JY2026ABCD1234")
    with pytest.raises(NotFound):
        services.redeem_voucher(provider=world.users["provider"], voucher_number="JY2026XXXX")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_let_exactly_one_through(world):
    """On PostgreSQL two threads with their own connections race; SQLite makes the two attempts in turn."""
    voucher = make_voucher(world)
    schools = [world.users["provider"], factories.make_user("school2", "provider")]

    def attempt(school) -> str:
        try:
            services.redeem_voucher(provider=school, voucher_number=voucher.voucher_number)
        except services.VoucherRefused as refused:
            return refused.code
        return "ok"

    outcomes = at_once(*(lambda s=school: attempt(s) for school in schools), parallel=on_postgresql())
    assert sorted(outcomes) == ["ok", "voucher_redeemed"]
    assert VoucherRedemption.objects.filter(voucher=voucher, result="ok").count() == 1
    assert EducationVoucher.objects.get(pk=voucher.pk).status == "redeemed"


def test_voucher_numbers_are_long_random_and_unambiguous():
    from rencai.onestop.services.outcomes import VOUCHER_ALPHABET, new_voucher_number

    numbers = {new_voucher_number(2026) for _ in range(2000)}
    assert len(numbers) == 2000  # 70 random bits: no collision in a few thousand
    for number in numbers:
        assert number.startswith("JY2026") and len(number) == 20
        assert set(number[6:]) <= set(VOUCHER_ALPHABET) and not set(number[6:]) & set("ILOU")


@pytest.mark.django_db
def test_guessing_is_logged_and_a_school_is_stopped_after_ten_refusals(world):
    voucher = make_voucher(world)
    school = world.users["provider"]
    for n in range(services.FAILED_REDEMPTIONS_ALLOWED):
        with pytest.raises(NotFound):
            services.redeem_voucher(provider=school, voucher_number=f"JY2026GUESS{n:04d}")
    with pytest.raises(services.RedemptionsThrottled) as stopped:  # even the right number, for now
        services.redeem_voucher(provider=school, voucher_number=voucher.voucher_number)
    assert stopped.value.status == 429 and stopped.value.code == "too_many_attempts"
    assert "15 分钟后再试" in stopped.value.message_zh
    voucher.refresh_from_db()
    assert voucher.status == "issued"
    tried = list(
        VoucherRedemption.objects.filter(provider=school).order_by("id").values_list("result", flat=True)
    )
    assert tried == ["not_found"] * 10 + ["throttled"]
    assert VoucherRedemption.objects.filter(number_tried="JY2026GUESS0003", voucher=None).exists()
    assert (
        AuditEntry.objects.filter(action="onestop.voucher.redeem_refused", actor_id=school.pk).count() == 11
    )

    other_school = factories.make_user("school3", "provider")  # the throttle is per school
    assert (
        services.redeem_voucher(provider=other_school, voucher_number=voucher.voucher_number).status
        == "redeemed"
    )
    VoucherRedemption.objects.filter(provider=school).update(at=timezone.now() - dt.timedelta(minutes=16))
    with pytest.raises(services.VoucherRefused):  # the window has passed: refused for what it is
        services.redeem_voucher(provider=school, voucher_number=voucher.voucher_number)


@pytest.mark.django_db
def test_the_api_answers_429_when_a_school_is_throttled(client, world):
    school = world.users["provider"]
    client.force_login(school)
    for n in range(services.FAILED_REDEMPTIONS_ALLOWED):
        response = client.post(
            "/api/services/vouchers/redeem",
            {"voucher_number": f"JY2026X{n}"},
            content_type="application/json",
        )
        assert response.status_code == 404
    response = client.post(
        "/api/services/vouchers/redeem", {"voucher_number": "JY2026X0"}, content_type="application/json"
    )
    assert response.status_code == 429 and response.json()["code"] == "too_many_attempts"
