"""Forms of the work lists, work items, milestones, progress notes and first secretaries' projects (the
services check the rules)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.accounts.models import User
from rencai.coordination.models import FocusKind, ItemStatus, Leader
from rencai.coordination.services.worklists import MAX_NAME, MAX_TEXT, MAX_TITLE
from rencai.core.models import Region
from rencai.core.widgets import DateInput
from rencai.registry.models import Department


class WorkListForm(forms.Form):
    department = forms.ModelChoiceField(label=_("部门"), queryset=Department.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    lead_officer = forms.CharField(label=_("分管领导"), max_length=MAX_NAME, required=False)
    head = forms.ModelChoiceField(label=_("部门负责人"), queryset=User.objects.none(), required=False)

    def __init__(self, *args, departments, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]
        self.fields["head"].queryset = officers  # type: ignore[attr-defined]


class DutyForm(forms.Form):
    text = forms.CharField(label=_("职责内容"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))
    lead_officer = forms.CharField(label=_("责任领导"), max_length=MAX_NAME, required=False)


class FocusForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=FocusKind.choices)
    title = forms.CharField(label=_("标题"), max_length=MAX_TITLE)
    detail = forms.CharField(
        label=_("说明"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WorkItemForm(forms.Form):
    title = forms.CharField(label=_("工作事项"), max_length=MAX_TITLE)
    description = forms.CharField(
        label=_("工作要求"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    responsible = forms.CharField(label=_("责任人"), max_length=MAX_NAME)


class ProjectForm(forms.Form):
    region = forms.ModelChoiceField(label=_("县（市、区）"), queryset=Region.objects.none())
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("项目名称"), max_length=MAX_TITLE)
    description = forms.CharField(
        label=_("项目内容"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    leader = forms.ModelChoiceField(label=_("牵头领导"), queryset=Leader.objects.none(), required=False)
    leader_name = forms.CharField(
        label=_("牵头领导（姓名、职务）"),
        max_length=MAX_NAME,
        required=False,
        help_text=_("未登记领导干部时填写"),
    )
    responsible = forms.CharField(label=_("责任人"), max_length=MAX_NAME, required=False)

    def __init__(self, *args, regions, leaders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self.fields["leader"].queryset = leaders  # type: ignore[attr-defined]


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("节点"), max_length=MAX_TITLE)
    due_on = forms.DateField(
        label=_("完成时限"),
        required=False,
        widget=DateInput(),
        help_text=_("节假日或周末顺延至下一个工作日"),
    )
    working_days = forms.IntegerField(
        label=_("或：自今天起的工作日数"), required=False, min_value=1, max_value=500
    )


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("进展情况"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.CharField(
        label=_("佐证说明"),
        max_length=MAX_TEXT,
        required=False,
        help_text=_("文件名称、文号、会议纪要或链接"),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=ItemStatus.choices)
