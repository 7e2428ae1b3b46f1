"""One-stop services: service items, applications and their steps, gold cards, vouchers, loans."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.registry.choices import DepartmentKind


class Outcome(models.TextChoices):
    """What completing an application of an item produces."""

    GOLD_CARD = "gold_card", _("人才金卡")
    EDUCATION_VOUCHER = "education_voucher", _("教育券")
    HOUSING_LOAN = "housing_loan", _("住房公积金贷款转介")
    PAYMENT = "payment", _("资金兑现")
    RECOGNITION = "recognition", _("认定")


class MaterialType(models.Model):
    """A kind of supporting document (身份证复印件, 学位证书 …). Reference data shared by every region."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("材料类型")
        verbose_name_plural = _("材料类型")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServiceItem(models.Model):
    """A service of the one-stop window (服务事项). A county sees the city's items and may add or replace one
    by defining an item with the same code in its own region."""

    tenancy = Tenancy(region="region", applies_downward=True)

    region = models.ForeignKey("core.Region", verbose_name=_("发布区划"), on_delete=models.PROTECT)
    code = models.SlugField(_("事项编码"), max_length=60)
    name = models.CharField(_("事项名称"), max_length=200)
    description = models.TextField(_("办理须知"), blank=True)
    policy = models.ForeignKey(
        "policies.Policy",
        verbose_name=_("兑现政策"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_items",
        help_text=_("提交前由政策引擎预审资格；为空则不预审"),
    )
    outcome = models.CharField(_("办结产出"), max_length=20, choices=Outcome.choices)
    materials = models.ManyToManyField(
        MaterialType, verbose_name=_("所需材料"), blank=True, related_name="service_items"
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")
        ordering = ["region__path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "code"], name="service_item_code_per_region"),
        ]

    def __str__(self) -> str:
        return self.name


class ServiceStep(models.Model):
    """One department's part of an item. Steps of the same group run in parallel; groups run in order."""

    tenancy = Tenancy(region="item__region", applies_downward=True)

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="steps")
    department_kind = models.CharField(_("办理部门"), max_length=20, choices=DepartmentKind.choices)
    group = models.PositiveSmallIntegerField(
        _("办理顺序"), default=1, help_text=_("同一顺序号的环节并联办理，顺序号小的先办")
    )
    action = models.CharField(_("办理内容"), max_length=100)
    sla_working_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"))

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = _("办理环节")
        ordering = ["item", "group", "department_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "group", "department_kind"], name="service_step_once_per_group"
            ),
            models.CheckConstraint(condition=Q(group__gte=1), name="service_step_group_positive"),
            models.CheckConstraint(
                condition=Q(sla_working_days__gte=1, sla_working_days__lte=60), name="service_step_sla_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} · {self.action}"


class DepartmentHead(models.Model):
    """Who receives escalations of overdue steps for a department (the head); without one, its officers."""

    tenancy = Tenancy(region="department__region")

    department = models.OneToOneField(
        "registry.Department", verbose_name=_("部门"), on_delete=models.CASCADE, related_name="head"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("部门负责人")
        verbose_name_plural = _("部门负责人")


class Material(models.Model):
    """A document in the talent's material library: given once, reused by every later application."""

    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    talent = models.ForeignKey("registry.Talent", on_delete=models.CASCADE, related_name="materials")
    material_type = models.ForeignKey(
        MaterialType, verbose_name=_("材料类型"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("文件"), upload_to="materials/%Y/%m/", blank=True)
    # The name the file had on the applicant's computer: what every page shows (the stored name is random)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    reference = models.CharField(
        _("电子证照编号或说明"), max_length=200, blank=True, help_text=_("如电子证照库编号")
    )
    uploaded_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified = models.BooleanField(_("已核验"), default=False)
    # A material found wrong is replaced: the old row stays (applications used it) but is no longer current.
    is_current = models.BooleanField(_("现行"), default=True)

    class Meta:
        verbose_name = _("材料")
        verbose_name_plural = _("材料库")
        ordering = ["material_type__code", "-uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["talent", "material_type"],
                condition=Q(is_current=True),
                name="material_one_current_per_type",
            ),
            models.CheckConstraint(condition=~Q(file="") | ~Q(reference=""), name="material_has_content"),
        ]

    def __str__(self) -> str:
        return f"{self.material_type.name}（{self.reference or self.display_name}）"

    @property
    def display_name(self) -> str:
        """The file's name as the applicant gave it (for files stored before names were kept: its own)."""
        if not self.file:
            return ""
        return self.original_name or (self.file.name or "").rsplit("/", 1)[-1]


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OFFERED = "offered", _("待确认（免申即享）")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回补正")
    RESUBMITTED = "resubmitted", _("补正后提交")
    ACCEPTED = "accepted", _("已受理")
    IN_PROGRESS = "in_progress", _("部门办理中")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未通过")
    COMPLETED = "completed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATES = ("submitted", "returned", "resubmitted", "accepted", "in_progress", "approved")


class Application(models.Model):
    """One application for one service item by (or on behalf of) one talent."""

    tenancy = Tenancy(region="region", enterprise="enterprise", person="talent__account")

    talent = models.ForeignKey(
        "registry.Talent", verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="applications"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("代办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_applications",
        help_text=_("用人单位代员工申请时填写"),
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("服务事项"), on_delete=models.PROTECT, related_name="applications"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("受理区划"), on_delete=models.PROTECT)
    state = models.CharField(
        _("状态"), max_length=12, choices=ApplicationState.choices, default=ApplicationState.DRAFT
    )
    form_data = models.JSONField(_("申请信息"), default=dict, blank=True)  # e.g. {"child_name": "…"}
    eligibility = models.JSONField(_("资格预审"), default=dict, blank=True)  # the engine's explanation
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    entitlement = models.OneToOneField(
        "policies.Entitlement",
        verbose_name=_("政策红利"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="application",
        help_text=_("免申即享：由匹配结果生成"),
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("窗口受理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务申请")
        verbose_name_plural = _("服务申请")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region", "state", "submitted_at"], name="application_window_queue"),
            models.Index(fields=["talent", "-created_at"], name="application_talent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in ApplicationState]), name="application_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="application_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=~Q(state="completed") | Q(completed_at__isnull=False),
                name="application_completed_has_time",
            ),
            # One open application (or proactive offer) per talent and item: identical requests at
            # once cannot open two, whatever the code above the database checks.
            models.UniqueConstraint(
                fields=["talent", "item"],
                condition=Q(state__in=[*OPEN_STATES, "offered"]),
                name="application_one_open_per_talent_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} · {self.talent.name}"

    @property
    def reservation_reference(self) -> str:
        """What the budget reservation of this application is filed under (policies.ledger)."""
        return reservation_reference(self.idempotency_key)


def reservation_reference(idempotency_key: str) -> str:
    """Known before the row exists: the reservation is made in the same transaction as the insert."""
    return f"application:{idempotency_key}"


class ApplicationMaterial(models.Model):
    """Which library material an application used for each required type."""

    tenancy = Tenancy(region="application__region", person="application__talent__account")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="materials")
    material_type = models.ForeignKey(MaterialType, on_delete=models.PROTECT, related_name="+")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="uses")

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material_type"], name="application_material_once_per_type"
            )
        ]


class CorrectionNotice(models.Model):
    """一次性告知: everything missing or wrong, listed once. One per application, so a second return
    cannot exist."""

    tenancy = Tenancy(region="application__region", person="application__talent__account")

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="correction_notice"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("告知时间"), default=timezone.now)
    # [{"material_type": code, "name": "学位证书", "problem": "missing"|"wrong", "note": "…"}]
    items = models.JSONField(_("补正清单"), default=list)
    note = models.TextField(_("说明"), blank=True)
    resolved_at = models.DateTimeField(_("补正时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一次性告知书")
        verbose_name_plural = _("一次性告知书")


class StepState(models.TextChoices):
    PENDING = "pending", _("办理中")
    APPROVED = "approved", _("同意")
    REJECTED = "rejected", _("不同意")
    CANCELLED = "cancelled", _("已终止")  # another step rejected the application


class StepTask(models.Model):
    """A department's step of one accepted application, with its working-day deadline."""

    tenancy = Tenancy(region="region", person="application__talent__account")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(ServiceStep, on_delete=models.PROTECT, related_name="tasks")
    department = models.ForeignKey(
        "registry.Department", verbose_name=_("办理部门"), on_delete=models.PROTECT, related_name="step_tasks"
    )
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT)  # the application's, for scoping
    group = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(_("状态"), max_length=10, choices=StepState.choices, default=StepState.PENDING)
    opened_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("办理时限"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    decided_on = models.DateField(null=True, blank=True)  # local date of the decision, for on-time rates
    reason = models.TextField(_("意见"), blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("部门办理环节")
        verbose_name_plural = _("部门办理环节")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["department", "state", "due_on"], name="step_task_department_queue"),
            models.Index(fields=["state", "due_on"], name="step_task_open_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["application", "step"], name="step_task_once_per_step"),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(state="cancelled") | Q(decided_at__isnull=False),
                name="step_task_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(reason=""), name="step_task_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("opened_on")), name="step_task_due_after_open"
            ),
        ]


