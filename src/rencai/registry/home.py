"""The registry panel of the home page: counts of the talents, enterprises and platforms a user may see,
and a chart of active talents by county (the city) or by tier (a county)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from rencai.registry import selectors


def home_panel(user) -> dict | None:
    if not user.is_authenticated:
        return None
    summary = selectors.home_summary(user)
    if not summary:
        return None
    return {
        "template": "registry/_home_panel.html",
        "summary": summary,
        "chart": _chart(summary.get("bars", []), summary.get("chart_by", "")),
    }


def _chart(bars: list[selectors.TalentBar], by: str) -> dict | None:
    """What the page embeds (json_script) for dashboard.js to draw; None without talents."""
    if not bars:
        return None
    talent_list = reverse("registry:talent_list")
    return {
        "title": _("各县（市、区）在册人才") if by == "county" else _("各类别在册人才"),
        "series": _("在册人才"),
        "labels": [bar.label for bar in bars],
        "values": [bar.count for bar in bars],
        "links": [f"{talent_list}?{bar.filter}" if bar.filter else "" for bar in bars],
    }
