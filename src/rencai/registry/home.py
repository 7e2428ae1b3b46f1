"""The registry panel of the home page: counts of the talents, enterprises and platforms a user may see."""

from rencai.registry import selectors


def home_panel(user) -> dict | None:
    if not user.is_authenticated:
        return None
    summary = selectors.home_summary(user)
    if not summary:
        return None
    return {"template": "registry/_home_panel.html", "summary": summary}
