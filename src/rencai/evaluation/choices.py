"""The states and kinds of evaluation, as enums (never string literals in logic)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    """What a scheme and its rounds evaluate for."""

    RECOGNITION = "recognition", _("人才认定")
    CHIEF_TECH_OFFICER = "chief_tech_officer", _("首席技术官")
    ANNUAL = "annual", _("年度考核")  # the yearly evaluation that releases a staged benefit's instalment
    ENTERPRISE_SELF = "enterprise_self", _("企业自主评价")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class EvaluatorKind(models.TextChoices):
    """多元评价主体: each kind's scores are averaged, then weighted by the scheme."""

    GOVERNMENT = "government", _("政府")
    MARKET = "market", _("市场")
    PROFESSIONAL_BODY = "professional_body", _("专业组织")
    EMPLOYER = "employer", _("用人单位")


class IndicatorSource(models.TextChoices):
    COMPUTED = "computed", _("系统计算")
    SCORED = "scored", _("专家评分")


class IndicatorBasis(models.TextChoices):
    """What an indicator measures: results, or one of the "三唯" (degree, seniority, papers) that a scheme
    must not score alone."""

    RESULTS = "results", _("实绩贡献")
    DEGREE = "degree", _("学历")
    SENIORITY = "seniority", _("资历")
    PAPERS = "papers", _("论文")
    OTHER = "other", _("其他")


THREE_ONLY = frozenset({IndicatorBasis.DEGREE, IndicatorBasis.SENIORITY, IndicatorBasis.PAPERS})


class RoundState(models.TextChoices):
    DRAFT = "draft", _("筹备中")
    OPEN = "open", _("申报中")
    REVIEWING = "reviewing", _("评审中")
    NOTICE = "notice", _("公示中")
    CLOSED = "closed", _("已结束")


class CaseState(models.TextChoices):
    """One evaluation case (a talent's application in a round), through every stage of the round."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已申报，待单位确认")
    RETURNED = "returned", _("退回补正")
    CONFIRMED = "confirmed", _("单位已确认，待县级初审")
    FIRST_PASSED = "first_passed", _("初审通过，待专家评审")
    PANEL = "panel", _("专家评审中")
    SCORED = "scored", _("评审完成，待市级复审")
    SECOND_PASSED = "second_passed", _("复审通过，待公示")
    NOTICE = "notice", _("公示中")
    RECOGNIZED = "recognized", _("评价通过")
    NOT_RECOGNIZED = "not_recognized", _("评价未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    REVOKED = "revoked", _("已撤销")


class CaseResult(models.TextChoices):
    NONE = "", _("未定")
    PASSED = "passed", _("通过")
    FAILED = "failed", _("未通过")


class SeatRole(models.TextChoices):
    MEMBER = "member", _("评审专家")
    RESERVE = "reserve", _("候补专家")


class SeatStatus(models.TextChoices):
    ACTIVE = "active", _("在任")
    WAITING = "waiting", _("候补待命")
    RECUSED = "recused", _("已回避")
    REPLACED = "replaced", _("已替换")


class PanelState(models.TextChoices):
    SCORING = "scoring", _("评分中")
    CLOSED = "closed", _("已结束")


class ConflictKind(models.TextChoices):
    SELF = "self", _("本人")
    EMPLOYER = "employer", _("同一单位（现任或近三年）")
    PLATFORM = "platform", _("同一平台或院士工作站")
    ACHIEVEMENT = "achievement", _("共同成果")
    DECLARED = "declared", _("申报的亲属或利害关系")


class NoticeState(models.TextChoices):
    OPEN = "open", _("公示中")
    ENDED = "ended", _("公示期满")


class ObjectionPoint(models.TextChoices):
    """The point an objection is about: one objection per person, case and point."""

    ACHIEVEMENT = "achievement", _("成果真实性")
    INTEGRITY = "integrity", _("品德诚信")
    ELIGIBILITY = "eligibility", _("申报资格")
    PROCEDURE = "procedure", _("评审程序")
    OTHER = "other", _("其他")


class ObjectionState(models.TextChoices):
    OPEN = "open", _("办理中")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


class AppointmentStatus(models.TextChoices):
    ACTIVE = "active", _("在任")
    ENDED = "ended", _("任期届满")
    REVOKED = "revoked", _("已撤销")


class OfficerRole(models.TextChoices):
    """An enterprise's registered roles (from the market-regulation register) that bar a CTO nomination."""

    LEGAL_REPRESENTATIVE = "legal_representative", _("法定代表人")
    SHAREHOLDER = "shareholder", _("股东")
