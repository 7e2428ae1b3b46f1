"""Evaluation schemes (评价方案): drafts, indicators and evaluator weights, publishing, dated versions, and
the "三唯" warning. Reads (scoped) are at the end.

A scheme is versioned by date like a policy: `scheme_new_version` copies it as a draft (version + 1) and
publishing that draft ends the version in force the day before it starts. Published schemes never change:
Python refuses first (SCHEME_PUBLISHED), and the triggers of migration 0002 make it a database fact, as
they do for "the indicator weights and the evaluator weights of a published scheme each sum to 100".
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import pairwise
from typing import Protocol

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, may, require, restrict, visible_to
from rencai.core.errors import DomainError, ErrorCode, NotFound, Problem, ValidationFailed, problem
from rencai.core.models import Region
from rencai.evaluation.choices import (
    THREE_ONLY,
    EvaluatorKind,
    IndicatorBasis,
    IndicatorSource,
    Purpose,
    SchemeStatus,
)
from rencai.evaluation.models import Indicator, Scheme, SchemeEvaluator
from rencai.policies.engine import RuleError, compile_rule
from rencai.registry.choices import Programme, Team, Tier

NAME_MAX = 200
TEXT_MAX = 4000
RULE_MAX = 2000
MAX_INDICATORS = 20
MAX_NOTICE_DAYS = 30
# Features that measure degree or seniority (title, age, years): a computed indicator that reads only these
# scores "三唯" whatever basis it claims
DEGREE_FEATURES = frozenset({"degree", "degree_level", "has_overseas_degree"})
SENIORITY_FEATURES = frozenset(
    {"age", "title_level", "title_rank", "years_since_arrival", "months_employed_locally", "arrival_date"}
)
THREE_ONLY_FEATURES = DEGREE_FEATURES | SENIORITY_FEATURES
TIER_ORDER = [tier.value for tier in Tier]  # A (highest) … E


@dataclass(frozen=True)
class SchemeInput:
    """Everything an officer sets on a scheme; `code` and `region` are fixed once the scheme exists."""

    code: str
    name: str
    region: Region
    purpose: str
    effective_from: dt.date
    team: str = ""
    pass_score: Decimal = Decimal("60")
    # {tier: lowest total score recognized at that tier}, e.g. {"C": 90, "D": 75}
    tier_thresholds: dict[str, Decimal] = field(default_factory=dict)
    honour: str = ""
    max_works: int = 3
    notice_days: int = 5
    description: str = ""


@dataclass(frozen=True)
class IndicatorInput:
    """One indicator: computed from the registry by a CEL number rule, or scored against a rubric."""

    code: str
    name: str
    source: str
    weight: int
    basis: str = IndicatorBasis.RESULTS
    rule: str = ""
    rubric: str = ""


class IndicatorLike(Protocol):
    """An indicator as stored (`Indicator`) or as written (`IndicatorInput`)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def basis(self) -> str: ...
    @property
    def weight(self) -> int: ...
    @property
    def rule(self) -> str: ...


class WeightsNot100(DomainError):
    """Publishing refused: the indicator weights or the evaluator weights do not sum to 100."""

    def __init__(self, indicator_sum: int, evaluator_sum: int, details: list | None = None):
        super().__init__(
            ErrorCode.WEIGHTS_NOT_100,
            f"指标权重合计为{indicator_sum}，评价主体权重合计为{evaluator_sum}，两者都必须为100，不能发布",
            f"The indicator weights sum to {indicator_sum} and the evaluator weights to {evaluator_sum}; "
            "both must sum to 100 before the scheme can be published",
            details=details,
        )
        self.indicator_sum, self.evaluator_sum = indicator_sum, evaluator_sum


def _published_refusal(scheme: Scheme) -> DomainError:
    return DomainError(
        ErrorCode.SCHEME_PUBLISHED,
        f"《{scheme.name}》第{scheme.version}版已发布，不能修改；如需调整请新建版本",
        f"Version {scheme.version} of {scheme.code} is published and cannot change; create a new version",
    )


# -- problems -----------------------------------------------------------------------------------------------


def _text_problems(field_name: str, value: str, label: tuple[str, str], limit: int) -> list[Problem]:
    if not value.strip():
        return [problem(field_name, f"请填写{label[0]}", f"Give the {label[1]}")]
    if len(value) > limit:
        return [problem(field_name, f"{label[0]}不能超过{limit}个字符", f"At most {limit} characters")]
    return []


