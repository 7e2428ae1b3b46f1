"""Indicators as data (统计指标): a numerator over a denominator times a factor, each a CEL filter over the
feature frame, or a named source for figures the registry does not hold (ledger money, one-stop deadlines).

Indicators are city-wide (one definition for every county), maintained by the city organization department
through `analytics.services.indicator_save`; `updated_at` versions them (cached figures are keyed by it).
"""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class IndicatorCategory(models.TextChoices):
    STRUCTURE = "structure", _("人才结构")
    HIGH_LEVEL = "high_level", _("高层次人才")
    FLOW = "flow", _("人才流动")
    PLATFORMS = "platforms", _("人才平台")
    POLICY_MONEY = "policy_money", _("政策资金")
    SERVICES = "services", _("人才服务")
    EVALUATION = "evaluation", _("人才评价")
    RECRUITMENT = "recruitment", _("招才引智")


class IndicatorKind(models.TextChoices):
    # count (or share) of the talents present on the day: numerator within denominator, over the frame
    FRAME = "frame", _("名录统计")
    # arrivals minus departures over the year up to the day, over the population a year before
    FLOW = "flow", _("流动率")
    # a named Python function (analytics.sources) for figures outside the talent registry
    SOURCE = "source", _("业务数据")


class Indicator(models.Model):
    """One indicator. Frame and flow indicators filter the talent feature frame with CEL bool rules
    (`numerator`, `denominator`; an empty denominator makes the figure a plain count); source indicators
    name a function in `analytics.sources`."""

    code = models.SlugField(_("指标编号"), max_length=64, unique=True)
    name = models.CharField(_("指标名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=IndicatorCategory.choices)
    kind = models.CharField(_("计算方式"), max_length=10, choices=IndicatorKind.choices)
    numerator = models.TextField(_("分子条件"), blank=True)
    denominator = models.TextField(_("分母条件"), blank=True, help_text=_("留空表示计数"))
    factor = models.DecimalField(
        _("系数"), max_digits=12, decimal_places=4, default=1, validators=[MinValueValidator(0)]
    )
    unit = models.CharField(_("单位"), max_length=10, blank=True)
    breakdowns = models.JSONField(_("可用分组"), default=list, blank=True)
    higher_is_better = models.BooleanField(_("越高越好"), default=True)
    is_standard = models.BooleanField(_("标准指标"), default=False)
    source = models.CharField(_("数据来源"), max_length=64, blank=True)
    # a reference figure from the seed or a plan (the seed's 13% of enterprise managers), shown beside it
    benchmark = models.DecimalField(_("参考值"), max_digits=14, decimal_places=2, null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    position = models.PositiveIntegerField(_("排序"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "position", "code"]
        verbose_name = _("统计指标")
        verbose_name_plural = _("统计指标")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="source") | ~models.Q(source=""), name="analytics_source_named"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="source") | ~models.Q(numerator=""), name="analytics_numerator_set"
            ),
            models.CheckConstraint(condition=models.Q(factor__gte=0), name="analytics_factor_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name

    @property
    def is_share(self) -> bool:
        """Whether the value is a ratio (a denominator is set) rather than a count."""
        return bool(self.denominator.strip()) or self.kind == IndicatorKind.FLOW
