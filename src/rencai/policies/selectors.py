"""Reads of policies, scoped to the acting user; which versions are in force where, on which date."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from rencai.accounts.models import User
from rencai.core.access import Action, home_region_id, may, visible_to
from rencai.core.errors import NotFound
from rencai.core.models import Region
from rencai.policies.models import (
    Entitlement,
    EntitlementStatus,
    MatchRun,
    Policy,
    PolicyVersion,
    VersionStatus,
)
from rencai.registry.models import Talent

LIVE_STATUSES = (
    EntitlementStatus.OFFERED,
    EntitlementStatus.GRANTED,
    EntitlementStatus.QUEUED,
    EntitlementStatus.FLAGGED,
)


def policies_for(user: User, *, region: str = "", kind: str = "", q: str = "") -> QuerySet:
    queryset = visible_to(user, Policy.objects.select_related("region", "overrides"))
    if region:
        queryset = queryset.filter(region__code=region)
    if kind:
        queryset = queryset.filter(kind=kind)
    if q:
        queryset = queryset.filter(Q(name__contains=q) | Q(code__contains=q))
    return queryset


def get_policy(user: User, policy_id: int) -> Policy:
    policy = policies_for(user).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound()
    return policy


def versions_of(user: User, policy: Policy) -> QuerySet:
    """Issued and withdrawn versions for everyone who sees the policy; drafts only for policy makers."""
    queryset = policy.versions.select_related("created_by", "issued_by").order_by("-number")
    if not may(user, Action.VIEW_POLICY_DRAFTS):
        queryset = queryset.exclude(status=VersionStatus.DRAFT)
    return queryset


@dataclass(frozen=True)
class VersionInForce:
    """An issued version in force on a date, with the region codes of talents it applies to."""

    version: PolicyVersion
    region_codes: frozenset[str]


def versions_in_force(day: dt.date, *, region: Region | None = None) -> list[VersionInForce]:
    """Every policy version in force on `day`, with where it applies after county overrides.

    A county policy that overrides a city policy replaces it in that county while the county policy has a
    version in force; elsewhere (and when the county has none in force) the city policy applies.
    """
    issued = list(
        PolicyVersion.objects.filter(status=VersionStatus.ISSUED, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .select_related("policy", "policy__region", "policy__overrides")
        .order_by("policy__code")
    )
    regions = list(Region.objects.all())
    subtree = {r.pk: frozenset(x.code for x in regions if x.path.startswith(r.path)) for r in regions}
    overridden: dict[int, set[str]] = {}
    for item in issued:
        if item.policy.overrides_id:
            overridden.setdefault(item.policy.overrides_id, set()).update(subtree[item.policy.region_id])
    result = []
    for item in issued:
        codes = subtree[item.policy.region_id] - overridden.get(item.policy_id, set())
        if region is not None:
            codes = (
                codes & subtree[region.pk] if region.path.startswith(item.policy.region.path) else frozenset()
            )
        if codes:
            result.append(VersionInForce(item, frozenset(codes)))
    return result


def version_in_force(policy: Policy, day: dt.date) -> PolicyVersion | None:
    return (
        policy.versions.filter(status=VersionStatus.ISSUED, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .first()
    )


def committed_amounts(policy_ids: list[int], year: int) -> dict[int, tuple]:
    """Per policy: (total committed, committed in `year`), from the budget ledger: entitlements holding
    budget, applications and rewards alike."""
    from rencai.policies import ledger

    return ledger.committed(policy_ids, year)


def entitlements_for(user: User, *, policy: Policy | None = None, status: str = "") -> QuerySet:
    queryset = visible_to(user, Entitlement.objects.select_related("talent", "policy", "policy_version"))
    if policy is not None:
        queryset = queryset.filter(policy=policy)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def get_version(user: User, version_id: int) -> PolicyVersion:
    """A version of a visible policy; drafts only for policy makers (others get NotFound)."""
    version = (
        visible_to(user, PolicyVersion.objects.select_related("policy", "policy__region"))
        .filter(pk=version_id)
        .first()
    )
    if version is None or (
        version.status == VersionStatus.DRAFT and not may(user, Action.VIEW_POLICY_DRAFTS)
    ):
        raise NotFound()
    return version


# -- the policy list: what applies where the officer works, with counts and budgets --------------


@dataclass(frozen=True)
class BudgetFigures:
    """A policy's budget and what entitlements holding budget have used of it (Decimal yuan)."""

    total: Decimal | None
    per_year: Decimal | None
    used_total: Decimal
    used_year: Decimal

    @property
    def limited(self) -> bool:
        return self.total is not None or self.per_year is not None

    @property
    def remaining(self) -> Decimal | None:
        limits = []
        if self.total is not None:
            limits.append(self.total - self.used_total)
        if self.per_year is not None:
            limits.append(self.per_year - self.used_year)
        return max(min(limits), Decimal(0)) if limits else None