def _code_problems(field_name: str, code: str, label: tuple[str, str]) -> list[Problem]:
    try:
        validate_slug(code)
    except DjangoValidationError:
        return [
            problem(
                field_name,
                f"{label[0]}只能包含字母、数字、下划线和连字符",
                f"Use letters, digits, - and _ in the {label[1]}",
            )
        ]
    if len(code) > 60:
        return [problem(field_name, f"{label[0]}不能超过60个字符", "At most 60 characters")]
    return []


def _threshold_problems(data: SchemeInput) -> list[Problem]:
    problems = []
    for tier, score in data.tier_thresholds.items():
        if tier not in TIER_ORDER:
            problems.append(problem("tier_thresholds", f"未知的人才类别：{tier}", f"Unknown tier: {tier}"))
        elif not Decimal(0) <= Decimal(score) <= Decimal(100):
            problems.append(
                problem(
                    "tier_thresholds",
                    f"{tier}类分数线应在0至100之间",
                    f"The score line of tier {tier} must be 0 to 100",
                )
            )
        elif Decimal(score) < data.pass_score:
            problems.append(
                problem(
                    "tier_thresholds",
                    f"{tier}类分数线不能低于通过分数",
                    f"The score line of tier {tier} cannot be below the pass score",
                )
            )
    known = sorted((t for t in data.tier_thresholds if t in TIER_ORDER), key=TIER_ORDER.index)
    for higher, lower in pairwise(known):
        if Decimal(data.tier_thresholds[higher]) < Decimal(data.tier_thresholds[lower]):
            problems.append(
                problem(
                    "tier_thresholds",
                    f"{higher}类分数线不能低于{lower}类",
                    f"The score line of tier {higher} cannot be below that of tier {lower}",
                )
            )
    return problems


def scheme_problems(data: SchemeInput, *, existing: Scheme | None = None) -> list[Problem]:
    """What is wrong with a scheme's fields (empty when nothing is)."""
    problems = []
    if existing is None:
        problems += _code_problems("code", data.code, ("方案编号", "scheme code"))
        if not problems and Scheme.objects.filter(code=data.code).exists():
            problems.append(
                problem(
                    "code",
                    f"方案编号 {data.code} 已存在；修订已有方案请新建版本",
                    f"Scheme code {data.code} exists; revise that scheme by creating a new version",
                )
            )
    problems += _text_problems("name", data.name, ("方案名称", "scheme name"), NAME_MAX)
    if data.purpose not in Purpose.values:
        problems.append(problem("purpose", "请选择评价目的", "Choose the purpose"))
    if data.team and data.team not in Team.values:
        problems.append(problem("team", "请选择人才队伍", "Choose a talent team"))
    if data.honour and data.honour not in Programme.values:
        problems.append(problem("honour", "请选择授予的荣誉", "Choose the honour"))
    if not Decimal(0) <= data.pass_score <= Decimal(100):
        problems.append(problem("pass_score", "通过分数应在0至100之间", "The pass score must be 0 to 100"))
    if not 1 <= data.max_works <= 5:
        problems.append(problem("max_works", "代表作数量上限应为1至5件", "Representative works: 1 to 5"))
    if not 1 <= data.notice_days <= MAX_NOTICE_DAYS:
        problems.append(
            problem(
                "notice_days",
                f"公示期应为1至{MAX_NOTICE_DAYS}个工作日",
                f"The notice period must be 1 to {MAX_NOTICE_DAYS} working days",
            )
        )
    if len(data.description) > TEXT_MAX:
        problems.append(problem("description", "说明过长", f"At most {TEXT_MAX} characters"))
    return problems + _threshold_problems(data)


def rule_problems(rule: str, *, field_name: str = "rule") -> list[Problem]:
    """The problems of a computed indicator's rule: it must parse and type-check as a number in the policy
    engine (each problem with its line and column)."""
    if not rule.strip():
        return [problem(field_name, "系统计算指标须填写计算规则", "A computed indicator needs a rule")]
    if len(rule) > RULE_MAX:
        return [problem(field_name, f"计算规则不能超过{RULE_MAX}个字符", f"At most {RULE_MAX} characters")]
    try:
        compile_rule(rule, expect="number", cache=False)
    except RuleError as error:
        return [
            problem(
                field_name,
                f"计算规则第{p.line}行第{p.column}列：{p.message_zh}",
                f"Rule, line {p.line}, column {p.column}: {p.message_en}",
            )
            for p in error.problems
        ]
    return []


