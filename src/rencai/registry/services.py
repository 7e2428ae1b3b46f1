"""Every write to the registries: validated, in one transaction, with an audit entry."""

import datetime as dt
from dataclasses import dataclass, field, fields

from django.db import transaction
from django.urls import reverse

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, holders, may, require, visible_to
from rencai.core.errors import NotFound, Problem, ValidationFailed, problem
from rencai.core.models import Region
from rencai.core.notifications import notify
from rencai.core.pii import id_number_index, seal_id_number, seal_phone
from rencai.core.validators import (
    InvalidValue,
    parse_id_number,
    validate_credit_code,
    validate_passport,
    validate_phone,
)
from rencai.registry import choices as c
from rencai.registry.models import Enterprise, Talent


@dataclass
class TalentInput:
    """What a form, the API or an import row gives to register or update a talent."""

    name: str
    id_number: str
    region_code: str
    team: str
    arrival_date: dt.date | None  # None when an import row leaves it blank: clean_talent refuses it
    id_kind: str = c.IdKind.RESIDENT_ID
    phone: str = ""
    nationality: str = "CN"
    tier: str = ""
    title_level: str = ""
    skill_level: int = 0
    highest_degree: str = c.Degree.NONE
    employer_credit_code: str = ""
    employment_type: str = ""
    is_researcher_venture: bool = False
    birth_date: dt.date | None = None  # needed only for passports
    gender: str = ""  # needed only for passports
    extra: dict = field(default_factory=dict)


@dataclass
class CleanTalent:
    values: dict
    id_index: str


TALENT_NAME_MAX = Talent._meta.get_field("name").max_length or 100
ENTERPRISE_NAME_MAX = Enterprise._meta.get_field("name").max_length or 200
# The one answer to an ID number that is already registered, on every path (form, API, import) and
# wherever the record is: a different word for "registered in another county" would tell a county about
# records it may not see. The legitimate case, a talent moving between counties, goes through the city
# (`transfer_talent`).
ID_NUMBER_TAKEN = (
    "该证件号码无法在此登记；如属跨县（市、区）流动，请联系市委组织部办理转入",
    "This ID number cannot be registered here; if the talent is moving from another county, "
    "ask the city organization department to transfer the record",
)


def _nul_problems(data: "TalentInput | EnterpriseInput") -> list[Problem]:
    """A problem for every text field holding a NUL character, which no database column can store."""
    return [
        problem(item.name, "含有不可见的空字符（NUL），请删除", "Contains a NUL character; remove it")
        for item in fields(data)
        if isinstance(getattr(data, item.name), str) and "\x00" in getattr(data, item.name)
    ]


