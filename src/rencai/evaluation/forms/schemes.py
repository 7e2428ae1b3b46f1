"""Forms of the evaluation schemes: the scheme's fields with its evaluator weights, and the indicator rows."""

from decimal import Decimal
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.core.models import Region
from rencai.core.widgets import DateInput
from rencai.evaluation.choices import EvaluatorKind, IndicatorBasis, IndicatorSource, Purpose
from rencai.evaluation.services.schemes import TIER_ORDER, IndicatorInput, SchemeInput
from rencai.registry.choices import Programme, Team


def weight_field(kind: str) -> str:
    return f"weight_{kind}"


def tier_field(tier: str) -> str:
    return f"tier_{tier}"


class SchemeForm(forms.Form):
    """A scheme as an officer drafts it. The region and code are chosen once, at creation."""

    region = forms.ModelChoiceField(label=_("发布区划"), queryset=Region.objects.none(), empty_label=None)
    code = forms.SlugField(label=_("方案编号"), max_length=60, help_text=_("字母、数字、下划线和连字符"))
    name = forms.CharField(label=_("方案名称"), max_length=200)
    purpose = forms.ChoiceField(label=_("评价目的"), choices=Purpose.choices)
    team = forms.ChoiceField(
        label=_("人才队伍"), choices=[("", _("（不限）")), *Team.choices], required=False
    )
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    pass_score = forms.DecimalField(
        label=_("通过分数"), min_value=0, max_value=100, decimal_places=2, initial=Decimal("60")
    )
    honour = forms.ChoiceField(
        label=_("授予荣誉"), choices=[("", _("（不授予）")), *Programme.choices], required=False
    )
    max_works = forms.IntegerField(label=_("代表作数量上限"), min_value=1, max_value=5, initial=3)
    notice_days = forms.IntegerField(label=_("公示期（工作日）"), min_value=1, max_value=30, initial=5)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )

    def __init__(self, *args, regions, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["region"]).queryset = regions
        if editing:
            del self.fields["region"]
            del self.fields["code"]
        for tier in TIER_ORDER:
            self.fields[tier_field(tier)] = forms.DecimalField(
                label=_("%(tier)s类分数线") % {"tier": tier},
                min_value=0,
                max_value=100,
                decimal_places=2,
                required=False,
            )
        for kind, label in EvaluatorKind.choices:
            self.fields[weight_field(kind)] = forms.IntegerField(
                label=label, min_value=0, max_value=100, required=False, initial=0
            )

    def tier_fields(self):
        return [self[tier_field(tier)] for tier in TIER_ORDER]

    def weight_fields(self):
        return [self[weight_field(kind)] for kind in EvaluatorKind.values]

    def main_fields(self):
        hidden = {tier_field(t) for t in TIER_ORDER} | {weight_field(k) for k in EvaluatorKind.values}
        return [field for field in self if field.name not in hidden]

    def weights(self) -> dict[str, int]:
        return {kind: self.cleaned_data.get(weight_field(kind)) or 0 for kind in EvaluatorKind.values}

    def scheme_input(self, *, region, code: str) -> SchemeInput:
        data = self.cleaned_data
        thresholds = {
            tier: data[tier_field(tier)] for tier in TIER_ORDER if data.get(tier_field(tier)) is not None
        }
        return SchemeInput(
            code=code,
            name=data["name"],
            region=region,
            purpose=data["purpose"],
            effective_from=data["effective_from"],
            team=data.get("team", ""),
            pass_score=data["pass_score"],
            tier_thresholds=thresholds,
            honour=data.get("honour", ""),
            max_works=data["max_works"],
            notice_days=data["notice_days"],
            description=data.get("description", ""),
        )


class IndicatorForm(forms.Form):
    """One row of the indicator table; an empty row is ignored, a ticked 'delete' drops the indicator."""

    code = forms.SlugField(label=_("指标编号"), max_length=60, required=False)
    name = forms.CharField(label=_("指标名称"), max_length=200, required=False)
    source = forms.ChoiceField(label=_("来源"), choices=IndicatorSource.choices, required=False)
    basis = forms.ChoiceField(
        label=_("评价依据"), choices=IndicatorBasis.choices, required=False, initial=IndicatorBasis.RESULTS
    )
    weight = forms.IntegerField(label=_("权重"), min_value=1, max_value=100, required=False)
    rule = forms.CharField(
        label=_("计算规则"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    rubric = forms.CharField(
        label=_("评分标准"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not ((data.get("code") or "").strip() or (data.get("name") or "").strip())

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        if self.is_blank() or cleaned.get("DELETE"):
            return cleaned
        for name, message in (
            ("code", _("请填写指标编号")),
            ("name", _("请填写指标名称")),
            ("source", _("请选择来源")),
            ("weight", _("请填写权重")),
        ):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, message)
        return cleaned


IndicatorFormSet = forms.formset_factory(
    IndicatorForm, extra=2, can_delete=True, max_num=20, validate_max=True
)


def indicator_inputs(formset) -> tuple[list[IndicatorInput], list[int]]:
    """The indicators written in the table and, for each, the index of its row (to put errors back)."""
    inputs, rows = [], []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or data.get("DELETE") or form.is_blank():
            continue
        inputs.append(
            IndicatorInput(
                code=data["code"],
                name=data["name"].strip(),
                source=data["source"],
                weight=data["weight"],
                basis=data.get("basis") or IndicatorBasis.RESULTS,
                rule=data.get("rule", ""),
                rubric=data.get("rubric", ""),
            )
        )
        rows.append(index)
    return inputs, rows


class NewVersionForm(forms.Form):
    effective_from = forms.DateField(label=_("新版本生效日期"), widget=DateInput())
