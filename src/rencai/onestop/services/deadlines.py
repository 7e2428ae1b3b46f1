"""The daily deadline sweep: reminders of steps turning yellow, escalation of overdue (red) ones."""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from rencai.core import audit
from rencai.core.calendar import add_working_days_or_estimate
from rencai.onestop.models import DepartmentHead, StepState, StepTask
from rencai.onestop.services.parties import _department_users, _tell
from rencai.registry.models import Department

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    reminded: int = 0
    escalated: int = 0
    notifications: int = 0
    # Years the calendar lacks: "due within one working day" was counted Monday to Friday there
    calendar_missing: list[int] = field(default_factory=list)


def sweep_step_deadlines(*, today: dt.date | None = None) -> SweepReport:
    """Remind departments of steps due within one working day (yellow) and escalate overdue ones (red)
    to the department head. Set-based (one grouped count and one UPDATE per colour) and idempotent: a step
    is reminded once and escalated once.

    While the calendar lacks the next working day's year (31 December before next year's holidays are
    entered) the sweep still runs, counting that year Monday to Friday: a holiday can then only move a
    reminder to the next day's sweep, never lose it. The gap is logged and recorded in the audit entry."""
    today = today or timezone.localdate()
    estimate = add_working_days_or_estimate(today, 1)
    soon = estimate.day
    report = SweepReport(calendar_missing=list(estimate.assumed_years))
    if not estimate.exact:
        logger.warning(
            "reminder sweep on %s: calendar lacks %s, counted Monday to Friday",
            today,
            report.calendar_missing,
        )
    with transaction.atomic():
        pending = StepTask.objects.filter(state=StepState.PENDING)
        yellow = pending.filter(due_on__gte=today, due_on__lte=soon, reminded_at__isnull=True)
        red = pending.filter(due_on__lt=today, escalated_at__isnull=True)
        yellow_counts = _count_by_department(yellow)
        red_counts = _count_by_department(red)
        now = timezone.now()
        report.reminded = yellow.update(reminded_at=now)
        report.escalated = red.update(escalated_at=now)
        departments = Department.objects.in_bulk(set(yellow_counts) | set(red_counts))
        heads = {h.department_id: h.user for h in DepartmentHead.objects.filter(department_id__in=red_counts)}
        for department_id, count in yellow_counts.items():
            users = _department_users(departments[department_id])
            _tell(
                users,
                subject=f"临近时限：{count} 件办理事项",
                body=f"{departments[department_id].name}有 {count} 件办理事项将在一个工作日内到期，"
                "请及时办结。",
                link="/services/steps/",
                kind="onestop.reminder",
            )
            report.notifications += len(users)
        for department_id, count in red_counts.items():
            head = heads.get(department_id)
            users = [head] if head is not None else _department_users(departments[department_id])
            _tell(
                users,
                subject=f"超期督办：{count} 件办理事项",
                body=f"{departments[department_id].name}有 {count} 件办理事项已超过承诺时限，请督促办理。",
                link="/services/steps/",
                kind="onestop.escalation",
            )
            report.notifications += len(users)
        audit.record(
            actor=None,
            action="onestop.reminder_sweep",
            object_type="onestop",
            detail={
                "today": today,
                "reminded": report.reminded,
                "escalated": report.escalated,
                "calendar_missing": report.calendar_missing,
            },
        )
    return report


def _count_by_department(queryset) -> dict[int, int]:
    return dict(
        queryset.order_by().values("department_id").annotate(n=Count("id")).values_list("department_id", "n")
    )
