"""Rounds (评价批次): opened by a city or county organization department with working-day deadlines per
stage, and closed when their cases are decided."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, region_ancestor_ids, require
from rencai.core.calendar import add_working_days_or_estimate
from rencai.core.errors import DomainError, ErrorCode, ValidationFailed, problem
from rencai.core.models import Region
from rencai.evaluation.choices import CaseState, RoundState
from rencai.evaluation.models import Round, Scheme
from rencai.evaluation.statemachine import TERMINAL

logger = logging.getLogger(__name__)

# The stages of a round in order, each with its default length in working days, counted from the end of
# the stage before (the applications from the day the round opens).
STAGES: tuple[tuple[str, str, int], ...] = (
    ("applications", "applications_due", 15),
    ("employer", "employer_due", 5),
    ("first_review", "first_review_due", 10),
    ("panel", "panel_due", 10),
    ("second_review", "second_review_due", 5),
)
DEFAULT_DAYS = {stage: days for stage, _, days in STAGES}
MAX_STAGE_DAYS = 120


def _check_days(days: dict[str, int]) -> list:
    problems = []
    for stage, value in days.items():
        if stage not in DEFAULT_DAYS:
            problems.append(problem(f"days.{stage}", f"未知的阶段：{stage}", f"Unknown stage: {stage}"))
        elif not isinstance(value, int) or not 1 <= value <= MAX_STAGE_DAYS:
            problems.append(
                problem(
                    f"days.{stage}",
                    f"各阶段时限须为1至{MAX_STAGE_DAYS}个工作日",
                    f"Each stage lasts 1 to {MAX_STAGE_DAYS} working days",
                )
            )
    return problems


def _check_scheme(scheme: Scheme, region: Region, opens_on: dt.date) -> list:
    problems = []
    if not scheme.is_published:
        problems.append(problem("scheme", "评价方案尚未发布", "The scheme is not published"))
    in_force = scheme.effective_from <= opens_on and (
        scheme.effective_to is None or opens_on <= scheme.effective_to
    )
    if not in_force:
        problems.append(
            problem(
                "scheme",
                f"评价方案在 {opens_on:%Y-%m-%d} 不在有效期内",
                f"The scheme is not in force on {opens_on.isoformat()}",
            )
        )
    if scheme.region_id not in region_ancestor_ids(region.pk):
        problems.append(
            problem("scheme", "该评价方案不适用于本区划", "The scheme does not apply in this region")
        )
    return problems


def round_deadlines(
    opens_on: dt.date, days: dict[str, int] | None = None
) -> tuple[dict[str, dt.date], tuple]:
    """Each stage's due date, counted in working days from the end of the stage before, and the years the
    calendar lacks (counted Monday to Friday, to be warned about; empty when every date is exact)."""
    lengths = {**DEFAULT_DAYS, **(days or {})}
    due: dict[str, dt.date] = {}
    assumed: set[int] = set()
    start = opens_on
    for stage, column, _default in STAGES:
        estimate = add_working_days_or_estimate(start, lengths[stage])
        assumed.update(estimate.assumed_years)
        due[column] = start = estimate.day
    return due, tuple(sorted(assumed))


def round_open(
    *,
    actor: User,
    scheme: Scheme,
    name: str,
    region: Region,
    opens_on: dt.date,
    days: dict[str, int] | None = None,
) -> Round:
    """Open a round of `scheme` in `region` (a county officer its county, the city the city), taking
    applications from `opens_on`. Deadlines are counted in working days; while the calendar lacks a year
    they reach into, that year is counted Monday to Friday and the round carries `calendar_estimated` (the
    years) so that the page can warn, as the one-stop deadlines do."""
    require(actor, Action.MANAGE_EVALUATION, region)
    problems = _check_days(days or {}) + _check_scheme(scheme, region, opens_on)
    if not name.strip():
        problems.append(problem("name", "请填写批次名称", "Give the round a name"))
    if problems:
        raise ValidationFailed(problems)
    due, assumed = round_deadlines(opens_on, days)
    if assumed:
        logger.warning("round %r: calendar lacks %s, deadlines counted Monday to Friday", name, assumed)
    with transaction.atomic():
        round_ = Round.objects.create(
            scheme=scheme,
            name=name.strip(),
            region=region,
            year=opens_on.year,
            state=RoundState.OPEN,
            opens_on=opens_on,
            opened_by=actor,
            **due,
        )
        audit.record_creation(
            actor=actor,
            action="evaluation.round.open",
            obj=round_,
            detail={"days": {**DEFAULT_DAYS, **(days or {})}, "calendar_missing": list(assumed)},
        )
    round_.calendar_estimated = assumed  # type: ignore[attr-defined]
    return round_


def round_close(*, actor: User, round: Round) -> Round:
    """Close a round once every case in it has reached an end (decided, withdrawn or revoked)."""
    require(actor, Action.MANAGE_EVALUATION, round)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        if locked.state == RoundState.CLOSED:
            raise DomainError(ErrorCode.ROUND_CLOSED, "评价批次已结束", "The round is already closed")
        open_cases = locked.cases.exclude(state__in=TERMINAL).count()
        if open_cases:
            raise DomainError(
                ErrorCode.ROUND_CLOSED,
                f"尚有 {open_cases} 件申报未办结，不能结束批次",
                f"{open_cases} cases are not concluded yet; the round cannot be closed",
            )
        before = audit.snapshot(locked)
        locked.state = RoundState.CLOSED
        locked.save(update_fields=["state"])
        audit.record_change(actor=actor, action="evaluation.round.close", obj=locked, before=before)
    round.state = locked.state
    return locked


def round_advance(round: Round, to_state: str) -> None:
    """Move a round forward to `to_state` (reviewing, notice) when its cases do; never backward, never out
    of closed. A conditional UPDATE: two officers acting at once move it once."""
    order = [RoundState.OPEN, RoundState.REVIEWING, RoundState.NOTICE]
    earlier = order[: order.index(RoundState(to_state))]
    if Round.objects.filter(pk=round.pk, state__in=earlier).update(state=to_state):
        round.state = to_state


def applications_open(round: Round, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return round.state == RoundState.OPEN and round.opens_on <= today <= round.applications_due


STAGE_STATES = {
    "employer_due": (CaseState.SUBMITTED,),
    "first_review_due": (CaseState.CONFIRMED, CaseState.RETURNED),
    "panel_due": (CaseState.FIRST_PASSED, CaseState.PANEL),
    "second_review_due": (CaseState.SCORED,),
}
