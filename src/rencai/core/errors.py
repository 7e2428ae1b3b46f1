"""Domain exceptions: a stable code plus a Chinese and an English message, rendered by UI and API.

`problem(field, zh, en)` is the one shape of a field's problem (in `ValidationFailed.details`, import row
reports and form errors alike).
"""

from collections.abc import Mapping, Sequence
from typing import TypedDict

from django.db.models import TextChoices
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Problem(TypedDict):
    field: str
    message_zh: str
    message_en: str


def problem(field: str, zh: str, en: str = "") -> Problem:
    """One field's problem in both languages (English falls back to the Chinese text)."""
    return {"field": field, "message_zh": zh, "message_en": en or zh}


class ErrorCode(TextChoices):
    """Every code a DomainError carries; the value is what UI and API clients see and test against."""

    PERMISSION_DENIED = "permission_denied", _("无权执行此操作")
    NOT_FOUND = "not_found", _("对象不存在或无权查看")
    VALIDATION_FAILED = "validation_failed", _("输入有误")
    ILLEGAL_TRANSITION = "illegal_transition", _("不允许的状态变更")
    ALREADY_OPEN = "already_open", _("已有正在办理的申请")
    INELIGIBLE = "ineligible", _("不符合申请条件")
    MATERIALS_MISSING = "materials_missing", _("材料不齐")
    NOTICE_EXISTS = "notice_exists", _("已告知过补正")
    NO_DEPARTMENT = "no_department", _("没有可办理的部门")
    STEP_DECIDED = "step_decided", _("环节已办理")
    CARD_HELD = "card_held", _("已持有人才金卡")
    CARD_NUMBER_BUSY = "card_number_busy", _("发卡繁忙")
    CARD_REVOKED = "card_revoked", _("人才金卡已注销")
    INVALID_CARD_TOKEN = "invalid_card_token", _("人才金卡二维码无效")
    VOUCHER_CANCELLED = "voucher_cancelled", _("教育券已作废")
    VOUCHER_REDEEMED = "voucher_redeemed", _("教育券已兑付过")
    LOAN_DECIDED = "loan_decided", _("贷款转介已审批")
    VERSION_NOT_DRAFT = "version_not_draft", _("版本不是草稿")
    VERSION_NOT_ISSUED = "version_not_issued", _("版本未发布")
    VERSION_OVERLAP = "version_overlap", _("版本生效日期冲突")
    ENTITLEMENT_NOT_OFFERED = "entitlement_not_offered", _("政策红利不是待确认状态")
    IMPORT_REFUSED = "import_refused", _("文件不能导入")
    IMPORT_CONFLICT = "import_conflict", _("导入时数据冲突")
    EXPORT_TOO_LARGE = "export_too_large", _("导出行数超过上限")
    CALENDAR_YEAR_MISSING = "calendar_year_missing", _("工作日历缺少该年份")
    DEMO_REFUSED = "demo_refused", _("不能生成演示数据")
    UNAVAILABLE = "unavailable", _("服务暂时不可用")
    RUN_IN_PROGRESS = "run_in_progress", _("另一个任务正在运行")
    REQUEST_TOO_LARGE = "request_too_large", _("请求过大")
    BUDGET_EXHAUSTED = "budget_exhausted", _("预算余额不足")
    ALREADY_PAID = "already_paid", _("已享受该政策")
    BUDGET_BELOW_COMMITTED = "budget_below_committed", _("预算低于已承诺金额")
    TOO_MANY_ATTEMPTS = "too_many_attempts", _("尝试次数过多")
    SSO_REFUSED = "sso_refused", _("统一身份认证登录被拒绝")
    # evaluation
    WEIGHTS_NOT_100 = "weights_not_100", _("权重合计不是100")
    SCHEME_PUBLISHED = "scheme_published", _("评价方案已发布，不能修改")
    ROUND_CLOSED = "round_closed", _("评价批次不在该阶段")
    DEADLINE_PASSED = "deadline_passed", _("已过截止日期")
    CONFLICT_OF_INTEREST = "conflict_of_interest", _("存在利益冲突")
    POOL_TOO_SMALL = "pool_too_small", _("专家库人数不足")
    QUORUM_NOT_MET = "quorum_not_met", _("评审人数未达法定比例")
    SCORE_OUT_OF_RANGE = "score_out_of_range", _("分值超出范围")
    OBJECTION_DUPLICATE = "objection_duplicate", _("同一事项已提出过异议")
    NOTICE_NOT_OVER = "notice_not_over", _("公示期未满或异议未办结")
    QUOTA_EXCEEDED = "quota_exceeded", _("超过名额")
    INTEGRITY_VETO = "integrity_veto", _("存在诚信问题，一票否决")
    # recruitment
    ALREADY_REFERRED = "already_referred", _("该人才已由其他机构推荐")
    CONSENT_MISSING = "consent_missing", _("缺少本人同意")
    ALREADY_EMPLOYED = "already_employed", _("该人才已在该单位工作")
    NOT_CONFIRMED = "not_confirmed", _("登记信息无法核实到岗")
    CAP_REACHED = "cap_reached", _("已达奖励上限")
    # coordination: targets
    POINTS_NOT_100 = "points_not_100", _("考核分值合计不是100")
    SHEET_LOCKED = "sheet_locked", _("考核结果已审定锁定，不能修改")
    SHEETS_NOT_LOCKED = "sheets_not_locked", _("尚有考核表未审定")
    # coordination: consultation on policy drafts
    COMMENTS_UNANSWERED = "comments_unanswered", _("尚有意见未答复")
    CONSULTATION_CLOSED = "consultation_closed", _("征求意见已结束")


class DomainError(Exception):
    """A refusal the user can understand and act on; never a stack trace."""

    status = 400

    def __init__(self, code: ErrorCode, message_zh: str, message_en: str, *, details: list | None = None):
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details or []

    @property
    def message(self) -> str:
        return self.message_en if (get_language() or "").startswith("en") else self.message_zh

    def as_dict(self) -> dict:
        return {
            "code": str(self.code),  # the plain value: JSON and templates see a string, not an enum
            "message": self.message,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message_zh: str = "无权执行此操作", message_en: str = "You may not do this"):
        super().__init__(ErrorCode.PERMISSION_DENIED, message_zh, message_en)


class NotFound(DomainError):
    status = 404

    def __init__(self, message_zh: str = "对象不存在或无权查看", message_en: str = "Not found"):
        super().__init__(ErrorCode.NOT_FOUND, message_zh, message_en)


class ValidationFailed(DomainError):
    """Input that breaks a rule; `details` lists each field's problem in both languages."""

    status = 422

    def __init__(
        self,
        details: Sequence[Mapping[str, object]],
        message_zh: str = "输入有误",
        message_en: str = "Invalid input",
    ):
        super().__init__(ErrorCode.VALIDATION_FAILED, message_zh, message_en, details=list(details))
