"""Template filters that render engine explanations in the page's language."""

from django import template
from django.utils.translation import get_language

register = template.Library()


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


@register.filter
def rendered(item) -> str:
    """An Explanation, AmountExplanation or Clause as text in the current language."""
    return item.render(_lang()) if item is not None else ""


@register.filter
def clause_text(clause) -> str:
    """A test clause's own text (values and comparison), without the ✓/✗ mark."""
    return clause.text_en if _lang() == "en" else clause.text_zh


@register.filter
def missing_clauses(explanation) -> list:
    """The top-level clauses that failed: what the talent is missing."""
    return [clause for clause in explanation.clauses if not clause.passed]
