"""免申即享: match every policy version in force against every active talent and record what changed.

A run compares the eligible set with current entitlements: newly eligible talents get an offer (a granted
entitlement for proactive policies) while the budget lasts, the rest queue in a documented order (tier A
first … E, then no tier; earlier arrival first; then registry id); talents no longer eligible are flagged
for review, never silently revoked. Running twice changes nothing the second time.
"""

import datetime as dt
import time
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from rencai.accounts.models import User
from rencai.core import audit, jobs
from rencai.core.bulk import bulk_insert
from rencai.core.locks import exclusive
from rencai.core.models import Region
from rencai.core.regions import QUZHOU
from rencai.policies import instalments, ledger
from rencai.policies.compiled import compiled_pair
from rencai.policies.engine import values_in
from rencai.policies.features import cached_feature_frame, read_query
from rencai.policies.models import (
    DecisionOutcome,
    Entitlement,
    EntitlementStatus,
    MatchRun,
    Policy,
    ReservationSource,
)
from rencai.policies.selectors import VersionInForce, committed_amounts, versions_in_force

TIER_RANK = {"A": 0, "B": 1, "C": 2, "D": 3, "E": 4, "": 5}
# The stages a run reports to the job a person follows (reading the registry is the long one when cold)
STAGE_FEATURES = gettext_noop("读取人才库")
STAGE_PLAN = gettext_noop("计算资格与预算")
STAGE_WRITE = gettext_noop("写入匹配结果")
RUN_STEPS = 3
QUEUE_ORDER = ["tier_rank", "arrival_date", "talent_id"]


def eligibility_frame(frame: pl.DataFrame, in_force: list[VersionInForce]) -> pl.DataFrame:
    """Long frame of (talent, version, policy, amount) for every eligible pair, exclusivity applied."""
    if not in_force or frame.height == 0:
        return pl.DataFrame(
            schema={
                "talent_id": pl.Int64,
                "version_id": pl.Int64,
                "policy_id": pl.Int64,
                "amount": pl.Float64,
            }
        )
    columns = []
    present = set(frame["region"].unique().to_list())
    for item in in_force:
        rule, amount = compiled_pair(item.version)
        pk = item.version.pk
        condition = rule.to_polars()
        if not present <= item.region_codes:  # skip the mask when the policy covers every region present
            condition = condition & values_in(pl.col("region"), item.region_codes)
        columns.append(condition.alias(f"e{pk}"))
        columns.append(amount.to_polars().cast(pl.Float64).clip(lower_bound=0).round(2).alias(f"a{pk}"))
    evaluated = frame.lazy().select("talent_id", *columns).collect()
    parts = [
        evaluated.filter(pl.col(f"e{item.version.pk}")).select(
            "talent_id",
            pl.lit(item.version.pk, pl.Int64).alias("version_id"),
            pl.lit(item.version.policy_id, pl.Int64).alias("policy_id"),
            pl.lit(item.version.policy.exclusivity_group).alias("group"),
            pl.lit(item.version.policy.code).alias("code"),
            pl.col(f"a{item.version.pk}").alias("amount"),
        )
        for item in in_force
    ]
    eligible = pl.concat(parts)
    grouped = eligible.filter(pl.col("group") != "")
    if grouped.height:
        best = grouped.sort(["talent_id", "group", "amount", "code"], descending=[False, False, True, False])
        best = best.unique(["talent_id", "group"], keep="first", maintain_order=True)
        eligible = pl.concat([eligible.filter(pl.col("group") == ""), best])
    return eligible.select("talent_id", "version_id", "policy_id", "amount")


def current_entitlements() -> pl.DataFrame:
    """Every entitlement row: declined and revoked ones too, so that a talent who said no (or lost the
    benefit) is not offered it again by the next run (the row is unique per talent and policy)."""
    return read_query(
        "SELECT id, talent_id, policy_id, status, queue_position FROM policies_entitlement",
        [],
        {
            "entitlement_id": pl.Int64,
            "talent_id": pl.Int64,
            "policy_id": pl.Int64,
            "status": pl.Utf8,
            "queue_position": pl.Int64,
        },
    )


