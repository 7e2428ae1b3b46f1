"""`{% load access %}`: templates ask the permission vocabulary, e.g. `{% if user|may:"export" %}`."""

from django import template

from rencai.core.access import Action
from rencai.core.access import may as _may

register = template.Library()


@register.filter
def may(user, action: str) -> bool:
    """Whether the user holds `action` (an `Action` value); an unknown name is a template error."""
    return _may(user, Action(action))
