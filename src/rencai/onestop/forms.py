"""Forms of the one-stop pages: the one application form, the window's correction notice, decisions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.onestop.services import NewMaterial, NoticeItem

PROBLEM_CHOICES = [("", _("无问题")), ("missing", _("缺少")), ("wrong", _("有误"))]


class MaterialFieldsMixin:
    """One reference field and one file field per material type still to be given."""

    def add_material_fields(self, material_types, *, required: bool = False) -> None:
        self.material_types = list(material_types)
        for material_type in self.material_types:
            self.fields[f"ref_{material_type.code}"] = forms.CharField(
                label=material_type.name,
                required=False,
                max_length=200,
                help_text=_("电子证照编号或说明"),
            )
            self.fields[f"file_{material_type.code}"] = forms.FileField(label=_("或上传文件"), required=False)
        self.materials_required = required

    def material_rows(self):
        """(material type, reference bound field, file bound field) for the template."""
        return [(t, self[f"ref_{t.code}"], self[f"file_{t.code}"]) for t in self.material_types]

    def given_materials(self) -> list[NewMaterial]:
        given = []
        for material_type in self.material_types:
            reference = self.cleaned_data.get(f"ref_{material_type.code}", "").strip()
            upload = self.cleaned_data.get(f"file_{material_type.code}")
            if reference or upload:
                given.append(NewMaterial(material_type.code, reference, upload))
        return given


class ApplyForm(MaterialFieldsMixin, forms.Form):
    """The one form of an application: only the materials the library lacks, and the item's own fields."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, missing_types=(), needs_child_name: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_child_name:
            self.fields["child_name"] = forms.CharField(label=_("子女姓名"), max_length=50)
        self.add_material_fields(missing_types)

    def form_data(self) -> dict:
        child = self.cleaned_data.get("child_name", "")
        return {"child_name": child.strip()} if child else {}


class ResubmitForm(MaterialFieldsMixin, forms.Form):
    """补正: give what the correction notice listed, in one go."""

    comment = forms.CharField(label=_("补正说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, material_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_material_fields(material_types)


class ReturnForm(forms.Form):
    """一次性告知: a checklist of the item's materials (missing / wrong, with a note) and free text."""

    note = forms.CharField(
        label=_("其他问题（一次性告知）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, needs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.needs = list(needs)
        for need in self.needs:
            code = need.material_type.code
            self.fields[f"problem_{code}"] = forms.ChoiceField(
                label=need.material_type.name,
                choices=PROBLEM_CHOICES,
                required=False,
                initial="missing" if need.missing else "",
            )
            self.fields[f"note_{code}"] = forms.CharField(label=_("说明"), required=False, max_length=200)

    def rows(self):
        return [(need, self[f"problem_{need.material_type.code}"], self[f"note_{need.material_type.code}"])
                for need in self.needs]  # fmt: skip

    def notice_items(self) -> list[NoticeItem]:
        items = []
        for need in self.needs:
            code = need.material_type.code
            problem = self.cleaned_data.get(f"problem_{code}")
            if problem:
                items.append(NoticeItem(code, problem, self.cleaned_data.get(f"note_{code}", "").strip()))
        return items

    def clean(self):
        cleaned = super().clean()
        if not self.notice_items():
            raise forms.ValidationError(_("请在清单中勾选全部需补正的材料"))
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("办理意见"),
        choices=[("approve", _("同意")), ("reject", _("不同意"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("不同意时须说明理由"))
        return cleaned

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == "approve"


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("注销原因"), widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(forms.Form):
    token = forms.CharField(
        label=_("金卡二维码内容"),
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True, "autocomplete": "off"}),
        help_text=_("扫码枪扫描或粘贴二维码内容"),
    )


class RedeemForm(forms.Form):
    voucher_number = forms.CharField(label=_("教育券号"), max_length=20)


class CardSearchForm(forms.Form):
    q = forms.CharField(label=_("卡号或持卡人"), required=False, max_length=50)
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("active", _("有效")), ("revoked", _("已注销"))],
    )


class LoanDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审批结果"),
        choices=[("approve", _("批准")), ("decline", _("不批准"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("审批意见"), required=False, max_length=500)
