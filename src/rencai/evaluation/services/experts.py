"""The expert pool (专家库): adding, changing and retiring experts, and their reviewer logins.

An expert's fields decide which panels they can be drawn for; their employments, platforms and declared
relations feed the computed conflicts of interest (`evaluation.conflicts`). Officers of the expert's
region manage them (Action.MANAGE_EVALUATION on the region).
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q, QuerySet

from rencai.accounts.models import Role, User
from rencai.core import audit
from rencai.core.access import Action, require, restrict
from rencai.core.errors import DomainError, ErrorCode, NotFound, Problem, ValidationFailed, problem
from rencai.core.models import Region
from rencai.core.pii import seal_phone
from rencai.core.validators import InvalidValue, validate_phone
from rencai.evaluation.choices import EvaluatorKind
from rencai.evaluation.models import DeclaredRelation, Expert, ExpertEmployment, ExpertField, ExpertPlatform
from rencai.registry.choices import Industry
from rencai.registry.models import Enterprise, Talent, TalentPlatform


@dataclass(frozen=True)
class EmploymentInput:
    """A past (or current) employer of the expert; `enterprise_id` when it is in the registry."""

    employer_name: str
    enterprise_id: int | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None


@dataclass(frozen=True)
class RelationInput:
    """A relation the expert declares with a talent (kin, teacher, business partner)."""

    talent_id: int
    relation: str


@dataclass(frozen=True)
class ExpertInput:
    """An expert as the form, the API and the demo give it; `phone` in clear (sealed on save; blank keeps
    the stored one on update)."""

    name: str
    region_id: int
    evaluator_kind: str
    employer_name: str
    title: str = ""
    employer_id: int | None = None
    talent_id: int | None = None
    phone: str = ""
    fields: tuple[str, ...] = ()
    employments: tuple[EmploymentInput, ...] = ()
    platform_ids: tuple[int, ...] = ()
    relations: tuple[RelationInput, ...] = ()


# The employer judges as 用人单位 through its own scores at confirmation (Case.employer_scores), never
# through a seat on the panel
EXPERT_KINDS = [k for k in EvaluatorKind.values if k != EvaluatorKind.EMPLOYER]


def expert_create(*, actor: User, data: ExpertInput) -> Expert:
    region = _region(data.region_id)
    require(actor, Action.MANAGE_EVALUATION, region)
    values = _clean(data, expert=None)
    with transaction.atomic():
        expert = Expert.objects.create(**values)
        _replace_links(expert, data)
        audit.record_creation(
            actor=actor, action="evaluation.expert.create", obj=expert, detail=_links(expert)
        )
    return expert


def expert_update(*, actor: User, expert: Expert, data: ExpertInput) -> Expert:
    require(actor, Action.MANAGE_EVALUATION, expert)
    if data.region_id != expert.region_id:
        require(actor, Action.MANAGE_EVALUATION, _region(data.region_id))
    values = _clean(data, expert=expert)
    with transaction.atomic():
        expert = Expert.objects.select_for_update().get(pk=expert.pk)
        before, links_before = audit.snapshot(expert), _links(expert)
        for name, value in values.items():
            setattr(expert, name, value)
        expert.save()
        _replace_links(expert, data)
        audit.record_change(
            actor=actor,
            action="evaluation.expert.update",
            obj=expert,
            before=before,
            detail={"links_before": links_before, "links_after": _links(expert)},
        )
    return expert


def expert_deactivate(*, actor: User, expert: Expert, reason: str = "") -> Expert:
    """Take an expert out of the pool: never drawn again; seats already held stay as they are."""
    require(actor, Action.MANAGE_EVALUATION, expert)
    with transaction.atomic():
        expert = Expert.objects.select_for_update().get(pk=expert.pk)
        before = audit.snapshot(expert)
        expert.active = False
        expert.save(update_fields=["active"])
        audit.record_change(
            actor=actor,
            action="evaluation.expert.deactivate",
            obj=expert,
            before=before,
            detail={"reason": reason},
        )
    return expert


def expert_link_account(*, actor: User, expert: Expert, username: str) -> User:
    """Give the expert their reviewer login: an existing reviewer account of that name not yet linked to
    another expert, or a new one without a usable password (the expert signs in through the province's
    single sign-on, or an administrator sets the first password)."""
    require(actor, Action.MANAGE_EVALUATION, expert)
    username = username.strip()
    if not username:
        raise ValidationFailed([problem("username", "请填写登录名", "Give the login name")])
    with transaction.atomic():
        expert = Expert.objects.select_for_update().get(pk=expert.pk)
        account = User.objects.select_for_update().filter(username=username).first()
        if account is None:
            account = User.objects.create(
                username=username,
                role=Role.REVIEWER,
                display_name=expert.name,
                password=make_password(None),
            )
            audit.record_creation(actor=actor, action="accounts.user.create", obj=account)
        elif (
            account.role != Role.REVIEWER
            or Expert.objects.filter(account=account).exclude(pk=expert.pk).exists()
        ):
            raise DomainError(
                ErrorCode.VALIDATION_FAILED,
                f"登录名“{username}”已被其他用户或专家使用",
                f"The login name '{username}' belongs to another user or expert",
                details=[problem("username", "登录名已被使用", "This login name is taken")],
            )
        before = audit.snapshot(expert)
        expert.account = account
        expert.save(update_fields=["account"])
        audit.record_change(actor=actor, action="evaluation.expert.link_account", obj=expert, before=before)
    return account


# -- input ---------------------------------------------------------------------------------------------------


def _region(region_id: int) -> Region:
    region = Region.objects.filter(pk=region_id).first()
    if region is None:
        raise ValidationFailed([problem("region", "请选择所属区划", "Choose the region")])
    return region


def _clean(data: ExpertInput, *, expert: Expert | None) -> dict:
    """The expert's columns from `data`, or every problem at once."""
    problems: list[Problem] = []
    if not data.name.strip():
        problems.append(problem("name", "请填写专家姓名", "Give the expert's name"))
    if not data.employer_name.strip() and data.employer_id is None:
        problems.append(problem("employer_name", "请填写工作单位", "Give the employer"))
    if data.evaluator_kind not in EXPERT_KINDS:
        problems.append(
            problem(
                "evaluator_kind",
                "评价主体类别应为政府、市场或专业组织（用人单位通过单位评分参与评价）",
                "The evaluator kind is government, market or professional body (the employer takes part "
                "through its own scores)",
            )
        )
    problems += _field_problems(data)
    problems += _reference_problems(data, expert)
    phone = ""
    if data.phone.strip():
        try:
            phone = validate_phone(data.phone)
        except InvalidValue as error:
            problems.append(problem("phone", error.zh, error.en))
    if problems:
        raise ValidationFailed(problems)
    employer = Enterprise.objects.filter(pk=data.employer_id).first() if data.employer_id else None
    values: dict = {
        "name": data.name.strip(),
        "region_id": data.region_id,
        "evaluator_kind": data.evaluator_kind,
        "title": data.title.strip(),
        "employer": employer,
        "employer_name": data.employer_name.strip() or (employer.name if employer else ""),
        "talent_id": data.talent_id,
    }
    if phone:
        sealed = seal_phone(phone)
        values.update(phone_ciphertext=sealed.ciphertext, phone_masked=sealed.masked)
    return values


