"""The evaluation panel of the home page: what waits for the user in evaluation rounds."""

from rencai.core.access import Action, may
from rencai.evaluation import selectors
from rencai.evaluation.choices import CaseState

S = CaseState
# What waits for each kind of user, by the action that makes it theirs
WAITING = (
    (Action.CONFIRM_AS_EMPLOYER, (S.SUBMITTED,)),
    (Action.FIRST_REVIEW, (S.CONFIRMED,)),
    (Action.SECOND_REVIEW, (S.SCORED,)),
    (Action.MANAGE_EVALUATION, (S.FIRST_PASSED, S.SECOND_PASSED, S.NOTICE)),
)


def evaluation_panel(user) -> dict | None:
    """Counts of the cases waiting for the user and of their own cases; None for those evaluation has
    nothing for (or who may not browse it)."""
    if not user.is_authenticated or not may(user, Action.BROWSE_EVALUATION):
        return None
    states: set[str] = set()
    for action, waiting in WAITING:
        if may(user, action):
            states.update(waiting)
    counts = selectors.state_counts(selectors.cases_for(user))
    waiting_count = sum(n for state, n in counts.items() if state in states)
    mine = sum(counts.values()) if may(user, Action.APPLY_FOR_EVALUATION) else 0
    objections = (
        selectors.objections_for(user, open_only=True).count() if may(user, Action.ANSWER_OBJECTION) else 0
    )
    if not (waiting_count or mine or objections):
        return None
    return {
        "template": "evaluation/_home_panel.html",
        "waiting": waiting_count,
        "mine": mine,
        "objections": objections,
    }
