"""Forms of stations, events, candidate registration and leads (the services check the rules)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.accounts.models import User
from rencai.core.widgets import DateInput
from rencai.recruitment.choices import LeadOutcome
from rencai.recruitment.models import Candidate, Demand, Station
from rencai.recruitment.services.channels import MAX_TEXT
from rencai.registry.choices import Degree, Industry
from rencai.registry.models import Enterprise

DATE = DateInput()


class StationForm(forms.Form):
    name = forms.CharField(label=_("工作站名称"), max_length=200)
    city = forms.CharField(label=_("所在城市"), max_length=50)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    opened_on = forms.DateField(label=_("设立日期"), widget=DATE)
    active = forms.BooleanField(label=_("运行中"), required=False, initial=True)
    operators = forms.ModelMultipleChoiceField(
        label=_("运营人员"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args, operator_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operators"].queryset = operator_choices  # type: ignore[attr-defined]


class EventForm(forms.Form):
    name = forms.CharField(label=_("活动名称"), max_length=200)
    held_on = forms.DateField(label=_("举办日期"), widget=DATE)
    place = forms.CharField(label=_("举办地点"), max_length=200)
    station = forms.ModelChoiceField(label=_("承办工作站"), queryset=Station.objects.none(), required=False)
    enterprises = forms.ModelMultipleChoiceField(
        label=_("参会企业"), queryset=Enterprise.objects.none(), required=False
    )
    demands = forms.ModelMultipleChoiceField(
        label=_("发布需求"), queryset=Demand.objects.none(), required=False
    )

    def __init__(self, *args, stations, enterprises, demands, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations  # type: ignore[attr-defined]
        self.fields["enterprises"].queryset = enterprises  # type: ignore[attr-defined]
        self.fields["demands"].queryset = demands  # type: ignore[attr-defined]


class RegistrationForm(forms.Form):
    """A candidate's registration for an event; the ID number and phone are sealed on saving."""

    name = forms.CharField(label=_("姓名"), max_length=100)
    id_number = forms.CharField(label=_("身份证号"), max_length=18)
    phone = forms.CharField(label=_("手机号码"), max_length=20)
    degree = forms.ChoiceField(label=_("学历"), choices=[("", ""), *Degree.choices], required=False)
    field = forms.ChoiceField(label=_("专业领域"), choices=[("", ""), *Industry.choices], required=False)
    consent = forms.BooleanField(
        label=_("本人同意衢州市人才工作部门及参会用人单位就招聘事宜与本人联系"), required=False
    )


class LeadForm(forms.Form):
    candidate = forms.ModelChoiceField(label=_("候选人"), queryset=Candidate.objects.none())
    enterprise = forms.ModelChoiceField(label=_("用人单位"), queryset=Enterprise.objects.none())
    demand = forms.ModelChoiceField(label=_("人才需求"), queryset=Demand.objects.none(), required=False)
    note = forms.CharField(
        label=_("备注"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, candidates, enterprises, demands, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = candidates  # type: ignore[attr-defined]
        self.fields["enterprise"].queryset = enterprises  # type: ignore[attr-defined]
        self.fields["demand"].queryset = demands  # type: ignore[attr-defined]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("结果"), choices=LeadOutcome.choices)
    note = forms.CharField(
        label=_("备注"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
