"""Recruitment rewards (引才奖励): schemes, and the settlement that pays them without ever overspending.

Settlement (`rewards_settle`) works set-wise over every confirmed placement without its reward yet:

- the agency reward to the referring agency, by the talent's tier; the agency bonus (its own scheme and
  policy: the ledger holds one reservation per talent and policy) to an agency whose placements in a year
  reach the threshold, attached to the placement that reached it;
- the platform-enterprise reward (平台型企业引才重奖) per arrival at a platform enterprise by tier, capped per
  enterprise per year (`RewardCap`: a CHECK `committed <= cap`, moved by a conditional UPDATE); a reward
  takes what still fits under the cap, and at the cap it is refused with CAP_REACHED in the report.

Every reward reserves its amount from the scheme's policy through the one budget ledger, in the same
transaction as its row (`ledger.reserve_many`, each reservation under the reward's own reference): the
accounts' CHECK refuses an overspend and the one-held-reservation-per-talent-and-policy index a second
channel paid for the same person. A run holds the locks of the schemes' policies (in id order), so two
runs at once take turns and the second finds the first's rewards: nothing is paid twice. Running twice
creates nothing new.

Rewards are paid in stages (`scheme.stages`, e.g. half on arrival and half after twelve months); a due
instalment is paid only while the registry still shows the talent at the enterprise. When the talent
leaves early the scheduled instalments are cancelled and their money returned to the budget
(`ledger.release_part`), and paid ones are clawed back when the scheme says so.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require, visible_to
from rencai.core.bulk import bulk_insert
from rencai.core.errors import DomainError, ErrorCode, ValidationFailed, problem
from rencai.core.models import Region
from rencai.policies import ledger
from rencai.policies.models import Policy, Reservation, ReservationSource, ReservationStatus
from rencai.recruitment.choices import (
    Channel,
    InstalmentState,
    PlacementState,
    RewardPurpose,
    RewardState,
)
from rencai.recruitment.models import Placement, Reward, RewardCap, RewardInstalment, RewardScheme
from rencai.recruitment.services.placements import (
    HELD_STATES,
    add_months,
    placements_confirm,
    placements_review,
)
from rencai.registry.choices import TalentStatus, Tier

SEED_CAP = Decimal("1000000")  # the seed: up to 1,000,000 yuan per platform enterprise (and year)
CENT = Decimal("0.01")
MAX_REFUSALS_LISTED = 50


# -- schemes ----------------------------------------------------------------------------------------------


def _decimal(value, field_name: str, problems: list, *, label_zh: str, label_en: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        problems.append(problem(field_name, f"{label_zh}不是有效金额", f"{label_en} is not an amount"))
        return None
    if amount < 0 or amount != amount.quantize(CENT):
        problems.append(
            problem(
                field_name, f"{label_zh}须为非负金额（精确到分）", f"{label_en} must be a non-negative amount"
            )
        )
        return None
    return amount


def _check_stages(stages, problems: list) -> list[list[int]]:
    try:
        parsed = [[int(percent), int(months)] for percent, months in stages]
    except (TypeError, ValueError):
        problems.append(
            problem("stages", "分期支付格式应为[[比例, 到岗后月数], …]", "Stages are [[percent, months], …]")
        )
        return []
    if not parsed or sum(p for p, _ in parsed) != 100 or any(p <= 0 or m < 0 for p, m in parsed):
        problems.append(
            problem(
                "stages", "各期比例须为正数且合计100%", "Stage percentages must be positive and total 100"
            )
        )
    elif [m for _, m in parsed] != sorted(m for _, m in parsed):
        problems.append(problem("stages", "各期应按时间先后排列", "Stages must be in time order"))
    return parsed


def reward_scheme_create(*, actor: User, data: dict) -> RewardScheme:
    """A reward scheme paying from a policy's budget. `data`: code, name, purpose, region, policy,
    effective_from, effective_to, amounts {tier: yuan}, bonus_threshold, bonus_amount,
    cap_per_enterprise_year, stages [[percent, months]], months_required, clawback, exclusive_per_person."""
    region: Region | None = data.get("region")
    require(actor, Action.MANAGE_RECRUITMENT, region)
    problems: list = []
    code = (data.get("code") or "").strip()
    name = (data.get("name") or "").strip()
    if not code:
        problems.append(problem("code", "请填写方案编号", "Give the scheme's code"))
    elif RewardScheme.objects.filter(code=code).exists():
        problems.append(problem("code", "方案编号已被使用", "This code is taken"))
    if not name:
        problems.append(problem("name", "请填写方案名称", "Give the scheme's name"))
    purpose = data.get("purpose")
    if purpose not in RewardPurpose.values:
        problems.append(problem("purpose", "请选择奖励类别", "Choose the purpose"))
    policy: Policy | None = data.get("policy")
    if policy is None:
        problems.append(problem("policy", "请选择资金来源政策", "Choose the policy that funds it"))
    else:
        if policy.budget_total is None and policy.budget_per_year is None:
            problems.append(
                problem("policy", "资金来源政策须设有预算", "The funding policy must have a budget")
            )
        if policy.is_proactive:
            problems.append(
                problem(
                    "policy",
                    "资金来源政策不能是免申即享政策（否则会按人兑现）",
                    "The funding policy must not be proactive (it would pay per talent)",
                )
            )
    starts, ends = data.get("effective_from"), data.get("effective_to")
    if starts is None:
        problems.append(problem("effective_from", "请填写生效日期", "Give the start date"))
    elif ends is not None and ends < starts:
        problems.append(problem("effective_to", "失效日期早于生效日期", "The end date is before the start"))
    amounts: dict[str, str] = {}
    for tier, value in (data.get("amounts") or {}).items():
        if tier not in (*Tier.values, ""):
            problems.append(problem("amounts", f"未知的人才类别：{tier}", f"Unknown tier: {tier}"))
            continue
        amount = _decimal(
            value, "amounts", problems, label_zh=f"{tier or '无类别'}奖励", label_en=f"Tier {tier}"
        )
        if amount is not None:
            amounts[tier] = str(amount)
    threshold = data.get("bonus_threshold")
    bonus = _decimal(
        data.get("bonus_amount"), "bonus_amount", problems, label_zh="加奖金额", label_en="Bonus"
    )
    cap = _decimal(
        data.get("cap_per_enterprise_year"),
        "cap_per_enterprise_year",
        problems,
        label_zh="上限",
        label_en="Cap",
    )
    if purpose == RewardPurpose.AGENCY_BONUS:
        if not threshold or int(threshold) < 1 or not bonus:
            problems.append(
                problem(
                    "bonus_threshold",
                    "年度加奖须填写门槛人数和加奖金额",
                    "A bonus scheme needs its threshold and amount",
                )
            )
    elif not any(Decimal(v) > 0 for v in amounts.values()):
        problems.append(
            problem("amounts", "请填写至少一个层次的奖励金额", "Give the amount of at least one tier")
        )
    if purpose == RewardPurpose.PLATFORM_ENTERPRISE:
        cap = cap if cap is not None else SEED_CAP
        if cap <= 0 or cap > SEED_CAP:
            problems.append(
                problem(
                    "cap_per_enterprise_year",
                    "平台型企业奖励每家企业每年最高100万元",
                    "The platform-enterprise reward is at most 1,000,000 yuan per enterprise and year",
                )
            )
    stages = _check_stages(data.get("stages") or [[100, 0]], problems)
    months_required = int(data.get("months_required") or 12)
    if problems:
        raise ValidationFailed(problems)
    assert region is not None and policy is not None and purpose is not None and starts is not None
    with transaction.atomic():
        scheme = RewardScheme.objects.create(
            code=code,
            name=name,
            purpose=purpose,
            region=region,
            policy=policy,
            effective_from=starts,
            effective_to=ends,
            amounts=amounts,
            bonus_threshold=int(threshold) if threshold else None,
            bonus_amount=bonus,
            cap_per_enterprise_year=cap,
            stages=stages,
            months_required=months_required,
            clawback=bool(data.get("clawback")),
            exclusive_per_person=bool(data.get("exclusive_per_person", True)),
        )
        audit.record_creation(actor=actor, action="recruitment.scheme.create", obj=scheme)
    return scheme


# -- settlement -------------------------------------------------------------------------------------------


@dataclass
class SettleReport:
    """What one settlement run did; `refusals` lists the first of the refused rewards with their reasons."""

    created: int = 0
    amount: Decimal = Decimal(0)
    cap_reached: int = 0
    capped_partially: int = 0
    budget_exhausted: int = 0
    already_paid: int = 0
    no_amount: int = 0
    instalments_paid: int = 0
    instalments_cancelled: int = 0
    clawed_back: int = 0
    rewards_cancelled: int = 0
    refusals: list[dict] = field(default_factory=list)

    def refuse(self, code: ErrorCode, placement_id: int, zh: str, en: str) -> None:
        if len(self.refusals) < MAX_REFUSALS_LISTED:
            self.refusals.append(
                {"code": code.value, "placement": placement_id, "message_zh": zh, "message_en": en}
            )

    def as_dict(self) -> dict:
        values = {k: v for k, v in self.__dict__.items() if k != "refusals"}
        values["amount"] = str(self.amount)
        return {**values, "refusals": self.refusals}


def schemes_in_force(day: dt.date) -> QuerySet[RewardScheme]:
    return RewardScheme.objects.filter(effective_from__lte=day).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day)
    )


def amount_for(scheme: RewardScheme, tier: str) -> Decimal:
    """The scheme's amount for a tier (the "" entry for a talent without one, or none)."""
    value = scheme.amounts.get(tier or "", scheme.amounts.get(""))
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _stages_of(
    scheme: RewardScheme, amount: Decimal, arrived_on: dt.date
) -> list[tuple[int, dt.date, Decimal]]:
    """The instalments of a reward: (number, due on, amount); the last takes the rounding remainder."""
    stages = scheme.stages or [[100, 0]]
    parts, left = [], amount
    for number, (percent, months) in enumerate(stages, start=1):
        share = (
            left if number == len(stages) else (amount * Decimal(percent) / 100).quantize(CENT, ROUND_DOWN)
        )
        left -= share
        parts.append((number, add_months(arrived_on, int(months)), share))
    return parts