def indicator_problems(data: IndicatorInput, *, field_name: str = "indicator") -> list[Problem]:
    """What is wrong with one indicator, each problem on `field_name` (a row of the table)."""
    problems = _code_problems(field_name, data.code, ("指标编号", "indicator code"))
    problems += _text_problems(field_name, data.name, ("指标名称", "indicator name"), NAME_MAX)
    if data.source not in IndicatorSource.values:
        problems.append(problem(field_name, "请选择指标来源", "Choose how the indicator is scored"))
    if data.basis not in IndicatorBasis.values:
        problems.append(problem(field_name, "请选择评价依据", "Choose what the indicator measures"))
    if not 1 <= data.weight <= 100:
        problems.append(
            problem(field_name, "权重应为1至100的整数", "A weight is a whole number from 1 to 100")
        )
    if data.source == IndicatorSource.COMPUTED:
        problems += rule_problems(data.rule, field_name=field_name)
    elif data.source == IndicatorSource.SCORED:
        problems += _text_problems(field_name, data.rubric, ("评分标准", "rubric"), TEXT_MAX)
    return problems


def indicators_problems(indicators: list[IndicatorInput]) -> list[Problem]:
    """The problems of a whole table of indicators; each names its row ("indicators.2")."""
    problems = []
    if len(indicators) > MAX_INDICATORS:
        problems.append(
            problem("indicators", f"指标不能超过{MAX_INDICATORS}个", f"At most {MAX_INDICATORS} indicators")
        )
    seen: set[str] = set()
    for number, data in enumerate(indicators, start=1):
        row = f"indicators.{number}"
        problems += [
            problem(row, f"第{number}个指标：{p['message_zh']}", f"Indicator {number}: {p['message_en']}")
            for p in indicator_problems(data, field_name=row)
        ]
        if data.code in seen:
            problems.append(
                problem(row, f"第{number}个指标：指标编号重复", f"Indicator {number}: the code is used twice")
            )
        seen.add(data.code)
    return problems


def weights_problems(weights: dict[str, int]) -> list[Problem]:
    problems = []
    for kind, weight in weights.items():
        if kind not in EvaluatorKind.values:
            problems.append(problem("weights", f"未知的评价主体：{kind}", f"Unknown evaluator kind: {kind}"))
        elif not 1 <= weight <= 100:
            problems.append(
                problem(
                    f"weights.{kind}",
                    f"{EvaluatorKind(kind).label}的权重应为1至100的整数",
                    f"The weight of {kind} must be a whole number from 1 to 100",
                )
            )
    return problems


def weight_sums(scheme: Scheme) -> tuple[int, int]:
    """(indicator weights, evaluator weights) of a stored scheme; each must be 100 to publish."""
    indicators = scheme.indicators.aggregate(total=Sum("weight"))["total"] or 0
    evaluators = scheme.evaluators.aggregate(total=Sum("weight"))["total"] or 0
    return indicators, evaluators


# -- the "三唯" warning -------------------------------------------------------------------------------------


def rule_reads_only_degree_or_seniority(rule: str) -> bool:
    """True when a valid rule reads talent features and every one of them is a degree, title, age or years
    feature (a rule that reads nothing, or does not compile, is not judged here)."""
    try:
        features = compile_rule(rule, expect="number").features
    except RuleError:
        return False
    return bool(features) and features <= THREE_ONLY_FEATURES


def _is_three_only(indicator: IndicatorLike) -> bool:
    if indicator.basis in THREE_ONLY:
        return True
    return indicator.source == IndicatorSource.COMPUTED and rule_reads_only_degree_or_seniority(
        indicator.rule
    )


