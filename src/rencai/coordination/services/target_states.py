"""The target sheet's state machine: one table of allowed moves per party and the one function that moves a
sheet (row-locked, stamped, audited), with the refusals the services raise.

    draft ─city─► issued ─unit─► agreed ─city─► midyear ─unit─► self_assessed ─city─► scored ─city─► locked
    self_assessed ─city─► midyear      (returned for a better self-assessment)
    scored ─city─► self_assessed       (re-opened for scoring before the lock)

`city` holds Action.SET_TARGETS, `unit` Action.ASSESS_TARGETS for the sheet: the service asks `require`
first, then the table decides whether the move exists at all. A locked sheet is refused by the database too.
"""

from decimal import Decimal, InvalidOperation

from django.db.models import TextChoices
from django.utils import timezone

from rencai.accounts.models import User
from rencai.coordination.models import SheetState, TargetSheet
from rencai.core import audit
from rencai.core.errors import DomainError, ErrorCode, Problem, problem

S = SheetState


class Party(TextChoices):
    CITY = "city", "市委组织部"
    UNIT = "unit", "被考核单位"


ALLOWED: dict[tuple[str, str], Party] = {
    (S.DRAFT, S.ISSUED): Party.CITY,
    (S.ISSUED, S.AGREED): Party.UNIT,
    (S.AGREED, S.MIDYEAR): Party.CITY,
    (S.MIDYEAR, S.SELF_ASSESSED): Party.UNIT,
    (S.SELF_ASSESSED, S.MIDYEAR): Party.CITY,
    (S.SELF_ASSESSED, S.SCORED): Party.CITY,
    (S.SCORED, S.SELF_ASSESSED): Party.CITY,
    (S.SCORED, S.LOCKED): Party.CITY,
}
STATE_EN = {
    S.DRAFT: "draft",
    S.ISSUED: "issued",
    S.AGREED: "agreed",
    S.MIDYEAR: "checked at mid-year",
    S.SELF_ASSESSED: "self-assessed",
    S.SCORED: "scored",
    S.LOCKED: "locked",
}
STAMPS = {
    S.ISSUED: "issued_at",
    S.AGREED: "agreed_at",
    S.MIDYEAR: "midyear_at",
    S.SELF_ASSESSED: "self_assessed_at",
    S.SCORED: "scored_at",
    S.LOCKED: "locked_at",
}


class IllegalSheetTransition(DomainError):
    status = 409

    def __init__(self, from_state: str, to_state: str):
        super().__init__(
            ErrorCode.ILLEGAL_TRANSITION,
            f"考核表不能从“{S(from_state).label}”变为“{S(to_state).label}”",
            f"A target sheet cannot move from '{STATE_EN[S(from_state)]}' to '{STATE_EN[S(to_state)]}'",
        )


class SheetLocked(DomainError):
    status = 409

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.SHEET_LOCKED,
            "考核结果已审定锁定，不能修改",
            "The result has been approved and locked; it cannot be changed",
        )


class PointsNot100(DomainError):
    status = 422

    def __init__(self, problems: list[Problem]):
        super().__init__(
            ErrorCode.POINTS_NOT_100,
            "考核分值合计不是100",
            "The sheet's points do not total 100",
            details=problems,
        )


def allowed_moves(state: str, party: Party) -> list[str]:
    """Where `party` may move a sheet in `state` (for the buttons of a page)."""
    return [to for (start, to), who in ALLOWED.items() if start == state and who == party]


def move(
    sheet: TargetSheet, to_state: str, *, actor: User, party: Party, comment: str = "", **changes
) -> None:
    """The one function that moves a sheet: locks the row, checks the table, stamps, audits."""
    current = TargetSheet.objects.select_for_update().values_list("state", flat=True).get(pk=sheet.pk)
    if current == S.LOCKED:
        raise SheetLocked()
    if ALLOWED.get((current, to_state)) != party:
        raise IllegalSheetTransition(current, to_state)
    before = audit.snapshot(sheet)
    sheet.state = to_state
    setattr(sheet, STAMPS[S(to_state)], timezone.now())
    for name, value in changes.items():
        setattr(sheet, name, value)
    sheet.save()
    audit.record_change(
        actor=actor,
        action=f"coordination.sheet.{to_state}",
        obj=sheet,
        before=before,
        detail={"from": current, "to": to_state, "comment": comment},
    )


def refuse_if_locked(sheet: TargetSheet) -> None:
    if sheet.state == S.LOCKED:
        raise SheetLocked()


def expect_state(sheet: TargetSheet, state: str, to_state: str) -> None:
    """Refuse early, before listing problems, a move the sheet's state does not allow."""
    if sheet.state == S.LOCKED:
        raise SheetLocked()
    if sheet.state != state:
        raise IllegalSheetTransition(sheet.state, to_state)


def decimal_field(value, field: str, zh: str, en: str, problems: list[Problem], *, required: bool = True):
    if value in (None, ""):
        if required:
            problems.append(problem(field, f"请填写{zh}", f"Enter the {en}"))
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        problems.append(problem(field, f"{zh}不是有效的数字", f"The {en} is not a number"))
        return None
    if not number.is_finite():
        problems.append(problem(field, f"{zh}不是有效的数字", f"The {en} is not a number"))
        return None
    return number
