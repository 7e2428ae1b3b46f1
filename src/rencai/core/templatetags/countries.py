"""`{{ talent.nationality|country }}`: an ISO 3166 code shown as a country name ("CN" → 中国 / China)."""

from django import template

from rencai.core.countries import country_name

register = template.Library()


@register.filter
def country(code) -> str:
    return country_name(str(code or ""))
