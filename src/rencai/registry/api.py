"""Registry API (/api/registry/): talents, enterprises, platforms, academicians and achievements.

Thin: reads go through `selectors` (scoped to the caller), writes through `services`, personal data only
through `pii.reveal`. Lists use `core.pagination.cursor_page` (ordered by -id, opaque cursor).
"""

import dataclasses

from django.db import transaction
from ninja import Router, Status

from rencai.core import idempotency, pii
from rencai.core.errors import NotFound
from rencai.core.pagination import DEFAULT_LIMIT, cursor_page
from rencai.core.schemas import NOT_FOUND, Cursor, Id, Limit, errors
from rencai.registry import achievements, schemas, selectors, services
from rencai.registry.models import Achievement, Enterprise, Talent
from rencai.registry.selectors import ID_LIKE, AchievementFilters, TalentFilters

router = Router(tags=["registry"])

ERRORS = errors(NOT_FOUND)


# Talents ---------------------------------------------------------------------------------------


def _talent_detail(talent) -> dict:
    related = selectors.talent_details(talent)
    return {
        **{field.attname: getattr(talent, field.attname) for field in talent._meta.concrete_fields},
        "region": talent.region,
        "current_employer": talent.current_employer,
        "educations": related["educations"],
        "honours": related["honours"],
        "employments": related["employments"],
        "platforms": related["platforms"],
    }


@router.get("/talents/", response={200: schemas.TalentPage, **ERRORS}, summary="人才列表 / Talents")
def list_talents(
    request,
    q: str = "",
    region: str = "",
    team: str = "",
    tier: str = "",
    enterprise: Id | None = None,
    status: str = "",
    cursor: Cursor = "",
    limit: Limit = DEFAULT_LIMIT,
):
    """Talents in the caller's scope. `q` is any part of a name, a whole ID number, or (for roles that may
    reveal ID numbers; audited) its last 4 to 17 characters; `limit` ≤ 200."""
    filters = TalentFilters(q=q, region=region, team=team, tier=tier, enterprise=enterprise, status=status)
    return cursor_page(selectors.talents_for(request.auth, filters), cursor=cursor, limit=limit)


@router.get("/talents/{talent_id}", response={200: schemas.TalentDetailOut, **ERRORS}, summary="人才详情")
def talent_detail(request, talent_id: Id):
    return _talent_detail(selectors.get_talent(request.auth, talent_id))


@router.post(
    "/talents/{talent_id}/reveal/{field}",
    response={200: schemas.RevealedOut, **ERRORS},
    summary="查看完整个人信息（留痕） / Reveal personal data (audited)",
)
def reveal_talent_field(request, talent_id: Id, field: str):
    """The full `id_number`, `phone` or `birth_date`. Written to the audit log; 403 without the right, 404
    out of scope or for any other field."""
    talent = selectors.get_talent(request.auth, talent_id)
    if field not in pii.REVEALABLE:
        raise NotFound()
    value = pii.reveal(actor=request.auth, obj=talent, field=field, ip=request.META.get("REMOTE_ADDR", ""))
    return {"field": field, "value": value}


def _talent_input(payload: schemas.TalentIn) -> services.TalentInput:
    values = payload.dict()
    values["region_code"] = values.pop("region")
    return services.TalentInput(**values)


def _registered_in_scope(user, id_number: str):
    """The talent with this ID number if the caller can see it (exact blind-index lookup)."""
    number = (id_number or "").strip().upper()
    if not ID_LIKE.match(number):
        return None
    return selectors.talents_for(user, TalentFilters(q=number)).first()


