"""Template filters of the one-stop pages."""

from django import template

from rencai.onestop.models import ApplicationState

register = template.Library()


@register.filter
def state_label(value: str) -> str:
    """An application state code as its translated label ('' for a new application)."""
    if not value:
        return "—"
    try:
        return str(ApplicationState(value).label)
    except ValueError:
        return value
