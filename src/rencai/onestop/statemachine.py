"""The application lifecycle: one table of allowed transitions per role, and the only function that moves it.

States (see `ApplicationState`)::

    (new) ─applicant─► draft ─applicant─► submitted ─window─► accepted ─system─► in_progress
    (new) ─applicant─► submitted           │  ▲                              │
                                           │  └──────── resubmitted ◄─applicant── returned
                                           └─window─► returned (once: one correction notice)
    in_progress ─department─► approved ─system─► completed
    in_progress ─department─► rejected
    (new) ─system─► offered ─applicant─► accepted        (免申即享 offer confirmed with one click)
    (new) ─system─► approved                              (免申即享 granted by the matching run)
    draft / offered / submitted / returned / resubmitted ─applicant─► withdrawn

Roles: `applicant` (the talent, or the enterprise that applied on the talent's behalf), `window` (an
organization-department officer of the application's region: the one-stop window), `department` (the
officers of a department with a step), `system` (no actor: fan-out, completion, the matching run).
There is deliberately no `resubmitted → returned`: everything missing is listed in the one notice, and a
resubmitted application goes back to the officer who returned it.
"""

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, may
from rencai.core.errors import DomainError, ErrorCode, PermissionDenied
from rencai.onestop.models import Application, ApplicationState, Transition

S = ApplicationState
NEW = ""  # the "from" state of an application being created


class Party(TextChoices):
    """The part an actor plays for one application (not the account's role)."""

    APPLICANT = "applicant", "申请人"
    WINDOW = "window", "窗口受理人员"
    DEPARTMENT = "department", "职能部门"
    SYSTEM = "system", "系统"


APPLICANT, WINDOW, DEPARTMENT, SYSTEM = Party.APPLICANT, Party.WINDOW, Party.DEPARTMENT, Party.SYSTEM
ROLES = tuple(Party)

# (from, to) -> the roles that may make it
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    (NEW, S.DRAFT): frozenset({APPLICANT}),
    (NEW, S.SUBMITTED): frozenset({APPLICANT}),
    (NEW, S.OFFERED): frozenset({SYSTEM}),
    (NEW, S.APPROVED): frozenset({SYSTEM}),
    (S.DRAFT, S.SUBMITTED): frozenset({APPLICANT}),
    (S.DRAFT, S.WITHDRAWN): frozenset({APPLICANT}),
    (S.OFFERED, S.ACCEPTED): frozenset({APPLICANT}),
    (S.OFFERED, S.WITHDRAWN): frozenset({APPLICANT}),
    (S.SUBMITTED, S.ACCEPTED): frozenset({WINDOW}),
    (S.SUBMITTED, S.RETURNED): frozenset({WINDOW}),
    (S.SUBMITTED, S.WITHDRAWN): frozenset({APPLICANT}),
    (S.RETURNED, S.RESUBMITTED): frozenset({APPLICANT}),
    (S.RETURNED, S.WITHDRAWN): frozenset({APPLICANT}),
    (S.RESUBMITTED, S.ACCEPTED): frozenset({WINDOW}),
    (S.RESUBMITTED, S.WITHDRAWN): frozenset({APPLICANT}),
    (S.ACCEPTED, S.IN_PROGRESS): frozenset({SYSTEM}),
    (S.IN_PROGRESS, S.APPROVED): frozenset({DEPARTMENT, SYSTEM}),
    (S.IN_PROGRESS, S.REJECTED): frozenset({DEPARTMENT}),
    (S.APPROVED, S.COMPLETED): frozenset({SYSTEM}),
}

TERMINAL = frozenset({S.COMPLETED, S.REJECTED, S.WITHDRAWN})

STATE_LABELS_EN = {
    "": "(new)",
    "draft": "draft",
    "offered": "offered",
    "submitted": "submitted",
    "returned": "returned for correction",
    "resubmitted": "resubmitted",
    "accepted": "accepted",
    "in_progress": "in progress",
    "approved": "approved",
    "rejected": "rejected",
    "completed": "completed",
    "withdrawn": "withdrawn",
}
ROLE_LABELS: dict[str, tuple[str, str]] = {  # keyed by Party, looked up by the role string
    APPLICANT: ("申请人", "the applicant"),
    WINDOW: ("窗口受理人员", "the window officer"),
    DEPARTMENT: ("职能部门", "a department"),
    SYSTEM: ("系统", "the system"),
}