def clean_talent(
    data: TalentInput, *, regions: dict[str, Region], enterprises: dict[str, int]
) -> CleanTalent:
    """Validate one talent's input; raise ValidationFailed listing every problem at once."""
    problems: list[Problem] = _nul_problems(data)
    name = (data.name or "").strip()
    if not name:
        problems.append(problem("name", "姓名不能为空", "Name is required"))
    elif len(name) > TALENT_NAME_MAX:
        problems.append(
            problem(
                "name",
                f"姓名过长（最多{TALENT_NAME_MAX}个字符）",
                f"Name is too long (at most {TALENT_NAME_MAX} characters)",
            )
        )
    id_number, birth_date, gender = "", data.birth_date, data.gender
    try:
        if data.id_kind == c.IdKind.RESIDENT_ID:
            facts = parse_id_number(data.id_number)
            id_number, birth_date, gender = data.id_number.strip().upper(), facts.birth_date, facts.gender
        elif data.id_kind == c.IdKind.PASSPORT:
            id_number = validate_passport(data.id_number)
            if birth_date is None or gender not in c.Gender.values:
                problems.append(
                    problem(
                        "birth_date",
                        "护照持有人须填写出生日期和性别",
                        "Passport holders need a birth date and gender",
                    )
                )
        else:
            problems.append(problem("id_kind", "证件类型无效", "Unknown ID kind"))
    except InvalidValue as exc:
        problems.append(problem("id_number", exc.zh, exc.en))
    phone = ""
    if data.phone:
        try:
            phone = validate_phone(data.phone)
        except InvalidValue as exc:
            problems.append(problem("phone", exc.zh, exc.en))
    region = regions.get((data.region_code or "").strip())
    if region is None:
        problems.append(
            problem(
                "region",
                f"区划代码 {data.region_code} 不在本系统或不在您的权限范围内",
                f"Region {data.region_code} is unknown or outside your scope",
            )
        )
    checks = [
        ("team", data.team, c.Team.values, "人才队伍无效", "Unknown team"),
        ("tier", data.tier, ["", *c.Tier.values], "人才类别须为A至E", "Tier must be A to E"),
        ("title_level", data.title_level, c.TitleLevel.values, "职称等级无效", "Unknown title level"),
        ("highest_degree", data.highest_degree, c.Degree.values, "学历无效", "Unknown degree"),
        (
            "employment_type",
            data.employment_type,
            ["", *c.EmploymentType.values],
            "引才方式无效",
            "Unknown employment type",
        ),
    ]
    for field_name, value, allowed, zh, en in checks:
        if value not in allowed:
            problems.append(problem(field_name, f"{zh}：{value}", f"{en}: {value}"))
    if data.skill_level not in c.SkillLevel.values:
        problems.append(problem("skill_level", "职业技能等级须为0至5", "Skill level must be 0 to 5"))
    employer_id = None
    if data.employer_credit_code:
        employer_id = enterprises.get(data.employer_credit_code.strip().upper())
        if employer_id is None:
            problems.append(
                problem(
                    "employer_credit_code",
                    f"工作单位 {data.employer_credit_code} 未登记",
                    f"Employer {data.employer_credit_code} is not registered",
                )
            )
    if not isinstance(data.arrival_date, dt.date):
        problems.append(problem("arrival_date", "来衢日期无效", "Arrival date is invalid"))
    elif birth_date and data.arrival_date < birth_date:
        problems.append(problem("arrival_date", "来衢日期早于出生日期", "Arrival date is before birth"))
    elif data.arrival_date > dt.date.today():
        problems.append(
            problem("arrival_date", "来衢日期不能晚于今天", "Arrival date cannot be in the future")
        )
    if problems:
        raise ValidationFailed(problems)
    assert region is not None  # an unknown region is one of the problems raised above
    sealed_id = seal_id_number(id_number)
    values = {
        "name": name,
        "id_kind": data.id_kind,
        "id_number_ciphertext": sealed_id.ciphertext,
        "id_number_index": sealed_id.index,
        "id_number_tail_index": sealed_id.tail_index,
        "id_number_masked": sealed_id.masked,
        "birth_date": birth_date,
        "gender": gender,
        "nationality": (data.nationality or "CN").upper()[:2],
        "region_id": region.pk,
        "team": data.team,
        "tier": data.tier,
        "title_level": data.title_level,
        "skill_level": data.skill_level,
        "highest_degree": data.highest_degree,
        "current_employer_id": employer_id,
        "employment_type": data.employment_type,
        "arrival_date": data.arrival_date,
        "is_researcher_venture": data.is_researcher_venture,
    }
    if phone:
        sealed_phone = seal_phone(phone)
        values.update(phone_ciphertext=sealed_phone.ciphertext, phone_masked=sealed_phone.masked)
    return CleanTalent(values=values, id_index=sealed_id.index)


def writable_regions(actor: User) -> dict[str, Region]:
    """Regions the actor may register records in, by code."""
    if not may(actor, Action.EDIT_REGISTRY):
        return {}
    return {r.code: r for r in visible_to(actor, Region.objects.all())}


def _enterprise_ids() -> dict[str, int]:
    return dict(Enterprise.objects.values_list("credit_code", "pk"))


@transaction.atomic
def register_talent(*, actor: User, data: TalentInput) -> Talent:
    require(actor, Action.EDIT_REGISTRY)
    clean = clean_talent(data, regions=writable_regions(actor), enterprises=_enterprise_ids())
    if Talent.objects.filter(id_number_index=clean.id_index).exists():
        raise ValidationFailed([problem("id_number", *ID_NUMBER_TAKEN)])
    talent = Talent.objects.create(**clean.values)
    audit.record(actor=actor, action="talent.register", obj=talent, detail={"name": talent.name})
    return talent


@transaction.atomic
def update_talent(*, actor: User, talent_id: int, data: TalentInput) -> Talent:
    require(actor, Action.EDIT_REGISTRY)
    talent = visible_to(actor, Talent.objects.select_for_update()).filter(pk=talent_id).first()
    if talent is None:
        raise NotFound()
    clean = clean_talent(data, regions=writable_regions(actor), enterprises=_enterprise_ids())
    if Talent.objects.filter(id_number_index=clean.id_index).exclude(pk=talent.pk).exists():
        raise ValidationFailed([problem("id_number", *ID_NUMBER_TAKEN)])
    before = audit.snapshot(talent)
    for key, value in clean.values.items():
        setattr(talent, key, value)
    talent.save()
    audit.record_change(actor=actor, action="talent.update", obj=talent, before=before)
    return talent


@transaction.atomic
def record_departure(*, actor: User, talent_id: int, departed_on: dt.date) -> Talent:
    require(actor, Action.EDIT_REGISTRY)
    talent = visible_to(actor, Talent.objects.select_for_update()).filter(pk=talent_id).first()
    if talent is None:
        raise NotFound()
    if departed_on < talent.arrival_date:
        raise ValidationFailed(
            [problem("departed_on", "离开日期早于来衢日期", "Departure is before arrival")]
        )
    before = audit.snapshot(talent)
    talent.status, talent.departed_on = c.TalentStatus.DEPARTED, departed_on
    talent.save(update_fields=["status", "departed_on", "updated_at"])
    audit.record_change(
        actor=actor, action="talent.depart", obj=talent, before=before, detail={"departed_on": departed_on}
    )
    return talent


