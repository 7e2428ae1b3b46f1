"""Forms of the reward schemes: the amounts per tier, the stages as "percent:months" pairs, the cap."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Action, restrict
from rencai.core.models import Region
from rencai.core.widgets import DateInput
from rencai.policies.models import Policy
from rencai.recruitment.choices import RewardPurpose
from rencai.registry.choices import Tier


def _stages(text: str) -> list[list[int]] | str:
    """ "50:0, 50:12" as [[50, 0], [50, 12]]; the text itself when it does not parse (the service says)."""
    try:
        return [
            [int(p), int(m)]
            for p, m in (pair.split(":") for pair in text.replace("，", ",").split(",") if pair)
        ]
    except ValueError:
        return text


class RewardSchemeForm(forms.Form):
    code = forms.SlugField(label=_("方案编号"), max_length=60)
    name = forms.CharField(label=_("方案名称"), max_length=200)
    purpose = forms.ChoiceField(label=_("奖励类别"), choices=RewardPurpose.choices)
    region = forms.ModelChoiceField(label=_("发布区划"), queryset=Region.objects.none())
    policy = forms.ModelChoiceField(label=_("资金来源政策"), queryset=Policy.objects.none())
    effective_from = forms.DateField(label=_("生效日期"), widget=DateInput())
    effective_to = forms.DateField(label=_("失效日期"), required=False, widget=DateInput())
    amount_A = forms.DecimalField(label=_("A类（元）"), required=False, min_value=0, decimal_places=2)
    amount_B = forms.DecimalField(label=_("B类（元）"), required=False, min_value=0, decimal_places=2)
    amount_C = forms.DecimalField(label=_("C类（元）"), required=False, min_value=0, decimal_places=2)
    amount_D = forms.DecimalField(label=_("D类（元）"), required=False, min_value=0, decimal_places=2)
    amount_E = forms.DecimalField(label=_("E类（元）"), required=False, min_value=0, decimal_places=2)
    bonus_threshold = forms.IntegerField(label=_("加奖门槛（人/年）"), required=False, min_value=1)
    bonus_amount = forms.DecimalField(
        label=_("加奖金额（元）"), required=False, min_value=0, decimal_places=2
    )
    cap_per_enterprise_year = forms.DecimalField(
        label=_("每家企业每年上限（元）"), required=False, min_value=0, decimal_places=2
    )
    stages = forms.CharField(
        label=_("分期支付"), initial="50:0, 50:12", help_text=_("比例:到岗后月数，逗号分隔，如 50:0, 50:12")
    )
    months_required = forms.IntegerField(label=_("须在岗月数"), initial=12, min_value=0)
    clawback = forms.BooleanField(label=_("提前离职追回已付"), required=False)
    exclusive_per_person = forms.BooleanField(label=_("同一人才只奖励一个渠道"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = restrict(  # type: ignore[attr-defined]
            user, Region.objects.order_by("path"), Action.MANAGE_RECRUITMENT
        )
        self.fields["policy"].queryset = Policy.objects.filter(is_proactive=False).order_by("code")  # type: ignore[attr-defined]

    def data_for_service(self) -> dict:
        values = dict(self.cleaned_data)
        values["amounts"] = {
            tier: str(values.pop(f"amount_{tier}"))
            for tier in Tier.values
            if values.get(f"amount_{tier}") is not None
        }
        for tier in Tier.values:
            values.pop(f"amount_{tier}", None)
        values["stages"] = _stages(values.get("stages") or "")
        return values