class IllegalTransition(DomainError):
    status = 409

    def __init__(self, from_state: str, to_state: str, role: str):
        from_zh = S(from_state).label if from_state else "（新建）"
        to_zh = S(to_state).label if to_state in S.values else to_state
        role_zh, role_en = ROLE_LABELS.get(role, (role, role))
        super().__init__(
            ErrorCode.ILLEGAL_TRANSITION,
            f"{role_zh}不能将申请从“{from_zh}”变为“{to_zh}”",
            f"{role_en.capitalize()} cannot move an application from "
            f"'{STATE_LABELS_EN.get(from_state, from_state)}' to '{STATE_LABELS_EN.get(to_state, to_state)}'",
        )
        self.from_state, self.to_state, self.role = from_state, to_state, role


def is_allowed(from_state: str, to_state: str, role: str) -> bool:
    return role in ALLOWED.get((from_state, to_state), frozenset())


def allowed_targets(from_state: str, role: str) -> list[str]:
    """Where `role` may move an application in `from_state` (for buttons in the pages)."""
    return [to for (start, to), roles in ALLOWED.items() if start == from_state and role in roles]


def party_of(actor: User | None, application: Application) -> Party:
    """The part `actor` plays for this application; PermissionDenied when it plays none."""
    if actor is None:
        return SYSTEM
    if may(actor, Action.ACT_AS_APPLICANT, application):
        return APPLICANT
    if may(actor, Action.WORK_AT_WINDOW):
        return WINDOW
    if may(actor, Action.DECIDE_STEP):
        return DEPARTMENT
    raise PermissionDenied("您不是该申请的当事方", "You are not a party to this application")


def transition(
    application: Application,
    to_state: str,
    *,
    actor: User | None,
    comment: str = "",
    role: str | None = None,
) -> Transition:
    """Move `application` to `to_state` if the table allows it for the actor's role; log and audit it.

    The row is locked first so that two officers acting at once cannot both move it.
    """
    party = Party(role) if role else party_of(actor, application)
    with transaction.atomic():
        if application.pk:
            current = (
                Application.objects.select_for_update().values_list("state", flat=True).get(pk=application.pk)
            )
            application.state = current
        from_state = application.state if application.pk else NEW
        if not is_allowed(from_state, to_state, party):
            raise IllegalTransition(from_state, to_state, party)
        if (
            party == Party.WINDOW
            and from_state == S.RESUBMITTED
            and application.window_officer_id
            and actor is not None
            and application.window_officer_id != actor.pk
        ):
            raise PermissionDenied(
                "补正后的申请由原受理人员继续办理",
                "A resubmitted application returns to the officer who returned it",
            )
        now = timezone.now()
        application.state = to_state
        _stamp(application, to_state, now)
        application.save()
        if to_state in (S.REJECTED, S.WITHDRAWN):
            _release_reservation(application)
        if to_state == S.REJECTED and application.entitlement_id:
            _revoke_entitlement(application, actor=actor, comment=comment)
        log = Transition.objects.create(
            application=application,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            role=party,
            at=now,
            comment=comment,
        )
        audit.record(
            actor=actor,
            action=f"onestop.application.{to_state}",
            obj=application,
            detail={"from": from_state, "to": to_state, "role": party, "comment": comment},
        )
    return log


def _release_reservation(application: Application) -> None:
    """A refused or withdrawn application returns the money it reserved to the policy's budget (an
    offer's money is the entitlement's: declining the offer releases it in the policies app)."""
    from rencai.policies import ledger

    ledger.release_reference(application.reservation_reference)


def _revoke_entitlement(application: Application, *, actor, comment: str) -> None:
    """A refused proactive benefit is not paid by the other route either: its entitlement is revoked and
    the money the matching run reserved for it goes back to the budget."""
    from rencai.policies import services as policy_services

    if application.entitlement_id is None:
        return
    policy_services.revoke_refused(
        actor=actor, entitlement_id=application.entitlement_id, reason=comment or "部门办理未通过"
    )


def _stamp(application: Application, to_state: str, now) -> None:
    if to_state == S.SUBMITTED and application.submitted_at is None:
        application.submitted_at = now
    elif to_state == S.ACCEPTED:
        application.accepted_at = now
    elif to_state in (S.COMPLETED, S.REJECTED, S.WITHDRAWN):
        application.completed_at = now