@dataclass
class PolicyRow:
    policy: Policy
    in_force: PolicyVersion | None
    counts: dict[str, int]
    budget: BudgetFigures
    drafts: int = 0
    replaced_by: Policy | None = None  # a policy of the officer's own county that overrides this one


def _home_region(user) -> Region | None:
    region_id = home_region_id(user) if user.is_authenticated else None
    return Region.objects.filter(pk=region_id).first() if region_id else None


def replacements_where(user: User, day: dt.date) -> dict[int, Policy]:
    """Policies overridden where the user works, by the policy that replaces them there."""
    home = _home_region(user)
    if home is None:
        return {}
    return {
        item.version.policy.overrides_id: item.version.policy
        for item in versions_in_force(day, region=home)
        if item.version.policy.overrides_id and home.path.startswith(item.version.policy.region.path)
    }


def entitlement_counts(user: User, policy_ids: list[int]) -> dict[int, dict[str, int]]:
    """Live entitlements per policy and status, counting only talents in the user's scope."""
    counts: dict[int, dict[str, int]] = {pid: dict.fromkeys(LIVE_STATUSES, 0) for pid in policy_ids}
    rows = (
        visible_to(user, Entitlement.objects.filter(policy_id__in=policy_ids, status__in=LIVE_STATUSES))
        .values("policy_id", "status")
        .annotate(n=Count("pk"))
        .values_list("policy_id", "status", "n")
    )
    for policy_id, status, n in rows:
        counts[policy_id][status] = n
    return counts


def _yuan(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def budget_figures(policies: list[Policy], year: int) -> dict[int, BudgetFigures]:
    committed = committed_amounts([p.pk for p in policies], year)
    return {
        p.pk: BudgetFigures(
            p.budget_total, p.budget_per_year, _yuan(committed[p.pk][0]), _yuan(committed[p.pk][1])
        )
        for p in policies
    }


def policy_rows(user: User, day: dt.date, *, kind: str = "", q: str = "") -> list[PolicyRow]:
    """Every policy the user sees, with the version in force, scoped entitlement counts and the budget.

    Counts cover talents in the user's scope (a county officer sees their county's share of a city policy);
    the budget is the whole policy's. `replaced_by` marks a city policy the user's county overrides.
    """
    policies = list(policies_for(user, kind=kind, q=q))
    ids = [p.pk for p in policies]
    in_force = {
        v.policy_id: v
        for v in PolicyVersion.objects.filter(policy_id__in=ids, status=VersionStatus.ISSUED)
        .filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
    }
    drafts = dict(
        PolicyVersion.objects.filter(policy_id__in=ids, status=VersionStatus.DRAFT)
        .values("policy_id")
        .annotate(n=Count("pk"))
        .values_list("policy_id", "n")
    )
    counts = entitlement_counts(user, ids)
    budgets = budget_figures(policies, day.year)
    replaced = replacements_where(user, day)
    show_drafts = may(user, Action.VIEW_POLICY_DRAFTS)
    return [
        PolicyRow(
            policy=p,
            in_force=in_force.get(p.pk),
            counts=counts[p.pk],
            budget=budgets[p.pk],
            drafts=drafts.get(p.pk, 0) if show_drafts else 0,
            replaced_by=replaced.get(p.pk),
        )
        for p in policies
    ]


def latest_match_run(user: User) -> MatchRun | None:
    """The last finished run the user may see (runs belong to the city: its officers see them)."""
    finished = MatchRun.objects.filter(finished_at__isnull=False)
    return visible_to(user, finished).order_by("-started_at").first()


def own_talent(user: User) -> Talent:
    """The registry record of a signed-in talent (NotFound when the account has none)."""
    talent = (
        visible_to(user, Talent.objects.select_related("region")).filter(account=user).first()
        if user.is_authenticated
        else None
    )
    if talent is None:
        raise NotFound("您的账户尚未关联人才档案", "Your account is not linked to a registry record")
    return talent


def own_entitlement(user: User, entitlement_id: int) -> Entitlement:
    entitlement = visible_to(user, Entitlement.objects.filter(talent__account=user)).filter(pk=entitlement_id)
    found = entitlement.select_related("policy", "talent").first() if user.is_authenticated else None
    if found is None:
        raise NotFound()
    return found


def status_totals(user: User) -> dict[str, int]:
    """Live entitlements the user sees, by status (a talent: their own)."""
    totals: dict[str, int] = dict.fromkeys(LIVE_STATUSES, 0)
    rows = (
        visible_to(user, Entitlement.objects.filter(status__in=LIVE_STATUSES))
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    totals.update(dict(rows))
    return totals


def policies_in_force_count(user: User, day: dt.date) -> int:
    return (
        policies_for(user)
        .filter(versions__status=VersionStatus.ISSUED, versions__effective_from__lte=day)
        .filter(Q(versions__effective_to__isnull=True) | Q(versions__effective_to__gte=day))
        .distinct()
        .count()
    )