def _remaining_budget(policy: Policy, committed: tuple) -> Decimal | None:
    limits = []
    if policy.budget_total is not None:
        limits.append(policy.budget_total - Decimal(committed[0]))
    if policy.budget_per_year is not None:
        limits.append(policy.budget_per_year - Decimal(committed[1]))
    return max(min(limits), Decimal(0)) if limits else None


@dataclass
class Plan:
    """What a run will write, computed before any write."""

    new_rows: pl.DataFrame  # talent_id, version_id, policy_id, amount, status, queue_position
    released: pl.DataFrame  # entitlement_id, talent_id, version_id, policy_id, amount, status
    requeued: pl.DataFrame  # entitlement_id, queue_position
    flagged: pl.DataFrame  # entitlement_id, talent_id, policy_id
    dequeued: pl.DataFrame  # entitlement_id, talent_id, policy_id
    unchanged: int


def paid_on_application() -> pl.DataFrame:
    """(talent, policy) pairs an application already holds money for: the engine offers them nothing."""
    pairs = ledger.held_pairs(ReservationSource.APPLICATION)
    return pl.DataFrame(
        {"talent_id": [t for t, _ in pairs], "policy_id": [p for _, p in pairs]},
        schema={"talent_id": pl.Int64, "policy_id": pl.Int64},
    )


def plan_run(frame: pl.DataFrame, in_force: list[VersionInForce], day: dt.date) -> Plan:
    # A talent paid through an application is not offered the same policy again (one payment per
    # person and purpose); if they were queued, they leave the queue.
    eligible = eligibility_frame(frame, in_force).join(
        paid_on_application(), on=["talent_id", "policy_id"], how="anti"
    )
    current = current_entitlements()
    keys = ["talent_id", "policy_id"]
    joined = eligible.join(current, on=keys, how="full", coalesce=True)
    is_eligible = pl.col("version_id").is_not_null()
    # plain values: polars reads a list of enum members as its own Enum type
    holding = pl.col("status").is_in([EntitlementStatus.OFFERED.value, EntitlementStatus.GRANTED.value])
    flagged = joined.filter(~is_eligible & holding).select("entitlement_id", "talent_id", "policy_id")
    dequeued = joined.filter(~is_eligible & (pl.col("status") == EntitlementStatus.QUEUED)).select(
        "entitlement_id", "talent_id", "policy_id"
    )
    candidates = joined.filter(
        is_eligible & (pl.col("status").is_null() | (pl.col("status") == EntitlementStatus.QUEUED))
    )
    unchanged = joined.height - flagged.height - dequeued.height - candidates.height
    order = frame.select(
        "talent_id", pl.col("tier").replace_strict(TIER_RANK, default=5).alias("tier_rank"), "arrival_date"
    )
    candidates = candidates.join(order, on="talent_id", how="left").sort(["policy_id", *QUEUE_ORDER])
    policies = {item.version.policy_id: item.version.policy for item in in_force}
    committed = committed_amounts(list(policies), day.year)
    allocated_parts = []
    for (policy_id,), group in candidates.group_by(["policy_id"], maintain_order=True):
        policy = policies[policy_id]
        remaining = _remaining_budget(policy, committed[policy_id])
        if remaining is None:
            fits = pl.lit(True)
        else:
            # strict queue: the longest prefix in queue order whose total fits; nobody jumps ahead
            fits = (pl.col("amount").cum_sum() <= float(remaining)).cum_prod().cast(pl.Boolean)
        granted_status = EntitlementStatus.GRANTED if policy.is_proactive else EntitlementStatus.OFFERED
        group = group.with_columns(
            pl.when(fits)
            .then(pl.lit(granted_status))
            .otherwise(pl.lit(EntitlementStatus.QUEUED))
            .alias("new_status")
        )
        group = group.with_columns(
            pl.when(pl.col("new_status") == EntitlementStatus.QUEUED)
            .then(pl.col("new_status").eq(EntitlementStatus.QUEUED).cast(pl.Int64).cum_sum())
            .otherwise(None)
            .alias("new_position")
        )
        allocated_parts.append(group)
    allocated = (
        pl.concat(allocated_parts)
        if allocated_parts
        else candidates.with_columns(
            pl.lit(None, pl.Utf8).alias("new_status"), pl.lit(None, pl.Int64).alias("new_position")
        )
    )
    new_rows = allocated.filter(pl.col("status").is_null()).select(
        "talent_id",
        "version_id",
        "policy_id",
        "amount",
        pl.col("new_status").alias("status"),
        pl.col("new_position").alias("queue_position"),
    )
    was_queued = allocated.filter(pl.col("status") == EntitlementStatus.QUEUED)
    released = was_queued.filter(pl.col("new_status") != EntitlementStatus.QUEUED).select(
        "entitlement_id",
        "talent_id",
        "version_id",
        "policy_id",
        "amount",
        pl.col("new_status").alias("status"),
    )
    still = was_queued.filter(pl.col("new_status") == EntitlementStatus.QUEUED)
    requeued = still.filter(pl.col("queue_position").ne_missing(pl.col("new_position"))).select(
        "entitlement_id", pl.col("new_position").alias("queue_position")
    )
    unchanged += still.height - requeued.height
    return Plan(new_rows, released, requeued, flagged, dequeued, unchanged)


