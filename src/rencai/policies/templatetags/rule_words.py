"""`{% rule_words version.eligibility_rule "bool" %}`: a rule in words, values by their labels (county
names, never region codes), with the rule text folded away beneath it."""

from django import template
from django.utils.translation import get_language

from rencai.policies.engine import RuleError, compile_rule
from rencai.policies.engine.explain import expression_text
from rencai.policies.rule_builder import (
    CATALOGUE,
    Amount,
    Eligibility,
    amount_lines,
    describe_eligibility,
    from_rule,
)

register = template.Library()


@register.inclusion_tag("policies/_rule_words.html", takes_context=True)
def rule_words(context, rule: str, expect: str = "bool") -> dict:
    """The form's words when the form can show the rule, else the engine's reading of it (labels, with
    the codes in brackets); a rule with errors is shown as its text only."""
    lang = "en" if (get_language() or "").startswith("en") else "zh"
    catalogue = context.get("rule_catalogue") or CATALOGUE
    shown: dict[str, object] = {"rule": rule, "expect": expect, "words": "", "lines": []}
    form = from_rule(rule, expect=expect, catalogue=catalogue)
    if isinstance(form, Eligibility):
        shown["words"] = describe_eligibility(form, catalogue, lang)
    elif isinstance(form, Amount):
        shown["lines"] = amount_lines(form, catalogue, lang)
    else:
        shown["words"] = _engine_words(rule, expect, lang)
    return shown


def _engine_words(rule: str, expect: str, lang: str) -> str:
    try:
        root = compile_rule(rule, expect=expect, cache=False).root
    except RuleError:
        return ""  # a rule with errors is shown as its text
    return expression_text(root, lang)
