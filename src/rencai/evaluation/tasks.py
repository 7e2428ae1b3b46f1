"""The evaluation's part of the daily deadline sweep (registered with `core.sweeps` in `ready()`):
objections due soon are reminded to their officer, overdue ones escalated, notices past their period
ended, and the parties of open rounds reminded of a stage deadline near with cases still waiting at it.

Idempotent: an objection is reminded once (`reminded_on`) and escalated once (`escalated_on`) by
conditional UPDATEs; a stage reminder is sent once per round, stage and recipient (the inbox is the record).
"""

import datetime as dt
import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Count

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, holders, region_ancestor_ids
from rencai.core.calendar import add_working_days_or_estimate
from rencai.core.models import Notification
from rencai.evaluation.choices import NoticeState, ObjectionState, RoundState
from rencai.evaluation.models import Case, Objection, PublicNotice, Round
from rencai.evaluation.services.cases import employer_users, officers_for, tell
from rencai.evaluation.services.rounds import STAGE_STATES

logger = logging.getLogger(__name__)

SOON_WORKING_DAYS = 2
STAGE_NAMES = {
    "employer_due": ("单位确认", Action.CONFIRM_AS_EMPLOYER),
    "first_review_due": ("初审", Action.FIRST_REVIEW),
    "panel_due": ("专家评审", Action.MANAGE_EVALUATION),
    "second_review_due": ("复审", Action.SECOND_REVIEW),
}


def deadline_sweep(today: dt.date) -> dict:
    """One day's sweep of the evaluation deadlines; what it did, by kind."""
    estimate = add_working_days_or_estimate(today, SOON_WORKING_DAYS)
    if not estimate.exact:
        logger.warning("evaluation sweep on %s: calendar lacks %s", today, estimate.assumed_years)
    with transaction.atomic():
        report = {
            "objections_reminded": _remind_objections(today, estimate.day),
            "objections_escalated": _escalate_objections(today),
            "notices_ended": PublicNotice.objects.filter(state=NoticeState.OPEN, ends_on__lt=today).update(
                state=NoticeState.ENDED
            ),
            "stage_reminders": _remind_stages(today, estimate.day),
            "calendar_missing": list(estimate.assumed_years),
        }
        audit.record(actor=None, action="evaluation.deadline_sweep", object_type="evaluation", detail=report)
    return report


def _remind_objections(today: dt.date, soon: dt.date) -> int:
    due = Objection.objects.filter(
        state=ObjectionState.OPEN, due_on__gte=today, due_on__lte=soon, reminded_on__isnull=True
    )
    # locked, so that a concurrent sweep waits and then finds them reminded (the WHERE is checked again)
    rows = list(due.select_for_update(of=("self",)).select_related("case__talent", "assigned_to"))
    Objection.objects.filter(pk__in=[o.pk for o in rows]).update(reminded_on=today)
    for objection in rows:
        users = (
            [objection.assigned_to]
            if objection.assigned_to is not None
            else officers_for(Action.ANSWER_OBJECTION, objection.case.region_id)
        )
        tell(
            users,
            subject=f"异议临近答复期限：{objection.case.talent.name}",
            body=f"关于{objection.case.talent.name}的公示异议须于 {objection.due_on:%Y年%m月%d日} 前答复。",
            link=f"/evaluation/objections/{objection.pk}/",
            kind="evaluation.objection_reminder",
        )
    return len(rows)


def _escalate_objections(today: dt.date) -> int:
    """Overdue objections go to the organization officers of the case's region and of the regions above
    (the city), besides the officer who has not answered."""
    overdue = list(
        Objection.objects.filter(state=ObjectionState.OPEN, due_on__lt=today, escalated_on__isnull=True)
        .select_for_update(of=("self",))
        .select_related("case__talent")
    )
    if not overdue:
        return 0
    Objection.objects.filter(pk__in=[o.pk for o in overdue]).update(escalated_on=today)
    for objection in overdue:
        regions = region_ancestor_ids(objection.case.region_id)
        users = User.objects.filter(holders(Action.MANAGE_EVALUATION), region_id__in=regions, is_active=True)
        tell(
            users.exclude(pk=objection.assigned_to_id or 0),
            subject=f"异议超期督办：{objection.case.talent.name}",
            body=f"关于{objection.case.talent.name}的公示异议已超过答复期限"
            f"（{objection.due_on:%Y年%m月%d日}），请督促办理。",
            link=f"/evaluation/objections/{objection.pk}/",
            kind="evaluation.objection_escalation",
        )
    return len(overdue)


def _remind_stages(today: dt.date, soon: dt.date) -> int:
    """For each open round whose stage deadline falls within the next working days, the parties who still
    hold cases at that stage; once per round, stage and recipient."""
    sent = 0
    rounds = Round.objects.exclude(state=RoundState.CLOSED)
    for column, states in STAGE_STATES.items():
        for round_ in rounds.filter(**{f"{column}__gte": today, f"{column}__lte": soon}):
            waiting = Case.objects.filter(round=round_, state__in=list(states))
            if waiting.exists():
                sent += _remind_stage(round_, column, waiting)
    return sent


def _remind_stage(round_: Round, column: str, waiting) -> int:
    label, action = STAGE_NAMES[column]
    due: dt.date = getattr(round_, column)
    link = f"/evaluation/rounds/{round_.pk}/#{column}"
    counts: dict[int, int] = defaultdict(int)
    recipients: dict[int, User] = {}
    for case in waiting.select_related("enterprise").order_by("pk"):
        if action == Action.CONFIRM_AS_EMPLOYER:
            users = employer_users(case)
        elif action == Action.FIRST_REVIEW:
            users = officers_for(action, case.region_id)
        else:
            users = officers_for(action, round_.region_id)
        for user in users:
            recipients[user.pk] = user
            counts[user.pk] += 1
    told = set(
        Notification.objects.filter(recipient__in=list(recipients), kind="evaluation.deadline", link=link)
        .values("recipient")
        .annotate(n=Count("pk"))
        .values_list("recipient", flat=True)
    )
    sent = 0
    for pk, user in recipients.items():
        if pk in told:
            continue
        sent += tell(
            [user],
            subject=f"{label}临近截止：{round_.name}",
            body=f"“{round_.name}”的{label}将于 {due:%Y年%m月%d日} 截止，尚有 {counts[pk]} 件申报待办理。",
            link=link,
            kind="evaluation.deadline",
        )
    return sent
