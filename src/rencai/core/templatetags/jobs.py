"""`{% active_job "match" as job %}`: the job of a kind (and scope) under way that the viewer may see, so a
page shows its progress in place of the button that would start it again."""

from django import template

from rencai.core import jobs
from rencai.core.models import Job

register = template.Library()


@register.simple_tag(takes_context=True)
def active_job(context, kind: str, scope: str = "") -> Job | None:
    return jobs.active_job(context.get("user"), kind=kind, scope=scope)