class Transition(models.Model):
    """One change of an application's state: who, when, from what to what, and why."""

    tenancy = Tenancy(region="application__region", person="application__talent__account")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(max_length=12)  # applicant, window, department, system
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["at", "id"]


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已注销")


class GoldCard(models.Model):
    """人才金卡: issued on approval; providers verify its signed token."""

    tenancy = Tenancy(region="region", person="talent__account")

    card_number = models.CharField(_("卡号"), max_length=20, unique=True)  # e.g. "QZ2026000123"
    talent = models.ForeignKey(
        "registry.Talent", verbose_name=_("持卡人"), on_delete=models.PROTECT, related_name="gold_cards"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("发卡区划"), on_delete=models.PROTECT)
    tier = models.CharField(_("人才类别"), max_length=1)
    application = models.ForeignKey(
        "onestop.Application", null=True, blank=True, on_delete=models.SET_NULL, related_name="gold_cards"
    )
    issued_on = models.DateField(_("发卡日期"))
    valid_until = models.DateField(_("有效期至"))
    status = models.CharField(_("状态"), max_length=10, choices=CardStatus.choices, default="active")
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revoked_reason = models.TextField(_("注销原因"), blank=True)
    benefits = models.JSONField(_("权益"), default=list)  # list of Chinese benefit lines

    class Meta:
        verbose_name = _("人才金卡")
        verbose_name_plural = _("人才金卡")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["talent"], condition=Q(status="active"), name="gold_card_one_active_per_talent"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("issued_on")), name="gold_card_validity_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status="active", revoked_at__isnull=True)
                | Q(status="revoked", revoked_at__isnull=False),
                name="gold_card_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.card_number


