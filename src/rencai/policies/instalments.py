"""Staged benefits (阶段性评价): an entitlement paid in yearly instalments, each released by an evaluation.

A staged policy names the shares of its instalments (`Policy.instalment_shares`, e.g. [40, 30, 30]). When
an entitlement of it is granted (by the matching run or by the talent's confirmation) its schedule is
written: instalment 1 is due in the grant's budget year and released at grant (the talent is paid the
first share on taking up the benefit); instalment n is due n − 1 years later and waits for the talent's
annual evaluation of that year. The evaluation app reports each decided annual evaluation through
`release_for_evaluation`: passed releases the year's instalments, failed withholds them and returns their
money to the policy's budget through the ledger (`ledger.release_part`), so the ledger's invariant —
committed equals the sum of held reservations — holds at every step.

This module knows nothing of the evaluation app (policies sit below it): an evaluation is a talent, a
year, a verdict and a reference.
"""

from collections.abc import Iterable
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from rencai.core import audit
from rencai.core.errors import Problem, problem
from rencai.policies import ledger
from rencai.policies.models import Entitlement, EntitlementStatus, Instalment, InstalmentStatus, Policy

CENT = Decimal("0.01")
GRANT = "grant"  # the reference of the first instalment, released when the entitlement is granted
MAX_INSTALMENTS = 10


def share_problems(shares: object) -> list[Problem]:
    """What is wrong with a policy's instalment shares (empty when they are valid or empty)."""
    if shares in (None, [], ()):
        return []
    if not isinstance(shares, list | tuple) or not all(
        isinstance(s, int) and not isinstance(s, bool) for s in shares
    ):
        return [
            problem(
                "instalment_shares",
                "分期比例须为整数百分比列表，如 [40, 30, 30]",
                "Instalment shares must be a list of whole percentages, e.g. [40, 30, 30]",
            )
        ]
    problems = []
    if len(shares) > MAX_INSTALMENTS:
        problems.append(
            problem(
                "instalment_shares",
                f"最多分{MAX_INSTALMENTS}期兑现",
                f"At most {MAX_INSTALMENTS} instalments",
            )
        )
    if any(s < 1 for s in shares):
        problems.append(
            problem("instalment_shares", "每期比例至少为1%", "Each instalment's share must be at least 1%")
        )
    if sum(shares) != 100:
        problems.append(
            problem(
                "instalment_shares",
                f"分期比例合计须为100%，现为{sum(shares)}%",
                f"Instalment shares must sum to 100%, not {sum(shares)}%",
            )
        )
    return problems


def split(amount: Decimal, shares: Iterable[int]) -> list[Decimal]:
    """The amount of each instalment, to the cent: the last takes what rounding left, so they sum exactly."""
    shares = list(shares)
    parts = [(amount * share / 100).quantize(CENT, rounding=ROUND_DOWN) for share in shares[:-1]]
    return [*parts, amount - sum(parts, Decimal(0))]


# -- writing the schedule --------------------------------------------------------------------------------


def schedule(entitlement: Entitlement, *, actor=None) -> list[Instalment]:
    """Write the schedule of a granted staged entitlement (nothing for a policy paid at once, a zero amount
    or a schedule already written: granting twice changes nothing)."""
    shares = entitlement.policy.instalment_shares
    if not shares or entitlement.amount <= 0 or entitlement.status != EntitlementStatus.GRANTED:
        return []
    with transaction.atomic():
        if Instalment.objects.filter(entitlement=entitlement).exists():
            return list(entitlement.instalments.all())
        now = timezone.now()
        amounts = split(entitlement.amount, shares)
        rows = [
            Instalment(
                entitlement=entitlement,
                number=number,
                due_year=entitlement.budget_year + number - 1,
                share=share,
                amount=amount,
                status=InstalmentStatus.RELEASED if number == 1 else InstalmentStatus.SCHEDULED,
                reference=GRANT if number == 1 else "",
                decided_at=now if number == 1 else None,
            )
            for number, (share, amount) in enumerate(zip(shares, amounts, strict=True), start=1)
        ]
        Instalment.objects.bulk_create(rows)
        audit.record(
            actor=actor,
            action="policy.instalments_schedule",
            obj=entitlement,
            detail={
                "policy": entitlement.policy.code,
                "instalments": [
                    {"number": r.number, "due_year": r.due_year, "amount": r.amount, "status": r.status}
                    for r in rows
                ],
            },
        )
    return rows


