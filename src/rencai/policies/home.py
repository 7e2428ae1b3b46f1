"""The policies panel of the home page: a talent's own benefits, or an officer's matching figures."""

from django.utils import timezone

from rencai.core.access import Action, may
from rencai.policies import selectors


def home_panel(user) -> dict | None:
    if not user.is_authenticated:
        return None
    if may(user, Action.SEE_OWN_BENEFITS):
        return {
            "template": "policies/_home_panel.html",
            "kind": "talent",
            "counts": selectors.status_totals(user),
        }
    if may(user, Action.SEE_MATCHING_FIGURES):
        return {
            "template": "policies/_home_panel.html",
            "kind": "officer",
            "policies": selectors.policies_in_force_count(user, timezone.localdate()),
            "counts": selectors.status_totals(user),
            "last_run": selectors.latest_match_run(user),
        }
    return None
