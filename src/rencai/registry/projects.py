"""Every write to the projects registry (带着项目入驻, 项目人才合引): a project with its lead talent, its
team, its investment and the company registered for it, audited. "Arrived with a project" is then a registry
fact: the policy feature `talent.arrived_with_project` reads the project members (and leads) of projects
landed on or before the evaluation date.

Talents are named by talent number (人才编号) or ID number (through the blind index), each one the actor
must be able to see; the region is one the actor may write in.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require, visible_to
from rencai.core.errors import Problem, ValidationFailed, problem
from rencai.core.masking import mask_id_number
from rencai.core.pii import id_number_index
from rencai.registry import choices as c
from rencai.registry.models import Enterprise, Project, ProjectMember, Talent
from rencai.registry.services import writable_regions

TALENT_NUMBER = re.compile(r"^#?\d{1,12}$")
SEPARATORS = re.compile(r"[、;；,，\s]+")
INVESTMENT_LIMIT = Decimal("1000000000000")  # the column's 14 digits, 2 after the point
NAME_MAX = 200
MAX_MEMBERS = 200


def split_talents(text: str) -> list[str]:
    """The talent tokens of a field (talent numbers or ID numbers), in order."""
    return [token for token in SEPARATORS.split(text or "") if token]


@dataclass
class ProjectInput:
    """What a form or the API gives to register or change a project."""

    name: str
    region_code: str
    lead: str  # a talent number or an ID number
    industry: str
    landed_on: dt.date | None
    members: list[str] = field(default_factory=list)  # the team besides the lead
    investment: Decimal | str | None = None
    company_credit_code: str = ""


def projects_for(user) -> QuerySet[Project]:
    """The projects the user sees (officers their region's, an enterprise its own company's)."""
    return visible_to(user, Project.objects.select_related("region", "lead", "company")).order_by(
        "-landed_on", "-pk"
    )


def _shown(token: str) -> str:
    return token if TALENT_NUMBER.match(token) else mask_id_number(token.upper())


def _talent(actor: User, token: str) -> Talent | None:
    talents = visible_to(actor, Talent.objects.all())
    if TALENT_NUMBER.match(token):
        return talents.filter(pk=int(token.lstrip("#"))).first()
    return talents.filter(id_number_index=id_number_index(token.upper())).first()


def _investment(value: Decimal | str | None, problems: list[Problem]) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0 or amount >= INVESTMENT_LIMIT:
        problems.append(
            problem(
                "investment",
                "投资额须为不小于0且小于一万亿的数（元）",
                "The investment must be 0 or more yuan, below 10^12",
            )
        )
        return Decimal(0)
    return amount.quantize(Decimal("0.01"))


def _team(actor: User, data: ProjectInput, problems: list[Problem]) -> tuple[Talent | None, list[Talent]]:
    lead = _talent(actor, data.lead.strip()) if data.lead.strip() else None
    if lead is None:
        problems.append(
            problem(
                "lead",
                "项目带头人未登记或不在您的权限范围内",
                "The project lead is not registered or is outside your scope",
            )
        )
    if len(data.members) > MAX_MEMBERS:
        problems.append(
            problem("members", f"团队成员最多{MAX_MEMBERS}人", f"At most {MAX_MEMBERS} team members")
        )
        return lead, []
    team: list[Talent] = []
    for rank, token in enumerate(data.members, start=1):
        talent = _talent(actor, token)
        if talent is None:
            problems.append(
                problem(
                    "members",
                    f"第{rank}位成员（{_shown(token)}）未登记或不在您的权限范围内",
                    f"Member {rank} ({_shown(token)}) is not registered or is outside your scope",
                )
            )
        elif talent not in team and talent != lead:
            team.append(talent)
    return lead, team


def clean_project(actor: User, data: ProjectInput) -> tuple[dict, list[Talent]]:
    """The project's column values and its whole team (the lead first), or every problem at once."""
    problems: list[Problem] = []
    name = (data.name or "").strip()
    if not name or len(name) > NAME_MAX:
        problems.append(
            problem(
                "name", f"请填写项目名称（{NAME_MAX}字以内）", f"Give the project's name (up to {NAME_MAX})"
            )
        )
    region = writable_regions(actor).get(data.region_code)
    if region is None:
        problems.append(
            problem("region_code", "请选择您有权登记的落地区划", "Choose a region you may register in")
        )
    if data.industry not in c.Industry.values:
        problems.append(problem("industry", "请选择行业", "Choose an industry"))
    if not isinstance(data.landed_on, dt.date):
        problems.append(
            problem("landed_on", "落地日期无效或未填写", "The landing date is missing or invalid")
        )
    elif data.landed_on > timezone.localdate():
        problems.append(
            problem("landed_on", "落地日期不能晚于今天", "The landing date cannot be in the future")
        )
    investment = _investment(data.investment, problems)
    company = None
    if data.company_credit_code.strip():
        company = visible_to(
            actor, Enterprise.objects.filter(credit_code=data.company_credit_code.strip().upper())
        ).first()
        if company is None:
            problems.append(
                problem(
                    "company_credit_code",
                    "注册企业未登记或不在您的权限范围内",
                    "The company is not registered or is outside your scope",
                )
            )
    lead, team = _team(actor, data, problems)
    if problems:
        raise ValidationFailed(problems)
    values = {
        "name": name,
        "region": region,
        "lead": lead,
        "company": company,
        "investment": investment,
        "industry": data.industry,
        "landed_on": data.landed_on,
    }
    return values, [lead, *team] if lead is not None else team


