"""The policies panel of the home page: a talent's own benefits, or an officer's matching figures."""

from django.utils import timezone

from rencai.accounts.models import OFFICER_ROLES
from rencai.core.access import rights_of
from rencai.policies import selectors


def home_panel(user) -> dict | None:
    if not user.is_authenticated:
        return None
    if user.role == "talent" and not user.is_superuser:
        return {
            "template": "policies/_home_panel.html",
            "kind": "talent",
            "counts": selectors.status_totals(user),
        }
    if user.is_superuser or (user.role in OFFICER_ROLES and rights_of(user).scope == "region"):
        return {
            "template": "policies/_home_panel.html",
            "kind": "officer",
            "policies": selectors.policies_in_force_count(user, timezone.localdate()),
            "counts": selectors.status_totals(user),
            "last_run": selectors.latest_match_run(user),
        }
    return None
