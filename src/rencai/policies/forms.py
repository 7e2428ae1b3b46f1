"""Forms of the policy pages: the draft editor, withdrawing a version, choosing a talent to explain."""

import re

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from rencai.core.errors import ValidationFailed
from rencai.core.validators import InvalidValue, parse_id_number
from rencai.core.widgets import DateInput
from rencai.policies.models import PolicyKind, PolicyVersion

RULE_FIELDS = {"eligibility_rule": "bool", "amount_rule": "number"}


class PolicyFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("类别"), required=False, choices=[("", _("全部")), *PolicyKind.choices])
    q = forms.CharField(label=_("名称或编号"), required=False, max_length=60)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        return {"kind": self.cleaned_data["kind"], "q": self.cleaned_data["q"].strip()}


class DraftVersionForm(forms.ModelForm):
    """The fields of a draft; rules are checked live (htmx) and again when the draft is issued."""

    class Meta:
        model = PolicyVersion
        fields = [
            "eligibility_rule",
            "amount_rule",
            "effective_from",
            "effective_to",
            "budget_total",
            "budget_per_year",
            "note",
        ]
        widgets = {
            "eligibility_rule": forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
            "amount_rule": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
            "effective_from": DateInput(),
            "effective_to": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "eligibility_rule": data["eligibility_rule"],
            "amount_rule": data["amount_rule"] or "0",
            "effective_from": data["effective_from"],
            "effective_to": data["effective_to"],
            "note": data["note"],
            "budget_total": data["budget_total"],
            "budget_per_year": data["budget_per_year"],
        }

    def add_problems(self, failure: ValidationFailed) -> None:
        """Show a service's field problems next to the fields (unknown fields as form errors)."""
        for detail in failure.details:
            field = detail.get("field")
            message = detail.get("message_zh") or failure.message
            self.add_error(field if field in self.fields else None, message)


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class ExplainTalentForm(forms.Form):
    """Who to explain: found by name or full ID number (`q`), or picked from a list or a link (`talent`)."""

    q = forms.CharField(label=_("姓名或身份证号"), required=False, max_length=40)
    talent = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_q(self) -> str:
        """A name is searched as typed; what looks like an ID number must be a whole, valid one."""
        q = " ".join(self.cleaned_data["q"].split())
        if re.fullmatch(r"\d[\d\s]*[\dXx]?", q):
            try:
                parse_id_number(q.replace(" ", ""))
            except InvalidValue as invalid:
                english = (get_language() or "").startswith("en")
                raise forms.ValidationError(invalid.en if english else invalid.zh) from None
            return q.replace(" ", "").upper()
        return q

    def clean(self) -> dict:
        data = super().clean() or {}
        if not self.errors and not data.get("q") and not data.get("talent"):
            raise forms.ValidationError(_("请输入人才的姓名或身份证号"))
        return data
