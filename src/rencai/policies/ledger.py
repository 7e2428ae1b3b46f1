"""The budget ledger: one account per policy budget, one reservation per payment, whatever route pays.

Every route that pays money under a policy (a proactive entitlement of the matching run, an application
through the one-stop window, a recruitment reward) reserves here first, under a lock on the policy row.
Three database facts make overspending and double payment impossible by construction, not by checks in
Python that a race or a new route could skip:

- `BudgetAccount.committed <= limit` is a CHECK constraint (year 0 is the total budget, year N that
  year's); `committed` moves only with a reservation, in the same transaction.
- `Reservation` is unique per talent and policy while held: the second payment to the same person for
  the same purpose is refused, by whichever route it comes.
- `discrepancies()` is the query that proves it: every account's committed amount equals the sum of its
  held reservations (it returns nothing when the ledger is sound).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from rencai.core.errors import DomainError, ErrorCode
from rencai.core.text import quoted
from rencai.policies.models import (
    TOTAL,
    BudgetAccount,
    Policy,
    Reservation,
    ReservationSource,
    ReservationStatus,
)


class BudgetExhausted(DomainError):
    status = 409

    def __init__(self, policy: Policy, amount: Decimal):
        super().__init__(
            ErrorCode.BUDGET_EXHAUSTED,
            f"{quoted(policy.name)}预算余额不足，无法承诺 {amount} 元；请待预算追加或下一预算年度",
            f"The budget of {policy.code} cannot cover {amount} yuan; wait for more budget or the next year",
        )


class AlreadyPaid(DomainError):
    status = 409

    def __init__(self, policy: Policy, held: Reservation | None):
        route = ReservationSource(held.source).label if held else ""
        super().__init__(
            ErrorCode.ALREADY_PAID,
            f"该人才已享受{quoted(policy.name)}（{route}），同一政策不重复兑现",
            f"The talent already receives {policy.code} ({held.source if held else ''}); "
            "a policy pays a person once",
        )
        self.held = held


def _lock(policy_id: int) -> Policy:
    """The policy row, locked: reservations of one policy are serialised (other policies run freely)."""
    return Policy.objects.select_for_update().get(pk=policy_id)


def _ensure_accounts(policy: Policy, years: Iterable[int]) -> None:
    """The total account and the accounts of `years`, created with the policy's limits if missing.
    Called with the policy row locked, so two callers cannot both create one."""
    wanted = {TOTAL, *years}
    present = set(BudgetAccount.objects.filter(policy=policy, year__in=wanted).values_list("year", flat=True))
    BudgetAccount.objects.bulk_create(
        [
            BudgetAccount(
                policy=policy,
                year=year,
                limit=policy.budget_total if year == TOTAL else policy.budget_per_year,
            )
            for year in sorted(wanted - present)
        ]
    )


def _charge(policy: Policy, year: int, amount: Decimal) -> None:
    """Add `amount` to the total and the year's accounts, or refuse if either limit would be passed."""
    fits = Q(limit__isnull=True) | Q(limit__gte=F("committed") + amount)
    charged = (
        BudgetAccount.objects.filter(policy=policy, year__in={TOTAL, year})
        .filter(fits)
        .update(committed=F("committed") + amount)
    )
    if charged != len({TOTAL, year}):
        raise BudgetExhausted(policy, amount)


def reserve(
    *, policy_id: int, talent_id: int, amount: Decimal, year: int, source: ReservationSource, reference: str
) -> Reservation | None:
    """Reserve one payment: refused with `AlreadyPaid` if the talent already holds this policy's money,
    with `BudgetExhausted` if the budget cannot cover it. Nothing is reserved for a zero amount."""
    if amount <= 0:
        return None
    with transaction.atomic():
        policy = _lock(policy_id)
        _ensure_accounts(policy, [year])
        held = Reservation.objects.filter(policy=policy, talent_id=talent_id, status=ReservationStatus.HELD)
        earlier = held.first()
        if earlier is not None:
            raise AlreadyPaid(policy, earlier)
        _charge(policy, year, amount)
        try:
            with transaction.atomic():
                return Reservation.objects.create(
                    policy=policy,
                    talent_id=talent_id,
                    budget_year=year,
                    amount=amount,
                    source=source,
                    reference=reference,
                )
        except IntegrityError:  # the unique constraint: a twin committed between our check and insert
            raise AlreadyPaid(policy, held.first()) from None


def release(*, policy_id: int, talent_id: int, reference: str | None = None) -> Reservation | None:
    """Return a held reservation's amount to its budget (a declined offer, a rejected or withdrawn
    application). With `reference`, only the reservation made by that route is released."""
    with transaction.atomic():
        policy = _lock(policy_id)
        held = Reservation.objects.select_for_update().filter(
            policy=policy, talent_id=talent_id, status=ReservationStatus.HELD
        )
        if reference is not None:
            held = held.filter(reference=reference)
        reservation = held.first()
        if reservation is None:
            return None
        reservation.status, reservation.released_at = ReservationStatus.RELEASED, timezone.now()
        reservation.save(update_fields=["status", "released_at"])
        BudgetAccount.objects.filter(policy=policy, year__in={TOTAL, reservation.budget_year}).update(
            committed=F("committed") - reservation.amount
        )
    return reservation


