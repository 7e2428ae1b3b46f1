"""The service catalogue (服务事项): items and their department steps, maintained by organization officers."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from django.db import transaction

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, region_ancestor_ids, require, visible_to
from rencai.core.errors import NotFound, Problem, ValidationFailed, problem
from rencai.core.models import Region
from rencai.onestop.models import MaterialType, Outcome, ServiceItem
from rencai.policies.models import Policy
from rencai.registry.choices import DepartmentKind

MAX_SLA_WORKING_DAYS = 60


@dataclass(frozen=True)
class StepSpec:
    """One department's part of an item as an officer writes it."""

    department_kind: str
    group: int
    action: str
    sla_working_days: int


@dataclass(frozen=True)
class ItemSpec:
    """Everything an officer sets on a service item; `code` is fixed once the item exists."""

    code: str
    name: str
    outcome: str
    description: str = ""
    policy_id: int | None = None
    material_codes: tuple[str, ...] = ()
    steps: tuple[StepSpec, ...] = ()
    is_active: bool = True


def _item_problems(spec: ItemSpec, region: Region, item: ServiceItem | None) -> list[Problem]:
    problems = []
    if item is None:
        try:
            validate_slug(spec.code)
        except DjangoValidationError:
            problems.append(
                problem(
                    "code",
                    "事项编码只能包含字母、数字、下划线和连字符",
                    "Use letters, digits, - and _ in the code",
                )
            )
        else:
            if len(spec.code) > 60:
                problems.append(
                    problem("code", "事项编码不能超过60个字符", "The code may have at most 60 characters")
                )
            elif ServiceItem.objects.filter(region=region, code=spec.code).exists():
                problems.append(
                    problem(
                        "code",
                        f"本区划已有编码为 {spec.code} 的事项",
                        f"{region.name} already has an item {spec.code}",
                    )
                )
    elif spec.code != item.code:
        problems.append(problem("code", "事项编码创建后不能修改", "An item's code cannot change"))
    if not spec.name.strip():
        problems.append(problem("name", "请填写事项名称", "Give the item a name"))
    elif len(spec.name) > 200:
        problems.append(
            problem("name", "事项名称不能超过200个字符", "The name may have at most 200 characters")
        )
    if spec.outcome not in Outcome.values:
        problems.append(problem("outcome", "请选择办结产出", "Choose what completing the item produces"))
    if (
        spec.policy_id is not None
        and not Policy.objects.filter(
            pk=spec.policy_id, region_id__in=region_ancestor_ids(region.pk)
        ).exists()
    ):
        problems.append(
            problem(
                "policy",
                "只能选择本区划或上级区划发布的政策",
                "Choose a policy issued for this region or above it",
            )
        )
    known = set(MaterialType.objects.filter(code__in=spec.material_codes).values_list("code", flat=True))
    for code in spec.material_codes:
        if code not in known:
            problems.append(problem("materials", f"未知的材料类型：{code}", f"Unknown material type: {code}"))
    problems.extend(step_problems(spec.steps))
    return problems


def step_problems(steps: tuple[StepSpec, ...], kinds: list[str] = DepartmentKind.values) -> list[Problem]:
    """What is wrong with a table of steps (empty when nothing is): each problem names its row."""
    if not steps:
        return [problem("steps", "至少需要一个办理环节", "An item needs at least one department step")]
    problems = []
    seen = set()
    for number, step in enumerate(steps, start=1):
        field = f"steps.{number}"
        if step.department_kind not in kinds:
            problems.append(
                problem(field, f"第{number}个环节：请选择办理部门", f"Step {number}: choose a department")
            )
        if not step.action.strip():
            problems.append(
                problem(
                    field, f"第{number}个环节：请填写办理内容", f"Step {number}: say what the department does"
                )
            )
        elif len(step.action) > 100:
            problems.append(
                problem(
                    field,
                    f"第{number}个环节：办理内容不能超过100个字符",
                    f"Step {number}: at most 100 characters",
                )
            )
        if not 1 <= step.sla_working_days <= MAX_SLA_WORKING_DAYS:
            problems.append(
                problem(
                    field,
                    f"第{number}个环节：承诺时限应为1至{MAX_SLA_WORKING_DAYS}个工作日",
                    f"Step {number}: the time limit must be 1 to {MAX_SLA_WORKING_DAYS} working days",
                )
            )
        if step.group < 1:
            problems.append(
                problem(field, f"第{number}个环节：办理顺序从1开始", f"Step {number}: order starts at 1")
            )
        if (step.group, step.department_kind) in seen:
            problems.append(
                problem(
                    field,
                    f"第{number}个环节：同一部门在同一顺序中只能出现一次",
                    f"Step {number}: a department appears once per order number",
                )
            )
        seen.add((step.group, step.department_kind))
    groups = sorted({step.group for step in steps if step.group >= 1})
    if groups and groups != list(range(1, len(groups) + 1)):
        problems.append(
            problem(
                "steps",
                "办理顺序应从1开始连续编号（同号并联，小号先办）",
                "Order numbers must run 1, 2, 3 … without gaps (same number: in parallel)",
            )
        )
    return problems  # fmt: skip


