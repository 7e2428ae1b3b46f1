"""`{{ talent|label:"team" }}`: a choice field's label, as `get_team_display` gives it, at list speed.

Django's `get_FOO_display` rebuilds a hashable copy of the field's choices and hashes lazy translations on
every call: on a 50-row list with four such columns that was a third of the page's rendering time. The
table of labels is built once per model, field and language and then looked up.
"""

from django import template
from django.utils.translation import get_language

from rencai.core.text import quoted

register = template.Library()

_tables: dict[tuple, dict] = {}


@register.filter
def label(obj, field_name: str):
    model = type(obj)
    key = (model, field_name, get_language())
    table = _tables.get(key)
    if table is None:
        field = model._meta.get_field(field_name)
        table = {value: str(text) for value, text in field.flatchoices}
        _tables[key] = table
    value = getattr(obj, field_name)
    return table.get(value, value)


@register.filter(name="quoted")
def quoted_filter(value) -> str:
    """`{{ name|quoted }}`: the name in Chinese quotes, nested quotes turned single (core.text.quoted)."""
    return quoted(value)