def _field_problems(data: ExpertInput) -> list[Problem]:
    problems = []
    if not data.fields:
        problems.append(problem("fields", "请至少选择一个评审领域", "Choose at least one review field"))
    for value in data.fields:
        if value not in Industry.values:
            problems.append(problem("fields", f"未知的评审领域：{value}", f"Unknown review field: {value}"))
    for n, job in enumerate(data.employments, start=1):
        if not job.employer_name.strip() and job.enterprise_id is None:
            problems.append(
                problem(f"employments.{n}", f"第{n}段工作经历缺少单位名称", f"Employment {n} has no employer")
            )
        if job.started_on and job.ended_on and job.ended_on < job.started_on:
            problems.append(
                problem(
                    f"employments.{n}",
                    f"第{n}段工作经历的结束日期早于开始日期",
                    f"Employment {n} ends before it starts",
                )
            )
    for n, relation in enumerate(data.relations, start=1):
        if not relation.relation.strip():
            problems.append(
                problem(
                    f"relations.{n}", f"第{n}项申报关系未说明关系", f"Relation {n} does not say what it is"
                )
            )
    return problems


def _reference_problems(data: ExpertInput, expert: Expert | None) -> list[Problem]:
    """Every id the input names must exist (one query per kind of reference)."""
    problems = []
    enterprises = {pk for pk in (data.employer_id, *(j.enterprise_id for j in data.employments)) if pk}
    if Enterprise.objects.filter(pk__in=enterprises).count() != len(enterprises):
        problems.append(problem("employer", "工作单位不在企业名录中", "An employer is not in the registry"))
    talents = {r.talent_id for r in data.relations} | ({data.talent_id} if data.talent_id else set())
    if Talent.objects.filter(pk__in=talents).count() != len(talents):
        problems.append(
            problem("talent", "关联的人才不在人才名录中", "A linked talent is not in the registry")
        )
    if data.talent_id:
        taken = Expert.objects.filter(talent_id=data.talent_id)
        if expert is not None:
            taken = taken.exclude(pk=expert.pk)
        if taken.exists():
            problems.append(
                problem("talent", "该人才已登记为另一位专家", "This talent is already another expert")
            )
    platforms = set(data.platform_ids)
    if TalentPlatform.objects.filter(pk__in=platforms).count() != len(platforms):
        problems.append(problem("platforms", "平台不在平台名录中", "A platform is not in the registry"))
    return problems