def _apply_steps(item: ServiceItem, steps: tuple[StepSpec, ...]) -> None:
    """Steps are keyed by (order, department): kept ones are updated, new ones added, dropped ones deleted,
    except a step that applications already went through (their history points at it)."""
    existing = {(step.group, step.department_kind): step for step in item.steps.all()}
    wanted = {(spec.group, spec.department_kind): spec for spec in steps}
    dropped = [step for key, step in existing.items() if key not in wanted]
    used = {step.pk for step in dropped if step.tasks.exists()}
    if used:
        names = "、".join(
            f"{step.get_department_kind_display()}（{step.action}）" for step in dropped if step.pk in used
        )
        raise ValidationFailed(
            [
                problem(
                    "steps",
                    f"已有办件经过以下环节，不能删除：{names}。可停用本事项后新建事项。",
                    "Applications went through a removed step; deactivate the item and define a new one",
                )
            ]
        )
    for unused in dropped:
        unused.delete()
    for key, spec in wanted.items():
        step = existing.get(key)
        if step is None:
            item.steps.create(
                department_kind=spec.department_kind,
                group=spec.group,
                action=spec.action.strip(),
                sla_working_days=spec.sla_working_days,
            )
        elif (step.action, step.sla_working_days) != (spec.action.strip(), spec.sla_working_days):
            step.action = spec.action.strip()
            step.sla_working_days = spec.sla_working_days
            step.save(update_fields=["action", "sla_working_days"])


@transaction.atomic
def save_service_item(
    *, actor: User, region: Region, spec: ItemSpec, item: ServiceItem | None = None
) -> ServiceItem:
    """Create an item of `region` or change `item`; all of it is stored or none. Changed steps apply to
    department steps opened from now on (new applications, and later groups of running ones); steps
    already open keep their promised deadlines."""
    if item is not None:
        if not visible_to(actor, ServiceItem.objects.filter(pk=item.pk)).exists():
            raise NotFound()
        region = item.region
    # Organization officers maintain the items of their own region (the city's officers: the city's and
    # every county's); a county sees the city's items but changes them only by defining its own.
    require(actor, Action.MAINTAIN_CATALOGUE, region)
    problems = _item_problems(spec, region, item)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(item) if item is not None else {}
    created = item is None
    if item is None:
        item = ServiceItem(region=region, code=spec.code)
    item.name = spec.name.strip()
    item.description = spec.description.strip()
    item.outcome = spec.outcome
    item.policy_id = spec.policy_id
    item.is_active = spec.is_active
    item.save()
    item.materials.set(MaterialType.objects.filter(code__in=spec.material_codes))
    _apply_steps(item, spec.steps)
    # Materials and steps live in other tables, outside the item's snapshot: the entry names them too.
    detail = {
        "code": item.code,
        "materials": sorted(spec.material_codes),
        "steps": [[s.group, s.department_kind, s.sla_working_days] for s in spec.steps],
        "active": spec.is_active,
    }
    if created:
        audit.record_creation(actor=actor, action="onestop.item.create", obj=item, detail=detail)
    else:
        audit.record_change(actor=actor, action="onestop.item.update", obj=item, before=before, detail=detail)
    return item