def _touch(talent_ids: set[int]) -> None:
    """A talent joining or leaving a project changes their features: the feature cache finds changes by the
    talent's `updated_at` (a project's own change is found through the project's)."""
    if talent_ids:
        Talent.objects.filter(pk__in=talent_ids).update(updated_at=timezone.now())


def _set_team(project: Project, team: list[Talent]) -> set[int]:
    """Make the project's members exactly `team` (the lead among them); returns the talents that changed."""
    wanted = {talent.pk for talent in team}
    present = set(project.members.values_list("talent_id", flat=True))
    project.members.exclude(talent_id__in=wanted).delete()
    for talent in team:
        if talent.pk not in present:
            role = "lead" if talent.pk == project.lead_id else ""
            ProjectMember.objects.create(
                project=project, talent=talent, role=role, joined_on=project.landed_on
            )
    project.members.filter(talent_id=project.lead_id).update(role="lead")
    project.members.exclude(talent_id=project.lead_id).filter(role="lead").update(role="")
    return wanted ^ present


def project_create(*, actor: User, data: ProjectInput) -> Project:
    require(actor, Action.EDIT_REGISTRY)
    values, team = clean_project(actor, data)
    with transaction.atomic():
        project = Project.objects.create(**values)
        changed = _set_team(project, team)
        _touch(changed)
        audit.record_creation(
            actor=actor, action="registry.project.create", obj=project, detail={"members": sorted(changed)}
        )
    return project


def project_update(*, actor: User, project: Project, data: ProjectInput) -> Project:
    require(actor, Action.EDIT_REGISTRY)
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        require(actor, Action.EDIT_REGISTRY, project)
        if project.region.code not in writable_regions(actor):
            raise ValidationFailed(
                [problem("region_code", "无权修改该项目", "You may not change this project")]
            )
        values, team = clean_project(actor, data)
        before = audit.snapshot(project)
        old_lead = project.lead_id
        for name, value in values.items():
            setattr(project, name, value)
        project.save()
        changed = _set_team(project, team) | {old_lead, project.lead_id}
        _touch(changed)
        audit.record_change(
            actor=actor,
            action="registry.project.update",
            obj=project,
            before=before,
            detail={"members": sorted(t.pk for t in team), "changed_members": sorted(changed)},
        )
    return project


def member_tokens(project: Project) -> str:
    """The team besides the lead as talent numbers, for the form."""
    ids = (
        project.members.exclude(talent_id=project.lead_id).order_by("pk").values_list("talent_id", flat=True)
    )
    return "、".join(str(pk) for pk in ids)