class VerificationOutcome(models.TextChoices):
    OK = "ok", _("有效")
    REVOKED = "revoked", _("已注销")
    EXPIRED = "expired", _("已过期")
    INVALID = "invalid", _("无效二维码")
    UNKNOWN = "unknown", _("查无此卡")


class VerificationChannel(models.TextChoices):
    ONLINE = "online", _("在线")
    OFFLINE = "offline", _("离线")


class CardVerification(models.Model):
    """One check of a card by a provider (online through the API, or offline and reported later)."""

    tenancy = Tenancy(region="card__region", person="provider")

    card = models.ForeignKey(
        GoldCard, null=True, blank=True, on_delete=models.SET_NULL, related_name="verifications"
    )
    card_number = models.CharField(_("卡号"), max_length=20, blank=True)
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("服务提供方"), null=True, on_delete=models.PROTECT
    )
    verified_at = models.DateTimeField(_("核验时间"), default=timezone.now, db_index=True)
    result = models.CharField(_("结果"), max_length=10, choices=VerificationOutcome.choices)
    channel = models.CharField(
        _("方式"), max_length=10, choices=VerificationChannel.choices, default=VerificationChannel.ONLINE
    )

    class Meta:
        verbose_name = _("金卡核验记录")
        verbose_name_plural = _("金卡核验记录")
        ordering = ["-verified_at", "-id"]


