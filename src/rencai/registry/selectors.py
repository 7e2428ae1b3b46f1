"""Reads of the registries, always scoped to the acting user through `visible_to`."""

import re
from dataclasses import dataclass

from django.db import connections
from django.db.models import CharField, Count, F, Func, Prefetch, QuerySet
from django.utils.translation import gettext as _

from rencai.accounts.models import User
from rencai.core import audit, crypto
from rencai.core.access import Action, may, visible_to
from rencai.core.errors import NotFound
from rencai.core.models import Region
from rencai.core.pii import ID_TAIL_LENGTH, id_number_index, id_number_tail_index
from rencai.registry.choices import TalentStatus, Tier
from rencai.registry.models import (
    Academician,
    Achievement,
    AchievementHolder,
    Enterprise,
    Talent,
    TalentPlatform,
)

ID_LIKE = re.compile(r"^(\d{17}[\dXx]|[A-Za-z]{1,2}\d{6,10})$")
ID_TAIL = re.compile(r"^\d{3,16}[\dXx]$")  # the last 4 to 17 characters of an ID number
MAX_TAIL_CANDIDATES = 10_000  # talents sharing four last characters: about 100 in a million


@dataclass(frozen=True)
class TalentFilters:
    q: str = ""
    region: str = ""  # region code; includes the regions below it
    team: str = ""
    tier: str = ""
    enterprise: int | None = None
    status: str = ""


def visible_regions(user: User) -> QuerySet:
    return visible_to(user, Region.objects.all())


def talent_search_kind(user: User, q: str) -> str:
    """How the list reads its search box: "id" (a whole ID or passport number), "id_tail" (the end of an
    ID number, 4 to 17 characters: only for those who may see ID numbers in full), "name" (any part of a
    name) or "" (no search)."""
    q = q.strip()
    if not q:
        return ""
    if ID_LIKE.match(q):
        return "id"
    if ID_TAIL.match(q) and may_search_id_tail(user):
        return "id_tail"
    return "name"


def may_search_id_tail(user: User) -> bool:
    """The end of an ID number is what masks hide: searching by it is for those who may reveal numbers."""
    return may(user, Action.REVEAL_PERSONAL_DATA)


def talents_for(user: User, filters: TalentFilters | None = None) -> QuerySet:
    filters = filters or TalentFilters()
    queryset = visible_to(user, Talent.objects.all())
    q = filters.q.strip()
    kind = talent_search_kind(user, q)
    if kind == "id":
        queryset = queryset.filter(id_number_index=id_number_index(q.upper()))
    elif kind == "id_tail":
        queryset = _id_number_ends_with(user, queryset, q.upper())
    elif kind == "name":
        queryset = _name_contains(queryset, q)
    if filters.region:
        region = Region.objects.filter(code=filters.region).first()
        if region is None:
            return queryset.none()
        subtree = Region.objects.filter(path__startswith=region.path).values_list("pk", flat=True)
        queryset = queryset.filter(region__in=list(subtree))
    if filters.team:
        queryset = queryset.filter(team=filters.team)
    if filters.tier:
        queryset = queryset.filter(tier=filters.tier)
    if filters.enterprise:
        queryset = queryset.filter(current_employer_id=filters.enterprise)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    return queryset.select_related("region", "current_employer").order_by("-id")


def talent_with_id_number(user: User, number: str) -> Talent | None:
    """The visible talent holding exactly this ID number (blind-index lookup), whatever its format."""
    found = visible_to(user, Talent.objects.all()).filter(
        id_number_index=id_number_index(number.strip().upper())
    )
    return found.first()


def _id_number_ends_with(user: User, queryset: QuerySet, tail: str) -> QuerySet:
    """Talents whose ID number ends with `tail`: the blind index of its last four characters finds the
    candidates (about one in 11,000), and a longer tail is checked on their decrypted numbers.

    The end of an ID number is its sequence and check digit, what the masks never show (`core.masking`):
    only a role that may reveal numbers searches by it, and each such search is audited, so that trying
    tail after tail to learn someone's number leaves a trace.
    """
    candidates = queryset.filter(id_number_tail_index=id_number_tail_index(tail))
    if len(tail) > ID_TAIL_LENGTH:
        numbers = candidates.values_list("pk", "id_number_ciphertext")[:MAX_TAIL_CANDIDATES]
        matching = [pk for pk, sealed in numbers if crypto.decrypt(sealed).upper().endswith(tail)]
        candidates = queryset.filter(pk__in=matching)
    region = getattr(user, "region", None)
    audit.record(
        actor=user,
        action="registry.search.id_tail",
        object_type=Talent._meta.label_lower,
        region_code=region.code if region is not None else "",
        detail={"tail": tail},
    )
    return candidates


