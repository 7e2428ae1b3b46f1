"""The indicator form (city organization department): what an indicator is, its CEL rules and breakdowns.

The form checks shapes only (labels come from the model); the service (`analytics.services.indicator_save`)
checks the rest all at once and compiles the rules, refusing them with the engine's own problems (line,
column, Chinese and English), which the view shows on their fields.
"""

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from rencai.analytics import compute
from rencai.analytics.models import Indicator, IndicatorCategory, IndicatorKind
from rencai.analytics.services import IndicatorInput

RULE_WIDGET = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "rule"})


def _label(name: str):
    field = Indicator._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.verbose_name


class IndicatorForm(forms.Form):
    code = forms.CharField(
        label=_label("code"), max_length=64, help_text=_("小写字母、数字和下划线，如 enterprise_mgmt_share")
    )
    name = forms.CharField(label=_label("name"), max_length=100)
    name_en = forms.CharField(label=_label("name_en"), max_length=150, required=False)
    category = forms.ChoiceField(label=_label("category"), choices=IndicatorCategory.choices)
    kind = forms.ChoiceField(label=_label("kind"), choices=IndicatorKind.choices)
    numerator = forms.CharField(
        label=_label("numerator"),
        required=False,
        widget=RULE_WIDGET,
        help_text=_('CEL 条件，如 talent.team == "enterprise_mgmt"'),
    )
    denominator = forms.CharField(
        label=_label("denominator"),
        required=False,
        widget=RULE_WIDGET,
        help_text=Indicator._meta.get_field("denominator").help_text,
    )
    factor = forms.DecimalField(label=_label("factor"), max_digits=12, decimal_places=4, initial=1)
    unit = forms.CharField(
        label=_label("unit"), max_length=10, required=False, help_text=_("如 %、人、元、个")
    )
    breakdowns = forms.MultipleChoiceField(
        label=_label("breakdowns"),
        required=False,
        choices=[(name, compute.BREAKDOWN_LABELS[name]) for name in compute.BREAKDOWNS],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示全部可用"),
    )
    higher_is_better = forms.BooleanField(label=_label("higher_is_better"), required=False, initial=True)
    is_standard = forms.BooleanField(label=_label("is_standard"), required=False)
    benchmark = forms.DecimalField(label=_label("benchmark"), required=False, max_digits=14, decimal_places=2)
    source = forms.CharField(label=_label("source"), max_length=64, required=False)
    description = forms.CharField(
        label=_label("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    active = forms.BooleanField(label=_label("active"), required=False, initial=True)
    position = forms.IntegerField(label=_label("position"), min_value=0, initial=0)

    @classmethod
    def of(cls, indicator: Indicator | None) -> "IndicatorForm":
        """The empty form, or one showing a stored indicator (whose code then cannot change)."""
        if indicator is None:
            return cls()
        form = cls(initial={name: getattr(indicator, name) for name in cls.base_fields})
        form.fields["code"].disabled = True
        return form

    def to_input(self, indicator: Indicator | None) -> IndicatorInput:
        data = dict(self.cleaned_data)
        if indicator is not None:
            data["code"] = indicator.code  # fixed once the indicator exists
        data["breakdowns"] = list(data["breakdowns"])
        return IndicatorInput(**data)