class VoucherStatus(models.TextChoices):
    ISSUED = "issued", _("已发放")
    REDEEMED = "redeemed", _("已兑付")
    CANCELLED = "cancelled", _("已作废")


class EducationVoucher(models.Model):
    """教育券 for a named child; a school redeems it once (a conditional update refuses the second)."""

    tenancy = Tenancy(region="region", person="talent__account")

    voucher_number = models.CharField(_("券号"), max_length=20, unique=True)
    talent = models.ForeignKey(
        "registry.Talent", verbose_name=_("人才"), on_delete=models.PROTECT, related_name="education_vouchers"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("发放区划"), on_delete=models.PROTECT)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="vouchers"
    )
    child_name = models.CharField(_("子女姓名"), max_length=50)
    amount = models.DecimalField(_("金额（元）"), max_digits=10, decimal_places=2)
    issued_on = models.DateField(_("发放日期"))
    status = models.CharField(_("状态"), max_length=10, choices=VoucherStatus.choices, default="issued")
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("兑付学校"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    redeemed_at = models.DateTimeField(_("兑付时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("教育券")
        verbose_name_plural = _("教育券")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="voucher_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="redeemed", redeemed_at__isnull=False)
                | (~Q(status="redeemed") & Q(redeemed_at__isnull=True)),
                name="voucher_redeemed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.voucher_number


class VoucherRedemption(models.Model):
    """Every redemption attempt, refused ones included; at most one succeeds per voucher."""

    tenancy = Tenancy(region="voucher__region", person="provider")

    # null when the number tried matches no voucher: guesses are logged and throttled like other failures
    voucher = models.ForeignKey(
        EducationVoucher, null=True, blank=True, on_delete=models.CASCADE, related_name="redemptions"
    )
    number_tried = models.CharField(_("输入的券号"), max_length=40, blank=True)
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=20)  # ok, already_redeemed, cancelled, not_found, throttled

    class Meta:
        verbose_name = _("教育券兑付记录")
        verbose_name_plural = _("教育券兑付记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["provider", "-at"], name="voucher_redemption_provider")]
        constraints = [
            models.UniqueConstraint(
                fields=["voucher"], condition=Q(result="ok"), name="voucher_redeemed_once"
            )
        ]


class LoanStatus(models.TextChoices):
    REFERRED = "referred", _("已转介")
    APPROVED = "approved", _("已批准")
    DECLINED = "declined", _("未批准")


# 特优贷 quota by tier when the policy engine gives no amount (yuan).
LOAN_QUOTA_BY_TIER = {
    "A": Decimal("1500000"),
    "B": Decimal("1200000"),
    "C": Decimal("1000000"),
    "D": Decimal("600000"),
}


class HousingLoanReferral(models.Model):
    """住房公积金“特优贷”: a referral to the housing-fund centre with a quota by tier; the centre decides."""

    tenancy = Tenancy(region="region", person="talent__account")

    talent = models.ForeignKey(
        "registry.Talent", verbose_name=_("人才"), on_delete=models.PROTECT, related_name="housing_loans"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("区划"), on_delete=models.PROTECT)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="loan_referrals"
    )
    department = models.ForeignKey(
        "registry.Department", verbose_name=_("住房公积金中心"), on_delete=models.PROTECT, related_name="+"
    )
    tier = models.CharField(_("人才类别"), max_length=1)
    quota = models.DecimalField(_("贷款额度（元）"), max_digits=14, decimal_places=2)
    status = models.CharField(_("状态"), max_length=10, choices=LoanStatus.choices, default="referred")
    referred_at = models.DateTimeField(_("转介时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("住房公积金贷款转介")
        verbose_name_plural = _("住房公积金贷款转介")
        ordering = ["-referred_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quota__gt=0), name="loan_quota_positive"),
            models.CheckConstraint(
                condition=Q(status="referred", decided_at__isnull=True)
                | (~Q(status="referred") & Q(decided_at__isnull=False)),
                name="loan_decided_has_time",
            ),
            models.UniqueConstraint(
                fields=["talent"], condition=Q(status="referred"), name="loan_one_open_referral_per_talent"
            ),
        ]