def _remaining_budget(policy: Policy, year: int) -> Decimal | None:
    """What the policy's accounts can still commit in `year` (None: no limit), from the ledger's accounts
    (never from our own rows); the caller holds the policy's lock."""
    total, yearly = ledger.committed([policy.pk], year)[policy.pk]
    left = []
    if policy.budget_total is not None:
        left.append(policy.budget_total - total)
    if policy.budget_per_year is not None:
        left.append(policy.budget_per_year - yearly)
    return min(left) if left else None


@dataclass
class _Planned:
    placement_id: int
    talent_id: int
    year: int
    amount: Decimal
    arrived_on: dt.date
    agency_id: int | None = None
    enterprise_id: int | None = None
    present: bool = False  # the registry shows the talent at the enterprise today (an instalment may be paid)


# A placement's talent is where the reward pays for: the registry shows them active at the enterprise
_PRESENT = ExpressionWrapper(
    Q(talent__status=TalentStatus.ACTIVE, talent__current_employer=F("enterprise")),
    output_field=BooleanField(),
)


def _candidates(scheme: RewardScheme) -> list[dict]:
    """The placements this scheme may still reward, in queue order (earlier arrival first)."""
    placements = Placement.objects.filter(state__in=HELD_STATES, arrived_on__gte=scheme.effective_from)
    if scheme.effective_to is not None:
        placements = placements.filter(arrived_on__lte=scheme.effective_to)
    placements = placements.filter(
        ~Exists(Reward.objects.filter(placement=OuterRef("pk"), purpose=scheme.purpose))
    )
    columns = ("pk", "talent_id", "tier", "arrived_on", "enterprise_id", "referral__agency_id", "present")
    placements = placements.annotate(present=_PRESENT)
    if scheme.purpose == RewardPurpose.AGENCY_PLACEMENT:
        placements = placements.filter(channel=Channel.REFERRAL, referral__isnull=False)
    elif scheme.purpose == RewardPurpose.PLATFORM_ENTERPRISE:
        placements = placements.filter(enterprise__is_platform_enterprise=True)
    else:
        return _bonus_candidates(scheme, placements)
    return list(placements.order_by("arrived_on", "pk").values(*columns))


