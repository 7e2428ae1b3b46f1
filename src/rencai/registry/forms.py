"""Forms of the registry pages: list filters, and the talent, enterprise and achievement forms that feed the
services."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from rencai.core.countries import CHINA, country_choices
from rencai.core.errors import ValidationFailed
from rencai.core.widgets import DateInput, PlainSelect
from rencai.registry import choices as c
from rencai.registry.achievements import AchievementInput, split_holders
from rencai.registry.projects import ProjectInput, split_talents
from rencai.registry.selectors import AchievementFilters, TalentFilters
from rencai.registry.services import EnterpriseInput, TalentInput

ANY = ("", _("全部"))


def region_label(region) -> str:
    """A region's name in the current language (regions carry their own English name)."""
    english = (get_language() or "").startswith("en")
    return region.name_en if english and region.name_en else region.name


def _with_any(choices) -> list:
    return [ANY, *choices]


@dataclass(frozen=True)
class EmptyResult:
    """What the talent list says when nothing is found: what was searched, under which filters, and the
    querystring that keeps the search but clears the filters ("" when there are none to clear)."""

    message: str
    filters: str
    clear_query: str


class TalentFilterForm(forms.Form):
    """GET filters of the talent list; only the values that validate are applied."""

    q = forms.CharField(
        label=_("姓名或证件号码"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={"placeholder": _("姓名中的任意字，或证件号码末4位以上"), "type": "search"}
        ),
    )
    region = forms.ChoiceField(label=_("区划"), required=False, widget=PlainSelect)
    team = forms.ChoiceField(
        label=_("人才队伍"), required=False, choices=_with_any(c.Team.choices), widget=PlainSelect
    )
    tier = forms.ChoiceField(
        label=_("人才类别"), required=False, choices=_with_any(c.Tier.choices), widget=PlainSelect
    )
    enterprise = forms.TypedChoiceField(
        label=_("现工作单位"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=_with_any(c.TalentStatus.choices), widget=PlainSelect
    )

    def __init__(self, data, *, regions, enterprises, id_tail: bool = True):
        super().__init__(data)
        self.fields["region"].choices = _with_any((r.code, region_label(r)) for r in regions)
        self.fields["enterprise"].choices = _with_any(enterprises)
        if not id_tail:  # the end of an ID number is searched only by those who may reveal numbers
            self.fields["q"].widget.attrs["placeholder"] = _("姓名中的任意字，或完整证件号码")

    def filters(self) -> TalentFilters:
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}
        return TalentFilters(**data)

    def empty_result(self, search_kind: str) -> EmptyResult:
        """The message for an empty list: "未找到姓名包含“涛俊”的人才", the filters that narrowed it, and how
        to drop them. `search_kind` is how the list read the search box (`selectors.talent_search_kind`)."""
        q = self.filters().q.strip()
        messages = {
            "name": _("未找到姓名包含“%(q)s”的人才。"),
            "id_tail": _("未找到证件号码末尾为“%(q)s”的人才。"),
            "id": _("未找到证件号码为“%(q)s”的人才。"),
        }
        message = str(messages.get(search_kind, _("没有符合条件的人才。"))) % {"q": q}
        chosen = self._chosen_filters()
        if not chosen:
            return EmptyResult(message=message, filters="", clear_query="")
        separator = gettext("、")
        listed = separator.join(gettext("%(label)s为%(value)s") % item for item in chosen)
        return EmptyResult(
            message=message,
            filters=gettext("检查筛选条件：%(filters)s。") % {"filters": listed},
            clear_query=urlencode({"q": q}) if q else "",
        )

    def _chosen_filters(self) -> list[dict[str, str]]:
        """Label and shown value of every filter (other than the search box) that narrows the list."""
        chosen = []
        for name in ("region", "team", "tier", "enterprise", "status"):
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            labels = {str(key): str(text) for key, text in self.fields[name].choices}
            chosen.append(
                {"label": str(self.fields[name].label), "value": labels.get(str(value), str(value))}
            )
        return chosen