def three_only_problems(indicators: Iterable[IndicatorLike]) -> list[Problem]:
    """The "三唯" warnings (克服唯学历、唯资历、唯论文) of a table of indicators, in both languages: a
    computed indicator whose rule reads only degree, title, age or years; degree, seniority and paper
    indicators carrying half the weight or more; no indicator of results at all. Warnings, not refusals."""
    rows = list(indicators)
    warnings = []
    for indicator in rows:
        if indicator.source == IndicatorSource.COMPUTED and rule_reads_only_degree_or_seniority(
            indicator.rule
        ):
            warnings.append(
                problem(
                    f"indicators.{indicator.code}",
                    f"指标“{indicator.name}”的计算规则只读取学历、职称、年龄或年限，是按学历、资历评价（“三唯”）",
                    f"Indicator '{indicator.name}' reads only degree, title, age or years: it scores degree "
                    "or seniority alone (the 'three onlys')",
                )
            )
    total = sum(indicator.weight for indicator in rows)
    three_only = sum(indicator.weight for indicator in rows if _is_three_only(indicator))
    if total and three_only * 2 >= total:
        warnings.append(
            problem(
                "indicators",
                f"学历、资历、论文类指标合计权重{three_only}（共{total}），达到一半或以上；"
                "人才评价应以实绩论英雄，克服唯学历、唯资历、唯论文",
                f"Degree, seniority and paper indicators carry {three_only} of {total} weight, half or more; "
                "evaluate by results, not by degrees, seniority or paper counts alone",
            )
        )
    if rows and not any(indicator.basis == IndicatorBasis.RESULTS for indicator in rows):
        warnings.append(
            problem(
                "indicators",
                "方案没有实绩贡献类指标（如成果转化、知识产权应用、创新平台贡献）",
                "The scheme has no indicator of results (technology transfer, use of intellectual "
                "property, contribution to innovation platforms)",
            )
        )
    return warnings


def three_only_warnings(scheme: Scheme) -> list[Problem]:
    """The "三唯" warnings of a stored scheme (shown on its page, in the API and on publishing)."""
    return three_only_problems(scheme.indicators.all())


# -- writes -------------------------------------------------------------------------------------------------


def _locked_draft(scheme: Scheme) -> Scheme:
    """The scheme row, locked (a publication waits for the edit, and the reverse); a published one is
    refused before the database's trigger would."""
    locked = Scheme.objects.select_for_update().select_related("region").get(pk=scheme.pk)
    if locked.is_published:
        raise _published_refusal(locked)
    return locked


def _apply_fields(scheme: Scheme, data: SchemeInput) -> None:
    scheme.name = data.name.strip()
    scheme.purpose = data.purpose
    scheme.team = data.team
    scheme.effective_from = data.effective_from
    scheme.pass_score = data.pass_score
    scheme.tier_thresholds = {
        tier: int(score) if Decimal(score) == int(score) else float(score)
        for tier, score in sorted(data.tier_thresholds.items(), key=lambda item: TIER_ORDER.index(item[0]))
    }
    scheme.honour = data.honour
    scheme.max_works = data.max_works
    scheme.notice_days = data.notice_days
    scheme.description = data.description.strip()


@transaction.atomic
def scheme_create(*, actor: User, data: SchemeInput) -> Scheme:
    """A new scheme as a draft, version 1, of the region the officer manages."""
    require(actor, Action.MANAGE_EVALUATION, data.region)
    problems = scheme_problems(data)
    if problems:
        raise ValidationFailed(problems)
    scheme = Scheme(code=data.code, region=data.region, version=1, created_by=actor)
    _apply_fields(scheme, data)
    try:
        with transaction.atomic():
            scheme.save()
    except IntegrityError as error:  # a twin request created the same code meanwhile
        raise ValidationFailed(
            [problem("code", f"方案编号 {data.code} 已存在", f"Scheme code {data.code} exists")]
        ) from error
    audit.record_creation(actor=actor, action="evaluation.scheme.create", obj=scheme)
    return scheme


@transaction.atomic
def scheme_update(*, actor: User, scheme: Scheme, data: SchemeInput) -> Scheme:
    """Change a draft's fields (its code and region stay)."""
    require(actor, Action.MANAGE_EVALUATION, scheme)
    scheme = _locked_draft(scheme)
    problems = scheme_problems(data, existing=scheme)
    if problems:
        raise ValidationFailed(problems)
    before = audit.snapshot(scheme)
    _apply_fields(scheme, data)
    scheme.save()
    audit.record_change(actor=actor, action="evaluation.scheme.update", obj=scheme, before=before)
    return scheme


def _indicator_fields(indicator: Indicator, data: IndicatorInput) -> None:
    indicator.name = data.name.strip()
    indicator.source = data.source
    indicator.basis = data.basis
    indicator.weight = data.weight
    computed = data.source == IndicatorSource.COMPUTED
    indicator.rule = data.rule.strip() if computed else ""
    indicator.rubric = "" if computed else data.rubric.strip()


