"""Forms of target responsibility. None of them has a field for an indicator's measured value or its
points: those come from the registry, never from a person."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.accounts.models import Role, User
from rencai.coordination.models import LeaderPost, Section
from rencai.core.models import Region, RegionLevel
from rencai.registry.models import Department


class SheetForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    unit = forms.ChoiceField(label=_("被考核单位"))
    bonus_cap = forms.DecimalField(
        label=_("加分上限"), max_digits=6, decimal_places=2, initial=5, min_value=0
    )
    deduction_cap = forms.DecimalField(
        label=_("扣分上限"), max_digits=6, decimal_places=2, initial=10, min_value=0
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY]).order_by("path")
        departments = Department.objects.select_related("region").order_by("region__path", "kind")
        cast(forms.ChoiceField, self.fields["unit"]).choices = [
            (_("县（市、区）"), [(f"region-{r.pk}", r.display_name) for r in regions]),
            (_("部门"), [(f"department-{d.pk}", d.name) for d in departments]),
        ]

    def unit_kwargs(self) -> dict:
        kind, _sep, pk = self.cleaned_data["unit"].partition("-")
        if kind == "region":
            return {"region": Region.objects.get(pk=pk)}
        return {"department": Department.objects.get(pk=pk)}


class ItemForm(forms.Form):
    section = forms.ChoiceField(label=_("类别"), choices=Section.choices)
    title = forms.CharField(label=_("考核内容"), max_length=200)
    description = forms.CharField(
        label=_("考核要求"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    max_points = forms.DecimalField(label=_("分值"), max_digits=6, decimal_places=2, min_value=0)
    indicator_code = forms.ChoiceField(label=_("统计指标（指标类）"), required=False)
    baseline = forms.DecimalField(
        label=_("基数"),
        max_digits=16,
        decimal_places=4,
        required=False,
        help_text=_("留空则取上年末名录测算值"),
    )
    target_value = forms.DecimalField(label=_("目标值"), max_digits=16, decimal_places=4, required=False)
    reason = forms.CharField(label=_("加扣分理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        from rencai.analytics.models import Indicator

        super().__init__(*args, **kwargs)
        indicators = Indicator.objects.filter(active=True).order_by("category", "position", "code")
        cast(forms.ChoiceField, self.fields["indicator_code"]).choices = [("", "—")] + [
            (i.code, f"{i.name}（{i.unit}）" if i.unit else i.name) for i in indicators
        ]


class SelfAssessForm(forms.Form):
    claimed_points = forms.DecimalField(label=_("自评分"), max_digits=6, decimal_places=2, min_value=0)
    evidence = forms.CharField(label=_("佐证说明"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence_file = forms.FileField(label=_("佐证材料（可选）"), required=False)


class ScoreForm(forms.Form):
    points = forms.DecimalField(label=_("得分"), max_digits=6, decimal_places=2, min_value=0)
    comment = forms.CharField(label=_("评分说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    comment = forms.CharField(label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class LeaderForm(forms.Form):
    """Who holds a post that receives circulars: the account is one of the officers of that region."""

    unit = forms.ChoiceField(label=_("所在单位"))
    post = forms.ChoiceField(label=_("职务"), choices=LeaderPost.choices)
    user = forms.ModelChoiceField(label=_("账号"), queryset=User.objects.none())
    name = forms.CharField(label=_("姓名"), max_length=60)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY]).order_by("path")
        departments = Department.objects.select_related("region").order_by("region__path", "kind")
        cast(forms.ChoiceField, self.fields["unit"]).choices = [
            (_("县（市、区）"), [(f"region-{r.pk}", r.display_name) for r in regions]),
            (_("部门"), [(f"department-{d.pk}", d.name) for d in departments]),
        ]
        officers = User.objects.filter(is_active=True, role__in=[Role.COUNTY_ORG_DEPT, Role.DEPARTMENT])
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = officers.order_by(
            "region__code", "username"
        )

    def unit_kwargs(self) -> dict:
        kind, _sep, pk = self.cleaned_data["unit"].partition("-")
        if kind == "region":
            return {"region": Region.objects.get(pk=pk)}
        department = Department.objects.select_related("region").get(pk=pk)
        return {"region": department.region, "department": department}
