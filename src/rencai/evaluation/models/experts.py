"""The expert pool (专家库), panels drawn from it, and the scores experts give."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.evaluation.choices import EvaluatorKind, PanelState, SeatRole, SeatStatus
from rencai.registry.choices import Industry


class Expert(models.Model):
    """An expert of the pool; `account` is the reviewer login, `talent` the registry record if any."""

    tenancy = Tenancy(region="region", person="account")

    name = models.CharField(_("姓名"), max_length=100)
    region = models.ForeignKey("core.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT)
    evaluator_kind = models.CharField(_("评价主体类别"), max_length=20, choices=EvaluatorKind.choices)
    title = models.CharField(_("职称或职务"), max_length=100, blank=True)
    # the current employer: a registry enterprise when there is one, its name always
    employer = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="experts"
    )
    employer_name = models.CharField(_("工作单位"), max_length=200)
    talent = models.OneToOneField(
        "registry.Talent", null=True, blank=True, on_delete=models.SET_NULL, related_name="expert"
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="expert"
    )
    phone_ciphertext = models.TextField(blank=True)
    phone_masked = models.CharField(_("手机号码"), max_length=24, blank=True)
    active = models.BooleanField(_("在库"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评审专家")
        verbose_name_plural = _("专家库")
        ordering = ["region__path", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class ExpertField(models.Model):
    """A field an expert reviews in (panels are drawn by field)."""

    tenancy = Tenancy(region="expert__region")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="fields")
    field = models.CharField(_("评审领域"), max_length=20, choices=Industry.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["expert", "field"], name="expert_field_once")]
        indexes = [models.Index(fields=["field", "expert"], name="expert_field_draw")]


class ExpertEmployment(models.Model):
    """An expert's past (and current) employers: "the same current or recent employer" is a conflict."""

    tenancy = Tenancy(region="expert__region")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="employments")
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    employer_name = models.CharField(_("工作单位"), max_length=200)
    started_on = models.DateField(_("开始日期"), null=True, blank=True)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)


class ExpertPlatform(models.Model):
    """A platform or academician station the expert works with: a shared one is a conflict."""

    tenancy = Tenancy(region="expert__region")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="platforms")
    platform = models.ForeignKey("registry.TalentPlatform", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["expert", "platform"], name="expert_platform_once")]


class DeclaredRelation(models.Model):
    """A relation an expert (or an officer on their behalf) declared with a talent: kin, teacher, partner."""

    tenancy = Tenancy(region="expert__region")

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="relations")
    talent = models.ForeignKey("registry.Talent", on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(_("关系"), max_length=100)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["expert", "talent"], name="declared_relation_once")]


class Panel(models.Model):
    """The panel of one case, drawn at random by field; the seed and the whole draw are recorded so that
    anyone can redo it and get the same experts."""

    tenancy = Tenancy(region="case__region")

    case = models.OneToOneField("evaluation.Case", on_delete=models.CASCADE, related_name="panel")
    field = models.CharField(_("评审领域"), max_length=20, choices=Industry.choices)
    seed = models.CharField(_("随机种子"), max_length=64)
    # {"pool": [expert ids in order], "excluded": {id: [conflict kinds]}, "order": [drawn ids]}
    draw = models.JSONField(_("抽取记录"), default=dict)
    size = models.PositiveSmallIntegerField(_("评审人数"))
    state = models.CharField(_("状态"), max_length=10, choices=PanelState.choices, default=PanelState.SCORING)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drawn_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("评审组")
        verbose_name_plural = _("评审组")
        constraints = [models.CheckConstraint(condition=Q(size__gte=5), name="panel_at_least_five")]


class Seat(models.Model):
    """An expert's seat on a panel: a member, or a reserve called in when a member recuses."""

    tenancy = Tenancy(region="panel__case__region", person="expert__account")

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="seats")
    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="seats")
    position = models.PositiveSmallIntegerField(_("抽取顺序"))
    role = models.CharField(_("身份"), max_length=10, choices=SeatRole.choices)
    status = models.CharField(_("状态"), max_length=10, choices=SeatStatus.choices)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    recusal_reason = models.TextField(_("回避原因"), blank=True)
    submitted_at = models.DateTimeField(_("提交评分时间"), null=True, blank=True)

    class Meta:
        ordering = ["panel", "position"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "expert"], name="seat_one_per_expert_panel"),
            models.UniqueConstraint(fields=["panel", "position"], name="seat_position_unique"),
        ]
        indexes = [models.Index(fields=["expert", "status"], name="seat_expert_status")]


class Score(models.Model):
    """One expert's points for one scored indicator of a case (0–100); changes are audited."""

    tenancy = Tenancy(region="seat__panel__case__region", person="seat__expert__account")

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="scores")
    indicator = models.ForeignKey("evaluation.Indicator", on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("分值"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("评语"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seat", "indicator"], name="score_one_per_seat_indicator"),
            models.CheckConstraint(
                condition=Q(points__gte=0) & Q(points__lte=100), name="score_points_range"
            ),
        ]
