"""Rounds (评价批次) and their cases: one talent's application in a round, through every stage."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.evaluation.choices import CaseResult, CaseState, RoundState, SeatStatus
from rencai.registry.choices import Industry, Programme, Tier


class Round(models.Model):
    """A round opened by a city or county organization department, with working-day deadlines per stage."""

    tenancy = Tenancy(region="region")

    scheme = models.ForeignKey("evaluation.Scheme", verbose_name=_("评价方案"), on_delete=models.PROTECT)
    name = models.CharField(_("批次名称"), max_length=200)
    region = models.ForeignKey("core.Region", verbose_name=_("组织区划"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    state = models.CharField(_("状态"), max_length=10, choices=RoundState.choices, default=RoundState.DRAFT)
    opens_on = models.DateField(_("申报开始"))
    # Deadlines, each counted in working days from the previous one (core.calendar) when the round opens
    applications_due = models.DateField(_("申报截止"))
    employer_due = models.DateField(_("单位确认截止"))
    first_review_due = models.DateField(_("初审截止"))
    panel_due = models.DateField(_("专家评审截止"))
    second_review_due = models.DateField(_("复审截止"))
    panel_size = models.PositiveSmallIntegerField(_("评审专家人数"), default=5)
    reserves = models.PositiveSmallIntegerField(_("候补专家人数"), default=2)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评价批次")
        verbose_name_plural = _("评价批次")
        ordering = ["-year", "-opens_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(panel_size__gte=5), name="round_panel_at_least_five"),
            models.CheckConstraint(
                condition=Q(applications_due__gte=models.F("opens_on"))
                & Q(employer_due__gte=models.F("applications_due"))
                & Q(first_review_due__gte=models.F("employer_due"))
                & Q(panel_due__gte=models.F("first_review_due"))
                & Q(second_review_due__gte=models.F("panel_due")),
                name="round_deadlines_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """A talent's application in a round (by the talent, or by the employer for an employee)."""

    tenancy = Tenancy(
        region="region",
        enterprise="enterprise",
        person="talent__account",
        assigned="panel__seats__expert__account",
        assigned_when=(("panel__seats__status", SeatStatus.ACTIVE),),
    )

    round = models.ForeignKey(
        Round, verbose_name=_("评价批次"), on_delete=models.PROTECT, related_name="cases"
    )
    talent = models.ForeignKey(
        "registry.Talent", verbose_name=_("申报人"), on_delete=models.PROTECT, related_name="evaluation_cases"
    )
    # the employer at application: the enterprise that confirms, and whose experts are in conflict
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("用人单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evaluation_cases",
    )
    region = models.ForeignKey("core.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT)
    field = models.CharField(_("评审领域"), max_length=20, choices=Industry.choices)
    state = models.CharField(_("状态"), max_length=16, choices=CaseState.choices, default=CaseState.DRAFT)
    summary = models.TextField(_("主要业绩"), blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("申报时间"), null=True, blank=True)
    # {indicator code: points} of the computed indicators, and the employer's own scores (企业自主评价)
    computed = models.JSONField(_("系统计算得分"), default=dict, blank=True)
    employer_scores = models.JSONField(_("用人单位评分"), default=dict, blank=True)
    panel_score = models.DecimalField(
        _("专家评审得分"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    total_score = models.DecimalField(_("综合得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    vetoed = models.BooleanField(_("诚信一票否决"), default=False)
    result = models.CharField(_("评价结果"), max_length=8, choices=CaseResult.choices, blank=True, default="")
    result_tier = models.CharField(_("认定类别"), max_length=1, choices=Tier.choices, blank=True)
    result_honour = models.CharField(_("授予荣誉"), max_length=24, choices=Programme.choices, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    # What the decision changed in the registry (previous tier, honour id), so that revocation undoes it
    registry_effect = models.JSONField(default=dict, blank=True)
    revoked_reason = models.TextField(_("撤销原因"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("评价申报")
        verbose_name_plural = _("评价申报")
        ordering = ["round", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "talent"], name="case_one_per_talent_round"),
            models.CheckConstraint(
                condition=Q(total_score__isnull=True) | (Q(total_score__gte=0) & Q(total_score__lte=100)),
                name="case_total_score_range",
            ),
        ]
        indexes = [models.Index(fields=["round", "state"], name="case_round_state")]

    def __str__(self) -> str:
        return f"{self.round} · {self.talent.name}"


class CaseTransition(models.Model):
    """Every move of a case, with who, when and why (the state machine writes one per move)."""

    tenancy = Tenancy(region="case__region", enterprise="case__enterprise", person="case__talent__account")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "at", "pk"]


class CaseMaterial(models.Model):
    """A document of the talent's material library used by a case (given once, reused)."""

    tenancy = Tenancy(region="case__region", enterprise="case__enterprise", person="case__talent__account")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    material = models.ForeignKey("onestop.Material", on_delete=models.PROTECT, related_name="evaluation_uses")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "material"], name="case_material_once")]


class CaseCorrection(models.Model):
    """The one correction notice of a case (一次性告知): everything missing, listed at once."""

    tenancy = Tenancy(region="case__region", enterprise="case__enterprise", person="case__talent__account")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="correction")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    items = models.JSONField(_("补正事项"), default=list)
    issued_at = models.DateTimeField(auto_now_add=True)


class CaseWork(models.Model):
    """A representative achievement (代表作) chosen for a case: a few, instead of counts."""

    tenancy = Tenancy(region="case__region", enterprise="case__enterprise", person="case__talent__account")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="works")
    achievement = models.ForeignKey("registry.Achievement", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("顺序"))
    statement = models.TextField(_("贡献说明"), blank=True)

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "achievement"], name="case_work_once"),
            models.UniqueConstraint(fields=["case", "position"], name="case_work_position_unique"),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=5), name="case_work_at_most_five"
            ),
        ]