def release_part(*, policy_id: int, talent_id: int, amount: Decimal) -> Decimal:
    """Return part of a talent's held reservation to the budget (a staged benefit's withheld instalment):
    the reservation and the accounts shrink together, so committed still equals what is held. The whole
    of it (or more) releases the reservation. Returns the amount returned."""
    if amount <= 0:
        return Decimal(0)
    with transaction.atomic():
        policy = _lock(policy_id)
        reservation = (
            Reservation.objects.select_for_update()
            .filter(policy=policy, talent_id=talent_id, status=ReservationStatus.HELD)
            .first()
        )
        if reservation is None:
            return Decimal(0)
        if amount >= reservation.amount:
            release(policy_id=policy_id, talent_id=talent_id, reference=reservation.reference)
            return reservation.amount
        Reservation.objects.filter(pk=reservation.pk).update(amount=F("amount") - amount)
        BudgetAccount.objects.filter(policy=policy, year__in={TOTAL, reservation.budget_year}).update(
            committed=F("committed") - amount
        )
    return amount


def release_reference(reference: str) -> None:
    """Release whatever a route reserved under `reference` (e.g. an application being withdrawn)."""
    for policy_id, talent_id in Reservation.objects.filter(
        reference=reference, status=ReservationStatus.HELD
    ).values_list("policy_id", "talent_id"):
        release(policy_id=policy_id, talent_id=talent_id, reference=reference)


@dataclass(frozen=True)
class Charge:
    policy_id: int
    talent_id: int
    amount: Decimal
    reference: str = ""  # this reservation's own reference (a reward's); the batch's when empty


def reserve_many(charges: list[Charge], *, year: int, source: ReservationSource, reference: str) -> None:
    """The matching run's reservations in bulk: the run holds the locks of its policies (`lock_policies`)
    and planned within the remaining budget; the accounts' constraint still refuses any overspend, and the
    one-held-per-talent-and-policy index any talent the caller did not leave out. A charge may carry its
    own reference (a recruitment reward's), so that it can be released on its own later."""
    from rencai.core.bulk import bulk_insert

    charges = [c for c in charges if c.amount > 0]
    if not charges:
        return
    by_policy: dict[int, Decimal] = defaultdict(Decimal)
    for charge in charges:
        by_policy[charge.policy_id] += charge.amount
    for policy in Policy.objects.filter(pk__in=by_policy).order_by("pk"):
        _ensure_accounts(policy, [year])
        _charge(policy, year, by_policy[policy.pk])
    now = timezone.now()
    bulk_insert(
        "policies_reservation",
        ["policy_id", "talent_id", "budget_year", "amount", "source", "reference", "status", "created_at"],
        [
            (
                c.policy_id,
                c.talent_id,
                year,
                c.amount,
                source,
                c.reference or reference,
                ReservationStatus.HELD,
                now,
            )
            for c in charges
        ],
    )


def lock_policies(policy_ids: Iterable[int], year: int) -> None:
    """Lock the policies (in id order, so two lockers cannot deadlock) and make sure their accounts exist."""
    for policy in Policy.objects.select_for_update().filter(pk__in=list(policy_ids)).order_by("pk"):
        _ensure_accounts(policy, [year])


def committed(policy_ids: list[int], year: int) -> dict[int, tuple[Decimal, Decimal]]:
    """Per policy: (committed against the total budget, committed in `year`), from the accounts."""
    rows = BudgetAccount.objects.filter(policy_id__in=policy_ids, year__in={TOTAL, year}).values_list(
        "policy_id", "year", "committed"
    )
    found: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for policy_id, account_year, amount in rows:
        found[policy_id][account_year] = amount
    return {pid: (found[pid].get(TOTAL, Decimal(0)), found[pid].get(year, Decimal(0))) for pid in policy_ids}


def held_pairs(source: ReservationSource) -> list[tuple[int, int]]:
    """(talent, policy) pairs whose money is held by reservations of `source`."""
    return list(
        Reservation.objects.filter(source=source, status=ReservationStatus.HELD).values_list(
            "talent_id", "policy_id"
        )
    )


def sync_limits(policy: Policy) -> None:
    """Carry the policy's budget to its accounts. A budget below what is already committed is refused."""
    try:
        with transaction.atomic():
            BudgetAccount.objects.filter(policy=policy, year=TOTAL).update(limit=policy.budget_total)
            BudgetAccount.objects.filter(policy=policy).exclude(year=TOTAL).update(
                limit=policy.budget_per_year
            )
    except IntegrityError:
        raise DomainError(
            ErrorCode.BUDGET_BELOW_COMMITTED,
            f"{quoted(policy.name)}的新预算低于已承诺的金额，不能调减到该数额",
            f"The new budget of {policy.code} is below what is already committed",
        ) from None


def discrepancies() -> list[dict]:
    """Accounts whose committed amount is not the sum of their held reservations, or over their limit.
    Empty when the ledger is sound; `rencai ledger_check` and the fault bench print it."""
    held = Reservation.objects.filter(status=ReservationStatus.HELD)
    totals = dict(held.values("policy_id").annotate(s=Sum("amount")).values_list("policy_id", "s"))
    yearly = {
        (p, y): s
        for p, y, s in held.values("policy_id", "budget_year")
        .annotate(s=Sum("amount"))
        .values_list("policy_id", "budget_year", "s")
    }
    wrong = []
    for account in BudgetAccount.objects.select_related("policy").order_by("policy_id", "year"):
        expected = (
            totals.get(account.policy_id)
            if account.year == TOTAL
            else yearly.get((account.policy_id, account.year))
        )
        expected = expected or Decimal(0)
        over = account.limit is not None and account.committed > account.limit
        if account.committed != expected or over:
            wrong.append(
                {
                    "policy": account.policy.code,
                    "year": account.year,
                    "limit": account.limit,
                    "committed": account.committed,
                    "reserved": expected,
                }
            )
    return wrong
