"""Forms of integrity findings: the officer's search for a talent and the finding itself (the service
checks the rules; these only read the input)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.core.widgets import DateInput
from rencai.evaluation.services.integrity import DESCRIPTION_MAX, SOURCE_MAX


class FindingForm(forms.Form):
    """A finding about the talent chosen on the page (the talent comes from the scoped search)."""

    found_on = forms.DateField(label=_("认定日期"), widget=DateInput())
    # not required here: the service lists a missing source or description with every other problem
    source = forms.CharField(label=_("认定机关"), max_length=SOURCE_MAX, required=False)
    description = forms.CharField(
        label=_("事实"), max_length=DESCRIPTION_MAX, required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    expires_on = forms.DateField(
        label=_("失效日期"),
        required=False,
        help_text=_("失效日期当天起不再有效；不填写则长期有效。"),
        widget=DateInput(),
    )
