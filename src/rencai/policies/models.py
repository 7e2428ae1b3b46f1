"""Policies as code: policies, their dated versions with CEL rules, match runs, decisions and entitlements."""

from decimal import Decimal

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy


class PolicyKind(models.TextChoices):
    CARD = "card", _("卡证")
    VOUCHER = "voucher", _("券")
    SUBSIDY = "subsidy", _("补贴")
    LOAN = "loan", _("贷款")
    REWARD = "reward", _("奖励")
    HONOUR = "honour", _("荣誉")


class Policy(models.Model):
    """A talent policy issued by the city or a county. A county policy may override a city policy."""

    tenancy = Tenancy(region="region", applies_downward=True)

    code = models.SlugField(_("政策编号"), max_length=60, unique=True)
    name = models.CharField(_("政策名称"), max_length=200)
    region = models.ForeignKey("core.Region", verbose_name=_("发布区划"), on_delete=models.PROTECT)
    kind = models.CharField(_("类别"), max_length=10, choices=PolicyKind.choices)
    service_item_code = models.SlugField(
        _("服务事项"), max_length=60, blank=True, help_text=_("通过哪个一站式服务事项兑现")
    )
    is_proactive = models.BooleanField(_("免申即享"), default=False)
    budget_total = models.DecimalField(
        _("总预算（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    budget_per_year = models.DecimalField(
        _("年度预算（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    exclusivity_group = models.SlugField(
        _("互斥组"), max_length=60, blank=True, help_text=_("同组政策只享受金额最高的一项")
    )
    overrides = models.ForeignKey(
        "self",
        verbose_name=_("替代的上级政策"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="overridden_by",
    )
    summary = models.TextField(_("政策摘要"), blank=True)
    # 阶段性评价: the shares (whole percentages summing to 100) of the instalments the amount is paid in, the
    # first at grant, each later one when that year's evaluation passes; empty: paid at once. The sum is a
    # database fact (migration 0005), `policies.instalments.share_problems` gives the message.
    instalment_shares = models.JSONField(
        _("分期比例（%）"), default=list, blank=True, help_text=_("如 [40, 30, 30]；留空表示一次性兑现")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("人才政策")
        verbose_name_plural = _("人才政策")
        ordering = ["region__path", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_total__isnull=True) | Q(budget_total__gte=0),
                name="policy_budget_total_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(budget_per_year__isnull=True) | Q(budget_per_year__gte=0),
                name="policy_budget_year_non_negative",
            ),
            models.CheckConstraint(condition=~Q(overrides=models.F("id")), name="policy_not_self_override"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        from rencai.policies import ledger  # the ledger's accounts carry the policy's limits

        with transaction.atomic():  # a budget the accounts refuse (below what is committed) is not saved
            super().save(*args, **kwargs)
            ledger.sync_limits(self)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from rencai.policies.instalments import share_problems

        problems = share_problems(self.instalment_shares)
        if problems:
            raise ValidationError({"instalment_shares": [p["message_zh"] for p in problems]})

    @property
    def is_staged(self) -> bool:
        return bool(self.instalment_shares)


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ISSUED = "issued", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class PolicyVersion(models.Model):
    """What a policy said over a period: its eligibility and amount rules. Issued versions never change."""

    tenancy = Tenancy(region="policy__region", applies_downward=True)

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    eligibility_rule = models.TextField(_("资格规则（CEL）"))
    amount_rule = models.TextField(_("金额规则（CEL）"), default="0")
    status = models.CharField(
        _("状态"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    note = models.TextField(_("修订说明"), blank=True)
    # A draft may propose a new budget; issuing the version writes it to the policy (blank: keep the budget).
    budget_total = models.DecimalField(
        _("拟定总预算（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    budget_per_year = models.DecimalField(
        _("拟定年度预算（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("政策版本")
        verbose_name_plural = _("政策版本")
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_number_unique"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="policy_version_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(budget_total__isnull=True) | Q(budget_total__gte=0),
                name="policy_version_budget_total_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(budget_per_year__isnull=True) | Q(budget_per_year__gte=0),
                name="policy_version_budget_year_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.code} v{self.number}"

    def in_force_on(self, day) -> bool:
        return (
            self.status == VersionStatus.ISSUED
            and self.effective_from <= day
            and (self.effective_to is None or day <= self.effective_to)
        )


class MatchRun(models.Model):
    """One evaluation of every policy in force against every active talent, and what it changed."""

    tenancy = Tenancy(region="region")

    region = models.ForeignKey("core.Region", on_delete=models.PROTECT)
    evaluation_date = models.DateField(_("评估日期"))
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    talents_evaluated = models.PositiveIntegerField(default=0)
    versions_evaluated = models.PositiveIntegerField(default=0)
    offered = models.PositiveIntegerField(_("新发要约"), default=0)
    granted = models.PositiveIntegerField(_("直接兑现"), default=0)
    flagged = models.PositiveIntegerField(_("待复核"), default=0)
    queued = models.PositiveIntegerField(_("预算排队"), default=0)
    unchanged = models.PositiveIntegerField(_("无变化"), default=0)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("匹配运行")
        verbose_name_plural = _("匹配运行")
        ordering = ["-started_at"]


class EntitlementStatus(models.TextChoices):
    OFFERED = "offered", _("待确认")
    GRANTED = "granted", _("已确认")  # paid at once, or with the application that pays it
    QUEUED = "queued", _("预算排队")
    FLAGGED = "flagged", _("待复核")
    DECLINED = "declined", _("已放弃")
    REVOKED = "revoked", _("已撤销")


# Statuses that hold budget: an offer reserves its amount so confirming it can never overspend.
BUDGET_HOLDING = (EntitlementStatus.OFFERED, EntitlementStatus.GRANTED, EntitlementStatus.FLAGGED)


class Entitlement(models.Model):
    """What a talent holds or is offered under a policy (政策红利): one live row per talent and policy."""

    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    talent = models.ForeignKey("registry.Talent", on_delete=models.CASCADE, related_name="entitlements")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="entitlements")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="entitlements")
    status = models.CharField(_("状态"), max_length=10, choices=EntitlementStatus.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, default=Decimal("0"))
    budget_year = models.PositiveSmallIntegerField(_("预算年度"))
    queue_position = models.PositiveIntegerField(null=True, blank=True)
    evaluation_date = models.DateField(_("评估日期"))
    features_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政策红利")
        verbose_name_plural = _("政策红利")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["talent", "policy"], name="entitlement_one_per_talent_policy"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="entitlement_amount_non_negative"),
        ]
        indexes = [models.Index(fields=["policy", "status"], name="entitlement_policy_status")]


class DecisionOutcome(models.TextChoices):
    OFFERED = "offered", _("发出要约")
    GRANTED = "granted", _("直接兑现")
    QUEUED = "queued", _("预算不足排队")
    FLAGGED = "flagged", _("不再符合，待复核")
    RELEASED = "released", _("预算释放后兑现")
    DEQUEUED = "dequeued", _("不再符合，移出排队")


class Decision(models.Model):
    """One change a match run made, with the version, date and features it was based on (reproducible)."""

    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="decisions")
    talent = models.ForeignKey("registry.Talent", on_delete=models.CASCADE, related_name="policy_decisions")
    policy_version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("结果"), max_length=10, choices=DecisionOutcome.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, default=Decimal("0"))
    evaluation_date = models.DateField(_("评估日期"))
    features_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("匹配决定")
        verbose_name_plural = _("匹配决定")
        ordering = ["-id"]


# -- the budget ledger: every route that pays reserves here first ---------------------------------

TOTAL = 0  # BudgetAccount.year of the account that carries the policy's total budget


class BudgetAccount(models.Model):
    """What a policy's budget allows and what is committed against it: year 0 is the total budget, any
    other year that year's budget. `committed` only moves together with reservations (policies.ledger),
    and the database refuses a row whose committed amount exceeds its limit: overspending is impossible
    whatever route pays."""

    tenancy = Tenancy(region="policy__region", applies_downward=True)

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="budget_accounts")
    year = models.PositiveSmallIntegerField(_("预算年度"), help_text=_("0 表示总预算"))
    limit = models.DecimalField(_("预算（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    committed = models.DecimalField(_("已承诺（元）"), max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("预算账户")
        verbose_name_plural = _("预算账户")
        ordering = ["policy", "year"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "year"], name="budget_account_once_per_year"),
            models.CheckConstraint(
                condition=Q(committed__gte=0), name="budget_account_committed_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(limit__isnull=True) | Q(committed__lte=models.F("limit")),
                name="budget_account_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy.code} · {self.year or '总预算'}"


class ReservationSource(models.TextChoices):
    ENTITLEMENT = "entitlement", _("免申即享")
    APPLICATION = "application", _("依申请")
    REWARD = "reward", _("奖励")


class ReservationStatus(models.TextChoices):
    HELD = "held", _("已承诺")
    RELEASED = "released", _("已释放")


class Reservation(models.Model):
    """One payment of a policy to one talent, from whichever route pays it (the ledger's entries).

    At most one held reservation per talent and policy (a database constraint): a talent paid by a
    proactive entitlement cannot be paid again through an application, nor twice through either."""

    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="reservations")
    talent = models.ForeignKey("registry.Talent", on_delete=models.PROTECT, related_name="reservations")
    budget_year = models.PositiveSmallIntegerField(_("预算年度"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    source = models.CharField(_("兑现途径"), max_length=12, choices=ReservationSource.choices)
    reference = models.CharField(_("来源"), max_length=80)  # e.g. "application:123", "entitlement"
    status = models.CharField(
        _("状态"), max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.HELD
    )
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("预算占用")
        verbose_name_plural = _("预算占用")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "talent"],
                condition=Q(status="held"),
                name="reservation_one_per_talent_policy",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reservation_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="held", released_at__isnull=True)
                | Q(status="released", released_at__isnull=False),
                name="reservation_release_stamped",
            ),
        ]
        indexes = [models.Index(fields=["reference"], name="reservation_reference")]


# -- staged benefits (阶段性评价): an entitlement paid in yearly instalments ------------------------------


class InstalmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待考核")
    RELEASED = "released", _("已发放")
    WITHHELD = "withheld", _("考核未通过，不予发放")
    CANCELLED = "cancelled", _("已取消")


class Instalment(models.Model):
    """One yearly instalment of a staged entitlement: released when that year's evaluation of the talent
    passes, withheld (its money returned to the budget through the ledger) when it fails."""

    tenancy = Tenancy(
        region="entitlement__talent__region",
        enterprise="entitlement__talent__current_employer",
        person="entitlement__talent__account",
    )

    entitlement = models.ForeignKey(Entitlement, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("期次"))
    due_year = models.PositiveSmallIntegerField(_("考核年度"))
    share = models.PositiveSmallIntegerField(_("比例（%）"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=10, choices=InstalmentStatus.choices, default=InstalmentStatus.SCHEDULED
    )
    # what decided it: "grant" for the first, else the evaluation's reference (e.g. "evaluation_case:12")
    reference = models.CharField(_("依据"), max_length=80, blank=True)
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("分期兑现")
        verbose_name_plural = _("分期兑现")
        ordering = ["entitlement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["entitlement", "number"], name="instalment_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="instalment_number_positive"),
            models.CheckConstraint(condition=Q(share__gte=1, share__lte=100), name="instalment_share_range"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="instalment_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(status="scheduled", decided_at__isnull=True)
                | (~Q(status="scheduled") & Q(decided_at__isnull=False)),
                name="instalment_decision_stamped",
            ),
        ]
        indexes = [models.Index(fields=["due_year", "status"], name="instalment_due")]

    def __str__(self) -> str:
        return f"{self.entitlement_id} · {self.number}"
