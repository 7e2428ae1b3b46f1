"""Talent demands (人才需求): an enterprise posts and submits, its county reviews (published or returned),
the enterprise or the county closes; a daily sweep expires them, and placements count them filled.

Rules are checked for the message (every problem at once, in both languages); the database's CHECKs
(salary ordered, headcount at least one, filled within headcount) are the backstop. Filling is one
conditional UPDATE, so two placements confirmed together never count past the headcount.
"""

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, may, require
from rencai.core.errors import DomainError, ErrorCode, Problem, ValidationFailed, problem
from rencai.recruitment.choices import DemandState, Place, WorkMode
from rencai.recruitment.models import Demand
from rencai.registry.choices import Degree, Industry, Team, Tier
from rencai.registry.models import Enterprise

S = DemandState
EDITABLE_STATES = frozenset({S.DRAFT, S.RETURNED})
# States a demand can still be expired or closed from (filled, expired and closed are final)
OPEN_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED, S.PUBLISHED})
MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_HEADCOUNT = 1000
MAX_SALARY = 100_000_000  # yuan a year: a typo guard well above any real offer
MAX_VALIDITY_DAYS = 366
FIELDS = (
    "title",
    "team",
    "tier_sought",
    "degree",
    "field",
    "headcount",
    "salary_min",
    "salary_max",
    "place",
    "work_mode",
    "description",
    "expires_on",
)