def _hashes(frame: pl.DataFrame, talent_ids: pl.Series) -> dict[int, str]:
    from rencai.policies.features import features_hash

    wanted = frame.filter(pl.col("talent_id").is_in(talent_ids.unique().implode()))
    return {row["talent_id"]: features_hash(row) for row in wanted.iter_rows(named=True)}


def run_match(*, actor: User | None = None, evaluation_date: dt.date | None = None) -> MatchRun:
    """Evaluate, plan, then write the plan in one transaction. Idempotent.

    One run at a time (the `rencai match` command and the nightly task alike): a second one started
    meanwhile is refused with `RunInProgress` and writes nothing.
    """
    with exclusive("match"):
        return _run_match(actor=actor, evaluation_date=evaluation_date)


def _run_match(*, actor: User | None, evaluation_date: dt.date | None) -> MatchRun:
    day = evaluation_date or timezone.localdate()
    started = time.perf_counter()
    # progress of the job that follows this run, if one does (core.jobs): the stages below, of RUN_STEPS
    jobs.stage(STAGE_FEATURES, done=0, total=RUN_STEPS)
    in_force = versions_in_force(day)
    frame = cached_feature_frame(day)
    jobs.stage(STAGE_PLAN, done=1)
    with transaction.atomic():
        # The budgets this run spends are locked while it plans and writes: an application reserving
        # from the same budget meanwhile waits, so the plan's remaining amounts stay true.
        ledger.lock_policies({item.version.policy_id for item in in_force}, day.year)
        plan = plan_run(frame, in_force, day)
        jobs.stage(STAGE_WRITE, done=2)
        run = MatchRun.objects.create(
            region=Region.objects.get(code=QUZHOU),
            evaluation_date=day,
            triggered_by=actor if getattr(actor, "pk", None) else None,
            talents_evaluated=frame.height,
            versions_evaluated=len(in_force),
        )
        _apply(plan, run, frame, day, in_force)
        run.offered = (
            plan.new_rows.filter(pl.col("status") == EntitlementStatus.OFFERED).height
            + plan.released.filter(pl.col("status") == EntitlementStatus.OFFERED).height
        )
        run.granted = (
            plan.new_rows.filter(pl.col("status") == EntitlementStatus.GRANTED).height
            + plan.released.filter(pl.col("status") == EntitlementStatus.GRANTED).height
        )
        run.queued = plan.new_rows.filter(pl.col("status") == EntitlementStatus.QUEUED).height
        run.flagged, run.unchanged = plan.flagged.height, plan.unchanged
        run.finished_at = timezone.now()
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.save()
        audit.record(
            actor=actor,
            action="policy.match_run",
            obj=run,
            detail={
                "evaluation_date": day,
                "offered": run.offered,
                "granted": run.granted,
                "queued": run.queued,
                "flagged": run.flagged,
                "dequeued": plan.dequeued.height,
                "unchanged": run.unchanged,
            },
        )
    return run