@transaction.atomic
def transfer_talent(*, actor: User, talent_id: int, region_code: str, reason: str) -> Talent:
    """Move a talent's record to another county (the city's route for a talent who moves), audited, and
    tell the registry officers of both counties."""
    require(actor, Action.TRANSFER_TALENT)
    talent = (
        visible_to(actor, Talent.objects.select_for_update().select_related("region"))
        .filter(pk=talent_id)
        .first()
    )
    if talent is None:
        raise NotFound()
    source = talent.region
    target = writable_regions(actor).get((region_code or "").strip())
    problems: list[Problem] = []
    if target is None:
        problems.append(
            problem(
                "region",
                f"区划代码 {region_code} 不在本系统或不在您的权限范围内",
                f"Region {region_code} is unknown or outside your scope",
            )
        )
    elif target.pk == source.pk:
        problems.append(problem("region", "人才已登记在该区划", "The talent is already registered there"))
    if not (reason or "").strip():
        problems.append(problem("reason", "请填写转移原因", "Give the reason for the move"))
    if problems:
        raise ValidationFailed(problems)
    assert target is not None  # an unknown region is one of the problems raised above
    before = audit.snapshot(talent)
    talent.region = target
    talent.save(update_fields=["region", "updated_at"])
    audit.record_change(
        actor=actor,
        action="talent.transfer",
        obj=talent,
        before=before,
        detail={"from_region": source.code, "to_region": target.code, "reason": reason.strip()},
    )
    _tell_transfer(talent, source=source, target=target)
    return talent


def _tell_transfer(talent: Talent, *, source: Region, target: Region) -> None:
    """The registry officers of the county the talent leaves and of the one they join."""
    officers = User.objects.filter(
        holders(Action.EDIT_REGISTRY), region__in=[source, target], is_active=True
    ).select_related("region")
    for officer in officers:
        joins = officer.region_id == target.pk
        notify(
            recipient=officer,
            subject=f"人才{'转入' if joins else '转出'}：{talent.name}",
            body=f"市委组织部已将人才{talent.name}的登记从{source.name}转至{target.name}。",
            link=reverse("registry:talent_detail", args=[talent.pk]) if joins else "",
            kind="registry.transfer",
        )


@dataclass
class EnterpriseInput:
    credit_code: str
    name: str
    region_code: str
    industry: str
    size: str
    is_high_tech: bool = False
    is_platform_enterprise: bool = False


def clean_enterprise(data: EnterpriseInput, *, regions: dict[str, Region]) -> dict:
    problems: list[Problem] = _nul_problems(data)
    code = ""
    try:
        code = validate_credit_code(data.credit_code)
    except InvalidValue as exc:
        problems.append(problem("credit_code", exc.zh, exc.en))
    if not (data.name or "").strip():
        problems.append(problem("name", "企业名称不能为空", "Enterprise name is required"))
    elif len(data.name.strip()) > ENTERPRISE_NAME_MAX:
        problems.append(
            problem(
                "name",
                f"企业名称过长（最多{ENTERPRISE_NAME_MAX}个字符）",
                f"Enterprise name is too long (at most {ENTERPRISE_NAME_MAX} characters)",
            )
        )
    region = regions.get((data.region_code or "").strip())
    if region is None:
        problems.append(
            problem(
                "region",
                f"区划代码 {data.region_code} 不在本系统或不在您的权限范围内",
                f"Region {data.region_code} is unknown or outside your scope",
            )
        )
    if data.industry not in c.Industry.values:
        problems.append(
            problem("industry", f"行业无效：{data.industry}", f"Unknown industry: {data.industry}")
        )
    if data.size not in c.EnterpriseSize.values:
        problems.append(problem("size", f"企业规模无效：{data.size}", f"Unknown size: {data.size}"))
    if problems:
        raise ValidationFailed(problems)
    assert region is not None  # an unknown region is one of the problems raised above
    return {
        "credit_code": code,
        "name": data.name.strip(),
        "region_id": region.pk,
        "industry": data.industry,
        "size": data.size,
        "is_high_tech": data.is_high_tech,
        "is_platform_enterprise": data.is_platform_enterprise,
    }


@transaction.atomic
def register_enterprise(*, actor: User, data: EnterpriseInput) -> Enterprise:
    require(actor, Action.EDIT_REGISTRY)
    values = clean_enterprise(data, regions=writable_regions(actor))
    if Enterprise.objects.filter(credit_code=values["credit_code"]).exists():
        raise ValidationFailed(
            [problem("credit_code", "该统一社会信用代码已登记", "This credit code is already registered")]
        )
    enterprise = Enterprise.objects.create(**values)
    audit.record(actor=actor, action="enterprise.register", obj=enterprise, detail={"name": enterprise.name})
    return enterprise


def find_talent_by_id_number(number: str) -> Talent | None:
    """Exact lookup through the blind index (unscoped: callers scope the result)."""
    return Talent.objects.filter(id_number_index=id_number_index(number.strip().upper())).first()