def _choice_problem(name: str, value: Any, choices: Any, zh: str, en: str, *, blank: bool = False) -> list:
    if (blank and value in ("", None)) or value in choices.values:
        return []
    return [problem(name, f"请选择{zh}", f"Choose the {en}")]


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _date_or_none(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def clean_demand(data: Mapping[str, Any], *, today: dt.date) -> tuple[dict, list[Problem]]:
    """The demand's fields from `data` (a form's or the API's), and every problem with them."""
    problems: list[Problem] = []
    title = str(data.get("title") or "").strip()
    if not title:
        problems.append(problem("title", "请填写岗位名称", "Give the position's title"))
    elif len(title) > MAX_TITLE:
        problems.append(
            problem("title", f"岗位名称最多{MAX_TITLE}字", f"The title has at most {MAX_TITLE} characters")
        )
    description = str(data.get("description") or "").strip()
    if len(description) > MAX_DESCRIPTION:
        problems.append(
            problem(
                "description",
                f"岗位说明最多{MAX_DESCRIPTION}字",
                f"The description has at most {MAX_DESCRIPTION} characters",
            )
        )
    problems += _choice_problem("team", data.get("team"), Team, "人才队伍", "talent team")
    problems += _choice_problem("tier_sought", data.get("tier_sought"), Tier, "人才层次", "tier", blank=True)
    problems += _choice_problem("degree", data.get("degree"), Degree, "学历要求", "degree")
    problems += _choice_problem("field", data.get("field"), Industry, "专业领域", "field")
    problems += _choice_problem("place", data.get("place") or Place.LOCAL, Place, "工作地点", "place")
    problems += _choice_problem(
        "work_mode", data.get("work_mode") or WorkMode.FULL_TIME, WorkMode, "引才方式", "work mode"
    )
    headcount = _int_or_none(data.get("headcount"))
    if headcount is None or not 1 <= headcount <= MAX_HEADCOUNT:
        problems.append(
            problem(
                "headcount",
                f"需求人数须为1至{MAX_HEADCOUNT}之间的整数",
                f"The number of positions must be a whole number from 1 to {MAX_HEADCOUNT}",
            )
        )
    salary_min, salary_max = _int_or_none(data.get("salary_min")), _int_or_none(data.get("salary_max"))
    for name, value, zh, en in (
        ("salary_min", salary_min, "年薪下限", "lowest yearly salary"),
        ("salary_max", salary_max, "年薪上限", "highest yearly salary"),
    ):
        if value is None or not 0 <= value <= MAX_SALARY:
            problems.append(
                problem(
                    name, f"{zh}须为0至{MAX_SALARY}元之间的整数", f"The {en} must be 0 to {MAX_SALARY} yuan"
                )
            )
    if salary_min is not None and salary_max is not None and salary_min > salary_max:
        problems.append(
            problem(
                "salary_max",
                f"年薪上限（{salary_max}元）不能低于年薪下限（{salary_min}元）",
                f"The highest salary ({salary_max} yuan) is below the lowest ({salary_min} yuan)",
            )
        )
    expires_on = _date_or_none(data.get("expires_on"))
    if expires_on is None:
        problems.append(problem("expires_on", "请填写有效期", "Give the date the demand runs until"))
    elif expires_on <= today:
        problems.append(
            problem("expires_on", "有效期须晚于今天", "The demand must run until a date after today")
        )
    elif expires_on > today + dt.timedelta(days=MAX_VALIDITY_DAYS):
        problems.append(
            problem("expires_on", "有效期最长一年", "A demand runs for at most a year; post it again after")
        )
    values = {
        "title": title,
        "team": data.get("team"),
        "tier_sought": data.get("tier_sought") or "",
        "degree": data.get("degree"),
        "field": data.get("field"),
        "headcount": headcount,
        "salary_min": salary_min,
        "salary_max": salary_max,
        "place": data.get("place") or Place.LOCAL,
        "work_mode": data.get("work_mode") or WorkMode.FULL_TIME,
        "description": description,
        "expires_on": expires_on,
    }
    return values, problems


def _illegal(demand: Demand, zh_action: str, en_action: str) -> DomainError:
    return DomainError(
        ErrorCode.ILLEGAL_TRANSITION,
        f"需求已是“{demand.get_state_display()}”状态，不能{zh_action}",
        f"The demand is {demand.state}: it cannot be {en_action}",
    )


@transaction.atomic
def demand_create(*, actor: User, enterprise: Enterprise, data: Mapping[str, Any]) -> Demand:
    """A draft demand of `enterprise` (the user's own), every problem of `data` listed at once."""
    require(actor, Action.POST_DEMAND, Demand(enterprise=enterprise, region_id=enterprise.region_id))
    values, problems = clean_demand(data, today=timezone.localdate())
    if problems:
        raise ValidationFailed(problems)
    demand = Demand.objects.create(
        enterprise=enterprise, region_id=enterprise.region_id, created_by=actor, **values
    )
    audit.record_creation(actor=actor, action="recruitment.demand.create", obj=demand)
    return demand


@transaction.atomic
def demand_update(*, actor: User, demand: Demand, data: Mapping[str, Any]) -> Demand:
    """Change a draft or returned demand (a submitted or published one is fixed until closed)."""
    require(actor, Action.POST_DEMAND, demand)
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    if demand.state not in EDITABLE_STATES:
        raise _illegal(demand, "修改", "changed")
    values, problems = clean_demand(data, today=timezone.localdate())
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(demand)
    for name, value in values.items():
        setattr(demand, name, value)
    demand.save()
    audit.record_change(actor=actor, action="recruitment.demand.update", obj=demand, before=before)
    return demand


@transaction.atomic
def demand_submit(*, actor: User, demand: Demand) -> Demand:
    """Send a draft or returned demand to the county for review."""
    require(actor, Action.POST_DEMAND, demand)
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    if demand.state not in EDITABLE_STATES:
        raise _illegal(demand, "提交审核", "submitted")
    if demand.expires_on <= timezone.localdate():
        raise ValidationFailed(
            [
                problem(
                    "expires_on",
                    "有效期已过，请先修改有效期",
                    "The demand has run out: change its date first",
                )
            ]
        )
    before = audit.snapshot(demand)
    demand.state = S.SUBMITTED
    demand.save(update_fields=["state", "updated_at"])
    audit.record_change(actor=actor, action="recruitment.demand.submit", obj=demand, before=before)
    return demand


@transaction.atomic
def demand_review(*, actor: User, demand: Demand, approve: bool, comment: str = "") -> Demand:
    """The county of the enterprise publishes the demand, or returns it with the reason."""
    require(actor, Action.REVIEW_DEMAND, demand)
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    if demand.state != S.SUBMITTED:
        raise _illegal(demand, "审核", "reviewed")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationFailed([problem("comment", "退回时请填写退回原因", "Say why the demand is returned")])
    if approve and demand.expires_on <= timezone.localdate():
        raise ValidationFailed(
            [
                problem(
                    "expires_on", "需求有效期已过，不能发布", "The demand has run out and cannot be published"
                )
            ]
        )
    before = audit.snapshot(demand)
    demand.state = S.PUBLISHED if approve else S.RETURNED
    demand.review_comment = comment
    demand.reviewed_by = actor
    if approve:
        demand.published_at = timezone.now()
    demand.save()
    audit.record_change(
        actor=actor,
        action="recruitment.demand.publish" if approve else "recruitment.demand.return",
        obj=demand,
        before=before,
    )
    return demand


@transaction.atomic
def demand_close(*, actor: User, demand: Demand, reason: str) -> Demand:
    """The enterprise withdraws its demand, or the county takes a published one down, with the reason."""
    if not may(actor, Action.POST_DEMAND, demand):
        require(actor, Action.REVIEW_DEMAND, demand)
    demand = Demand.objects.select_for_update().get(pk=demand.pk)
    if demand.state not in OPEN_STATES:
        raise _illegal(demand, "关闭", "closed")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([problem("reason", "请填写关闭原因", "Give the reason for closing")])
    before = audit.snapshot(demand)
    demand.state = S.CLOSED
    demand.save(update_fields=["state", "updated_at"])
    audit.record_change(
        actor=actor, action="recruitment.demand.close", obj=demand, before=before, detail={"reason": reason}
    )
    return demand


def demands_expire(today: dt.date) -> int:
    """Expire the open demands whose date has passed (the daily sweep; a rerun finds none). One UPDATE,
    one audit entry listing them."""
    with transaction.atomic():
        due = Demand.objects.filter(state__in=OPEN_STATES, expires_on__lt=today)
        ids = list(due.select_for_update().values_list("pk", flat=True))
        if not ids:
            return 0
        count = Demand.objects.filter(pk__in=ids, state__in=OPEN_STATES).update(
            state=S.EXPIRED, updated_at=timezone.now()
        )
        audit.record(
            actor=None,
            action="recruitment.demand.expire",
            object_type="recruitment.demand",
            detail={"today": today.isoformat(), "ids": ids[:1000], "count": count},
        )
    return count


def expiry_sweep(today: dt.date) -> dict:
    """The daily sweep's entry (core.sweeps): what it did."""
    return {"expired": demands_expire(today)}


def demand_filled(demand_id: int) -> bool:
    """Count one arrival against a published demand: `filled` + 1 by a conditional UPDATE (never past the
    headcount, whoever confirms at the same time), FILLED when it reaches the headcount. False when the
    demand is not published or already full (the placement stands; the demand just is not counted)."""
    with transaction.atomic():
        counted = Demand.objects.filter(pk=demand_id, state=S.PUBLISHED, filled__lt=F("headcount")).update(
            filled=F("filled") + 1,
            state=Case(When(headcount__lte=F("filled") + 1, then=Value(S.FILLED)), default=F("state")),
            updated_at=timezone.now(),
        )
        if counted:
            audit.record(
                actor=None,
                action="recruitment.demand.filled",
                object_type="recruitment.demand",
                object_id=str(demand_id),
                region_code=Demand.objects.filter(pk=demand_id).values_list("region__code", flat=True)[0],
            )
    return bool(counted)