@dataclass(frozen=True)
class _RunStamp:
    """What each row a run writes carries: the run, the evaluation day, the time, the features hash."""

    run_id: int
    day: dt.date
    now: dt.datetime
    hashes: dict[int, str]

    def features_hash(self, talent_id: int) -> str:
        return self.hashes.get(talent_id, "0" * 64)  # a talent no longer active has no features

    def decision(self, talent_id: int, version_id: int, outcome: str, amount: Decimal) -> tuple:
        """A policies_decision row, in the column order of _record_decisions."""
        fh = self.features_hash(talent_id)
        return (self.run_id, talent_id, version_id, outcome, amount, self.day, fh, self.now)


def _apply(
    plan: Plan, run: MatchRun, frame: pl.DataFrame, day: dt.date, in_force: list[VersionInForce]
) -> None:
    """Write the plan: new entitlements, queue releases and moves, flags, dequeues, then the decisions."""
    hashes = _touched_hashes(plan, frame)
    stamp = _RunStamp(run_id=run.pk, day=day, now=timezone.now(), hashes=hashes)
    version_of_policy = {item.version.policy_id: item.version.pk for item in in_force}
    decisions = _insert_new_entitlements(plan.new_rows, stamp)
    decisions += _release_from_queue(plan.released, stamp)
    _reserve(plan, day, run.pk)
    _move_in_queue(plan.requeued, stamp.now)
    decisions += _flag(plan.flagged, stamp, version_of_policy)
    decisions += _dequeue(plan.dequeued, stamp, version_of_policy)
    _record_decisions(decisions)
    instalments.schedule_granted()  # granted staged benefits (阶段性评价) get their yearly instalments


def _reserve(plan: Plan, day: dt.date, run_id: int) -> None:
    """Entitlements that now hold budget (granted or offered, new or out of the queue) reserve it."""
    holding = [EntitlementStatus.GRANTED.value, EntitlementStatus.OFFERED.value]
    rows = pl.concat(
        [
            plan.new_rows.filter(pl.col("status").is_in(holding)).select("talent_id", "policy_id", "amount"),
            plan.released.select("talent_id", "policy_id", "amount"),
        ]
    )
    ledger.reserve_many(
        [
            ledger.Charge(r["policy_id"], r["talent_id"], _yuan(r["amount"]))
            for r in rows.iter_rows(named=True)
        ],
        year=day.year,
        source=ReservationSource.ENTITLEMENT,
        reference=f"match_run:{run_id}",
    )


def _touched_hashes(plan: Plan, frame: pl.DataFrame) -> dict[int, str]:
    """Features hashes of the talents whose entitlements this run writes (only those: hashing is not free)."""
    touched = pl.concat(
        [
            plan.new_rows["talent_id"],
            plan.released["talent_id"],
            plan.flagged["talent_id"],
            plan.dequeued["talent_id"],
        ]
    )
    return _hashes(frame, touched) if touched.len() else {}


def _yuan(amount: float) -> Decimal:
    return Decimal(str(amount)).quantize(Decimal("0.01"))


