"""Reward schemes (引才奖励) and the rewards they pay, in stages, from a policy budget through the one ledger.

Two database facts besides the ledger's: one reward per arrival and purpose (unique), and the platform
enterprise's yearly cap (`RewardCap.committed <= cap`, a CHECK moved by conditional UPDATE)."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.recruitment.choices import InstalmentState, RewardPurpose, RewardState


class RewardScheme(models.Model):
    """A dated reward scheme paying from a policy's budget (`policy`: its ledger account)."""

    tenancy = Tenancy(region="region", applies_downward=True)

    code = models.SlugField(_("方案编号"), max_length=60, unique=True)
    name = models.CharField(_("方案名称"), max_length=200)
    purpose = models.CharField(_("奖励类别"), max_length=24, choices=RewardPurpose.choices)
    region = models.ForeignKey("core.Region", verbose_name=_("发布区划"), on_delete=models.PROTECT)
    policy = models.ForeignKey(
        "policies.Policy",
        verbose_name=_("资金来源政策"),
        on_delete=models.PROTECT,
        related_name="reward_schemes",
    )
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    # {tier: yuan}; "" is the amount for a talent without a tier
    amounts = models.JSONField(_("奖励标准"), default=dict)
    bonus_threshold = models.PositiveSmallIntegerField(_("加奖门槛（人/年）"), null=True, blank=True)
    bonus_amount = models.DecimalField(
        _("加奖金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    cap_per_enterprise_year = models.DecimalField(
        _("每家企业每年上限（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # instalments: [[percent, months after arrival], ...], e.g. [[50, 0], [50, 12]]
    stages = models.JSONField(_("分期支付"), default=list)
    months_required = models.PositiveSmallIntegerField(_("须在岗月数"), default=12)
    clawback = models.BooleanField(_("提前离职追回已付"), default=False)
    exclusive_per_person = models.BooleanField(_("同一人才只奖励一个渠道"), default=True)

    class Meta:
        verbose_name = _("引才奖励方案")
        verbose_name_plural = _("引才奖励方案")
        constraints = [
            models.CheckConstraint(
                condition=Q(cap_per_enterprise_year__isnull=True) | Q(cap_per_enterprise_year__gt=0),
                name="reward_scheme_cap_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Reward(models.Model):
    """One reward for one arrival and purpose (unique), to an agency or an enterprise: the enterprise sees
    the rewards paid to it, an agency's users their agency's."""

    tenancy = Tenancy(
        region="placement__region",
        enterprise="enterprise",
        assigned="agency__members__user",
        assigned_when=(("agency__members__active", True),),
    )

    scheme = models.ForeignKey(RewardScheme, on_delete=models.PROTECT, related_name="rewards")
    placement = models.ForeignKey("recruitment.Placement", on_delete=models.PROTECT, related_name="rewards")
    purpose = models.CharField(_("奖励类别"), max_length=24, choices=RewardPurpose.choices)
    agency = models.ForeignKey(
        "recruitment.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="rewards"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recruitment_rewards",
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    state = models.CharField(
        _("状态"), max_length=10, choices=RewardState.choices, default=RewardState.ACTIVE
    )
    reservation_reference = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("引才奖励")
        verbose_name_plural = _("引才奖励")
        constraints = [
            models.UniqueConstraint(fields=["placement", "purpose"], name="reward_one_per_arrival_purpose"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reward_amount_positive"),
            models.CheckConstraint(
                condition=Q(agency__isnull=False) | Q(enterprise__isnull=False), name="reward_has_beneficiary"
            ),
        ]


class RewardInstalment(models.Model):
    """One stage of a reward: due on a date, paid only if the talent is still there by the registry."""

    tenancy = Tenancy(
        region="reward__placement__region",
        enterprise="reward__enterprise",
        assigned="reward__agency__members__user",
        assigned_when=(("reward__agency__members__active", True),),
    )

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("期次"))
    due_on = models.DateField(_("应付日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    state = models.CharField(
        _("状态"), max_length=12, choices=InstalmentState.choices, default=InstalmentState.SCHEDULED
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["reward", "number"]
        constraints = [
            models.UniqueConstraint(fields=["reward", "number"], name="reward_instalment_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="reward_instalment_amount_non_negative"),
        ]
        indexes = [models.Index(fields=["state", "due_on"], name="reward_instalment_due")]


class RewardCap(models.Model):
    """What a scheme has committed to one enterprise in one year, under its cap (the seed's 1,000,000)."""

    tenancy = Tenancy(region="enterprise__region", enterprise="enterprise")

    scheme = models.ForeignKey(RewardScheme, on_delete=models.PROTECT, related_name="caps")
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    cap = models.DecimalField(max_digits=12, decimal_places=2)
    committed = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "enterprise", "year"], name="reward_cap_once"),
            models.CheckConstraint(
                condition=Q(committed__gte=0) & Q(committed__lte=F("cap")), name="reward_cap_never_passed"
            ),
        ]
