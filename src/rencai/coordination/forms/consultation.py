"""Forms of the consultation on policy drafts (the services check the rules)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.coordination.models import AnswerOutcome
from rencai.coordination.services.consultation import MAX_CLAUSE, MAX_TEXT
from rencai.core.models import Region
from rencai.core.widgets import DateInput
from rencai.registry.models import Department, Enterprise


class OpenForm(forms.Form):
    deadline = forms.DateField(label=_("截止日期"), widget=DateInput())
    instructions = forms.CharField(
        label=_("征求意见说明"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("征求意见的部门"), queryset=Department.objects.none(), required=False
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("征求意见的县（市、区）"), queryset=Region.objects.none(), required=False
    )
    enterprises = forms.ModelMultipleChoiceField(
        label=_("征求意见的企业"), queryset=Enterprise.objects.none(), required=False
    )

    def __init__(self, *args, departments, regions, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = departments  # type: ignore[attr-defined]
        self.fields["regions"].queryset = regions  # type: ignore[attr-defined]
        self.fields["enterprises"].queryset = enterprises  # type: ignore[attr-defined]


class CommentForm(forms.Form):
    clause = forms.CharField(
        label=_("条款"), max_length=MAX_CLAUSE, required=False, help_text=_("如：资格规则、第三条（可不填）")
    )
    body = forms.CharField(label=_("意见内容"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(label=_("采纳情况"), choices=AnswerOutcome.choices)
    reason = forms.CharField(
        label=_("答复理由"), max_length=MAX_TEXT, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
