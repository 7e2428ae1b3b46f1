"""The analytics panel of the home page: links to the dashboard (a department officer's page for a
department), the meeting-room screen, this month's report and the indicators.

Links only, no figures: a figure would make every home page of a process that has just started load the
registry's history (see `analytics.history`); the dashboard one click away is where the figures are.
"""

from django.utils import timezone

from rencai.core.access import Action, may


def analytics_panel(user) -> dict | None:
    if not user.is_authenticated or not may(user, Action.VIEW_ANALYTICS):
        return None
    return {
        "template": "analytics/_home_panel.html",
        "department": bool(user.department_id) and not may(user, Action.SEE_PEOPLE_BEHIND_FIGURES),
        "month": f"{timezone.localdate():%Y-%m}",
    }
