"""Who may see and do what: the one place where roles turn into scopes and rights.

Two questions, one vocabulary:

- *What may a user see?* `visible_to(user, queryset)` scopes rows by the `Tenancy` a model declares (its
  region, enterprise and person). Every selector calls it; views and the API never filter by hand.
- *What may a user do?* `may(user, action, obj=None)` answers for one `Action`; `require(...)` raises the
  action's refusal; `restrict(user, queryset, action)` keeps the rows the user may act on. Every view, API
  route, service and template asks these (templates through the `may` filter of `{% load access %}`);
  nothing else compares `user.role`.
"""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import F, Model, Q, QuerySet, Subquery, TextChoices
from django.utils.translation import gettext_lazy as _

from rencai.accounts.models import Role

# -- data scoping -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenancy:
    """Paths from a model to its region, its enterprise and its person (None: not reachable that way)."""

    region: str | None = "region"
    enterprise: str | None = None
    person: str | None = None
    # Rows issued by a region apply below it (a city policy applies in every county): anyone whose home
    # region lies below sees them, besides officers who see their own subtree.
    applies_downward: bool = False
    # Rows assigned to a person by name (an expert's cases): the path to the assigned user, and the
    # conditions that make the assignment live, on the same related row (a recused expert's seat is not)
    assigned: str | None = None
    assigned_when: tuple[tuple[str, object], ...] = ()


class Scope(TextChoices):
    ALL = "all", _("全部")
    REGION = "region", _("本辖区")
    ENTERPRISE = "enterprise", _("本单位")
    SELF = "self", _("本人")
    ASSIGNED = "assigned", _("分配给本人的")
    NONE = "none", _("无")


# What each role sees; what it may do is the `RULES` table below.
ROLE_SCOPES: dict[str, Scope] = {
    Role.CITY_ORG_DEPT: Scope.REGION,
    Role.COUNTY_ORG_DEPT: Scope.REGION,
    Role.DEPARTMENT: Scope.REGION,
    Role.ENTERPRISE: Scope.ENTERPRISE,
    Role.TALENT: Scope.SELF,
    Role.REVIEWER: Scope.ASSIGNED,
    Role.PROVIDER: Scope.NONE,
    Role.INTERMEDIARY: Scope.ASSIGNED,  # an agency's users: their agency's referrals
}


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated


def scope_of(user) -> Scope:
    if not _signed_in(user):
        return Scope.NONE
    if user.is_superuser:
        return Scope.ALL
    return ROLE_SCOPES.get(user.role, Scope.NONE)


def tenancy_of(model: type[Model]) -> Tenancy:
    tenancy = getattr(model, "tenancy", None)
    if tenancy is None:
        raise TypeError(f"{model.__name__} declares no tenancy; it cannot be scoped")
    return tenancy


def region_subtree_ids(region_id: int) -> list[int]:
    """The region and every region below it (a handful of rows; filtering by id avoids a join)."""
    from rencai.core.models import Region

    path = Region.objects.filter(pk=region_id).values("path")[:1]
    return list(Region.objects.filter(path__startswith=Subquery(path)).values_list("pk", flat=True))


def region_ancestor_ids(region_id: int) -> list[int]:
    """The region and every region above it."""
    from rencai.core.models import Region

    path = Region.objects.filter(pk=region_id).values_list("path", flat=True).first()
    if path is None:
        return []
    codes = [code for code in path.split("/") if code]
    return list(Region.objects.filter(code__in=codes).values_list("pk", flat=True))


def home_region_id(user) -> int | None:
    """Where a user belongs: an officer's region, an enterprise's region, a talent's region."""
    if user.region_id:
        return user.region_id
    if user.enterprise_id:
        return user.enterprise.region_id
    talent = getattr(user, "talent", None) if user.role == Role.TALENT else None
    return talent.region_id if talent is not None else None