def _insert_new_entitlements(new_rows: pl.DataFrame, stamp: _RunStamp) -> list[tuple]:
    """Newly eligible talents: entitlements granted, offered or queued, inserted in one statement."""
    if not new_rows.height:
        return []
    rows = []
    decisions = []
    for r in new_rows.iter_rows(named=True):
        amount = _yuan(r["amount"])
        rows.append(
            (
                r["talent_id"],
                r["policy_id"],
                r["version_id"],
                r["status"],
                amount,
                stamp.day.year,
                r["queue_position"],
                stamp.day,
                stamp.features_hash(r["talent_id"]),
                stamp.now,
                stamp.now,
            )
        )
        decisions.append(stamp.decision(r["talent_id"], r["version_id"], r["status"], amount))
    bulk_insert(
        "policies_entitlement",
        [
            "talent_id",
            "policy_id",
            "policy_version_id",
            "status",
            "amount",
            "budget_year",
            "queue_position",
            "evaluation_date",
            "features_hash",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    return decisions


def _release_from_queue(released: pl.DataFrame, stamp: _RunStamp) -> list[tuple]:
    """Queued entitlements the budget now covers: granted or offered at the current version and amount."""
    decisions = []
    for r in released.iter_rows(named=True):
        amount = _yuan(r["amount"])
        Entitlement.objects.filter(pk=r["entitlement_id"]).update(
            status=r["status"],
            queue_position=None,
            policy_version_id=r["version_id"],
            amount=amount,
            budget_year=stamp.day.year,
            evaluation_date=stamp.day,
            features_hash=stamp.features_hash(r["talent_id"]),
            updated_at=stamp.now,
        )
        decisions.append(stamp.decision(r["talent_id"], r["version_id"], DecisionOutcome.RELEASED, amount))
    return decisions


def _move_in_queue(requeued: pl.DataFrame, now: dt.datetime) -> None:
    """Entitlements still queued whose place in the queue changed."""
    for r in requeued.iter_rows(named=True):
        Entitlement.objects.filter(pk=r["entitlement_id"]).update(
            queue_position=r["queue_position"], updated_at=now
        )


def _flag(flagged: pl.DataFrame, stamp: _RunStamp, version_of_policy: dict[int, int]) -> list[tuple]:
    """Holders no longer eligible are flagged for review, never silently revoked."""
    if not flagged.height:
        return []
    ids = flagged["entitlement_id"].to_list()
    decisions = _withdrawal_decisions(DecisionOutcome.FLAGGED, flagged, ids, stamp, version_of_policy)
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        Entitlement.objects.filter(pk__in=chunk).update(
            status=EntitlementStatus.FLAGGED, updated_at=stamp.now
        )
    return decisions


def _dequeue(dequeued: pl.DataFrame, stamp: _RunStamp, version_of_policy: dict[int, int]) -> list[tuple]:
    """Queued talents no longer eligible leave the queue: their entitlements are deleted."""
    if not dequeued.height:
        return []
    ids = dequeued["entitlement_id"].to_list()
    decisions = _withdrawal_decisions(DecisionOutcome.DEQUEUED, dequeued, ids, stamp, version_of_policy)
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        Entitlement.objects.filter(pk__in=chunk).delete()
    return decisions


def _withdrawal_decisions(
    outcome: str, table: pl.DataFrame, ids: list[int], stamp: _RunStamp, version_of_policy: dict[int, int]
) -> list[tuple]:
    """A zero-amount decision per entitlement, under its policy's version in force, else the one it holds."""
    # read before _dequeue deletes the rows
    versions = dict(Entitlement.objects.filter(pk__in=ids).values_list("pk", "policy_version_id"))
    return [
        stamp.decision(
            r["talent_id"],
            version_of_policy.get(r["policy_id"], versions[r["entitlement_id"]]),
            outcome,
            Decimal("0"),
        )
        for r in table.iter_rows(named=True)
    ]


def _record_decisions(decisions: list[tuple]) -> None:
    """The run's decisions, one row per change, inserted in one statement."""
    if decisions:
        bulk_insert(
            "policies_decision",
            [
                "run_id",
                "talent_id",
                "policy_version_id",
                "outcome",
                "amount",
                "evaluation_date",
                "features_hash",
                "created_at",
            ],
            decisions,
        )
