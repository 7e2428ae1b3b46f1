"""Department steps of an accepted application: opening them by group, deciding them, completing."""

import datetime as dt

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.calendar import add_working_days
from rencai.core.errors import DomainError, ErrorCode, ValidationFailed, problem
from rencai.core.text import quoted
from rencai.onestop import selectors
from rencai.onestop.models import Application, ApplicationState, StepState, StepTask
from rencai.onestop.services.outcomes import issue_outcome
from rencai.onestop.services.parties import (
    _applicant_users,
    _department_users,
    _link,
    _tell,
    department_for,
)
from rencai.onestop.statemachine import DEPARTMENT, SYSTEM, transition


def _start_departments(application: Application, *, actor, today: dt.date | None = None) -> None:
    transition(application, ApplicationState.IN_PROGRESS, actor=actor, role=SYSTEM, comment="分送部门办理")
    first = application.item.steps.aggregate(first=Min("group"))["first"]
    if first is None:  # an item without department steps is approved on acceptance
        _approve_and_complete(application, actor=actor)
        return
    _open_group(application, first, today=today)


def _open_group(application: Application, group: int, *, today: dt.date | None = None) -> list[StepTask]:
    """Open every step of `group` at once (parallel), each due `sla_working_days` working days from today."""
    today = today or timezone.localdate()
    tasks = [
        StepTask(
            application=application,
            step=step,
            department=department_for(step.department_kind, application.region),
            region_id=application.region_id,
            group=group,
            opened_on=today,
            due_on=add_working_days(today, step.sla_working_days),
        )
        for step in application.item.steps.filter(group=group).order_by("department_kind")
    ]
    StepTask.objects.bulk_create(tasks)
    for task in tasks:
        _tell(
            _department_users(task.department),
            subject=f"待办：{application.item.name} · {task.step.action}",
            body=f"{application.talent.name} 的{quoted(application.item.name)}申请需贵部门办理"
            f"（{task.step.action}），请于 {task.due_on:%Y年%m月%d日} 前办结。",
            link=f"/services/steps/{task.pk}/" if task.pk else _link(application),
            kind="onestop.step",
        )
    return tasks


def decide_step(*, actor: User, task: StepTask, approve: bool, reason: str = "") -> StepTask:
    """A department approves its step, or rejects it with a reason. The application completes when every
    step is approved (later groups open when the earlier one is done); one rejection rejects it."""
    task = selectors.get_step_task(actor, task.pk)
    require(actor, Action.DECIDE_STEP, task)
    if not approve and not reason.strip():
        raise ValidationFailed([problem("reason", "不同意时须说明理由", "A rejection needs a reason")])
    with transaction.atomic():
        application = Application.objects.select_for_update().get(
            pk=task.application_id
        )  # serialise siblings
        # The row as the UPDATE finds it, locked so that the audit's "before" is exactly what it changed.
        before = audit.snapshot(StepTask.objects.select_for_update().get(pk=task.pk))
        now = timezone.now()
        updated = StepTask.objects.filter(pk=task.pk, state=StepState.PENDING).update(
            state=StepState.APPROVED if approve else StepState.REJECTED,
            decided_by=actor,
            decided_at=now,
            decided_on=timezone.localdate(now),
            reason=reason.strip(),
        )
        if not updated:
            raise DomainError(ErrorCode.STEP_DECIDED, "该环节已办理", "This step has already been decided")
        task.refresh_from_db()
        audit.record_change(
            actor=actor,
            action="onestop.step." + ("approve" if approve else "reject"),
            obj=task,
            before=before,
            detail={"application": application.pk, "step": task.step.action, "reason": reason},
        )
        if approve:
            _after_approval(application, task, actor=actor)
        else:
            _reject(application, task, actor=actor)
    return task


def _after_approval(application: Application, task: StepTask, *, actor) -> None:
    _tell(
        _applicant_users(application),
        subject=f"办理进度：{task.department.name}已同意",
        body=f"您的{quoted(application.item.name)}申请，{task.department.name}（{task.step.action}）已同意。",
        link=_link(application),
        kind="onestop.step_decided",
    )
    if application.steps.filter(state=StepState.PENDING).exists():
        return
    following = application.item.steps.filter(group__gt=task.group).aggregate(next=Min("group"))["next"]
    if following is not None:
        _open_group(application, following)
        return
    _approve_and_complete(application, actor=actor)


def _reject(application: Application, task: StepTask, *, actor) -> None:
    application.steps.filter(state=StepState.PENDING).update(state=StepState.CANCELLED)
    transition(application, ApplicationState.REJECTED, actor=actor, role=DEPARTMENT, comment=task.reason)
    _tell(
        _applicant_users(application),
        subject=f"申请未通过：{application.item.name}",
        body=f"您的{quoted(application.item.name)}申请未通过。{task.department.name}意见：{task.reason}",
        link=_link(application),
        kind="onestop.rejected",
    )


def _approve_and_complete(application: Application, *, actor, role: str = SYSTEM) -> None:
    transition(application, ApplicationState.APPROVED, actor=actor, role=role)
    outcome = issue_outcome(application)
    transition(application, ApplicationState.COMPLETED, actor=actor, role=SYSTEM, comment=outcome)
    _tell(
        _applicant_users(application),
        subject=f"已办结：{application.item.name}",
        body=f"您的{quoted(application.item.name)}申请已办结。{outcome}",
        link=_link(application),
        kind="onestop.completed",
    )