def _refuse_indicator(data: IndicatorInput) -> None:
    problems = indicator_problems(data)
    if problems:
        raise ValidationFailed(problems)


@transaction.atomic
def indicator_add(*, actor: User, scheme: Scheme, data: IndicatorInput) -> Indicator:
    require(actor, Action.MANAGE_EVALUATION, scheme)
    scheme = _locked_draft(scheme)
    _refuse_indicator(data)
    if scheme.indicators.filter(code=data.code).exists():
        raise ValidationFailed(
            [problem("indicator", f"指标编号 {data.code} 已存在", f"Indicator {data.code} exists")]
        )
    position = (scheme.indicators.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    indicator = Indicator(scheme=scheme, code=data.code, position=position)
    _indicator_fields(indicator, data)
    indicator.save()
    audit.record_creation(actor=actor, action="evaluation.indicator.create", obj=indicator)
    return indicator


@transaction.atomic
def indicator_update(*, actor: User, indicator: Indicator, data: IndicatorInput) -> Indicator:
    """Change an indicator of a draft (its code stays)."""
    require(actor, Action.MANAGE_EVALUATION, indicator.scheme)
    _locked_draft(indicator.scheme)
    _refuse_indicator(replace(data, code=indicator.code))
    indicator = Indicator.objects.get(pk=indicator.pk)
    before = audit.snapshot(indicator)
    _indicator_fields(indicator, data)
    indicator.save()
    audit.record_change(actor=actor, action="evaluation.indicator.update", obj=indicator, before=before)
    return indicator


@transaction.atomic
def indicator_remove(*, actor: User, indicator: Indicator) -> None:
    require(actor, Action.MANAGE_EVALUATION, indicator.scheme)
    _locked_draft(indicator.scheme)
    audit.record(
        actor=actor, action="evaluation.indicator.remove", obj=indicator, detail=audit.snapshot(indicator)
    )
    indicator.delete()


def _set_weights(scheme: Scheme, weights: dict[str, int]) -> dict[str, int]:
    """Store the evaluator weights (a kind left out or at 0 is not an evaluator of the scheme)."""
    wanted = {kind: weight for kind, weight in weights.items() if weight}
    scheme.evaluators.exclude(kind__in=list(wanted)).delete()
    existing = {evaluator.kind: evaluator for evaluator in scheme.evaluators.all()}
    for kind, weight in wanted.items():
        evaluator = existing.get(kind)
        if evaluator is None:
            SchemeEvaluator.objects.create(scheme=scheme, kind=kind, weight=weight)
        elif evaluator.weight != weight:
            evaluator.weight = weight
            evaluator.save(update_fields=["weight"])
    return wanted


def _current_weights(scheme: Scheme) -> dict[str, int]:
    return dict(scheme.evaluators.values_list("kind", "weight"))


@transaction.atomic
def evaluator_weights_set(*, actor: User, scheme: Scheme, weights: dict[str, int]) -> list[SchemeEvaluator]:
    """Set the weights of the evaluator kinds (政府、市场、专业组织、用人单位) of a draft; a weight of 0
    drops the kind. Their sum may differ from 100 while drafting: publishing requires 100."""
    require(actor, Action.MANAGE_EVALUATION, scheme)
    scheme = _locked_draft(scheme)
    problems = weights_problems({kind: weight for kind, weight in weights.items() if weight})
    if problems:
        raise ValidationFailed(problems)
    before = _current_weights(scheme)
    after = _set_weights(scheme, weights)
    audit.record(
        actor=actor,
        action="evaluation.scheme.weights",
        obj=scheme,
        detail={"before": before, "after": after, "sum": sum(after.values())},
    )
    return list(scheme.evaluators.all())


def _apply_indicators(scheme: Scheme, indicators: list[IndicatorInput]) -> None:
    """Indicators are keyed by code: kept ones are updated, new ones added, dropped ones deleted."""
    wanted = {data.code: data for data in indicators}
    scheme.indicators.exclude(code__in=list(wanted)).delete()
    existing = {indicator.code: indicator for indicator in scheme.indicators.all()}
    for position, data in enumerate(indicators, start=1):
        indicator = existing.get(data.code) or Indicator(scheme=scheme, code=data.code)
        _indicator_fields(indicator, data)
        indicator.position = position
        indicator.save()


@transaction.atomic
def scheme_draft_save(
    *,
    actor: User,
    data: SchemeInput,
    indicators: list[IndicatorInput],
    weights: dict[str, int],
    scheme: Scheme | None = None,
    publish: bool = False,
) -> Scheme:
    """The whole draft at once, as the form and the API write it: fields, the table of indicators and the
    evaluator weights; every problem is listed at once and nothing is stored unless all is. With
    `publish`, the draft is also published in the same transaction (a refusal stores nothing)."""
    if scheme is None:
        require(actor, Action.MANAGE_EVALUATION, data.region)
    else:
        require(actor, Action.MANAGE_EVALUATION, scheme)
        scheme = _locked_draft(scheme)
    problems = scheme_problems(data, existing=scheme) + indicators_problems(indicators)
    problems += weights_problems({kind: weight for kind, weight in weights.items() if weight})
    if problems:
        raise ValidationFailed(problems)
    created = scheme is None
    if scheme is None:
        scheme = scheme_create(actor=actor, data=data)
        before: dict = {}
    else:
        before = {**audit.snapshot(scheme), "weights": _current_weights(scheme)}
        _apply_fields(scheme, data)
        scheme.save()
    _apply_indicators(scheme, indicators)
    after_weights = _set_weights(scheme, weights)
    detail = {
        "indicators": [[i.code, i.source, i.basis, i.weight] for i in indicators],
        "weights": after_weights,
    }
    if created:
        audit.record(actor=actor, action="evaluation.scheme.draft", obj=scheme, detail=detail)
    else:
        audit.record_change(
            actor=actor, action="evaluation.scheme.update", obj=scheme, before=before, detail=detail
        )
    if publish:
        scheme = scheme_publish(actor=actor, scheme=scheme)
    return scheme


def _publish_problems(scheme: Scheme) -> list[Problem]:
    indicators = list(scheme.indicators.all())
    if not indicators:
        return [problem("indicators", "方案至少需要一个指标", "A scheme needs at least one indicator")]
    problems = []
    for indicator in indicators:
        if indicator.source == IndicatorSource.COMPUTED:
            problems += [
                problem(
                    f"indicators.{indicator.code}",
                    f"指标“{indicator.name}”：{p['message_zh']}",
                    f"Indicator '{indicator.name}': {p['message_en']}",
                )
                for p in rule_problems(indicator.rule, field_name=f"indicators.{indicator.code}")
            ]
    return problems


def _end_previous_versions(actor: User, scheme: Scheme) -> None:
    """The published version of the same code in force when this one starts ends the day before."""
    previous = Scheme.objects.select_for_update().filter(code=scheme.code, status=SchemeStatus.PUBLISHED)
    for earlier in previous.exclude(pk=scheme.pk):
        if earlier.effective_from >= scheme.effective_from:
            raise DomainError(
                ErrorCode.VERSION_OVERLAP,
                f"第{earlier.version}版自{earlier.effective_from}起生效，新版本的生效日期须晚于它",
                f"Version {earlier.version} starts {earlier.effective_from}; a new version must start later",
            )
        if earlier.effective_to is None or earlier.effective_to >= scheme.effective_from:
            before = audit.snapshot(earlier)
            earlier.effective_to = scheme.effective_from - dt.timedelta(days=1)
            earlier.save(update_fields=["effective_to"])
            audit.record_change(
                actor=actor,
                action="evaluation.scheme.version_end",
                obj=earlier,
                before=before,
                detail={"next_version": scheme.version},
            )


@transaction.atomic
def scheme_publish(*, actor: User, scheme: Scheme) -> Scheme:
    """Publish a draft: indicator weights and evaluator weights each sum to 100 (WEIGHTS_NOT_100 names both
    sums; the database's trigger is the backstop), computed rules are valid number rules, and the version
    in force before it ends the day before. The "三唯" warnings are recorded, not refused."""
    require(actor, Action.MANAGE_EVALUATION, scheme)
    scheme = _locked_draft(scheme)
    problems = _publish_problems(scheme)
    indicator_sum, evaluator_sum = weight_sums(scheme)
    if indicator_sum != 100 or evaluator_sum != 100:
        raise WeightsNot100(indicator_sum, evaluator_sum, details=problems)
    if problems:
        raise ValidationFailed(
            problems, "方案有误，不能发布", "The scheme has problems and cannot be published"
        )
    _end_previous_versions(actor, scheme)
    before = audit.snapshot(scheme)
    scheme.status, scheme.published_at = SchemeStatus.PUBLISHED, timezone.now()
    try:
        with transaction.atomic():
            scheme.save(update_fields=["status", "published_at"])
    except IntegrityError as error:  # the trigger: the weights changed under us (never past the lock)
        raise WeightsNot100(*weight_sums(scheme)) from error
    warnings = three_only_warnings(scheme)
    audit.record_change(
        actor=actor,
        action="evaluation.scheme.publish",
        obj=scheme,
        before=before,
        detail={"three_only_warnings": [warning["message_en"] for warning in warnings]},
    )
    return scheme


@transaction.atomic
def scheme_new_version(*, actor: User, scheme: Scheme, effective_from: dt.date) -> Scheme:
    """A draft copy of `scheme` (fields, indicators, evaluator weights) as the next version of its code,
    starting `effective_from`; publishing it ends the version in force the day before."""
    require(actor, Action.MANAGE_EVALUATION, scheme)
    # every version of the code, locked: two officers asking at once get versions n+1 and n+2, never a clash
    versions = list(Scheme.objects.select_for_update().filter(code=scheme.code).order_by("version"))
    latest_published = [v for v in versions if v.is_published]
    if latest_published and effective_from <= latest_published[-1].effective_from:
        raise ValidationFailed(
            [
                problem(
                    "effective_from",
                    f"新版本的生效日期须晚于第{latest_published[-1].version}版的生效日期"
                    f"（{latest_published[-1].effective_from}）",
                    f"A new version must start after version {latest_published[-1].version} "
                    f"({latest_published[-1].effective_from})",
                )
            ]
        )
    source = Scheme.objects.get(pk=scheme.pk)
    copy = Scheme.objects.get(pk=scheme.pk)
    copy.pk = None
    copy.version = versions[-1].version + 1
    copy.status, copy.published_at, copy.created_by = SchemeStatus.DRAFT, None, actor
    copy.effective_from, copy.effective_to = effective_from, None
    copy.save(force_insert=True)
    Indicator.objects.bulk_create(
        Indicator(
            scheme=copy,
            code=i.code,
            name=i.name,
            source=i.source,
            basis=i.basis,
            weight=i.weight,
            rule=i.rule,
            rubric=i.rubric,
            position=i.position,
        )
        for i in source.indicators.all()
    )
    SchemeEvaluator.objects.bulk_create(
        SchemeEvaluator(scheme=copy, kind=e.kind, weight=e.weight) for e in source.evaluators.all()
    )
    audit.record_creation(
        actor=actor, action="evaluation.scheme.new_version", obj=copy, detail={"from_version": source.version}
    )
    return copy


# -- reads --------------------------------------------------------------------------------------------------


def schemes_for(user, *, status: str = "", purpose: str = "", q: str = "") -> QuerySet[Scheme]:
    """The schemes the user may browse: published ones in scope (a city scheme applies in every county),
    and drafts only of the regions the user manages (an enterprise or a talent never sees a draft)."""
    if not may(user, Action.BROWSE_EVALUATION):
        return Scheme.objects.none()
    drafts = restrict(user, Scheme.objects.filter(status=SchemeStatus.DRAFT), Action.MANAGE_EVALUATION)
    queryset = visible_to(user, Scheme.objects.select_related("region")).filter(
        Q(status=SchemeStatus.PUBLISHED) | Q(pk__in=drafts.values("pk"))
    )
    if status in SchemeStatus.values:
        queryset = queryset.filter(status=status)
    if purpose in Purpose.values:
        queryset = queryset.filter(purpose=purpose)
    if q.strip():
        queryset = queryset.filter(Q(name__icontains=q.strip()) | Q(code__icontains=q.strip()))
    return queryset


def get_scheme(user, scheme_id: int) -> Scheme:
    """One scheme the user may browse; anything else is NotFound (a draft of another region included)."""
    scheme = schemes_for(user).filter(pk=scheme_id).first()
    if scheme is None:
        raise NotFound()
    return scheme


def versions_of(user, scheme: Scheme) -> list[Scheme]:
    """Every version of the scheme's code the user may browse, newest first."""
    return list(schemes_for(user).filter(code=scheme.code).order_by("-version"))


def in_force(code: str, day: dt.date) -> Scheme | None:
    """The published version of a scheme code in force on `day` (None when there is none)."""
    return (
        Scheme.objects.filter(code=code, status=SchemeStatus.PUBLISHED, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("-version")
        .first()
    )
