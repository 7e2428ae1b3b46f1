"""Forms of the chief technology officers: the enterprise's nomination and the officers' yearly check."""

import datetime as dt
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rencai.evaluation.models import Round
from rencai.evaluation.services.cto import MAX_SUMMARY
from rencai.onestop.models import Material
from rencai.registry.models import Talent


class EmployeeField(forms.ModelChoiceField):
    """An employee by name and masked ID number (two employees may share a name)."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.id_number_masked}）"


class NominationForm(forms.Form):
    """An enterprise nominates one of its own employees in an open CTO round."""

    round = forms.ModelChoiceField(label=_("评价批次"), queryset=Round.objects.none(), empty_label=None)
    talent = EmployeeField(
        label=_("被推荐人"), queryset=Talent.objects.none(), empty_label=_("（请选择本单位人才）")
    )
    summary = forms.CharField(
        label=_("主要业绩"), widget=forms.Textarea(attrs={"rows": 6}), max_length=MAX_SUMMARY, required=False
    )
    # documents of the nominee's material library (given once, reused), offered once the nominee is chosen
    materials = forms.ModelMultipleChoiceField(
        label=_("材料（从材料库选择）"),
        queryset=Material.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, rounds, employees, library=None, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["round"]).queryset = rounds
        cast(forms.ModelChoiceField, self.fields["talent"]).queryset = employees
        if library is not None:
            cast(forms.ModelMultipleChoiceField, self.fields["materials"]).queryset = library


class YearlyCheckForm(forms.Form):
    year = forms.IntegerField(label=_("考核年度"), min_value=2000, max_value=2100)
    passed = forms.TypedChoiceField(
        label=_("考核结果"),
        choices=[("1", _("合格")), ("0", _("不合格"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"year": _last_year()})
        super().__init__(*args, **kwargs)


def _last_year() -> int:
    return (timezone.localdate() - dt.timedelta(days=365)).year
