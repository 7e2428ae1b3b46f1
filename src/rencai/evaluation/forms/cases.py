"""Forms of rounds, cases, the public notice and objections (the services check the rules; these only read
the input)."""

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.core.models import Region
from rencai.core.widgets import DateInput
from rencai.evaluation.choices import ObjectionPoint
from rencai.evaluation.models import Round, Scheme
from rencai.evaluation.services.notices import MAX_NOTICE_DAYS, MAX_STATEMENT
from rencai.evaluation.services.rounds import MAX_STAGE_DAYS, STAGES
from rencai.onestop.models import Material
from rencai.registry.choices import Industry

STAGE_LABELS = {
    "applications": _("申报（工作日）"),
    "employer": _("单位确认（工作日）"),
    "first_review": _("初审（工作日）"),
    "panel": _("专家评审（工作日）"),
    "second_review": _("复审（工作日）"),
}


class RoundForm(forms.Form):
    scheme = forms.ModelChoiceField(queryset=Scheme.objects.none(), label=_("评价方案"))
    name = forms.CharField(label=_("批次名称"), max_length=200)
    region = forms.ModelChoiceField(queryset=Region.objects.none(), label=_("组织区划"))
    opens_on = forms.DateField(label=_("申报开始"), widget=DateInput())

    def __init__(self, *args, schemes, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes  # type: ignore[attr-defined]
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        for stage, _column, days in STAGES:
            self.fields[f"days_{stage}"] = forms.IntegerField(
                label=STAGE_LABELS[stage], min_value=1, max_value=MAX_STAGE_DAYS, initial=days
            )

    def days(self) -> dict[str, int]:
        return {stage: self.cleaned_data[f"days_{stage}"] for stage, _column, _days in STAGES}


class ApplyForm(forms.Form):
    round = forms.ModelChoiceField(queryset=Round.objects.none(), label=_("评价批次"))
    field = forms.ChoiceField(label=_("评审领域"), choices=Industry.choices)
    summary = forms.CharField(label=_("主要业绩"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    materials = forms.ModelMultipleChoiceField(
        queryset=Material.objects.none(),
        label=_("材料（从材料库选择）"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, rounds, library, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = rounds  # type: ignore[attr-defined]
        self.fields["materials"].queryset = library  # type: ignore[attr-defined]
        self.fields["idempotency_key"].initial = uuid.uuid4().hex


class ConfirmForm(forms.Form):
    """The employer's own 0–100 points for each scored indicator (企业自主评价)."""

    def __init__(self, *args, indicators, **kwargs):
        super().__init__(*args, **kwargs)
        for indicator in indicators:
            self.fields[f"score_{indicator.code}"] = forms.DecimalField(
                label=indicator.name,
                min_value=Decimal(0),
                max_value=Decimal(100),
                decimal_places=2,
                required=False,
                help_text=indicator.rubric,
            )

    def scores(self) -> dict[str, Decimal]:
        return {
            name.removeprefix("score_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("score_") and value is not None
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ReturnForm(forms.Form):
    items = forms.CharField(
        label=_("补正事项（每行一项，一次列全）"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )

    def item_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]


class ReviewForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("审核意见"),
        choices=[("yes", _("通过")), ("no", _("不通过"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见说明"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, required=False
    )


class ResubmitForm(forms.Form):
    materials = forms.ModelMultipleChoiceField(
        queryset=Material.objects.none(),
        label=_("补正材料（从材料库选择）"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, library, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["materials"].queryset = library  # type: ignore[attr-defined]


class PublishForm(forms.Form):
    days = forms.IntegerField(label=_("公示期（工作日）"), min_value=1, max_value=MAX_NOTICE_DAYS, initial=5)


class ObjectionForm(forms.Form):
    case = forms.TypedChoiceField(label=_("异议对象"), coerce=int)
    point = forms.ChoiceField(label=_("异议事项"), choices=ObjectionPoint.choices)
    name = forms.CharField(label=_("真实姓名"), max_length=100)
    id_number = forms.CharField(label=_("身份证号码"), max_length=18)
    phone = forms.CharField(label=_("联系电话"), max_length=30)
    statement = forms.CharField(
        label=_("异议内容和理由"), widget=forms.Textarea(attrs={"rows": 6}), max_length=MAX_STATEMENT
    )
    evidence = forms.FileField(label=_("证据材料（可选）"), required=False)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [(line.case_id, f"{line.name} · {line.employer}") for line in lines]  # type: ignore[attr-defined]


class AnswerForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("办理结果"),
        choices=[("no", _("异议不成立")), ("yes", _("异议成立"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(label=_("答复意见"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
