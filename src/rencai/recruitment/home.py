"""The recruitment panel of the home page: this year's arrivals and the referrals in progress the user may
see, linking to the recruitment index and the funnel."""

from django.utils import timezone

from rencai.core.access import Action, may
from rencai.recruitment.choices import PlacementState, ReferralState
from rencai.recruitment.funnel import ARRIVED, placements_in_scope, referrals_in_scope

IN_PROGRESS = (ReferralState.REFERRED, ReferralState.INTERVIEWED)


def recruitment_panel(user) -> dict | None:
    """Two counts (two queries); None for those who may not browse recruitment or have nothing in it."""
    if not user.is_authenticated or not may(user, Action.BROWSE_RECRUITMENT):
        return None
    year = timezone.localdate().year
    arrivals = placements_in_scope(user).filter(state__in=ARRIVED, arrived_on__year=year).count()
    pending = placements_in_scope(user).filter(state=PlacementState.PENDING).count()
    in_progress = referrals_in_scope(user).filter(state__in=IN_PROGRESS).count()
    if not (arrivals or pending or in_progress):
        return None
    return {
        "template": "recruitment/_home_panel.html",
        "year": year,
        "arrivals": arrivals,
        "pending": pending,
        "referrals": in_progress,
    }
