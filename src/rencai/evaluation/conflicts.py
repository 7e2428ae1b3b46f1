"""Conflicts of interest between experts and a case, computed from the registry, not only declared.

One query per kind of conflict for the whole pool, whatever its size: each query returns only the experts
in conflict (a handful), never one row per expert, so one case against 5,000 experts costs the same
handful of queries as against fifty (`bench/_evaluation_panels.py`).

- SELF: the expert is the candidate (the expert's registry record is the case's talent).
- EMPLOYER: the expert's current employer, or an employer they left within three years, is one of the
  candidate's (the case's enterprise, the candidate's current one, or a registry employment of the
  candidate that ended within three years); an expert without a registry enterprise matches by name.
- PLATFORM: the expert works with a platform or academician station the candidate is a member of, or
  one hosted by the candidate's employer.
- ACHIEVEMENT: the expert's registry record holds an achievement together with the candidate.
- DECLARED: the expert declared a relation with the candidate.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from rencai.evaluation.choices import ConflictKind
from rencai.evaluation.models import Case, DeclaredRelation, Expert, ExpertEmployment, ExpertPlatform
from rencai.registry.models import Employment, Enterprise

RECENT_YEARS = 3  # an employer left within this many years still counts ("近三年")
KIND_ORDER = list(ConflictKind.values)


def recent_since(on: dt.date) -> dt.date:
    """The first day that is still "recent" on `on` (29 February falls back to the 28th)."""
    try:
        return on.replace(year=on.year - RECENT_YEARS)
    except ValueError:
        return on.replace(year=on.year - RECENT_YEARS, day=28)


def conflicts_for_case(
    case: Case, *, experts: Iterable[Expert | int] | None = None, on: dt.date | None = None
) -> dict[int, list[str]]:
    """{expert id: [ConflictKind values]} for the experts (default: the whole pool) in conflict with `case`
    on `on` (default: today); experts without a conflict are absent."""
    on = on or timezone.localdate()
    found: dict[int, set[str]] = defaultdict(set)
    for kind, ids in (
        (ConflictKind.SELF, _self(case)),
        (ConflictKind.EMPLOYER, _employer(case, on)),
        (ConflictKind.PLATFORM, _platform(case)),
        (ConflictKind.ACHIEVEMENT, _achievement(case)),
        (ConflictKind.DECLARED, _declared(case)),
    ):
        for expert_id in ids:
            found[expert_id].add(kind)
    if experts is not None:
        wanted = {e if isinstance(e, int) else e.pk for e in experts}
        found = defaultdict(set, {pk: kinds for pk, kinds in found.items() if pk in wanted})
    return {pk: sorted(kinds, key=KIND_ORDER.index) for pk, kinds in sorted(found.items())}


def _self(case: Case) -> set[int]:
    return set(Expert.objects.filter(talent_id=case.talent_id).values_list("pk", flat=True))


def _candidate_enterprises(case: Case, since: dt.date) -> set[int]:
    """The case's enterprise, the candidate's current employer and every employer of the last years."""
    ids = {case.enterprise_id, case.talent.current_employer_id}
    ids |= set(
        Employment.objects.filter(talent_id=case.talent_id, enterprise__isnull=False)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=since))
        .values_list("enterprise_id", flat=True)
    )
    return {pk for pk in ids if pk is not None}


def _employer(case: Case, on: dt.date) -> set[int]:
    since = recent_since(on)
    enterprises = _candidate_enterprises(case, since)
    if not enterprises:
        return set()
    names = Enterprise.objects.filter(pk__in=enterprises).values("name")
    former = ExpertEmployment.objects.filter(
        Q(enterprise_id__in=enterprises) | Q(employer_name__in=names)
    ).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=since))
    # one query: the current employer by registry id (or by name without one), or a recent former one
    return set(
        Expert.objects.filter(
            Q(employer_id__in=enterprises)
            | Q(employer__isnull=True, employer_name__in=names)
            | Q(pk__in=former.values("expert_id"))
        ).values_list("pk", flat=True)
    )


def _platform(case: Case) -> set[int]:
    hosts = {case.enterprise_id, case.talent.current_employer_id} - {None}
    shared = Q(platform__memberships__talent_id=case.talent_id)
    if hosts:
        shared |= Q(platform__host_enterprise_id__in=hosts)
    return set(ExpertPlatform.objects.filter(shared).values_list("expert_id", flat=True))


def _achievement(case: Case) -> set[int]:
    # one join: the experts whose talent holds an achievement that the candidate also holds
    return set(
        Expert.objects.filter(
            talent__achievement_holdings__achievement__holders__talent_id=case.talent_id,
        )
        .exclude(talent_id=case.talent_id)
        .values_list("pk", flat=True)
    )


def _declared(case: Case) -> set[int]:
    return set(DeclaredRelation.objects.filter(talent_id=case.talent_id).values_list("expert_id", flat=True))


def describe(kinds: Iterable[str]) -> tuple[str, str]:
    """The conflict kinds as text in Chinese and in English (for refusals and pages)."""
    kinds = list(kinds)
    return "、".join(CONFLICT_ZH[k] for k in kinds), ", ".join(CONFLICT_EN[k] for k in kinds)


# The refusals carry both languages whatever the request's, so the texts are spelled out here
CONFLICT_ZH: dict[str, str] = {
    ConflictKind.SELF: "申报人即专家本人",
    ConflictKind.EMPLOYER: "同一单位（现任或近三年）",
    ConflictKind.PLATFORM: "同一平台或院士工作站",
    ConflictKind.ACHIEVEMENT: "共同成果",
    ConflictKind.DECLARED: "申报的亲属或利害关系",
}
CONFLICT_EN: dict[str, str] = {
    ConflictKind.SELF: "the candidate is the expert",
    ConflictKind.EMPLOYER: "the same current or recent employer",
    ConflictKind.PLATFORM: "the same platform or academician station",
    ConflictKind.ACHIEVEMENT: "a shared achievement",
    ConflictKind.DECLARED: "a declared relation",
}
