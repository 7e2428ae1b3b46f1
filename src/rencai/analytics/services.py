"""Writes of the analytics app: maintaining indicators (the city organization department), audited.

A frame or flow indicator's rules are compiled by the policy engine before saving: a rule that does not parse
or type-check is refused with the engine's own problems, in Chinese and English, line and column included.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from django.db import transaction

from rencai.accounts.models import User
from rencai.analytics.compute import BREAKDOWNS
from rencai.analytics.models import Indicator, IndicatorCategory, IndicatorKind
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import Problem, ValidationFailed, problem
from rencai.policies.engine import RuleError, compile_rule

RULE_MAX = 2000
NAME_MAX = 100


@dataclass(frozen=True)
class IndicatorInput:
    """Everything the city sets on an indicator; `code` is fixed once the indicator exists."""

    code: str
    name: str
    category: str
    kind: str
    numerator: str = ""
    denominator: str = ""
    factor: Decimal = Decimal(1)
    unit: str = ""
    name_en: str = ""
    breakdowns: list[str] = field(default_factory=list)
    higher_is_better: bool = True
    is_standard: bool = False
    source: str = ""
    benchmark: Decimal | None = None
    description: str = ""
    active: bool = True
    position: int = 0


def rule_problems(rule: str, field_name: str) -> list[Problem]:
    """The engine's problems with a bool rule, each with its line and column, in both languages."""
    if len(rule) > RULE_MAX:
        return [problem(field_name, f"条件不能超过{RULE_MAX}个字符", f"At most {RULE_MAX} characters")]
    try:
        compile_rule(rule, expect="bool", cache=False)
    except RuleError as error:
        return [
            problem(
                field_name,
                f"第{p.line}行第{p.column}列：{p.message_zh}",
                f"Line {p.line}, column {p.column}: {p.message_en}",
            )
            for p in error.problems
        ]
    return []


def indicator_problems(data: IndicatorInput, *, existing: Indicator | None = None) -> list[Problem]:
    """Everything wrong with an indicator's input, all at once."""
    from rencai.analytics.sources import SOURCES

    problems: list[Problem] = []
    if existing is None:
        try:
            validate_slug(data.code)
        except DjangoValidationError:
            problems.append(
                problem("code", "编号只能含字母、数字、下划线和连字符", "Letters, digits, _ and - only")
            )
        if Indicator.objects.filter(code=data.code).exists():
            problems.append(problem("code", "编号已被使用", "This code is taken"))
    if not data.name.strip() or len(data.name) > NAME_MAX:
        problems.append(
            problem("name", f"请填写指标名称（{NAME_MAX}字以内）", f"Name it (at most {NAME_MAX})")
        )
    if data.category not in IndicatorCategory.values:
        problems.append(problem("category", "请选择类别", "Choose a category"))
    if data.kind not in IndicatorKind.values:
        problems.append(problem("kind", "请选择计算方式", "Choose how it is computed"))
    if data.factor < 0:
        problems.append(problem("factor", "系数不能为负", "The factor cannot be negative"))
    unknown = [name for name in data.breakdowns if name not in BREAKDOWNS]
    if unknown:
        problems.append(
            problem("breakdowns", "分组不存在：" + "、".join(unknown), "Unknown: " + ", ".join(unknown))
        )
    if data.kind == IndicatorKind.SOURCE:
        if data.source not in SOURCES:
            problems.append(problem("source", "请选择数据来源", "Choose a data source"))
        return problems
    if not data.numerator.strip():
        problems.append(problem("numerator", "请填写分子条件", "Give the numerator's condition"))
    else:
        problems += rule_problems(data.numerator, "numerator")
    if data.denominator.strip():
        problems += rule_problems(data.denominator, "denominator")
    return problems


def indicator_save(*, actor: User, data: IndicatorInput, indicator: Indicator | None = None) -> Indicator:
    """Create an indicator, or change one (its code stays). Its figures are recomputed: cached figures are
    keyed by the indicator's `updated_at`."""
    require(actor, Action.MANAGE_INDICATORS)
    problems = indicator_problems(data, existing=indicator)
    if problems:
        raise ValidationFailed(problems, "指标有误，未保存", "The indicator has problems and was not saved")
    values = {
        name: getattr(data, name)
        for name in (
            "name",
            "name_en",
            "category",
            "kind",
            "numerator",
            "denominator",
            "factor",
            "unit",
            "breakdowns",
            "higher_is_better",
            "is_standard",
            "source",
            "benchmark",
            "description",
            "active",
            "position",
        )
    }
    if data.kind == IndicatorKind.SOURCE:
        values.update(numerator="", denominator="")
    else:
        values["source"] = ""
    with transaction.atomic():
        if indicator is None:
            indicator = Indicator.objects.create(code=data.code, **values)
            audit.record_creation(actor=actor, action="analytics.indicator.create", obj=indicator)
            return indicator
        locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
        before = audit.snapshot(locked)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save()
        audit.record_change(actor=actor, action="analytics.indicator.change", obj=locked, before=before)
    return locked