def scope_filter(user, model: type[Model]) -> Q | None:
    """The Q that limits `model` to what `user` may see; None means nothing at all."""
    scope = scope_of(user)
    tenancy = tenancy_of(model)
    if scope == Scope.ALL:
        return Q()
    if tenancy.applies_downward and tenancy.region:
        home = home_region_id(user)
        inherited = Q(**{f"{tenancy.region}__in": region_ancestor_ids(home)}) if home else None
        if scope == Scope.REGION and user.region_id:
            own = Q(**{f"{tenancy.region}__in": region_subtree_ids(user.region_id)})
            return own if inherited is None else inherited | own
        return inherited
    if scope == Scope.REGION and tenancy.region and user.region_id:
        return Q(**{f"{tenancy.region}__in": region_subtree_ids(user.region_id)})
    if scope == Scope.ENTERPRISE and tenancy.enterprise and user.enterprise_id:
        return Q(**{tenancy.enterprise: user.enterprise_id})
    if scope == Scope.SELF and tenancy.person:
        return Q(**{tenancy.person: user.pk})
    if scope == Scope.ASSIGNED and tenancy.assigned:
        # one Q, so that the user and the conditions are matched on the same related row
        return Q(**{tenancy.assigned: user.pk, **dict(tenancy.assigned_when)})
    return None


def visible_to(user, queryset: QuerySet) -> QuerySet:
    condition = scope_filter(user, queryset.model)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition) if condition else queryset