def schedule_granted(*, actor=None) -> int:
    """Schedules for every granted staged entitlement that has none yet (after a matching run wrote
    entitlements in bulk); returns how many entitlements were scheduled."""
    staged = list(Policy.objects.exclude(instalment_shares=[]).values_list("pk", flat=True))
    if not staged:  # the usual case: one cheap query, nothing more
        return 0
    missing = (
        Entitlement.objects.filter(status=EntitlementStatus.GRANTED, amount__gt=0, policy_id__in=staged)
        .exclude(Exists(Instalment.objects.filter(entitlement=OuterRef("pk"))))
        .select_related("policy")
    )
    count = 0
    for entitlement in missing:
        count += bool(schedule(entitlement, actor=actor))
    return count


def cancel_scheduled(entitlement: Entitlement, *, actor=None, reason: str) -> int:
    """The entitlement ended (declined, revoked): its instalments still waiting are cancelled. The caller
    releases the reservation, which holds exactly their money by then."""
    waiting = Instalment.objects.filter(entitlement=entitlement, status=InstalmentStatus.SCHEDULED)
    numbers = list(waiting.values_list("number", flat=True))
    if numbers:
        waiting.update(status=InstalmentStatus.CANCELLED, reference=reason[:80], decided_at=timezone.now())
        audit.record(
            actor=actor,
            action="policy.instalments_cancel",
            obj=entitlement,
            detail={"numbers": numbers, "reason": reason},
        )
    return len(numbers)


# -- the evaluation's verdict --------------------------------------------------------------------------


def release_for_evaluation(*, talent_id: int, year: int, passed: bool, reference: str) -> list[Instalment]:
    """A talent's annual evaluation for `year` was decided: release (passed) or withhold (failed) the
    instalments due that year, and return the money of withheld ones to their budgets.

    Idempotent for the same reference: a second call returns the instalments the first decided and writes
    nothing. Instalments of entitlements no longer holding money (declined, revoked) are not touched;
    flagged ones wait, as their payment does, for the review.
    """
    reference = reference[:80]
    with transaction.atomic():
        decided = list(_of_talent(talent_id, year).filter(reference=reference))
        if decided:
            return decided
        due = list(
            _of_talent(talent_id, year)
            .filter(
                status=InstalmentStatus.SCHEDULED,
                entitlement__status=EntitlementStatus.GRANTED,
            )
            .select_for_update(of=("self",))
        )
        now = timezone.now()
        for instalment in due:
            before = audit.snapshot(instalment)
            instalment.status = InstalmentStatus.RELEASED if passed else InstalmentStatus.WITHHELD
            instalment.reference, instalment.decided_at = reference, now
            instalment.save(update_fields=["status", "reference", "decided_at"])
            if not passed:
                ledger.release_part(
                    policy_id=instalment.entitlement.policy_id, talent_id=talent_id, amount=instalment.amount
                )
            audit.record_change(
                actor=None,
                action="policy.instalment_release" if passed else "policy.instalment_withhold",
                obj=instalment,
                before=before,
                detail={"year": year, "reference": reference, "policy": instalment.entitlement.policy_id},
            )
    return due


def _of_talent(talent_id: int, year: int):
    return (
        Instalment.objects.filter(entitlement__talent_id=talent_id, due_year=year)
        .select_related("entitlement")
        .order_by("entitlement_id", "number")
    )


def paid_so_far(entitlement: Entitlement) -> Decimal:
    """The amount of the instalments released to date."""
    return sum(
        (i.amount for i in entitlement.instalments.all() if i.status == InstalmentStatus.RELEASED),
        Decimal(0),
    )