def _bonus_candidates(scheme: RewardScheme, placements: QuerySet) -> list[dict]:
    """One bonus per agency and year whose placements reach the threshold, on the placement that reached
    it (the threshold-th by arrival); years already given a bonus by this scheme are left out."""
    threshold = scheme.bonus_threshold or 0
    referred = Placement.objects.filter(
        state__in=HELD_STATES,
        channel=Channel.REFERRAL,
        referral__isnull=False,
        arrived_on__gte=scheme.effective_from,
    )
    if scheme.effective_to is not None:
        referred = referred.filter(arrived_on__lte=scheme.effective_to)
    reaching = (
        referred.values("referral__agency_id", "arrived_on__year")
        .annotate(n=Count("pk"))
        .filter(n__gte=threshold)
        .values_list("referral__agency_id", "arrived_on__year")
    )
    given = set(scheme.rewards.values_list("agency_id", "year"))
    found: list[dict] = []
    for agency_id, year in reaching:
        if (agency_id, year) in given:
            continue
        row = (
            referred.filter(referral__agency_id=agency_id, arrived_on__year=year)
            .order_by("arrived_on", "pk")
            .annotate(present=_PRESENT)
            .values(
                "pk", "talent_id", "tier", "arrived_on", "enterprise_id", "referral__agency_id", "present"
            )[threshold - 1]
        )
        found.append(dict(row))
    return sorted(found, key=lambda r: (r["arrived_on"], r["pk"]))