class SearchForm(forms.Form):
    """A name search plus optional choice filters, for the enterprise, platform and academician lists."""

    q = forms.CharField(label=_("名称"), required=False, max_length=100)

    def values(self) -> dict:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in (None, "")}


class EnterpriseFilterForm(SearchForm):
    q = forms.CharField(label=_("企业名称或统一社会信用代码"), required=False, max_length=100)
    region = forms.ChoiceField(label=_("区划"), required=False, widget=PlainSelect)
    platform_only = forms.BooleanField(label=_("只看平台型企业"), required=False)

    def __init__(self, data, *, regions):
        super().__init__(data)
        self.fields["region"].choices = _with_any((r.code, region_label(r)) for r in regions)


class PlatformFilterForm(SearchForm):
    q = forms.CharField(label=_("平台名称"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("平台类别"), required=False, choices=_with_any(c.PlatformKind.choices), widget=PlainSelect
    )
    region = forms.ChoiceField(label=_("服务区划"), required=False, widget=PlainSelect)

    def __init__(self, data, *, regions):
        super().__init__(data)
        self.fields["region"].choices = _with_any((r.code, region_label(r)) for r in regions)


class AcademicianFilterForm(SearchForm):
    q = forms.CharField(label=_("姓名"), required=False, max_length=50)


class ServiceForm(forms.Form):
    """A form whose rules live in a service: the service's ValidationFailed becomes field errors."""

    # field name in the service's problem list -> field of this form
    problem_fields: dict[str, str] = {}

    def add_problems(self, failure: ValidationFailed) -> None:
        english = (get_language() or "").startswith("en")
        for problem in failure.details:
            message = problem.get("message_en" if english else "message_zh") or problem.get("message_zh")
            name = self.problem_fields.get(problem.get("field", ""), problem.get("field", ""))
            self.add_error(name if name in self.fields else None, ValidationError(message))


class TalentForm(ServiceForm):
    name = forms.CharField(label=_("姓名"), max_length=100)
    id_kind = forms.ChoiceField(label=_("证件类型"), choices=c.IdKind.choices, initial=c.IdKind.RESIDENT_ID)
    id_number = forms.CharField(label=_("证件号码"), max_length=24)
    phone = forms.CharField(label=_("手机号码"), max_length=20, required=False)
    birth_date = forms.DateField(
        label=_("出生日期"),
        required=False,
        help_text=_("仅护照持有人填写；身份证号已含出生日期"),
        widget=DateInput(),
    )
    gender = forms.ChoiceField(
        label=_("性别"),
        required=False,
        choices=[("", "—"), *c.Gender.choices],
        help_text=_("仅护照持有人填写"),
    )
    # countries by name in the page's language; the code (CN) is what is stored
    nationality = forms.ChoiceField(
        label=_("国籍"), choices=country_choices, initial=CHINA, widget=PlainSelect
    )
    region = forms.ChoiceField(label=_("所在区划"))
    team = forms.ChoiceField(label=_("人才队伍"), choices=c.Team.choices)
    tier = forms.ChoiceField(label=_("人才类别"), required=False, choices=[("", "—"), *c.Tier.choices])
    title_level = forms.ChoiceField(label=_("职称"), required=False, choices=c.TitleLevel.choices)
    skill_level = forms.TypedChoiceField(
        label=_("职业技能等级"), choices=c.SkillLevel.choices, coerce=int, initial=0
    )
    highest_degree = forms.ChoiceField(label=_("最高学历"), choices=c.Degree.choices, initial=c.Degree.NONE)
    employer = forms.ChoiceField(label=_("现工作单位"), required=False)
    employment_type = forms.ChoiceField(
        label=_("引才方式"), required=False, choices=[("", "—"), *c.EmploymentType.choices]
    )
    arrival_date = forms.DateField(label=_("来衢日期"), widget=DateInput())
    is_researcher_venture = forms.BooleanField(label=_("科研人员在职/离岗创业"), required=False)

    problem_fields = {"employer_credit_code": "employer"}

    def __init__(self, data=None, *, regions, enterprises, editing: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region"].choices = [(r.code, region_label(r)) for r in regions]
        self.fields["employer"].choices = [("", "—"), *enterprises]
        if editing:
            # The stored number is sealed; leaving it blank keeps it.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("留空则不修改")
            self.fields["phone"].help_text = _("留空则不修改")

    def talent_input(self, *, current_id_number: str = "") -> TalentInput:
        data = self.cleaned_data
        return TalentInput(
            name=data["name"],
            id_number=data["id_number"] or current_id_number,
            id_kind=data["id_kind"],
            region_code=data["region"],
            team=data["team"],
            arrival_date=data["arrival_date"],
            phone=data["phone"],
            nationality=data["nationality"] or "CN",
            tier=data["tier"],
            title_level=data["title_level"],
            skill_level=data["skill_level"],
            highest_degree=data["highest_degree"],
            employer_credit_code=data["employer"],
            employment_type=data["employment_type"],
            is_researcher_venture=data["is_researcher_venture"],
            birth_date=data["birth_date"],
            gender=data["gender"],
        )

    @staticmethod
    def initial_for(talent) -> dict:
        return {
            "name": talent.name,
            "id_kind": talent.id_kind,
            "birth_date": talent.birth_date if talent.id_kind == c.IdKind.PASSPORT else None,
            "gender": talent.gender if talent.id_kind == c.IdKind.PASSPORT else "",
            "nationality": talent.nationality,
            "region": talent.region.code,
            "team": talent.team,
            "tier": talent.tier,
            "title_level": talent.title_level,
            "skill_level": talent.skill_level,
            "highest_degree": talent.highest_degree,
            "employer": talent.current_employer.credit_code if talent.current_employer else "",
            "employment_type": talent.employment_type,
            "arrival_date": talent.arrival_date,
            "is_researcher_venture": talent.is_researcher_venture,
        }


class TalentTransferForm(ServiceForm):
    """Where the city moves a talent's record: any region it keeps except the one the talent is in."""

    region = forms.ChoiceField(label=_("转入区划"))
    reason = forms.CharField(label=_("转移原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data=None, *, regions, current, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region"].choices = [(r.code, region_label(r)) for r in regions if r.pk != current.pk]


class EnterpriseForm(ServiceForm):
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    name = forms.CharField(label=_("企业名称"), max_length=200)
    region = forms.ChoiceField(label=_("所在区划"))
    industry = forms.ChoiceField(label=_("行业"), choices=c.Industry.choices)
    size = forms.ChoiceField(label=_("规模"), choices=c.EnterpriseSize.choices)
    is_high_tech = forms.BooleanField(label=_("高新技术企业"), required=False)
    is_platform_enterprise = forms.BooleanField(label=_("平台型企业"), required=False)

    def __init__(self, data=None, *, regions, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region"].choices = [(r.code, region_label(r)) for r in regions]

    def enterprise_input(self) -> EnterpriseInput:
        data = self.cleaned_data
        return EnterpriseInput(
            credit_code=data["credit_code"],
            name=data["name"],
            region_code=data["region"],
            industry=data["industry"],
            size=data["size"],
            is_high_tech=data["is_high_tech"],
            is_platform_enterprise=data["is_platform_enterprise"],
        )


class AchievementFilterForm(SearchForm):
    q = forms.CharField(label=_("成果名称或编号"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("成果类别"), required=False, choices=_with_any(c.AchievementKind.choices), widget=PlainSelect
    )
    region = forms.ChoiceField(label=_("区划"), required=False, widget=PlainSelect)

    def __init__(self, data, *, regions):
        super().__init__(data)
        self.fields["region"].choices = _with_any((r.code, region_label(r)) for r in regions)

    def filters(self) -> AchievementFilters:
        return AchievementFilters(**self.values())


class AchievementForm(ServiceForm):
    """Record or change an achievement; holders by ID number or talent number, first holder first."""

    kind = forms.ChoiceField(label=_("成果类别"), choices=c.AchievementKind.choices)
    title = forms.CharField(label=_("名称"), max_length=200)
    reference = forms.CharField(
        label=_("编号"), max_length=64, required=False, help_text=_("专利号、标准号或合同编号，可空")
    )
    achieved_on = forms.DateField(label=_("日期"), widget=DateInput())
    amount = forms.DecimalField(
        label=_("金额（元）"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("成果转化收入、项目经费或纳税额，可空"),
    )
    level = forms.ChoiceField(
        label=_("级别"), required=False, choices=[("", _("无")), *c.ProgrammeLevel.choices]
    )
    holders = forms.CharField(
        label=_("持有人"),
        max_length=2000,
        help_text=_("证件号码或人才编号，多位以“、”或“;”分隔，第一持有人在前"),
    )
    enterprise_credit_code = forms.ChoiceField(label=_("关联单位"), required=False)
    region = forms.ChoiceField(label=_("所在区划"), required=False, help_text=_("留空则为第一持有人所在区划"))

    problem_fields = {"enterprise_credit_code": "enterprise_credit_code", "region": "region"}

    def __init__(self, data=None, *, regions, enterprises, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region"].choices = [
            ("", _("第一持有人所在区划")),
            *((r.code, region_label(r)) for r in regions),
        ]
        self.fields["enterprise_credit_code"].choices = [("", _("无")), *enterprises]

    @staticmethod
    def initial_for(achievement, holder_numbers: list[str]) -> dict:
        """The form's values for a stored achievement; holders by talent number."""
        return {
            "kind": achievement.kind,
            "title": achievement.title,
            "reference": achievement.reference,
            "achieved_on": achievement.achieved_on,
            "amount": achievement.amount,
            "level": achievement.level,
            "holders": "、".join(holder_numbers),
            "enterprise_credit_code": achievement.enterprise.credit_code if achievement.enterprise else "",
            "region": achievement.region.code,
        }

    def achievement_input(self) -> AchievementInput:
        data = self.cleaned_data
        return AchievementInput(
            kind=data["kind"],
            title=data["title"],
            achieved_on=data["achieved_on"],
            holders=split_holders(data["holders"]),
            reference=data["reference"],
            amount=data["amount"],
            level=data["level"],
            enterprise_credit_code=data["enterprise_credit_code"],
            region_code=data["region"],
        )


class ProjectForm(ServiceForm):
    """Register or change a project (带着项目入驻): its lead and team by talent number or ID number."""

    name = forms.CharField(label=_("项目名称"), max_length=200)
    lead = forms.CharField(label=_("项目带头人"), max_length=24, help_text=_("人才编号或证件号码"))
    members = forms.CharField(
        label=_("团队成员"),
        max_length=4000,
        required=False,
        help_text=_("人才编号或证件号码，多位以“、”或“;”分隔"),
    )
    industry = forms.ChoiceField(label=_("行业"), choices=c.Industry.choices)
    investment = forms.DecimalField(
        label=_("投资额（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    landed_on = forms.DateField(label=_("落地日期"), widget=DateInput())
    company_credit_code = forms.ChoiceField(label=_("注册企业"), required=False)
    region_code = forms.ChoiceField(label=_("落地区划"))

    def __init__(self, data=None, *, regions, enterprises, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["region_code"].choices = [(r.code, region_label(r)) for r in regions]
        self.fields["company_credit_code"].choices = [("", _("无")), *enterprises]

    @staticmethod
    def initial_for(project, members: str) -> dict:
        return {
            "name": project.name,
            "lead": str(project.lead_id),
            "members": members,
            "industry": project.industry,
            "investment": project.investment,
            "landed_on": project.landed_on,
            "company_credit_code": project.company.credit_code if project.company else "",
            "region_code": project.region.code,
        }

    def project_input(self) -> ProjectInput:
        data = self.cleaned_data
        return ProjectInput(
            name=data["name"],
            region_code=data["region_code"],
            lead=data["lead"],
            industry=data["industry"],
            landed_on=data["landed_on"],
            members=split_talents(data["members"]),
            investment=data["investment"],
            company_credit_code=data["company_credit_code"],
        )
