"""Template filters that render engine explanations in the page's language."""

from django import template
from django.utils.translation import get_language

from rencai.core.access import Action, may
from rencai.policies.engine import wording

register = template.Library()


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


@register.simple_tag(takes_context=True)
def read_explanation(context, explanation, voice: str = ""):
    """`{% read_explanation explanation voice as reading %}`: an Explanation (or its stored dict) in
    sentences, deciding reasons first (`engine.wording.Reading`). `voice` is "second" (addressed to the
    talent) or "third" (about the talent, for an officer); without it, the page's `talent` (or its
    `application`'s) decides, or, on a page about no talent in particular, whether the reader is a talent
    (who sees only their own benefits): the talent reads about themselves in the second person."""
    if explanation is None:
        return None
    if not voice:
        user = context.get("user")
        talent = context.get("talent") or getattr(context.get("application"), "talent", None)
        if talent is not None:
            voice = voice_for(talent, user)
        else:
            own = user is not None and may(user, Action.SEE_OWN_BENEFITS)
            voice = wording.SECOND if own else wording.THIRD
    data = explanation.as_dict(voice) if hasattr(explanation, "as_dict") else explanation
    return wording.read(data, _lang(), voice)


@register.filter
def voice_for(talent, user) -> str:
    """The voice of a page about `talent`: second person for their own account, else third."""
    account = getattr(talent, "account_id", None)
    own = account is not None and account == getattr(user, "pk", None)
    return wording.SECOND if own else wording.THIRD