def _caps(scheme: RewardScheme, keys: set[tuple[int, int]]) -> dict[tuple[int, int], Decimal]:
    """Per (enterprise, year): what the scheme may still commit under its cap (the rows made if missing)."""
    assert scheme.cap_per_enterprise_year is not None
    existing = {
        (c.enterprise_id, c.year): c
        for c in RewardCap.objects.filter(scheme=scheme, enterprise_id__in={e for e, _ in keys})
    }
    missing = [
        RewardCap(scheme=scheme, enterprise_id=e, year=y, cap=scheme.cap_per_enterprise_year)
        for e, y in keys
        if (e, y) not in existing
    ]
    RewardCap.objects.bulk_create(missing)
    for cap in missing:
        existing[(cap.enterprise_id, cap.year)] = cap
    return {key: existing[key].cap - existing[key].committed for key in keys}


def _plan(scheme: RewardScheme, rows: list[dict], report: SettleReport, today: dt.date) -> list[_Planned]:
    """The rewards to create, in queue order: amount by tier, one per person and policy, under the cap
    (what fits), within the budget (a strict queue: once one does not fit, none after it jumps ahead)."""
    held = set(
        Reservation.objects.filter(policy_id=scheme.policy_id, status=ReservationStatus.HELD).values_list(
            "talent_id", flat=True
        )
    )
    bonus = scheme.purpose == RewardPurpose.AGENCY_BONUS
    capped = (
        scheme.purpose == RewardPurpose.PLATFORM_ENTERPRISE and scheme.cap_per_enterprise_year is not None
    )
    cap_left = _caps(scheme, {(r["enterprise_id"], r["arrived_on"].year) for r in rows}) if capped else {}
    budget_left = _remaining_budget(scheme.policy, today.year)
    planned: list[_Planned] = []
    exhausted = False
    for row in rows:
        amount = (scheme.bonus_amount or Decimal(0)) if bonus else amount_for(scheme, row["tier"])
        if amount <= 0:
            report.no_amount += 1
            continue
        if row["talent_id"] in held:
            report.already_paid += 1
            report.refuse(
                ErrorCode.ALREADY_PAID,
                row["pk"],
                f"该人才已享受{scheme.name}的资金，同一人不重复奖励",
                f"The talent is already paid from {scheme.code}; one person is rewarded once",
            )
            continue
        key = (row["enterprise_id"], row["arrived_on"].year)
        if capped:
            if cap_left[key] <= 0:
                report.cap_reached += 1
                report.refuse(
                    ErrorCode.CAP_REACHED,
                    row["pk"],
                    f"该企业{key[1]}年度的{scheme.name}已达上限{scheme.cap_per_enterprise_year}元",
                    f"The enterprise has reached the {scheme.cap_per_enterprise_year} yuan cap of "
                    f"{scheme.code} for {key[1]}",
                )
                continue
            if amount > cap_left[key]:
                amount = cap_left[key]
                report.capped_partially += 1
        if exhausted or (budget_left is not None and amount > budget_left):
            exhausted = True
            report.budget_exhausted += 1
            report.refuse(
                ErrorCode.BUDGET_EXHAUSTED,
                row["pk"],
                f"{scheme.policy.name}预算余额不足，无法承诺 {amount} 元",
                f"The budget of {scheme.policy.code} cannot cover {amount} yuan",
            )
            continue
        if budget_left is not None:
            budget_left -= amount
        if capped:
            cap_left[key] -= amount
        held.add(row["talent_id"])
        planned.append(
            _Planned(
                placement_id=row["pk"],
                talent_id=row["talent_id"],
                year=row["arrived_on"].year,
                amount=amount,
                arrived_on=row["arrived_on"],
                agency_id=row["referral__agency_id"]
                if scheme.purpose != RewardPurpose.PLATFORM_ENTERPRISE
                else None,
                enterprise_id=row["enterprise_id"]
                if scheme.purpose == RewardPurpose.PLATFORM_ENTERPRISE
                else None,
                present=bool(row["present"]),
            )
        )
    return planned