# The talent name with every character written three times, upper-cased: the expression of the trigram
# index of migration 0006 (PostgreSQL), which must be written exactly so for the planner to use it
NAME_GRAMS_SQL = "REGEXP_REPLACE(UPPER(%(expressions)s), '(.)', '\\1\\1\\1', 'g')"


def _name_contains(queryset: QuerySet, q: str) -> QuerySet:
    """Talents whose name contains `q` anywhere ("涛俊" finds 王涛俊), in any letter case.

    On PostgreSQL the trigram index over the tripled name answers it: "涛俊" becomes "涛涛涛俊俊俊", whose
    trigrams all stand in the index even for a one-character search. SQLite scans the names.
    """
    queryset = queryset.filter(name__icontains=q)
    upper = q.upper()
    if connections[queryset.db].vendor != "postgresql" or len(upper) != len(q):
        return queryset  # (an upper-cased "ß" is "SS": tripling would no longer line up with the index)
    grams = Func(F("name"), template=NAME_GRAMS_SQL, output_field=CharField())
    return queryset.alias(name_grams=grams).filter(name_grams__contains="".join(ch * 3 for ch in upper))


def get_talent(user: User, talent_id: int) -> Talent:
    talent = (
        visible_to(user, Talent.objects.select_related("region", "current_employer", "account"))
        .filter(pk=talent_id)
        .first()
    )
    if talent is None:
        raise NotFound()
    return talent


def talent_details(talent: Talent) -> dict:
    """The related records of one talent (already known to be visible)."""
    return {
        "educations": list(talent.educations.all()),
        "honours": list(talent.honours.all()),
        "employments": list(talent.employments.select_related("enterprise")),
        "platforms": list(talent.platform_memberships.select_related("platform")),
    }


def enterprises_for(user: User, *, q: str = "", region: str = "", platform_only: bool = False) -> QuerySet:
    queryset = visible_to(user, Enterprise.objects.select_related("region"))
    if q:
        queryset = queryset.filter(name__contains=q.strip()) | queryset.filter(credit_code=q.strip().upper())
    if region:
        queryset = queryset.filter(region__path__startswith=_region_path(region))
    if platform_only:
        queryset = queryset.filter(is_platform_enterprise=True)
    return queryset.order_by("name")


def get_enterprise(user: User, enterprise_id: int) -> Enterprise:
    enterprise = (
        visible_to(user, Enterprise.objects.select_related("region")).filter(pk=enterprise_id).first()
    )
    if enterprise is None:
        raise NotFound()
    return enterprise


def platforms_for(user: User, *, q: str = "", kind: str = "", region: str = "") -> QuerySet:
    queryset = visible_to(user, TalentPlatform.objects.select_related("region", "host_enterprise"))
    if q:
        queryset = queryset.filter(name__contains=q.strip())
    if kind:
        queryset = queryset.filter(kind=kind)
    if region:
        queryset = queryset.filter(region__path__startswith=_region_path(region))
    return queryset.order_by("kind", "name")


def get_platform(user: User, platform_id: int) -> TalentPlatform:
    platform = (
        visible_to(user, TalentPlatform.objects.select_related("region", "host_enterprise"))
        .filter(pk=platform_id)
        .first()
    )
    if platform is None:
        raise NotFound()
    return platform


def academicians_for(user: User, *, q: str = "") -> QuerySet:
    queryset = visible_to(user, Academician.objects.select_related("region"))
    if q:
        queryset = queryset.filter(name__contains=q.strip())
    return queryset.order_by("name")


def get_academician(user: User, academician_id: int) -> Academician:
    academician = (
        visible_to(user, Academician.objects.select_related("region")).filter(pk=academician_id).first()
    )
    if academician is None:
        raise NotFound()
    return academician


@dataclass(frozen=True)
class AchievementFilters:
    q: str = ""  # part of the title, or the exact number
    kind: str = ""
    region: str = ""  # region code; includes the regions below it
    enterprise: int | None = None
    talent: int | None = None


def _visible_holders(user: User) -> Prefetch:
    """An achievement's holders the user may see, first holder first: a co-holder registered in another
    county is not named to this one."""
    holders = visible_to(user, AchievementHolder.objects.select_related("talent")).order_by("rank")
    return Prefetch("holders", queryset=holders, to_attr="visible_holders")


