"""The target-responsibility panel of the home page: the sheets waiting for this user's move — for the
assessed unit, sheets to agree to and to self-assess; for the city, sheets to check, score and lock."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from rencai.coordination.models import SheetState
from rencai.coordination.selectors.targets import sheets_for
from rencai.core.access import Action, may, restrict

S = SheetState
UNIT_WAITS: tuple[SheetState, ...] = (S.ISSUED, S.MIDYEAR)
CITY_WAITS: tuple[SheetState, ...] = (S.AGREED, S.SELF_ASSESSED, S.SCORED)
WAITING_FOR = {
    S.ISSUED: _("待确认目标"),
    S.MIDYEAR: _("待自评"),
    S.AGREED: _("待年中检查"),
    S.SELF_ASSESSED: _("待评分"),
    S.SCORED: _("待审定锁定"),
}


def targets_panel(user) -> dict | None:
    """One grouped count; None for those who browse no coordination or have nothing waiting."""
    if not user.is_authenticated or not may(user, Action.BROWSE_COORDINATION):
        return None
    if may(user, Action.SET_TARGETS):
        rows, states = sheets_for(user), CITY_WAITS
    elif may(user, Action.ASSESS_TARGETS):
        rows, states = restrict(user, sheets_for(user), Action.ASSESS_TARGETS), UNIT_WAITS
    else:
        return None
    counts = dict(
        rows.filter(state__in=states)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    waiting = [(state, WAITING_FOR[state], counts[state]) for state in states if counts.get(state)]
    if not waiting:
        return None
    return {"template": "coordination/targets/_home_panel.html", "waiting": waiting}