def _reference(scheme: RewardScheme, placement_id: int) -> str:
    return f"reward:{scheme.pk}:{placement_id}:{scheme.purpose}"


def _grant(scheme: RewardScheme, report: SettleReport, today: dt.date) -> None:
    """Create the scheme's new rewards, their instalments, cap commitments and ledger reservations."""
    planned = _plan(scheme, _candidates(scheme), report, today)
    if not planned:
        return
    # An instalment already due (the share paid on arrival) is written paid when the registry shows the
    # talent there, as `_pay_due` would pay it a moment later in this run: one write per row, not two
    now = timezone.now()
    stages = {
        p.placement_id: [
            (number, due, share, p.present and due <= today)
            for number, due, share in _stages_of(scheme, p.amount, p.arrived_on)
        ]
        for p in planned
    }
    # COPY on PostgreSQL: a settlement writes up to a reward and its instalments per placement
    bulk_insert(
        "recruitment_reward",
        [
            "scheme_id",
            "placement_id",
            "purpose",
            "agency_id",
            "enterprise_id",
            "year",
            "amount",
            "state",
            "reservation_reference",
            "created_at",
        ],
        (
            (
                scheme.pk,
                p.placement_id,
                scheme.purpose,
                p.agency_id,
                p.enterprise_id,
                p.year,
                p.amount,
                RewardState.COMPLETED
                if all(paid for *_, paid in stages[p.placement_id])
                else RewardState.ACTIVE,
                _reference(scheme, p.placement_id),
                now,
            )
            for p in planned
        ),
    )
    # a scheme has one purpose, so one reward per placement: its rewards by placement
    ids = dict(Reward.objects.filter(scheme=scheme).values_list("placement_id", "pk"))
    bulk_insert(
        "recruitment_rewardinstalment",
        ["reward_id", "number", "due_on", "amount", "state", "settled_at", "note"],
        (
            (
                ids[p.placement_id],
                number,
                due,
                share,
                InstalmentState.PAID if paid else InstalmentState.SCHEDULED,
                now if paid else None,
                "",
            )
            for p in planned
            for number, due, share, paid in stages[p.placement_id]
        ),
    )
    report.instalments_paid += sum(paid for rows in stages.values() for *_, paid in rows)
    if scheme.purpose == RewardPurpose.PLATFORM_ENTERPRISE and scheme.cap_per_enterprise_year is not None:
        by_key: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for p in planned:
            by_key[(p.enterprise_id or 0, p.year)] += p.amount
        if _commit_under_caps(scheme, by_key) != len(by_key):
            # the plan ran under the policy's lock: only a bug gets here, and it undoes the whole run
            raise DomainError(
                ErrorCode.CAP_REACHED,
                f"{scheme.name}将超过每家企业每年{scheme.cap_per_enterprise_year}元的上限，未结算",
                f"{scheme.code} would pass its cap per enterprise and year; nothing was settled",
            )
    ledger.reserve_many(
        [
            ledger.Charge(scheme.policy_id, p.talent_id, p.amount, _reference(scheme, p.placement_id))
            for p in planned
        ],
        year=today.year,
        source=ReservationSource.REWARD,
        reference="reward",
    )
    report.created += len(planned)
    report.amount += sum((p.amount for p in planned), Decimal(0))


