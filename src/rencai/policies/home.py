"""The policies panel of the home page: a talent's own benefits, or an officer's matching figures."""

from django.utils import timezone

from rencai.core.access import Action, may
from rencai.core.errors import NotFound
from rencai.policies import selectors
from rencai.policies.benefits import payment_route


def home_panel(user) -> dict | None:
    if not user.is_authenticated:
        return None
    if may(user, Action.SEE_OWN_BENEFITS):
        return {"template": "policies/_home_panel.html", "kind": "talent", "counts": _story_counts(user)}
    if may(user, Action.SEE_MATCHING_FIGURES):
        return {
            "template": "policies/_home_panel.html",
            "kind": "officer",
            "policies": selectors.policies_in_force_count(user, timezone.localdate()),
            "counts": selectors.status_totals(user),
            "last_run": selectors.latest_match_run(user),
        }
    return None


def _story_counts(user) -> dict[str, int]:
    """The talent's benefits counted as the benefits pages tell them (one state per benefit, from the
    entitlement and the application that pays it), so the home page never disagrees with those pages."""
    try:
        talent = selectors.own_talent(user)
    except NotFound:  # an account not (yet) linked to a registry record: nothing to count
        return {}
    route = payment_route()
    return {section.key: len(section.stories) for section in route.groups(route.stories(user, talent))}
