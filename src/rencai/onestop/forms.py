"""Forms of the one-stop pages: the one application form, the window's correction notice, decisions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.onestop.models import MaterialType, Outcome
from rencai.onestop.services import MAX_SLA_WORKING_DAYS, ItemSpec, NewMaterial, NoticeItem, StepSpec
from rencai.onestop.services.materials import original_name
from rencai.registry.choices import DepartmentKind

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

    def files_to_choose_again(self) -> list[tuple[MaterialType, str]]:
        """After a refused submission: the files that were chosen, which a browser never fills in again
        (material type, the chosen file's name). Typed references come back in their fields."""
        chosen = []
        for material_type in getattr(self, "material_types", []):
            upload = self.files.get(self.add_prefix(f"file_{material_type.code}")) if self.is_bound else None
            if upload is not None:
                chosen.append((material_type, original_name(upload)))
        return chosen

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
            self.fields[f"note_{code}"] = forms.CharField(
                label=_("说明"),
                required=False,
                max_length=200,
                widget=forms.TextInput(
                    attrs={"aria-label": _("%(material)s：说明") % {"material": need.material_type.name}}
                ),
            )

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


class EmployeeSearchForm(forms.Form):
    """An enterprise finds the employee it applies for: by name, or by the full ID number."""

    q = forms.CharField(label=_("查找员工"), required=False, max_length=50)


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


class ServiceItemForm(forms.Form):
    """A service item as an officer maintains it. The region and code are chosen once, at creation."""

    region = forms.ModelChoiceField(label=_("发布区划"), queryset=None, empty_label=None)
    code = forms.SlugField(
        label=_("事项编码"), max_length=60, help_text=_("字母、数字、下划线；与上级同编码即替代上级事项")
    )
    name = forms.CharField(label=_("事项名称"), max_length=200)
    description = forms.CharField(
        label=_("办理须知"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    outcome = forms.ChoiceField(label=_("办结产出"), choices=Outcome.choices)
    policy = forms.ModelChoiceField(
        label=_("兑现政策"),
        queryset=None,
        required=False,
        empty_label=_("（不预审）"),
        help_text=_("提交前由政策引擎预审资格"),
    )
    materials = forms.ModelMultipleChoiceField(
        label=_("所需材料"),
        queryset=MaterialType.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, regions, policies, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["policy"].queryset = policies
        self.editing = editing
        if editing:
            del self.fields["region"]
            del self.fields["code"]

    def spec(self, steps: tuple[StepSpec, ...], *, code: str = "") -> ItemSpec:
        data = self.cleaned_data
        policy = data.get("policy")
        return ItemSpec(
            code=code or data["code"],
            name=data["name"],
            outcome=data["outcome"],
            description=data.get("description", ""),
            policy_id=policy.pk if policy else None,
            material_codes=tuple(material.code for material in data.get("materials", [])),
            steps=steps,
            is_active=data.get("is_active", False),
        )


class StepForm(forms.Form):
    """One row of the steps table; an empty row is ignored, a ticked 'delete' drops the step."""

    department_kind = forms.ChoiceField(
        label=_("办理部门"), choices=[("", "—"), *DepartmentKind.choices], required=False
    )
    group = forms.IntegerField(label=_("办理顺序"), min_value=1, max_value=20, initial=1, required=False)
    action = forms.CharField(label=_("办理内容"), max_length=100, required=False)
    sla_working_days = forms.IntegerField(
        label=_("承诺时限（工作日）"), min_value=1, max_value=MAX_SLA_WORKING_DAYS, required=False
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("department_kind") or (data.get("action") or "").strip())

    def clean(self):
        cleaned = super().clean()
        if self.is_blank() or cleaned.get("DELETE"):
            return cleaned
        if not cleaned.get("department_kind"):
            self.add_error("department_kind", _("请选择办理部门"))
        if not (cleaned.get("action") or "").strip():
            self.add_error("action", _("请填写办理内容"))
        if cleaned.get("sla_working_days") is None and "sla_working_days" not in self.errors:
            self.add_error("sla_working_days", _("请填写承诺时限"))
        if cleaned.get("group") is None and "group" not in self.errors:
            self.add_error("group", _("请填写办理顺序"))
        return cleaned


StepFormSet = forms.formset_factory(StepForm, extra=2, can_delete=True, max_num=20, validate_max=True)


def step_specs(formset) -> tuple[tuple[StepSpec, ...], list[int]]:
    """The steps written in the table and, for each, the index of its row (to put errors back)."""
    specs, rows = [], []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or data.get("DELETE") or form.is_blank():
            continue
        specs.append(
            StepSpec(data["department_kind"], data["group"], data["action"].strip(), data["sla_working_days"])
        )
        rows.append(index)
    return tuple(specs), rows
