"""Forms of analytics: the city's indicator maintenance."""

from rencai.analytics.forms.indicators import IndicatorForm

__all__ = ["IndicatorForm"]
