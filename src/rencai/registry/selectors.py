"""Reads of the registries, always scoped to the acting user through `visible_to`."""

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from rencai.accounts.models import User
from rencai.core.access import Action, may, visible_to
from rencai.core.errors import NotFound
from rencai.core.models import Region
from rencai.core.pii import id_number_index
from rencai.registry.choices import TalentStatus
from rencai.registry.models import Academician, Enterprise, Talent, TalentPlatform

ID_LIKE = re.compile(r"^(\d{17}[\dXx]|[A-Za-z]{1,2}\d{6,10})$")


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


def talents_for(user: User, filters: TalentFilters | None = None) -> QuerySet:
    filters = filters or TalentFilters()
    queryset = visible_to(user, Talent.objects.all())
    q = filters.q.strip()
    if q and ID_LIKE.match(q):
        queryset = queryset.filter(id_number_index=id_number_index(q.upper()))
    elif q:
        queryset = queryset.filter(name__startswith=q)  # prefix: served by the name index
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


def _region_path(code: str) -> str:
    path = Region.objects.filter(code=code).values_list("path", flat=True).first()
    return path or "-none-"


def home_summary(user: User) -> dict:
    """Counts for the home page: only of what the user may see."""
    if not may(user, Action.BROWSE_TALENTS):
        return {}
    summary = {"talents": visible_to(user, Talent.objects.filter(status=TalentStatus.ACTIVE)).count()}
    if may(user, Action.BROWSE_REGISTRY):
        summary["enterprises"] = visible_to(user, Enterprise.objects.all()).count()
        summary["platforms"] = visible_to(user, TalentPlatform.objects.all()).count()
    return summary
