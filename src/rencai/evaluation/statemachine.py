"""The evaluation case lifecycle: one table of allowed transitions per party, and the only function that
moves a case.

    (new) ─applicant─► draft ─applicant─► submitted ─employer─► confirmed ─county─► first_passed
    (new) ─applicant─► submitted (─system─► confirmed when there is no employer to confirm)
    submitted ─employer─► not_recognized                 (the employer declines to confirm)
    confirmed ─county─► returned (once: one correction notice) ─applicant─► confirmed
    confirmed ─county─► not_recognized                   (first review fails, or the integrity veto)
    first_passed ─manager─► panel ─system─► scored ─city─► second_passed ─manager─► notice
    scored ─city─► not_recognized
    notice ─manager─► recognized | not_recognized        (period over, every objection settled)
    recognized ─manager─► revoked
    draft / submitted / returned / confirmed ─applicant─► withdrawn

Parties: `applicant` (the talent, or the enterprise that applied for its employee), `employer` (the
enterprise confirming), `county` (first review, Action.FIRST_REVIEW), `city` (second review,
Action.SECOND_REVIEW), `manager` (the round's organizers, Action.MANAGE_EVALUATION: panels, notice,
decision), `system` (no actor). The service that calls `move` has already asked `require` for the right
that makes the actor that party: the table then decides whether the move exists at all.
"""

from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone

from rencai.core import audit
from rencai.core.errors import DomainError, ErrorCode
from rencai.evaluation.choices import CaseState
from rencai.evaluation.models import Case, CaseTransition

S = CaseState
NEW = ""


class Party(TextChoices):
    APPLICANT = "applicant", "申报人"
    EMPLOYER = "employer", "用人单位"
    COUNTY = "county", "初审部门"
    CITY = "city", "复审部门"
    MANAGER = "manager", "评价组织部门"
    SYSTEM = "system", "系统"


PARTY_EN = {
    Party.APPLICANT: "the applicant",
    Party.EMPLOYER: "the employer",
    Party.COUNTY: "the first reviewer",
    Party.CITY: "the second reviewer",
    Party.MANAGER: "the organizing department",
    Party.SYSTEM: "the system",
}

APPLICANT, EMPLOYER, COUNTY, CITY, MANAGER, SYSTEM = (
    Party.APPLICANT,
    Party.EMPLOYER,
    Party.COUNTY,
    Party.CITY,
    Party.MANAGER,
    Party.SYSTEM,
)

ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    (NEW, S.DRAFT): frozenset({APPLICANT}),
    (NEW, S.SUBMITTED): frozenset({APPLICANT}),
    (S.DRAFT, S.SUBMITTED): frozenset({APPLICANT}),
    (S.SUBMITTED, S.CONFIRMED): frozenset({EMPLOYER, SYSTEM}),
    (S.SUBMITTED, S.NOT_RECOGNIZED): frozenset({EMPLOYER}),
    (S.CONFIRMED, S.RETURNED): frozenset({COUNTY}),
    (S.RETURNED, S.CONFIRMED): frozenset({APPLICANT}),
    (S.CONFIRMED, S.FIRST_PASSED): frozenset({COUNTY}),
    (S.CONFIRMED, S.NOT_RECOGNIZED): frozenset({COUNTY, SYSTEM}),
    (S.FIRST_PASSED, S.PANEL): frozenset({MANAGER, SYSTEM}),
    (S.PANEL, S.SCORED): frozenset({MANAGER, SYSTEM}),
    (S.SCORED, S.SECOND_PASSED): frozenset({CITY}),
    (S.SCORED, S.NOT_RECOGNIZED): frozenset({CITY}),
    (S.SECOND_PASSED, S.NOTICE): frozenset({MANAGER}),
    (S.NOTICE, S.RECOGNIZED): frozenset({MANAGER}),
    (S.NOTICE, S.NOT_RECOGNIZED): frozenset({MANAGER}),
    (S.RECOGNIZED, S.REVOKED): frozenset({MANAGER}),
    (S.DRAFT, S.WITHDRAWN): frozenset({APPLICANT}),
    (S.SUBMITTED, S.WITHDRAWN): frozenset({APPLICANT}),
    (S.RETURNED, S.WITHDRAWN): frozenset({APPLICANT}),
    (S.CONFIRMED, S.WITHDRAWN): frozenset({APPLICANT}),
}

TERMINAL = frozenset({S.RECOGNIZED, S.NOT_RECOGNIZED, S.WITHDRAWN, S.REVOKED})
STATE_EN = {
    "": "(new)",
    S.DRAFT: "draft",
    S.SUBMITTED: "submitted, awaiting the employer",
    S.RETURNED: "returned for correction",
    S.CONFIRMED: "confirmed by the employer, awaiting first review",
    S.FIRST_PASSED: "passed first review, awaiting the panel",
    S.PANEL: "with the expert panel",
    S.SCORED: "scored, awaiting second review",
    S.SECOND_PASSED: "passed second review, awaiting public notice",
    S.NOTICE: "on public notice",
    S.RECOGNIZED: "recognized",
    S.NOT_RECOGNIZED: "not recognized",
    S.WITHDRAWN: "withdrawn",
    S.REVOKED: "revoked",
}


class IllegalCaseTransition(DomainError):
    status = 409

    def __init__(self, from_state: str, to_state: str, party: str):
        from_zh = S(from_state).label if from_state else "（新建）"
        to_zh = S(to_state).label if to_state in S.values else to_state
        party_zh = Party(party).label if party in Party.values else party
        party_en = PARTY_EN[Party(party)].capitalize() if party in Party.values else party
        super().__init__(
            ErrorCode.ILLEGAL_TRANSITION,
            f"{party_zh}不能将评价申报从“{from_zh}”变为“{to_zh}”",
            f"{party_en} cannot move "
            f"an evaluation case from '{STATE_EN.get(from_state, from_state)}' to "
            f"'{STATE_EN.get(to_state, to_state)}'",
        )
        self.from_state, self.to_state, self.party = from_state, to_state, party


def is_allowed(from_state: str, to_state: str, party: str) -> bool:
    return party in ALLOWED.get((from_state, to_state), frozenset())


def allowed_targets(from_state: str, party: str) -> list[str]:
    """Where `party` may move a case in `from_state` (for the buttons of a page)."""
    return [to for (start, to), parties in ALLOWED.items() if start == from_state and party in parties]


def move(case: Case, to_state: str, *, actor, party: Party, comment: str = "") -> CaseTransition:
    """Move `case` to `to_state` if the table allows it for `party`; log and audit it. The row is locked
    first, so that two officers acting at once cannot both move it (the second sees the new state)."""
    with transaction.atomic():
        if case.pk:
            case.state = Case.objects.select_for_update().values_list("state", flat=True).get(pk=case.pk)
        from_state = case.state if case.pk else NEW
        if not is_allowed(from_state, to_state, party):
            raise IllegalCaseTransition(from_state, to_state, party)
        now = timezone.now()
        case.state = to_state
        if to_state == S.SUBMITTED and case.submitted_at is None:
            case.submitted_at = now
        case.save()
        log = CaseTransition.objects.create(
            case=case, from_state=from_state, to_state=to_state, actor=actor, comment=comment
        )
        audit.record(
            actor=actor,
            action=f"evaluation.case.{to_state}",
            obj=case,
            detail={"from": from_state, "to": to_state, "party": str(party), "comment": comment},
        )
    return log
