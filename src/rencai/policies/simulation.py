"""What-if: a draft version against today's registry, compared with the version in force. Writes nothing."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from django.utils import timezone

from rencai.core.errors import ValidationFailed
from rencai.core.models import Region
from rencai.policies.compiled import compiled_pair
from rencai.policies.engine import RuleError, SimulationResult, compile_rule, simulate
from rencai.policies.features import cached_feature_frame
from rencai.policies.models import Policy, PolicyVersion
from rencai.policies.selectors import committed_amounts, version_in_force, versions_in_force


@dataclass(frozen=True)
class Simulation:
    policy: Policy
    draft: PolicyVersion
    current: PolicyVersion | None
    result: SimulationResult
    region_names: dict[str, str]
    evaluation_date: dt.date


def applicable_region_codes(policy: Policy, day: dt.date) -> list[str]:
    """Where the policy would apply: its region's subtree, less counties whose own policy overrides it."""
    codes = set(Region.objects.filter(path__startswith=policy.region.path).values_list("code", flat=True))
    for item in versions_in_force(day):
        if item.version.policy.overrides_id == policy.pk:
            codes -= item.region_codes
    return sorted(codes)


def _compile_or_explain(source: str, expect: str):
    try:
        return compile_rule(source, expect=expect)
    except RuleError as error:
        field = "eligibility_rule" if expect == "bool" else "amount_rule"
        raise ValidationFailed(
            [
                {
                    "field": field,
                    "line": p.line,
                    "column": p.column,
                    "message_zh": p.message_zh,
                    "message_en": p.message_en,
                }
                for p in error.problems
            ],
            "规则有误，无法模拟",
            "The rule is invalid and cannot be simulated",
        ) from None


def simulate_version(
    draft: PolicyVersion, *, budget_total: Decimal | None = None, day: dt.date | None = None
) -> Simulation:
    """Simulate `draft` (its rules as they stand, saved or not) against the registry on `day`."""
    day = day or timezone.localdate()
    policy = draft.policy
    draft_rule = _compile_or_explain(draft.eligibility_rule, "bool")
    draft_amount = _compile_or_explain(draft.amount_rule or "0", "number")
    current = version_in_force(policy, day)
    current_rule, current_amount = compiled_pair(current) if current is not None else (None, None)
    frame = cached_feature_frame(day).filter(pl.col("region").is_in(applicable_region_codes(policy, day)))
    # the budget simulated: the caller's, else the one the draft proposes, else the policy's current one
    budget = next((b for b in (budget_total, draft.budget_total) if b is not None), policy.budget_total)
    committed = Decimal(committed_amounts([policy.pk], day.year)[policy.pk][0])
    # the simulation replaces the current version's entitlements, so only money held outside it counts
    result = simulate(
        frame,
        current_rule=current_rule,
        draft_rule=draft_rule,
        current_amount=current_amount,
        draft_amount=draft_amount,
        budget_total=budget,
        already_committed=max(committed - _current_commitment(policy, current), Decimal(0)),
    )
    names = {r.code: r.display_name for r in Region.objects.all()}
    return Simulation(policy, draft, current, result, names, day)


def _current_commitment(policy: Policy, current: PolicyVersion | None) -> Decimal:
    if current is None:
        return Decimal(0)
    from django.db.models import Sum

    from rencai.policies.models import BUDGET_HOLDING

    total = policy.entitlements.filter(policy_version=current, status__in=BUDGET_HOLDING).aggregate(
        s=Sum("amount")
    )
    return Decimal(total["s"] or 0)
