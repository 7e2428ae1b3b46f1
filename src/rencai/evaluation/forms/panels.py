"""Forms of the expert pool and panel pages: an expert, the pool's filters, the scoring form, recusal."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rencai.core.models import Region
from rencai.evaluation.choices import EvaluatorKind
from rencai.evaluation.models import Expert
from rencai.evaluation.services.experts import EXPERT_KINDS, EmploymentInput, ExpertInput, RelationInput
from rencai.registry.choices import Industry

ACTIVE_CHOICES = [("", _("全部")), ("1", _("在库")), ("0", _("已出库"))]


class ExpertFilterForm(forms.Form):
    field = forms.ChoiceField(
        label=_("评审领域"), choices=[("", _("全部")), *Industry.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("评价主体类别"), choices=[("", _("全部")), *EvaluatorKind.choices], required=False
    )
    active = forms.ChoiceField(label=_("状态"), choices=ACTIVE_CHOICES, required=False)
    q = forms.CharField(label=_("姓名或单位"), required=False, max_length=100)


def _lines(text: str) -> list[list[str]]:
    """Non-empty lines of a textarea, split on "|" (a small format a person can type)."""
    return [[part.strip() for part in line.split("|")] for line in text.splitlines() if line.strip()]


class ExpertForm(forms.Form):
    """An expert with their links; employments, platforms and relations as short lines, so that the page
    works without JavaScript."""

    name = forms.CharField(label=_("姓名"), max_length=100)
    region = forms.ModelChoiceField(label=_("所属区划"), queryset=Region.objects.none())
    evaluator_kind = forms.ChoiceField(
        label=_("评价主体类别"), choices=[(k, EvaluatorKind(k).label) for k in EXPERT_KINDS]
    )
    title = forms.CharField(label=_("职称或职务"), max_length=100, required=False)
    employer_name = forms.CharField(label=_("工作单位"), max_length=200)
    employer_id = forms.IntegerField(label=_("工作单位（企业名录编号）"), required=False, min_value=1)
    talent_id = forms.IntegerField(label=_("人才名录编号（专家本人）"), required=False, min_value=1)
    phone = forms.CharField(
        label=_("手机号码"), max_length=20, required=False, help_text=_("留空则保留原号码")
    )
    review_fields = forms.MultipleChoiceField(
        label=_("评审领域"), choices=Industry.choices, widget=forms.CheckboxSelectMultiple
    )
    employments = forms.CharField(
        label=_("工作经历"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_(
            "每行一段：单位名称|企业名录编号（可空）|开始日期|结束日期，如：衢州学院||2015-09-01|2021-06-30"
        ),
    )
    platform_ids = forms.CharField(
        label=_("合作平台或院士工作站（平台编号，逗号分隔）"), max_length=500, required=False
    )
    relations = forms.CharField(
        label=_("申报的利害关系"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("每行一项：人才名录编号|关系，如：1024|配偶"),
    )

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        assert isinstance(region, forms.ModelChoiceField)
        region.queryset = regions if regions is not None else Region.objects.none()

    def clean_employments(self) -> list[EmploymentInput]:
        jobs = []
        for n, parts in enumerate(_lines(self.cleaned_data["employments"]), start=1):
            parts += [""] * (4 - len(parts))
            try:
                started = forms.DateField().clean(parts[2] or None) if parts[2] else None
                ended = forms.DateField().clean(parts[3] or None) if parts[3] else None
            except forms.ValidationError:
                raise forms.ValidationError(_("第%(n)s行的日期格式应为 YYYY-MM-DD") % {"n": n}) from None
            if parts[1] and not parts[1].isdigit():
                raise forms.ValidationError(_("第%(n)s行的企业名录编号应为数字") % {"n": n})
            jobs.append(EmploymentInput(parts[0], int(parts[1]) if parts[1] else None, started, ended))
        return jobs

    def clean_platform_ids(self) -> list[int]:
        parts = [
            p.strip() for p in self.cleaned_data["platform_ids"].replace("，", ",").split(",") if p.strip()
        ]
        if not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("平台编号应为数字，用逗号分隔"))
        return [int(p) for p in parts]

    def clean_relations(self) -> list[RelationInput]:
        relations = []
        for n, parts in enumerate(_lines(self.cleaned_data["relations"]), start=1):
            if len(parts) < 2 or not parts[0].isdigit():
                raise forms.ValidationError(_("第%(n)s行应为：人才名录编号|关系") % {"n": n})
            relations.append(RelationInput(int(parts[0]), parts[1]))
        return relations

    def to_input(self) -> ExpertInput:
        data = self.cleaned_data
        return ExpertInput(
            name=data["name"],
            region_id=data["region"].pk,
            evaluator_kind=data["evaluator_kind"],
            employer_name=data["employer_name"],
            title=data["title"],
            employer_id=data["employer_id"],
            talent_id=data["talent_id"],
            phone=data["phone"],
            fields=tuple(data["review_fields"]),
            employments=tuple(data["employments"]),
            platform_ids=tuple(data["platform_ids"]),
            relations=tuple(data["relations"]),
        )

    @staticmethod
    def initial_of(expert: Expert) -> dict:
        jobs = expert.employments.order_by("pk")
        return {
            "name": expert.name,
            "region": expert.region_id,
            "evaluator_kind": expert.evaluator_kind,
            "title": expert.title,
            "employer_name": expert.employer_name,
            "employer_id": expert.employer_id,
            "talent_id": expert.talent_id,
            "review_fields": list(expert.fields.values_list("field", flat=True)),
            "employments": "\n".join(
                f"{j.employer_name}|{j.enterprise_id or ''}|{j.started_on or ''}|{j.ended_on or ''}"
                for j in jobs
            ),
            "platform_ids": ", ".join(str(p) for p in expert.platforms.values_list("platform_id", flat=True)),
            "relations": "\n".join(
                f"{t}|{r}" for t, r in expert.relations.values_list("talent_id", "relation")
            ),
        }


class AccountForm(forms.Form):
    username = forms.CharField(label=_("评审登录名"), max_length=150)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class DrawForm(forms.Form):
    seed = forms.CharField(
        label=_("随机种子（可空）"),
        max_length=64,
        required=False,
        help_text=_("留空时系统生成；填写同一种子可复核抽取结果"),
    )


class ReservesForm(forms.Form):
    count = forms.IntegerField(label=_("增补候补人数"), min_value=1, max_value=10, initial=2)


class ScoreForm(forms.Form):
    """One points field (0–100) and one comment per scored indicator; the range is checked again, with
    every problem at once, by `score_submit`."""

    def __init__(self, *args, indicators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.indicators = list(indicators)
        for indicator in self.indicators:
            self.fields[f"points_{indicator.code}"] = forms.CharField(
                label=indicator.name, max_length=10, widget=forms.TextInput(attrs={"inputmode": "decimal"})
            )
            self.fields[f"comment_{indicator.code}"] = forms.CharField(
                label=_("评语"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
            )

    def rows(self):
        return [(i, self[f"points_{i.code}"], self[f"comment_{i.code}"]) for i in self.indicators]

    def points(self) -> dict[str, str]:
        return {i.code: self.cleaned_data[f"points_{i.code}"] for i in self.indicators}

    def comments(self) -> dict[str, str]:
        return {i.code: self.cleaned_data[f"comment_{i.code}"] for i in self.indicators}