def can_see(user, obj: Model) -> bool:
    return visible_to(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


# -- action rights ------------------------------------------------------------------------------------------


class Action(TextChoices):
    """Everything a user can be allowed to do, by name. A new capability adds a member and a `RULES` row."""

    # registry
    BROWSE_TALENTS = "browse_talents", _("浏览人才名录（人才本人：本人档案）")
    BROWSE_REGISTRY = "browse_registry", _("浏览人才、企业和平台名录")
    SEARCH_REGION = "search_region", _("检索全辖区名录（企业、院士）")
    REVEAL_PERSONAL_DATA = "reveal_personal_data", _("查看完整证件号、电话和出生日期")
    EDIT_REGISTRY = "edit_registry", _("登记和修改名录")
    TRANSFER_TALENT = "transfer_talent", _("办理人才跨县（市、区）转移")
    IMPORT_REGISTRY = "import_registry", _("批量导入")
    EXPORT = "export", _("导出 Excel")
    # policies
    BROWSE_POLICIES = "browse_policies", _("浏览政策")
    DRAFT_POLICY = "draft_policy", _("制定和发布政策")
    VIEW_POLICY_DRAFTS = "view_policy_drafts", _("查看政策草稿")
    START_MATCHING = "start_matching", _("运行政策匹配")
    SEE_OWN_BENEFITS = "see_own_benefits", _("查看本人政策红利")
    SEE_MATCHING_FIGURES = "see_matching_figures", _("查看政策兑现统计")
    # one-stop services
    APPLY_FOR_SELF = "apply_for_self", _("本人申请服务")
    APPLY_FOR_EMPLOYEE = "apply_for_employee", _("为本单位人才申请服务")
    ACT_AS_APPLICANT = "act_as_applicant", _("以申请人身份办理（撤回、补正）")
    CONFIRM_OFFER = "confirm_offer", _("确认或放弃免申即享")
    WORK_AT_WINDOW = "work_at_window", _("综合窗口受理")
    DECIDE_STEP = "decide_step", _("部门审批环节")
    DECIDE_LOAN = "decide_loan", _("审批公积金贷款")
    SEE_SERVICE_DASHBOARD = "see_service_dashboard", _("查看服务看板")
    MAINTAIN_CATALOGUE = "maintain_catalogue", _("维护服务事项")
    REVOKE_CARD = "revoke_card", _("注销人才金卡")
    VIEW_MATERIAL_FILE = "view_material_file", _("查看申请材料文件")
    VERIFY_CARD = "verify_card", _("核验人才金卡")
    REDEEM_VOUCHER = "redeem_voucher", _("兑付教育券")
    # the working-day calendar
    SEE_CALENDAR_WARNING = "see_calendar_warning", _("查看工作日历提醒")
    MAINTAIN_CALENDAR = "maintain_calendar", _("维护工作日历")
    # evaluation
    BROWSE_EVALUATION = "browse_evaluation", _("浏览人才评价")
    MANAGE_EVALUATION = "manage_evaluation", _("管理评价方案、批次、专家库和公示")
    APPLY_FOR_EVALUATION = "apply_for_evaluation", _("申报人才评价")
    CONFIRM_AS_EMPLOYER = "confirm_as_employer", _("以用人单位身份确认评价申报")
    FIRST_REVIEW = "first_review", _("评价初审（县级）")
    SECOND_REVIEW = "second_review", _("评价复审（市级）")
    SCORE_CASE = "score_case", _("评审打分")
    ANSWER_OBJECTION = "answer_objection", _("办理公示异议")
    NOMINATE_CTO = "nominate_cto", _("推荐首席技术官")
    # recruitment
    BROWSE_RECRUITMENT = "browse_recruitment", _("浏览招才引智")
    MANAGE_RECRUITMENT = "manage_recruitment", _("管理工作站、推介会、中介机构和引才奖励")
    POST_DEMAND = "post_demand", _("发布人才需求")
    REVIEW_DEMAND = "review_demand", _("审核人才需求")
    REFER_CANDIDATE = "refer_candidate", _("推荐人才（中介机构）")
    RECORD_LEAD = "record_lead", _("登记推介会和工作站线索")
    SETTLE_REWARDS = "settle_rewards", _("结算引才奖励")
    # analytics
    VIEW_ANALYTICS = "view_analytics", _("查看统计分析和工作看板")
    MANAGE_INDICATORS = "manage_indicators", _("维护统计指标")
    SEE_PEOPLE_BEHIND_FIGURES = "see_people_behind_figures", _("查看指标背后的人员名单")
    # coordination
    BROWSE_COORDINATION = "browse_coordination", _("查看目标责任考核和工作台账")
    SET_TARGETS = "set_targets", _("下达、评分和锁定目标责任考核")
    ASSESS_TARGETS = "assess_targets", _("确认目标和填报自评")
    KEEP_WORKLIST = "keep_worklist", _("维护职责清单和工作台账")
    COMMENT_ON_DRAFT = "comment_on_draft", _("对政策草案提出意见")
    SUPERVISE_WORKLIST = "supervise_worklist", _("督办工作台账和一把手项目")
    # accounts
    USE_API = "use_api", _("使用 API 令牌")


Check = Callable[[Any, Any], bool]
Narrow = Callable[[Any, QuerySet], QuerySet]


@dataclass(frozen=True)
class Right:
    """Who holds an action: these roles (the administrator too unless `superuser` is False), and, when an
    object is given, only if `check(user, obj)` holds for it. `refusal` is what the user is told."""

    roles: frozenset[str]
    refusal: tuple[str, str]
    check: Check | None = None
    # The same check as a filter, for `restrict`; None where the role's scope already is the check
    narrow: Narrow | None = None
    # What the user is told when the role holds the right but not for this object (default: `refusal`)
    object_refusal: tuple[str, str] | None = None
    superuser: bool = True
    # Object checks that fail for a row the user cannot see answer "not found", never "forbidden"
    hide_refused_object: bool = False


def _region_of_obj_visible(user, obj) -> bool:
    """The object is (or belongs to) a region the user's scope covers."""
    from rencai.core.models import Region

    region = obj if isinstance(obj, Region) else getattr(obj, "region", None)
    if region is None:
        return False  # an object this check does not understand is refused, never let through
    return visible_to(user, Region.objects.filter(pk=region.pk)).exists()


def _own_talent_record(user, obj) -> bool:
    """`obj` is the user's own talent record, or a row of it (an application, an entitlement)."""
    talent = obj if hasattr(obj, "account_id") else getattr(obj, "talent", None)
    return talent is not None and talent.account_id == user.pk


def _employee_of_user(user, obj) -> bool:
    """`obj` is a talent employed by the user's enterprise."""
    return bool(user.enterprise_id) and getattr(obj, "current_employer_id", None) == user.enterprise_id


def _applicant_of(user, obj) -> bool:
    """The talent an application is for, or the enterprise that made it on the talent's behalf."""
    if obj.talent.account_id == user.pk:
        return True
    return bool(user.enterprise_id) and obj.enterprise_id == user.enterprise_id


def _talent_of(obj):
    """The talent a row is about: a talent itself, or a row with a `talent` (a case, a nomination)."""
    if hasattr(obj, "account_id") and hasattr(obj, "current_employer_id"):
        return obj
    return getattr(obj, "talent", None)


def _own_or_employee(user, obj) -> bool:
    """The user's own talent record, or a talent employed by the user's enterprise (or a row about one)."""
    talent = _talent_of(obj)
    if talent is None:
        return False
    if talent.account_id == user.pk:
        return True
    return bool(user.enterprise_id) and talent.current_employer_id == user.enterprise_id


def _own_enterprise_row(user, obj) -> bool:
    """A row of the user's own enterprise (a case it must confirm as employer)."""
    return bool(user.enterprise_id) and getattr(obj, "enterprise_id", None) == user.enterprise_id


def _own_enterprise_rows(user, queryset: QuerySet) -> QuerySet:
    return queryset.filter(enterprise_id=user.enterprise_id) if user.enterprise_id else queryset.none()


def _station_operator(user, obj) -> bool:
    """An organization officer who sees the row's region, or an operator of the row's station."""
    station = obj if hasattr(obj, "operators") else getattr(obj, "station", None)
    if station is not None and station.operators.filter(pk=user.pk).exists():
        return True
    return (user.is_superuser or user.role in ORG) and _region_of_obj_visible(user, obj)


def _own_department(user, obj) -> bool:
    """A step task or a loan referral waiting at the user's own department."""
    return user.is_superuser or (bool(user.department_id) and obj.department_id == user.department_id)


def _own_department_rows(user, queryset: QuerySet) -> QuerySet:
    if user.is_superuser:
        return queryset
    return queryset.filter(department_id=user.department_id) if user.department_id else queryset.none()


def _assessed_unit(user, obj) -> bool:
    """A target sheet (or an item of one) whose assessed unit is the user's: a county organization
    department for its own region's sheet, a department officer for their department's sheet."""
    if user.is_superuser:
        return True
    sheet = getattr(obj, "sheet", obj)
    if sheet.department_id:
        return user.role == Role.DEPARTMENT and user.department_id == sheet.department_id
    return user.role == Role.COUNTY_ORG_DEPT and user.region_id == sheet.region_id


def _assessed_unit_rows(user, queryset: QuerySet) -> QuerySet:
    if user.is_superuser:
        return queryset
    field = "sheet__" if queryset.model._meta.model_name != "targetsheet" else ""
    if user.role == Role.DEPARTMENT:
        return (
            queryset.filter(**{f"{field}department_id": user.department_id})
            if user.department_id
            else queryset.none()
        )
    return queryset.filter(**{f"{field}region_id": user.region_id, f"{field}department__isnull": True})


def _own_region_rows(user, queryset: QuerySet) -> QuerySet:
    """Rows of a higher region apply downward and are seen, but only rows of one's own regions change."""
    from rencai.core.models import Region

    if user.is_superuser:
        return queryset
    path = "pk" if queryset.model is Region else tenancy_of(queryset.model).region
    return queryset.filter(**{f"{path}__in": visible_to(user, Region.objects.all()).values("pk")})


def _material_file_rows(user, queryset: QuerySet) -> QuerySet:
    """The documents (of a talent's material library) whose file the user may open: the talent's own, and
    those of an application the user is a party to — its applicant (the talent, or the enterprise that
    applied), the window officers of its region (also the library's current copy of a type the
    application needs, which the window checks before acceptance) and the departments with a step of it.
    """
    if user.is_superuser:
        return queryset
    parties = []
    if may(user, Action.ACT_AS_APPLICANT):
        parties.append(Q(talent__account_id=user.pk))
        if user.enterprise_id:
            parties.append(Q(uses__application__enterprise_id=user.enterprise_id))
    if may(user, Action.WORK_AT_WINDOW) and user.region_id:
        regions = region_subtree_ids(user.region_id)
        parties.append(Q(uses__application__region_id__in=regions))
        parties.append(
            Q(
                is_current=True,
                talent__applications__region_id__in=regions,
                talent__applications__item__materials=F("material_type"),
            )
        )
    if may(user, Action.DECIDE_STEP) and user.department_id:
        parties.append(Q(uses__application__steps__department_id=user.department_id))
    if not parties:
        return queryset.none()
    # the joins over applications and steps repeat a row once per match: keep each document once
    return queryset.filter(pk__in=queryset.filter(reduce(operator.or_, parties)).values("pk"))


def _keeps_worklist(user, obj) -> bool:
    """Organization officers keep the work lists, items and first secretaries' projects of their regions;
    a department's officers only their own department's list (a project belongs to no department)."""
    if user.is_superuser or user.role in ORG:
        return _region_of_obj_visible(user, obj)
    department_id = getattr(obj, "department_id", None)
    return department_id is not None and department_id == user.department_id


def _worklist_rows(user, queryset: QuerySet) -> QuerySet:
    if user.is_superuser or user.role in ORG:
        return queryset
    has_department = any(field.name == "department" for field in queryset.model._meta.concrete_fields)
    if not has_department or not user.department_id:
        return queryset.none()
    return queryset.filter(department_id=user.department_id)


def _invited_to_comment(user, obj) -> bool:
    """Officers who see a consultation may comment on it; an enterprise only on one it is invited to."""
    if not can_see(user, obj):
        return False
    if user.enterprise_id and not user.is_superuser:
        return obj.invitations.filter(enterprise_id=user.enterprise_id).exists()
    return True


def _invited_rows(user, queryset: QuerySet) -> QuerySet:
    if user.enterprise_id and not user.is_superuser:
        return queryset.filter(invitations__enterprise_id=user.enterprise_id).distinct()
    return queryset


def _material_file_openable(user, obj) -> bool:
    rows = type(obj)._default_manager.filter(pk=obj.pk)
    return _material_file_rows(user, visible_to(user, rows)).exists()


ORG = frozenset({Role.CITY_ORG_DEPT, Role.COUNTY_ORG_DEPT})  # organization departments
OFFICERS = ORG | {Role.DEPARTMENT}
REGISTRY_READERS = OFFICERS | {Role.ENTERPRISE}
NOBODY: frozenset[str] = frozenset()

RULES: dict[Action, Right] = {
    Action.BROWSE_TALENTS: Right(
        REGISTRY_READERS | {Role.TALENT}, ("无权浏览人才名录", "You may not browse talents")
    ),
    Action.BROWSE_REGISTRY: Right(REGISTRY_READERS, ("无权浏览名录", "You may not browse the registry")),
    Action.SEARCH_REGION: Right(OFFICERS, ("无权检索全辖区名录", "You may not search the whole region")),
    Action.REVEAL_PERSONAL_DATA: Right(
        ORG | {Role.TALENT},
        ("无权查看完整个人信息", "You may not see this personal data in full"),
        check=can_see,
    ),
    Action.EDIT_REGISTRY: Right(ORG, ("无权修改人才登记信息", "You may not change the registry")),
    # A talent moving between counties: the city moves the record, so no county ever needs to learn
    # whether another county holds an ID number
    Action.TRANSFER_TALENT: Right(
        frozenset({Role.CITY_ORG_DEPT}),
        (
            "人才跨县（市、区）转移由市委组织部办理",
            "Only the city organization department moves talents between counties",
        ),
        check=can_see,
        hide_refused_object=True,
    ),
    Action.IMPORT_REGISTRY: Right(ORG, ("无权批量导入登记信息", "You may not import into the registry")),
    Action.EXPORT: Right(REGISTRY_READERS, ("无权导出名单", "You may not export lists")),
    Action.DRAFT_POLICY: Right(
        ORG,
        ("只有组织部门可以制定政策", "Only organization departments may draft policies"),
        check=_region_of_obj_visible,
        narrow=_own_region_rows,
        object_refusal=("只能制定本辖区的政策", "You may only draft policies for your own region"),
    ),
    Action.BROWSE_POLICIES: Right(OFFICERS, ("无权浏览政策", "You may not browse policies")),
    Action.VIEW_POLICY_DRAFTS: Right(ORG, ("无权查看政策草稿", "You may not see policy drafts")),
    Action.START_MATCHING: Right(
        frozenset({Role.CITY_ORG_DEPT}),
        ("只有市委组织部可以运行政策匹配", "Only the city organization department may run matching"),
    ),
    Action.SEE_OWN_BENEFITS: Right(
        frozenset({Role.TALENT}), ("此页面供人才本人使用", "This page is for talents"), superuser=False
    ),
    Action.SEE_MATCHING_FIGURES: Right(OFFICERS, ("无权查看政策兑现统计", "You may not see these figures")),
    Action.APPLY_FOR_SELF: Right(
        frozenset({Role.TALENT}),
        ("只有人才本人或其用人单位可以申请", "Only the talent or their employer may apply"),
        check=_own_talent_record,
        superuser=False,
        hide_refused_object=True,
    ),
    Action.APPLY_FOR_EMPLOYEE: Right(
        frozenset({Role.ENTERPRISE}),
        ("只有人才本人或其用人单位可以申请", "Only the talent or their employer may apply"),
        check=_employee_of_user,
        superuser=False,
        hide_refused_object=True,
    ),
    Action.ACT_AS_APPLICANT: Right(
        frozenset({Role.TALENT, Role.ENTERPRISE}),
        ("您不是该申请的当事方", "You are not a party to this application"),
        check=_applicant_of,
        superuser=False,
    ),
    Action.CONFIRM_OFFER: Right(
        frozenset({Role.TALENT}),
        ("只有人才本人可以确认", "Only the talent may confirm"),
        check=_own_talent_record,
        superuser=False,
        hide_refused_object=True,
    ),
    Action.WORK_AT_WINDOW: Right(
        ORG,
        (
            "只有综合窗口（组织部门）工作人员可以办理",
            "Only one-stop window (organization) officers may do this",
        ),
        check=can_see,
        hide_refused_object=True,
    ),
    Action.DECIDE_STEP: Right(
        frozenset({Role.DEPARTMENT}),
        ("只有办理部门可以审批该环节", "Only the step's department may decide it"),
        check=_own_department,
        narrow=_own_department_rows,
        hide_refused_object=True,
    ),
    Action.DECIDE_LOAN: Right(
        frozenset({Role.DEPARTMENT}),
        ("只有公积金中心可以审批", "Only the housing-fund centre may decide"),
        check=_own_department,
        narrow=_own_department_rows,
        hide_refused_object=True,
    ),
    Action.SEE_SERVICE_DASHBOARD: Right(OFFICERS, ("此页面供工作人员使用", "This page is for officers")),
    Action.MAINTAIN_CATALOGUE: Right(
        ORG,
        ("只有组织部门可以维护服务事项", "Only organization departments may maintain service items"),
        check=_region_of_obj_visible,
        narrow=_own_region_rows,
        object_refusal=("只能维护本辖区的服务事项", "You may only maintain service items of your own region"),
    ),
    Action.REVOKE_CARD: Right(
        ORG,
        ("只有组织部门可以注销人才金卡", "Only organization departments may revoke gold cards"),
        check=can_see,
        hide_refused_object=True,
    ),
    # A certificate is personal data: nobody learns that a document exists unless it is theirs to open
    Action.VIEW_MATERIAL_FILE: Right(
        OFFICERS | {Role.TALENT, Role.ENTERPRISE},
        ("无权查看申请材料", "You may not open application materials"),
        check=_material_file_openable,
        narrow=_material_file_rows,
        hide_refused_object=True,
    ),
    Action.VERIFY_CARD: Right(
        OFFICERS | {Role.PROVIDER},
        ("只有服务提供方和工作人员可以核验人才金卡", "Only providers and officers may verify cards"),
    ),
    Action.REDEEM_VOUCHER: Right(
        frozenset({Role.PROVIDER}), ("只有服务提供方可以兑付教育券", "Only providers may redeem vouchers")
    ),
    Action.SEE_CALENDAR_WARNING: Right(OFFICERS, ("无权查看", "You may not see this")),
    Action.MAINTAIN_CALENDAR: Right(NOBODY, ("只有系统管理员可以维护工作日历", "Only administrators may")),
    # Evaluation (人才评价). Officers, enterprises and talents browse within their scope; an expert sees the
    # cases assigned to them (Scope.ASSIGNED: an active seat on the case's panel) and nothing else.
    Action.BROWSE_EVALUATION: Right(
        REGISTRY_READERS | {Role.TALENT, Role.REVIEWER}, ("无权查看人才评价", "You may not see evaluations")
    ),
    Action.MANAGE_EVALUATION: Right(
        ORG,
        ("只有组织部门可以管理人才评价", "Only organization departments may manage evaluations"),
        check=_region_of_obj_visible,
        narrow=_own_region_rows,
        object_refusal=("只能管理本辖区的人才评价", "You may only manage evaluations of your own region"),
    ),
    Action.APPLY_FOR_EVALUATION: Right(
        frozenset({Role.TALENT, Role.ENTERPRISE}),
        ("只有人才本人或其用人单位可以申报", "Only the talent or their employer may apply"),
        check=_own_or_employee,
        superuser=False,
        hide_refused_object=True,
    ),
    Action.CONFIRM_AS_EMPLOYER: Right(
        frozenset({Role.ENTERPRISE}),
        ("只有用人单位可以确认", "Only the employer may confirm"),
        check=_own_enterprise_row,
        narrow=_own_enterprise_rows,
        superuser=False,
        hide_refused_object=True,
    ),
    Action.FIRST_REVIEW: Right(
        ORG,
        ("只有组织部门可以初审", "Only organization departments may review"),
        check=can_see,
        hide_refused_object=True,
    ),
    Action.SECOND_REVIEW: Right(
        frozenset({Role.CITY_ORG_DEPT}),
        ("评价复审由市委组织部办理", "Only the city organization department makes the second review"),
        check=can_see,
        hide_refused_object=True,
    ),
    # The seat is the check: a case is visible to an expert only through an active seat on its panel
    Action.SCORE_CASE: Right(
        frozenset({Role.REVIEWER}),
        ("只有评审专家可以打分", "Only panel experts may score"),
        check=can_see,
        superuser=False,
        hide_refused_object=True,
    ),
    Action.ANSWER_OBJECTION: Right(
        ORG,
        ("只有组织部门可以办理异议", "Only organization departments may answer objections"),
        check=can_see,
        hide_refused_object=True,
    ),
    Action.NOMINATE_CTO: Right(
        frozenset({Role.ENTERPRISE}),
        ("只有用人单位可以推荐首席技术官", "Only an enterprise may nominate its chief technology officer"),
        check=_employee_of_user,
        superuser=False,
        hide_refused_object=True,
    ),
    # Recruitment (招才引智). Officers and enterprises browse within their scope; an agency's users see their
    # agency's referrals (Scope.ASSIGNED through AgencyMember).
    Action.VIEW_ANALYTICS: Right(OFFICERS, ("无权查看统计分析", "You may not see the statistics")),
    Action.MANAGE_INDICATORS: Right(
        frozenset({Role.CITY_ORG_DEPT}),
        ("只有市委组织部可以维护统计指标", "Only the city organization department may maintain indicators"),
    ),
    Action.SEE_PEOPLE_BEHIND_FIGURES: Right(
        ORG, ("无权查看指标背后的人员名单", "You may not see the people behind the figures")
    ),
    Action.BROWSE_COORDINATION: Right(
        OFFICERS, ("无权查看目标责任考核和工作台账", "You may not see targets and work lists")
    ),
    Action.SET_TARGETS: Right(
        frozenset({Role.CITY_ORG_DEPT}),
        (
            "只有市委组织部可以下达和审定目标责任考核",
            "Only the city organization department sets and locks targets",
        ),
    ),
    Action.ASSESS_TARGETS: Right(
        frozenset({Role.COUNTY_ORG_DEPT, Role.DEPARTMENT}),
        (
            "只有被考核的县（市、区）和部门可以确认目标和自评",
            "Only the assessed county or department may agree and self-assess",
        ),
        check=_assessed_unit,
        narrow=_assessed_unit_rows,
        object_refusal=(
            "只能确认和自评本单位的考核表",
            "You may only agree and self-assess your own unit's sheet",
        ),
    ),
    Action.KEEP_WORKLIST: Right(
        OFFICERS,
        ("无权维护职责清单和工作台账", "You may not keep duties and work lists"),
        check=_keeps_worklist,
        narrow=_worklist_rows,
        object_refusal=(
            "只能维护本部门（本辖区）的职责清单和工作台账",
            "You may only keep your own department's (region's) work list",
        ),
    ),
    Action.SUPERVISE_WORKLIST: Right(
        ORG,
        ("只有组织部门可以督办工作台账", "Only organization departments supervise work lists"),
        check=_region_of_obj_visible,
    ),
    Action.COMMENT_ON_DRAFT: Right(
        OFFICERS | {Role.ENTERPRISE},
        ("无权对政策草案提出意见", "You may not comment on policy drafts"),
        check=_invited_to_comment,
        narrow=_invited_rows,
        hide_refused_object=True,
    ),
    Action.BROWSE_RECRUITMENT: Right(
        REGISTRY_READERS | {Role.INTERMEDIARY}, ("无权查看招才引智信息", "You may not see recruitment")
    ),
    Action.MANAGE_RECRUITMENT: Right(
        ORG,
        ("只有组织部门可以管理招才引智", "Only organization departments may manage recruitment"),
        check=_region_of_obj_visible,
        narrow=_own_region_rows,
        object_refusal=("只能管理本辖区的招才引智", "You may only manage recruitment of your own region"),
    ),
    Action.POST_DEMAND: Right(
        frozenset({Role.ENTERPRISE}),
        ("只有用人单位可以发布人才需求", "Only an enterprise may post demands"),
        check=_own_enterprise_row,
        narrow=_own_enterprise_rows,
        superuser=False,
        hide_refused_object=True,
    ),
    Action.REVIEW_DEMAND: Right(
        ORG,
        ("只有组织部门可以审核人才需求", "Only organization departments may review demands"),
        check=can_see,
        hide_refused_object=True,
    ),
    Action.REFER_CANDIDATE: Right(
        frozenset({Role.INTERMEDIARY}),
        ("只有签约中介机构可以推荐人才", "Only contracted agencies may refer candidates"),
        check=can_see,
        superuser=False,
        hide_refused_object=True,
    ),
    # Leads are recorded by the organization departments and by the operators of the station that met them
    Action.RECORD_LEAD: Right(
        ORG | {Role.INTERMEDIARY},
        ("无权登记引才线索", "You may not record leads"),
        check=_station_operator,
        hide_refused_object=True,
    ),
    Action.SETTLE_REWARDS: Right(
        frozenset({Role.CITY_ORG_DEPT}),
        ("引才奖励由市委组织部结算", "Only the city organization department settles rewards"),
    ),
    # The API serves systems: officers' and enterprises' own software, providers' card readers. Talents,
    # reviewers and intermediaries work in the pages; their home page offers no token.
    Action.USE_API: Right(
        OFFICERS | {Role.ENTERPRISE, Role.PROVIDER},
        (
            "API 令牌供工作人员、用人单位和服务提供方的系统使用",
            "API tokens are for officers', employers' and providers' systems",
        ),
    ),
}


def _holds_role_right(user, right: Right) -> bool:
    if not _signed_in(user):
        return False
    if user.is_superuser:
        return right.superuser
    return user.role in right.roles


def may(user, action: Action, obj: Model | None = None) -> bool:
    """Whether `user` may do `action` (on `obj`, when the right depends on the object)."""
    right = RULES[Action(action)]
    if not _holds_role_right(user, right):
        return False
    return obj is None or right.check is None or right.check(user, obj)


def require(user, action: Action, obj: Model | None = None) -> None:
    """Raise the action's refusal unless `may(user, action, obj)`: PermissionDenied, or NotFound where
    the object should not even be admitted to exist."""
    from rencai.core.errors import NotFound, PermissionDenied

    if may(user, action, obj):
        return
    right = RULES[Action(action)]
    if obj is not None and _holds_role_right(user, right):
        if right.hide_refused_object:
            raise NotFound()
        raise PermissionDenied(*(right.object_refusal or right.refusal))
    raise PermissionDenied(*right.refusal)


def holders(action: Action) -> Q:
    """The users whose role holds `action` (for finding whom to tell), as a filter on users."""
    return Q(role__in=sorted(RULES[Action(action)].roles))


def restrict(user, queryset: QuerySet, action: Action) -> QuerySet:
    """The rows of `queryset` the user sees and may do `action` on (one query, no per-row checks)."""
    right = RULES[Action(action)]
    if not _holds_role_right(user, right):
        return queryset.none()
    queryset = visible_to(user, queryset)
    return right.narrow(user, queryset) if right.narrow is not None else queryset


# -- strength of authentication -----------------------------------------------------------------------------
# Privileged accounts (GB/T 22239-2019 level 3, identification and authentication): government officers,
# the reviewers who read applicants' files, and administrators. They must pass a second factor
# (`rencai.accounts.two_factor`) and their sessions end after a short idle time (`accounts.middleware`).
PRIVILEGED_ROLES = OFFICERS | {Role.REVIEWER}


def is_privileged(user) -> bool:
    """Whether `user` must sign in with a second factor and is held to the officers' idle limit."""
    return _signed_in(user) and (user.is_superuser or user.is_staff or user.role in PRIVILEGED_ROLES)