@router.post(
    "/talents/",
    response={200: schemas.TalentDetailOut, 201: schemas.TalentDetailOut, **ERRORS},
    summary="登记人才（按证件号幂等） / Register a talent (idempotent by ID number)",
)
def register_talent(request, payload: schemas.TalentIn):
    """Registers a talent, or updates the one already registered in scope with this ID number (200).

    With an `Idempotency-Key` header a retry returns the first result instead of writing again.
    """
    user = request.auth
    data = _talent_input(payload)

    def write() -> tuple[Talent, int]:
        existing = _registered_in_scope(user, payload.id_number)
        if existing is None:
            return services.register_talent(actor=user, data=data), 201
        return services.update_talent(actor=user, talent_id=existing.pk, data=data), 200

    outcome = idempotency.write_once(
        actor=user,
        scope="registry.talents.create",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    return Status(outcome.status, _talent_detail(selectors.get_talent(user, outcome.object_id)))


def _current_input(request, talent, *, id_number: str | None) -> services.TalentInput:
    """The talent as it stands, as service input. Unless a new ID number is given, the stored one is read
    through the audited reveal (every role that may edit the registry may also reveal)."""
    if not id_number:
        id_number = pii.reveal(
            actor=request.auth, obj=talent, field="id_number", ip=request.META.get("REMOTE_ADDR", "")
        )
    return services.TalentInput(
        name=talent.name,
        id_number=id_number,
        id_kind=talent.id_kind,
        region_code=talent.region.code,
        team=talent.team,
        arrival_date=talent.arrival_date,
        nationality=talent.nationality,
        tier=talent.tier,
        title_level=talent.title_level,
        skill_level=talent.skill_level,
        highest_degree=talent.highest_degree,
        employer_credit_code=talent.current_employer.credit_code if talent.current_employer else "",
        employment_type=talent.employment_type,
        is_researcher_venture=talent.is_researcher_venture,
        birth_date=talent.birth_date,
        gender=talent.gender,
    )


@router.patch(
    "/talents/{talent_id}",
    response={200: schemas.TalentDetailOut, **ERRORS},
    summary="修改人才 / Update a talent",
)
def update_talent(request, talent_id: Id, payload: schemas.TalentPatch):
    """Changes the given fields only. 404 out of scope, 403 without the right to edit the registry."""
    user = request.auth
    talent = selectors.get_talent(user, talent_id)
    changes = {key: value for key, value in payload.dict(exclude_unset=True).items() if value is not None}
    if "region" in changes:
        changes["region_code"] = changes.pop("region")
    with transaction.atomic():
        current = _current_input(request, talent, id_number=changes.get("id_number"))
        talent = services.update_talent(
            actor=user, talent_id=talent.pk, data=dataclasses.replace(current, **changes)
        )
    return _talent_detail(selectors.get_talent(user, talent.pk))


@router.post(
    "/talents/{talent_id}/transfer",
    response={200: schemas.TalentDetailOut, **ERRORS},
    summary="人才跨县转移（市委组织部） / Move a talent to another county (city)",
)
def transfer_talent(request, talent_id: Id, payload: schemas.TalentTransferIn):
    """Moves the talent's record to the county `region`, audited; both counties' officers are told.
    404 out of scope, 403 for anyone but the city organization department. With an `Idempotency-Key`
    header a retry returns the first result instead of moving again."""
    user = request.auth
    talent = selectors.get_talent(user, talent_id)

    def write() -> tuple[Talent, int]:
        moved = services.transfer_talent(
            actor=user, talent_id=talent.pk, region_code=payload.region, reason=payload.reason
        )
        return moved, 200

    outcome = idempotency.write_once(
        actor=user,
        scope=f"registry.talents.{talent.pk}.transfer",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    return _talent_detail(selectors.get_talent(user, outcome.object_id))


# Enterprises -----------------------------------------------------------------------------------


def _enterprise_detail(user, enterprise) -> dict:
    return {
        **{field.attname: getattr(enterprise, field.attname) for field in enterprise._meta.concrete_fields},
        "region": enterprise.region,
        "talent_count": selectors.talents_for(user, TalentFilters(enterprise=enterprise.pk)).count(),
        "platforms": list(selectors.platforms_for(user).filter(host_enterprise=enterprise)),
    }


@router.get("/enterprises/", response={200: schemas.EnterprisePage, **ERRORS}, summary="企业列表")
def list_enterprises(
    request,
    q: str = "",
    region: str = "",
    platform_only: bool = False,
    cursor: Cursor = "",
    limit: Limit = DEFAULT_LIMIT,
):
    """Enterprises in scope; `q` is part of the name or an exact credit code."""
    queryset = selectors.enterprises_for(request.auth, q=q, region=region, platform_only=platform_only)
    return cursor_page(queryset, cursor=cursor, limit=limit)


@router.get(
    "/enterprises/{enterprise_id}", response={200: schemas.EnterpriseDetailOut, **ERRORS}, summary="企业详情"
)
def enterprise_detail(request, enterprise_id: Id):
    return _enterprise_detail(request.auth, selectors.get_enterprise(request.auth, enterprise_id))


@router.post(
    "/enterprises/",
    response={200: schemas.EnterpriseDetailOut, 201: schemas.EnterpriseDetailOut, **ERRORS},
    summary="登记企业 / Register an enterprise",
)
def register_enterprise(request, payload: schemas.EnterpriseIn):
    """Registers an enterprise; a retry with the same `Idempotency-Key` returns the first result."""
    user = request.auth
    values = payload.dict()
    values["region_code"] = values.pop("region")

    def write() -> tuple[Enterprise, int]:
        return services.register_enterprise(actor=user, data=services.EnterpriseInput(**values)), 201

    outcome = idempotency.write_once(
        actor=user,
        scope="registry.enterprises.create",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    enterprise = selectors.get_enterprise(user, outcome.object_id)
    return Status(outcome.status, _enterprise_detail(user, enterprise))


# Platforms and academicians ----------------------------------------------------------------------


@router.get("/platforms/", response={200: schemas.PlatformPage, **ERRORS}, summary="人才平台列表")
def list_platforms(
    request, q: str = "", kind: str = "", region: str = "", cursor: Cursor = "", limit: Limit = DEFAULT_LIMIT
):
    queryset = selectors.platforms_for(request.auth, q=q, kind=kind, region=region)
    return cursor_page(queryset, cursor=cursor, limit=limit)


def _cooperations(user, queryset) -> list:
    """Cooperations whose station the caller can see."""
    visible_stations = selectors.platforms_for(user).values("pk")
    return list(
        queryset.filter(station__in=visible_stations)
        .select_related("academician", "station")
        .order_by("-started_on")
    )


@router.get(
    "/platforms/{platform_id}", response={200: schemas.PlatformDetailOut, **ERRORS}, summary="人才平台详情"
)
def platform_detail(request, platform_id: Id):
    platform = selectors.get_platform(request.auth, platform_id)
    return {
        **{field.attname: getattr(platform, field.attname) for field in platform._meta.concrete_fields},
        "region": platform.region,
        "host_enterprise": platform.host_enterprise,
        "member_count": platform.memberships.count(),
        "cooperations": _cooperations(request.auth, platform.cooperations.all()),
    }


@router.get("/academicians/", response={200: schemas.AcademicianPage, **ERRORS}, summary="院士列表")
def list_academicians(request, q: str = "", cursor: Cursor = "", limit: Limit = DEFAULT_LIMIT):
    return cursor_page(selectors.academicians_for(request.auth, q=q), cursor=cursor, limit=limit)


@router.get(
    "/academicians/{academician_id}",
    response={200: schemas.AcademicianDetailOut, **ERRORS},
    summary="院士详情",
)
def academician_detail(request, academician_id: Id):
    academician = selectors.get_academician(request.auth, academician_id)
    return {
        **{field.attname: getattr(academician, field.attname) for field in academician._meta.concrete_fields},
        "region": academician.region,
        "cooperations": _cooperations(request.auth, academician.cooperations.all()),
    }


# Achievements ----------------------------------------------------------------------------------


def _with_named_employers(user, items: list[Achievement]) -> list[Achievement]:
    """Mark which achievements' employers the caller may see: only those are named."""
    named = selectors.visible_enterprise_ids(user, {a.enterprise_id for a in items if a.enterprise_id})
    for achievement in items:
        achievement.enterprise_shown = achievement.enterprise_id in named  # type: ignore[attr-defined]
    return items


@router.get(
    "/achievements/", response={200: schemas.AchievementPage, **ERRORS}, summary="成果列表 / Achievements"
)
def list_achievements(
    request,
    q: str = "",
    kind: str = "",
    region: str = "",
    enterprise: Id | None = None,
    talent: Id | None = None,
    cursor: Cursor = "",
    limit: Limit = DEFAULT_LIMIT,
):
    """Achievements in the caller's scope (a county's, an enterprise's own); `q` is part of the title or
    the exact number, `talent` a talent's id."""
    filters = AchievementFilters(q=q, kind=kind, region=region, enterprise=enterprise, talent=talent)
    page = cursor_page(selectors.achievements_for(request.auth, filters), cursor=cursor, limit=limit)
    page["items"] = _with_named_employers(request.auth, page["items"])
    return page


@router.get(
    "/achievements/{achievement_id}", response={200: schemas.AchievementOut, **ERRORS}, summary="成果详情"
)
def achievement_detail(request, achievement_id: Id):
    achievement = selectors.get_achievement(request.auth, achievement_id)
    return _with_named_employers(request.auth, [achievement])[0]


@router.post(
    "/achievements/",
    response={201: schemas.AchievementOut, **ERRORS},
    summary="登记成果 / Record an achievement",
)
def create_achievement(request, payload: schemas.AchievementIn):
    """Records an achievement; 422 lists every problem in Chinese and English (an unknown or out-of-scope
    holder, a number already registered for the kind …). With an `Idempotency-Key` header a retry returns
    the first result instead of writing again."""
    user = request.auth
    values = payload.dict()
    data = achievements.AchievementInput(
        kind=values["kind"],
        title=values["title"],
        achieved_on=values["achieved_on"],
        holders=[str(holder).strip() for holder in values["holders"]],
        reference=values["reference"],
        amount=values["amount"],
        level=values["level"],
        enterprise_credit_code=values["enterprise_credit_code"],
        region_code=values["region"],
    )

    def write() -> tuple[Achievement, int]:
        return achievements.achievement_create(actor=user, data=data), 201

    outcome = idempotency.write_once(
        actor=user,
        scope="registry.achievements.create",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    achievement = selectors.get_achievement(user, outcome.object_id)
    return Status(outcome.status, _with_named_employers(user, [achievement])[0])
