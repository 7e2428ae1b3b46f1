"""Evaluation schemes (评价方案): dated versions of indicators and evaluator weights.

The weights of a published scheme sum to 100, for its indicators and for its evaluator kinds, and a
published scheme never changes: both are database facts (triggers in migration 0001, on SQLite and
PostgreSQL alike), so no route — form, API, admin, shell — can publish a scheme that does not add up.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.evaluation.choices import EvaluatorKind, IndicatorBasis, IndicatorSource, Purpose, SchemeStatus
from rencai.registry.choices import Programme, Team, Tier


class Scheme(models.Model):
    """One dated version of an evaluation scheme for a team and purpose (code + version is unique)."""

    tenancy = Tenancy(region="region", applies_downward=True)

    code = models.SlugField(_("方案编号"), max_length=60)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    name = models.CharField(_("方案名称"), max_length=200)
    region = models.ForeignKey("core.Region", verbose_name=_("发布区划"), on_delete=models.PROTECT)
    purpose = models.CharField(_("评价目的"), max_length=24, choices=Purpose.choices)
    team = models.CharField(_("人才队伍"), max_length=20, choices=Team.choices, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    pass_score = models.DecimalField(_("通过分数"), max_digits=5, decimal_places=2, default=Decimal("60"))
    # The tier a passing case is recognized at, by total score: {"A": 95, "B": 90, ...}; empty: no tier
    tier_thresholds = models.JSONField(_("类别分数线"), default=dict, blank=True)
    honour = models.CharField(_("授予荣誉"), max_length=24, choices=Programme.choices, blank=True)
    max_works = models.PositiveSmallIntegerField(_("代表作数量上限"), default=3)
    notice_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=5)
    description = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("评价方案")
        verbose_name_plural = _("评价方案")
        ordering = ["region__path", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="scheme_code_version_unique"),
            models.CheckConstraint(
                condition=Q(pass_score__gte=0) & Q(pass_score__lte=100), name="scheme_pass_score_range"
            ),
            models.CheckConstraint(
                condition=Q(max_works__gte=1) & Q(max_works__lte=5), name="scheme_max_works_range"
            ),
            models.CheckConstraint(condition=Q(notice_days__gte=1), name="scheme_notice_days_positive"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="scheme_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"

    @property
    def is_published(self) -> bool:
        return self.status == SchemeStatus.PUBLISHED


class Indicator(models.Model):
    """One indicator of a scheme: computed from the registry by a CEL number rule, or scored by evaluators
    against a rubric. Each yields 0–100 points; the scheme's total is the weighted sum."""

    tenancy = Tenancy(region="scheme__region", applies_downward=True)

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("指标编号"), max_length=60)
    name = models.CharField(_("指标名称"), max_length=200)
    source = models.CharField(_("来源"), max_length=10, choices=IndicatorSource.choices)
    basis = models.CharField(
        _("评价依据"), max_length=10, choices=IndicatorBasis.choices, default=IndicatorBasis.RESULTS
    )
    weight = models.PositiveSmallIntegerField(_("权重"))
    # computed: a CEL expression over `talent.*` giving points (clamped to 0–100), e.g.
    # "talent.patents_granted * 20 + talent.transfer_income_3y / 10000"
    rule = models.TextField(_("计算规则"), blank=True)
    rubric = models.TextField(_("评分标准"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("评价指标")
        verbose_name_plural = _("评价指标")
        ordering = ["scheme", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="indicator_code_unique_in_scheme"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=100), name="indicator_weight_range"
            ),
            models.CheckConstraint(
                condition=~Q(source=IndicatorSource.COMPUTED) | ~Q(rule=""),
                name="indicator_computed_has_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.weight}）"


class SchemeEvaluator(models.Model):
    """An evaluator kind of a scheme and its weight (政府、市场、专业组织、用人单位); they sum to 100."""

    tenancy = Tenancy(region="scheme__region", applies_downward=True)

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="evaluators")
    kind = models.CharField(_("评价主体"), max_length=20, choices=EvaluatorKind.choices)
    weight = models.PositiveSmallIntegerField(_("权重"))

    class Meta:
        verbose_name = _("评价主体权重")
        verbose_name_plural = _("评价主体权重")
        ordering = ["scheme", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "kind"], name="evaluator_kind_unique_in_scheme"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=100), name="evaluator_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.weight}）"


TIERS = [t.value for t in Tier]
