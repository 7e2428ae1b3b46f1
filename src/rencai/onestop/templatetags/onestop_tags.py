"""Template filters of the one-stop pages."""

from django import template
from django.utils.translation import gettext

from rencai.onestop.models import ApplicationState
from rencai.registry.choices import Tier

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


@register.filter
def tier_name(value: str) -> str:
    """A tier letter as people say it: "C" → "C类" ("Tier C" in English); an unknown value as it is."""
    if value not in Tier.values:
        return value or "—"
    return gettext("%(tier)s类") % {"tier": value}
