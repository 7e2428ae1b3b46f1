"""Reads of policies, scoped to the acting user; which versions are in force where, on which date."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum

from rencai.core.access import rights_of, visible_to
from rencai.core.errors import NotFound
from rencai.core.models import Region
from rencai.policies.models import BUDGET_HOLDING, Entitlement, Policy, PolicyVersion, VersionStatus


def policies_for(user, *, region: str = "", kind: str = "", q: str = "") -> QuerySet:
    queryset = visible_to(user, Policy.objects.select_related("region", "overrides"))
    if region:
        queryset = queryset.filter(region__code=region)
    if kind:
        queryset = queryset.filter(kind=kind)
    if q:
        queryset = queryset.filter(Q(name__contains=q) | Q(code__contains=q))
    return queryset


def get_policy(user, policy_id: int) -> Policy:
    policy = policies_for(user).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound()
    return policy


def versions_of(user, policy: Policy) -> QuerySet:
    """Issued and withdrawn versions for everyone who sees the policy; drafts only for policy makers."""
    queryset = policy.versions.select_related("created_by", "issued_by").order_by("-number")
    if not rights_of(user).edit_registry:
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
    """Per policy: (total committed, committed in `year`) by entitlements that hold budget."""
    holding = Entitlement.objects.filter(policy_id__in=policy_ids, status__in=BUDGET_HOLDING)
    totals = dict(holding.values("policy_id").annotate(s=Sum("amount")).values_list("policy_id", "s"))
    yearly = dict(
        holding.filter(budget_year=year)
        .values("policy_id")
        .annotate(s=Sum("amount"))
        .values_list("policy_id", "s")
    )
    return {pid: (totals.get(pid) or 0, yearly.get(pid) or 0) for pid in policy_ids}


def entitlements_for(user, *, policy: Policy | None = None, status: str = "") -> QuerySet:
    queryset = visible_to(user, Entitlement.objects.select_related("talent", "policy", "policy_version"))
    if policy is not None:
        queryset = queryset.filter(policy=policy)
    if status:
        queryset = queryset.filter(status=status)
    return queryset