def achievements_for(user: User, filters: AchievementFilters | None = None) -> QuerySet:
    filters = filters or AchievementFilters()
    queryset = visible_to(user, Achievement.objects.select_related("region", "enterprise"))
    q = filters.q.strip()
    if q:
        queryset = queryset.filter(title__contains=q) | queryset.filter(reference=q.upper())
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.region:
        queryset = queryset.filter(region__path__startswith=_region_path(filters.region))
    if filters.enterprise:
        queryset = queryset.filter(enterprise_id=filters.enterprise)
    if filters.talent:
        holdings = visible_to(user, AchievementHolder.objects.filter(talent_id=filters.talent))
        queryset = queryset.filter(pk__in=holdings.values("achievement_id"))
    return queryset.prefetch_related(_visible_holders(user)).order_by("-id")


def get_achievement(user: User, achievement_id: int) -> Achievement:
    queryset = visible_to(user, Achievement.objects.select_related("region", "enterprise"))
    achievement = queryset.prefetch_related(_visible_holders(user)).filter(pk=achievement_id).first()
    if achievement is None:
        raise NotFound()
    return achievement


def talent_achievements(user: User, talent: Talent) -> list[AchievementHolder]:
    """The achievements of a talent the user sees (through the talent's holdings, so that a talent sees
    their own), newest first."""
    holdings = visible_to(user, AchievementHolder.objects.filter(talent=talent))
    return list(
        holdings.select_related("achievement").order_by("-achievement__achieved_on", "-achievement_id")
    )


def visible_enterprise_ids(user: User, ids: set[int]) -> set[int]:
    """Which of these enterprises the user may see (a list names only those)."""
    return set(visible_to(user, Enterprise.objects.filter(pk__in=ids)).values_list("pk", flat=True))


def _region_path(code: str) -> str:
    path = Region.objects.filter(code=code).values_list("path", flat=True).first()
    return path or "-none-"


@dataclass(frozen=True)
class TalentBar:
    """One bar of the home page's chart: active talents of a county or of a tier, and the list's filter."""

    key: str  # region code or tier code ("" for talents without a tier)
    label: str
    count: int
    filter: str  # the talent list's querystring that lists exactly these talents ("" when none can)


def home_summary(user: User) -> dict:
    """Counts for the home page: only of what the user may see.

    `talents` counts the active (在衢) talents and `departed` those who left: the talent list shows both
    unless filtered by status, so the home page names the difference and links each figure to its filter.
    A talent sees no figures, only a link to their own record (`own_talent`).
    """
    if not may(user, Action.BROWSE_TALENTS):
        return {}
    if not may(user, Action.BROWSE_REGISTRY):
        return {"own_talent": visible_to(user, Talent.objects.all()).values_list("pk", flat=True).first()}
    summary = _talent_figures(user)
    summary["enterprises"] = visible_to(user, Enterprise.objects.all()).count()
    summary["platforms"] = visible_to(user, TalentPlatform.objects.all()).count()
    return summary


def _spans_counties(user: User) -> bool:
    """A city officer (or the administrator) compares counties; a county, a department or an enterprise,
    which see one county, compare tiers."""
    if not user.region_id:
        return user.is_superuser
    return Region.objects.filter(parent_id=user.region_id).exists()


def _talent_figures(user: User) -> dict:
    """Active and departed talents and the chart's bars, from one aggregate query (by status and by
    county or tier, served by the (region, status) and (region, tier) indexes)."""
    by = "region_id" if _spans_counties(user) else "tier"
    rows = list(
        visible_to(user, Talent.objects.all()).order_by().values_list("status", by).annotate(n=Count("pk"))
    )
    active: dict = {}
    departed = 0
    for status, key, n in rows:
        if status == TalentStatus.ACTIVE:
            active[key] = active.get(key, 0) + n
        else:
            departed += n
    bars = _county_bars(active) if by == "region_id" else _tier_bars(active)
    return {
        "talents": sum(active.values()),
        "departed": departed,
        "chart_by": "county" if by == "region_id" else "tier",
        "bars": bars,
    }


def _county_bars(active: dict[int, int]) -> list[TalentBar]:
    regions = Region.objects.filter(pk__in=list(active)).order_by("path")
    with_children = set(Region.objects.filter(parent__in=regions).values_list("parent_id", flat=True))
    return [
        TalentBar(
            key=region.code,
            label=region.display_name,
            count=active[region.pk],
            # a region with regions below it (talents registered at the city itself) has no exact filter
            filter="" if region.pk in with_children else f"status=active&region={region.code}",
        )
        for region in regions
    ]


def _tier_bars(active: dict[str, int]) -> list[TalentBar]:
    bars = [
        TalentBar(key=tier, label=str(label), count=active[tier], filter=f"status=active&tier={tier}")
        for tier, label in Tier.choices
        if tier in active
    ]
    if active.get(""):
        bars.append(TalentBar(key="", label=str(_("未分类")), count=active[""], filter=""))
    return bars
