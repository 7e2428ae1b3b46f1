"""`{% load sso_login %}{% sso_login_button %}`: the single sign-on button of the login page, shown only
while single sign-on is configured (rencai.accounts.sso)."""

from django import template

from rencai.accounts.sso import enabled

register = template.Library()


@register.inclusion_tag("accounts/_sso_login.html", takes_context=True)
def sso_login_button(context) -> dict:
    return {"enabled": enabled(), "next": context.get("next", "")}
