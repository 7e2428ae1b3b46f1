"""Forms of intermediaries: the agency's referral of a candidate (with the candidate's consent), the
officers' agency contract and the linking of an agency's login. The rules live in the services; the forms
only read the fields (every problem then comes back from the service at once)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.core.models import Region
from rencai.core.widgets import DateInput
from rencai.recruitment.choices import ReferralState
from rencai.registry.choices import Degree, Industry, Tier


class ReferralForm(forms.Form):
    name = forms.CharField(label=_("候选人姓名"), max_length=100, required=False)
    id_number = forms.CharField(label=_("身份证号码"), max_length=18, required=False)
    phone = forms.CharField(label=_("手机号码"), max_length=30, required=False)
    degree = forms.ChoiceField(label=_("学历"), choices=[("", "—"), *Degree.choices], required=False)
    field = forms.ChoiceField(label=_("专业领域"), choices=[("", "—"), *Industry.choices], required=False)
    consent_statement = forms.CharField(
        label=_("本人同意书"),
        help_text=_("候选人本人同意被推荐并向用人单位提供其信息的声明"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    consent_at = forms.DateTimeField(
        label=_("本人同意时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        required=False,
    )
    note = forms.CharField(label=_("推荐说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def candidate_data(self) -> dict:
        return {
            name: self.cleaned_data.get(name, "")
            for name in ("name", "id_number", "phone", "degree", "field")
        }


class ReferralStateForm(forms.Form):
    state = forms.ChoiceField(
        choices=[
            (s, label)
            for s, label in ReferralState.choices
            if s in (ReferralState.INTERVIEWED, ReferralState.FAILED, ReferralState.WITHDRAWN)
        ]
    )


class AgencyForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=200, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    region = forms.ModelChoiceField(label=_("签约区划"), queryset=Region.objects.none(), required=False)
    contract_starts = forms.DateField(label=_("合同开始"), widget=DateInput(), required=False)
    contract_ends = forms.DateField(label=_("合同结束"), widget=DateInput(), required=False)
    target_count = forms.IntegerField(label=_("目标引才人数"), min_value=0, required=False)
    active = forms.BooleanField(label=_("合作中"), required=False, initial=True)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        # the fee schedule: one amount per tier (yuan per placed talent of that tier)
        for tier, label in Tier.choices:
            self.fields[f"fee_{tier}"] = forms.DecimalField(
                label=_("%(tier)s 服务费（元/人）") % {"tier": label},
                min_value=0,
                decimal_places=2,
                required=False,
            )

    def fee_fields(self) -> list:
        return [self[f"fee_{tier}"] for tier in Tier.values]

    def data_for_service(self) -> dict:
        data = {
            name: self.cleaned_data.get(name)
            for name in (
                "name",
                "credit_code",
                "region",
                "contract_starts",
                "contract_ends",
                "target_count",
                "active",
            )
        }
        data["fee_schedule"] = {
            tier: self.cleaned_data[f"fee_{tier}"]
            for tier in Tier.values
            if self.cleaned_data.get(f"fee_{tier}") is not None
        }
        return data


class MemberForm(forms.Form):
    username = forms.CharField(label=_("中介机构账号（用户名）"), max_length=150)