def _replace_links(expert: Expert, data: ExpertInput) -> None:
    """Fields, employments, platforms and relations become exactly those given. Relations kept keep their
    declaration time: a relation declared after a draw is what makes a later score a conflict."""
    ExpertField.objects.filter(expert=expert).exclude(field__in=data.fields).delete()
    have = set(ExpertField.objects.filter(expert=expert).values_list("field", flat=True))
    ExpertField.objects.bulk_create(
        [ExpertField(expert=expert, field=f) for f in dict.fromkeys(data.fields) if f not in have]
    )
    ExpertEmployment.objects.filter(expert=expert).delete()
    ExpertEmployment.objects.bulk_create(
        [
            ExpertEmployment(
                expert=expert,
                enterprise_id=job.enterprise_id,
                employer_name=job.employer_name.strip(),
                started_on=job.started_on,
                ended_on=job.ended_on,
            )
            for job in data.employments
        ]
    )
    ExpertPlatform.objects.filter(expert=expert).exclude(platform_id__in=data.platform_ids).delete()
    have_platforms: set[int] = set(
        ExpertPlatform.objects.filter(expert=expert).values_list("platform_id", flat=True)
    )
    ExpertPlatform.objects.bulk_create(
        [
            ExpertPlatform(expert=expert, platform_id=p)
            for p in dict.fromkeys(data.platform_ids)
            if p not in have_platforms
        ]
    )
    given = {r.talent_id: r.relation.strip() for r in data.relations}
    DeclaredRelation.objects.filter(expert=expert).exclude(talent_id__in=given).delete()
    for relation in DeclaredRelation.objects.filter(expert=expert):
        if relation.relation != given[relation.talent_id]:
            relation.relation = given[relation.talent_id]
            relation.save(update_fields=["relation"])
        given.pop(relation.talent_id)
    DeclaredRelation.objects.bulk_create(
        [DeclaredRelation(expert=expert, talent_id=t, relation=text) for t, text in given.items()]
    )


def _links(expert: Expert) -> dict:
    """The expert's related rows as the audit log keeps them."""
    return {
        "fields": sorted(expert.fields.values_list("field", flat=True)),
        "employments": [
            {
                "enterprise_id": job.enterprise_id,
                "employer_name": job.employer_name,
                "started_on": job.started_on,
                "ended_on": job.ended_on,
            }
            for job in expert.employments.order_by("pk")
        ],
        "platforms": sorted(expert.platforms.values_list("platform_id", flat=True)),
        "relations": sorted(expert.relations.values_list("talent_id", "relation")),
    }


# -- reads (scoped to the acting user) ----------------------------------------------------------------------


def experts_for(
    user: User, *, field: str = "", kind: str = "", active: bool | None = None, q: str = ""
) -> QuerySet[Expert]:
    """The experts the user manages (their region and below), filtered."""
    experts = restrict(user, Expert.objects.all(), Action.MANAGE_EVALUATION).select_related("region")
    if field:
        experts = experts.filter(pk__in=ExpertField.objects.filter(field=field).values("expert_id"))
    if kind:
        experts = experts.filter(evaluator_kind=kind)
    if active is not None:
        experts = experts.filter(active=active)
    if q.strip():
        experts = experts.filter(Q(name__icontains=q.strip()) | Q(employer_name__icontains=q.strip()))
    return experts.order_by("region__path", "name", "pk")


def get_expert(user: User, expert_id: int) -> Expert:
    expert = experts_for(user).filter(pk=expert_id).select_related("account", "employer", "talent").first()
    if expert is None:
        raise NotFound()
    return expert


def manageable_regions(user: User) -> QuerySet[Region]:
    """The regions the user may add experts in."""
    return restrict(user, Region.objects.all(), Action.MANAGE_EVALUATION).order_by("path")
