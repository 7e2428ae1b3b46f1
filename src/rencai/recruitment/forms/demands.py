"""Forms of demands: the enterprise's demand form, the county's review, closing, and the public search
(the services check the rules; these only read the input)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.core.models import Region
from rencai.core.widgets import DateInput
from rencai.recruitment.choices import Place, WorkMode
from rencai.recruitment.selectors import DemandFilters
from rencai.recruitment.services.demands import MAX_DESCRIPTION, MAX_TITLE
from rencai.registry.choices import Degree, Industry, Team, Tier

ANY = [("", _("不限"))]


class DemandForm(forms.Form):
    title = forms.CharField(label=_("岗位名称"), max_length=MAX_TITLE)
    team = forms.ChoiceField(label=_("人才队伍"), choices=Team.choices)
    tier_sought = forms.ChoiceField(label=_("人才层次"), choices=ANY + Tier.choices, required=False)
    degree = forms.ChoiceField(label=_("学历要求"), choices=Degree.choices, initial=Degree.BACHELOR)
    field = forms.ChoiceField(label=_("专业领域"), choices=Industry.choices)
    headcount = forms.IntegerField(label=_("需求人数"), initial=1)
    salary_min = forms.IntegerField(label=_("年薪下限（元）"))
    salary_max = forms.IntegerField(label=_("年薪上限（元）"))
    place = forms.ChoiceField(label=_("工作地点"), choices=Place.choices, initial=Place.LOCAL)
    work_mode = forms.ChoiceField(label=_("引才方式"), choices=WorkMode.choices, initial=WorkMode.FULL_TIME)
    expires_on = forms.DateField(label=_("有效期至"), widget=DateInput())
    description = forms.CharField(
        label=_("岗位说明"),
        required=False,
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    @staticmethod
    def initial_of(demand) -> dict:
        return {name: getattr(demand, name) for name in DemandForm.base_fields}


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"), choices=[("approve", _("同意发布")), ("return", _("退回修改"))]
    )
    comment = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("关闭原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class SearchForm(forms.Form):
    """The public search's filters (GET); invalid values are ignored, never an error page."""

    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    field = forms.ChoiceField(label=_("专业领域"), choices=ANY + Industry.choices, required=False)
    team = forms.ChoiceField(label=_("人才队伍"), choices=ANY + Team.choices, required=False)
    tier = forms.ChoiceField(label=_("人才层次"), choices=ANY + Tier.choices, required=False)
    degree = forms.ChoiceField(label=_("学历要求"), choices=ANY + Degree.choices, required=False)
    place = forms.ChoiceField(label=_("工作地点"), choices=ANY + Place.choices, required=False)
    work_mode = forms.ChoiceField(label=_("引才方式"), choices=ANY + WorkMode.choices, required=False)
    region = forms.ChoiceField(label=_("所在区县"), required=False)
    salary = forms.IntegerField(label=_("期望年薪不低于（元）"), required=False, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        counties = Region.objects.filter(level="county").order_by("code").values_list("code", "name")
        self.fields["region"].choices = ANY + list(counties)  # type: ignore[attr-defined]

    def filters(self) -> DemandFilters:
        self.is_valid()  # the fields that are valid filter; an invalid one is left out
        data = getattr(self, "cleaned_data", {})
        return DemandFilters(
            **{name: data.get(name) or "" for name in ("field", "team", "tier", "degree", "place")},
            work_mode=data.get("work_mode") or "",
            region=data.get("region") or "",
            salary=data.get("salary"),
            q=data.get("q") or "",
        )
