"""Target responsibility (目标责任制考核): yearly score sheets for counties and departments, their items,
the leaders who receive the circular (通报) and the circular itself.

A sheet is one unit's year: the city itself or a county (`department` empty), or a department (`department`
set; `region` then is the department's region, so tenancy follows the department). Its indicator and
target items are worth 100 points together (a trigger refuses to issue a sheet that does not add up), bonus
and deduction items are capped per sheet (their totals never pass `bonus_cap` / `deduction_cap`: triggers,
migration 0004), and a locked sheet never changes (triggers on the sheet and its items, migration 0002, on
SQLite and PostgreSQL alike).
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy


class SheetState(models.TextChoices):
    DRAFT = "draft", _("草拟")
    ISSUED = "issued", _("已下达")
    AGREED = "agreed", _("已确认")
    MIDYEAR = "midyear", _("已年中检查")
    SELF_ASSESSED = "self_assessed", _("已自评")
    SCORED = "scored", _("已评分")
    LOCKED = "locked", _("已审定")


class Section(models.TextChoices):
    INDICATORS = "indicators", _("指标")
    TARGETS = "targets", _("重点任务")
    BONUS = "bonus", _("加分")
    DEDUCTIONS = "deductions", _("扣分")


class ItemKind(models.TextChoices):
    INDICATOR = "indicator", _("统计指标")
    WORK = "work", _("工作任务")


class LeaderPost(models.TextChoices):
    SECRETARY = "secretary", _("县（市、区）委书记")
    ORG_HEAD = "org_head", _("组织部长")
    DEPT_HEAD = "dept_head", _("部门主要负责人")


SCORED_SECTIONS = (Section.INDICATORS, Section.TARGETS)  # these sum to 100 points


class TargetSheet(models.Model):
    """One unit's score sheet for one year (考核表)."""

    tenancy = Tenancy(region="region")

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey(
        "core.Region", verbose_name=_("被考核区划"), on_delete=models.PROTECT, related_name="target_sheets"
    )
    department = models.ForeignKey(
        "registry.Department",
        verbose_name=_("被考核部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="target_sheets",
    )
    state = models.CharField(_("状态"), max_length=16, choices=SheetState.choices, default=SheetState.DRAFT)
    bonus_cap = models.DecimalField(_("加分上限"), max_digits=6, decimal_places=2, default=Decimal("5"))
    deduction_cap = models.DecimalField(_("扣分上限"), max_digits=6, decimal_places=2, default=Decimal("10"))
    midyear_note = models.TextField(_("年中检查意见"), blank=True)
    self_assessment = models.TextField(_("自评总结"), blank=True)
    score_comment = models.TextField(_("评分意见"), blank=True)
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    agreed_at = models.DateTimeField(null=True, blank=True)
    midyear_at = models.DateTimeField(null=True, blank=True)
    self_assessed_at = models.DateTimeField(null=True, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("目标责任考核表")
        verbose_name_plural = _("目标责任考核表")
        ordering = ["-year", "region__path", "department__kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "region"],
                condition=Q(department__isnull=True),
                name="target_sheet_one_per_region",
            ),
            models.UniqueConstraint(
                fields=["year", "department"],
                condition=Q(department__isnull=False),
                name="target_sheet_one_per_department",
            ),
            models.CheckConstraint(condition=Q(year__gte=2000) & Q(year__lte=2100), name="target_sheet_year"),
            models.CheckConstraint(
                condition=Q(bonus_cap__gte=0) & Q(deduction_cap__gte=0), name="target_sheet_caps_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit_name}"

    @property
    def unit_name(self) -> str:
        return self.department.name if self.department is not None else self.region.name

    @property
    def is_locked(self) -> bool:
        return self.state == SheetState.LOCKED


class TargetItem(models.Model):
    """One line of a sheet: an indicator measured from the registry, or a work item self-assessed with
    evidence; bonus and deduction items are added by the city with a reason."""

    tenancy = Tenancy(region="sheet__region")

    sheet = models.ForeignKey(TargetSheet, on_delete=models.CASCADE, related_name="items")
    section = models.CharField(_("类别"), max_length=12, choices=Section.choices)
    kind = models.CharField(_("方式"), max_length=10, choices=ItemKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("考核内容"), max_length=200)
    description = models.TextField(_("考核要求"), blank=True)
    max_points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    # indicator items: an analytics Indicator code, where it starts and where it must reach
    indicator_code = models.SlugField(_("指标编号"), max_length=60, blank=True)
    baseline = models.DecimalField(_("基数"), max_digits=16, decimal_places=4, null=True, blank=True)
    target_value = models.DecimalField(_("目标值"), max_digits=16, decimal_places=4, null=True, blank=True)
    higher_is_better = models.BooleanField(_("越高越好"), default=True)
    # measured from the registry by the service, never typed in (no form has these fields)
    measured_value = models.DecimalField(_("实测值"), max_digits=16, decimal_places=4, null=True, blank=True)
    measured_on = models.DateField(_("测算日期"), null=True, blank=True)
    # work items: the unit's claim and evidence
    claimed_points = models.DecimalField(_("自评分"), max_digits=6, decimal_places=2, null=True, blank=True)
    evidence = models.TextField(_("佐证说明"), blank=True)
    evidence_file = models.FileField(_("佐证材料"), upload_to="targets/%Y/%m/", blank=True)
    # the city's score, its comment; bonus/deduction: why
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("评分说明"), blank=True)
    reason = models.TextField(_("加扣分理由"), blank=True)

    class Meta:
        verbose_name = _("考核项目")
        verbose_name_plural = _("考核项目")
        ordering = ["sheet", "section", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(max_points__gt=0), name="target_item_points_positive"),
            models.CheckConstraint(
                condition=Q(section=Section.INDICATORS, kind=ItemKind.INDICATOR)
                | (~Q(section=Section.INDICATORS) & Q(kind=ItemKind.WORK)),
                name="target_item_section_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ItemKind.INDICATOR)
                | (~Q(indicator_code="") & Q(target_value__isnull=False) & Q(baseline__isnull=False)),
                name="target_item_indicator_complete",
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True) | (Q(points__gte=0) & Q(points__lte=models.F("max_points"))),
                name="target_item_points_range",
            ),
            models.CheckConstraint(
                condition=Q(claimed_points__isnull=True)
                | (Q(claimed_points__gte=0) & Q(claimed_points__lte=models.F("max_points"))),
                name="target_item_claim_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.max_points}）"


class Leader(models.Model):
    """A leader who receives circulars: a county's party secretary and organization head, a department's
    head. Kept here, not on the account, because a post is held by turns and one person may hold two."""

    tenancy = Tenancy(region="region")

    region = models.ForeignKey("core.Region", verbose_name=_("区划"), on_delete=models.PROTECT)
    department = models.ForeignKey(
        "registry.Department", verbose_name=_("部门"), null=True, blank=True, on_delete=models.PROTECT
    )
    post = models.CharField(_("职务"), max_length=12, choices=LeaderPost.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.PROTECT,
        related_name="leader_posts",
    )
    name = models.CharField(_("姓名"), max_length=60)
    active = models.BooleanField(_("在任"), default=True)

    class Meta:
        verbose_name = _("领导干部")
        verbose_name_plural = _("领导干部")
        ordering = ["region__path", "post", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "post"],
                condition=Q(active=True, department__isnull=True),
                name="leader_one_active_per_region_post",
            ),
            models.UniqueConstraint(
                fields=["department", "post"],
                condition=Q(active=True, department__isnull=False),
                name="leader_one_active_per_department_post",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_post_display()}）"


class Circular(models.Model):
    """The circular (通报) of one year's ranking, issued by the city: the ranking is kept as it was issued,
    so later registry changes never alter a published circular."""

    tenancy = Tenancy(region="region", applies_downward=True)

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey("core.Region", verbose_name=_("发布区划"), on_delete=models.PROTECT)
    title = models.CharField(_("标题"), max_length=200)
    # [{"rank": 1, "sheet": id, "unit": "...", "kind": "county"|"department", "total": "96.50"}, ...]
    ranking = models.JSONField(_("排名"), default=list)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("考核通报")
        verbose_name_plural = _("考核通报")
        ordering = ["-year", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region"], name="circular_one_per_year"),
        ]

    def __str__(self) -> str:
        return self.title