def _commit_under_caps(scheme: RewardScheme, amounts: dict[tuple[int, int], Decimal]) -> int:
    """Add each (enterprise, year)'s amount to its cap row in one statement, only where it stays under the
    cap (the CHECK refuses it anyway); returns the rows moved (one per key when all fit)."""
    table = RewardCap._meta.db_table
    moved = 0
    keys = sorted(amounts)
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            values = ", ".join(["(%s, %s, CAST(%s AS NUMERIC))"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET committed = {table}.committed + v.column3 FROM (VALUES {values}) AS v "
                f"WHERE {table}.scheme_id = %s AND {table}.enterprise_id = v.column1 "
                f"AND {table}.year = v.column2 AND {table}.committed + v.column3 <= {table}.cap",
                [x for key in chunk for x in (key[0], key[1], str(amounts[key]))] + [scheme.pk],
            )
            moved += cursor.rowcount
    return moved


def _settle_leavers(report: SettleReport) -> None:
    """Rewards of placements left early: scheduled instalments cancelled and their money returned to the
    budget; paid ones clawed back (and returned) when the scheme says so; the reward cancelled."""
    leaving = (
        Reward.objects.select_for_update(of=("self",))
        .filter(state=RewardState.ACTIVE, placement__state=PlacementState.LEFT_EARLY)
        .select_related("scheme", "scheme__policy", "placement")
        .order_by("pk")
    )
    now = timezone.now()
    for reward in leaving:
        before = audit.snapshot(reward)
        undone = [InstalmentState.SCHEDULED] + ([InstalmentState.PAID] if reward.scheme.clawback else [])
        returned = Decimal(0)
        for instalment in reward.instalments.filter(state__in=undone):
            clawed = instalment.state == InstalmentState.PAID
            instalment.state = InstalmentState.CLAWED_BACK if clawed else InstalmentState.CANCELLED
            instalment.settled_at, instalment.note = now, "提前离职"
            instalment.save(update_fields=["state", "settled_at", "note"])
            returned += instalment.amount
            report.clawed_back += clawed
            report.instalments_cancelled += not clawed
        if returned:
            ledger.release_part(
                policy_id=reward.scheme.policy_id, talent_id=reward.placement.talent_id, amount=returned
            )
        if reward.scheme.cap_per_enterprise_year is not None and reward.enterprise_id and returned:
            RewardCap.objects.filter(
                scheme=reward.scheme, enterprise_id=reward.enterprise_id, year=reward.year
            ).update(committed=F("committed") - returned)
        reward.state = RewardState.CANCELLED
        reward.save(update_fields=["state"])
        audit.record_change(
            actor=None,
            action="recruitment.reward.cancel",
            obj=reward,
            before=before,
            detail={"returned": str(returned), "clawback": reward.scheme.clawback},
        )
        report.rewards_cancelled += 1


def _pay_due(report: SettleReport, today: dt.date) -> None:
    """Pay the instalments due by `today` whose talent the registry still shows at the enterprise."""
    due = RewardInstalment.objects.filter(
        state=InstalmentState.SCHEDULED,
        due_on__lte=today,
        reward__state=RewardState.ACTIVE,
        reward__placement__state__in=HELD_STATES,
        reward__placement__talent__status=TalentStatus.ACTIVE,
        reward__placement__talent__current_employer=F("reward__placement__enterprise"),
    )
    report.instalments_paid += RewardInstalment.objects.filter(
        pk__in=due.values("pk"), state=InstalmentState.SCHEDULED
    ).update(state=InstalmentState.PAID, settled_at=timezone.now())
    Reward.objects.filter(state=RewardState.ACTIVE).filter(
        ~Exists(RewardInstalment.objects.filter(reward=OuterRef("pk"), state=InstalmentState.SCHEDULED))
    ).update(state=RewardState.COMPLETED)


def rewards_settle(*, actor: User, today: dt.date | None = None) -> SettleReport:
    """Settle every scheme in force: follow the registry (leavers, retention), cancel or claw back what
    leavers will not get, create the new rewards within budget and cap, pay the instalments due.
    Idempotent: a second run the same day creates and pays nothing new."""
    require(actor, Action.SETTLE_REWARDS)
    today = today or timezone.localdate()
    report = SettleReport()
    with transaction.atomic():
        schemes = list(RewardScheme.objects.select_related("policy").order_by("pk"))
        # one run at a time per funding policy: the second waits here, then finds the first's rewards
        ledger.lock_policies({s.policy_id for s in schemes}, today.year)
        placements_confirm(today=today)  # arrivals the registry shows now are rewarded in this run
        placements_review(today)
        _settle_leavers(report)
        in_force = {s.pk for s in schemes_in_force(today)}
        for scheme in schemes:
            if scheme.pk in in_force:
                _grant(scheme, report, today)
        _pay_due(report, today)
        audit.record(
            actor=actor,
            action="recruitment.rewards.settle",
            object_type="recruitment.reward",
            detail={**report.as_dict(), "on": today.isoformat()},
        )
    return report


# -- reading ----------------------------------------------------------------------------------------------


def rewards_for(user: User) -> QuerySet[Reward]:
    """The rewards the user may see: officers within their region, an enterprise its own, an agency's
    users their agency's."""
    require(user, Action.BROWSE_RECRUITMENT)
    return visible_to(user, Reward.objects.all()).select_related(
        "scheme", "placement__talent", "placement__enterprise", "agency", "enterprise"
    )


def placements_for(user: User) -> QuerySet[Placement]:
    require(user, Action.BROWSE_RECRUITMENT)
    return visible_to(user, Placement.objects.all()).select_related(
        "talent", "enterprise", "referral__agency"
    )


__all__ = [
    "SEED_CAP",
    "SettleReport",
    "amount_for",
    "placements_for",
    "reward_scheme_create",
    "rewards_for",
    "rewards_settle",
    "schemes_in_force",
]
