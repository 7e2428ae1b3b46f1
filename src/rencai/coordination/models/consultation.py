"""Consultation on policy drafts (征求意见): rounds opened on a draft policy version, the parties invited,
their comments and the drafter's answers.

A round stores the draft as it was when the round opened (`snapshot`), so that once the version is issued
its page can show what changed after consultation, whatever the draft went through in between.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy


class ConsultationState(models.TextChoices):
    OPEN = "open", _("征求意见中")
    CLOSED = "closed", _("已结束")


class PartyKind(models.TextChoices):
    DEPARTMENT = "department", _("部门")
    REGION = "region", _("县（市、区）")
    ENTERPRISE = "enterprise", _("企业")


class AnswerOutcome(models.TextChoices):
    ADOPTED = "adopted", _("采纳")
    PARTLY = "partly", _("部分采纳")
    NOT_ADOPTED = "not_adopted", _("未采纳")


class Consultation(models.Model):
    """One round of consultation on a draft version; a policy may be consulted on again and again."""

    # like the version itself: a city draft is read by the counties below (and invited enterprises)
    tenancy = Tenancy(region="region", applies_downward=True)

    version = models.ForeignKey(
        "policies.PolicyVersion", verbose_name=_("政策版本"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("发布区划"), on_delete=models.PROTECT)
    round_number = models.PositiveSmallIntegerField(_("轮次"))
    state = models.CharField(
        _("状态"), max_length=8, choices=ConsultationState.choices, default=ConsultationState.OPEN
    )
    opened_on = models.DateField(_("开始日期"))
    deadline = models.DateField(_("截止日期"))
    instructions = models.TextField(_("征求意见说明"), blank=True)
    snapshot = models.JSONField(_("征求意见稿"), default=dict)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("征求意见")
        verbose_name_plural = _("征求意见")
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "round_number"], name="consultation_round_unique"),
            # one round at a time on a version: the next opens when the last is closed
            models.UniqueConstraint(
                fields=["version"], condition=Q(state="open"), name="consultation_one_open_per_version"
            ),
            models.CheckConstraint(
                condition=Q(deadline__gte=models.F("opened_on")), name="consultation_deadline"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot.get('name', '')} #{self.round_number}"


class Invitation(models.Model):
    """A party invited to comment: a department, a county (its officers) or an enterprise."""

    tenancy = Tenancy(region="consultation__region", applies_downward=True)

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="invitations")
    kind = models.CharField(_("类型"), max_length=12, choices=PartyKind.choices)
    department = models.ForeignKey("registry.Department", null=True, blank=True, on_delete=models.CASCADE)
    party_region = models.ForeignKey(
        "core.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    enterprise = models.ForeignKey("registry.Enterprise", null=True, blank=True, on_delete=models.CASCADE)
    # set by the daily sweep when a party that has not commented is reminded of the deadline (once)
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("征求意见对象")
        verbose_name_plural = _("征求意见对象")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind="department",
                    department__isnull=False,
                    party_region__isnull=True,
                    enterprise__isnull=True,
                )
                | Q(
                    kind="region",
                    department__isnull=True,
                    party_region__isnull=False,
                    enterprise__isnull=True,
                )
                | Q(
                    kind="enterprise",
                    department__isnull=True,
                    party_region__isnull=True,
                    enterprise__isnull=False,
                ),
                name="invitation_names_one_party",
            ),
            models.UniqueConstraint(
                fields=["consultation", "department"],
                condition=Q(kind="department"),
                name="invitation_department_once",
            ),
            models.UniqueConstraint(
                fields=["consultation", "party_region"],
                condition=Q(kind="region"),
                name="invitation_region_once",
            ),
            models.UniqueConstraint(
                fields=["consultation", "enterprise"],
                condition=Q(kind="enterprise"),
                name="invitation_enterprise_once",
            ),
        ]

    def __str__(self) -> str:
        party = self.department or self.party_region or self.enterprise
        return str(party)


class Comment(models.Model):
    """A comment on the draft (optionally on one clause or field), and the drafter's answer to it."""

    tenancy = Tenancy(region="consultation__region", applies_downward=True)

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    party = models.CharField(_("提出单位"), max_length=200)
    clause = models.CharField(_("条款"), max_length=100, blank=True)
    body = models.TextField(_("意见内容"))
    created_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(_("采纳情况"), max_length=12, choices=AnswerOutcome.choices, blank=True)
    reason = models.TextField(_("答复理由"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("意见")
        verbose_name_plural = _("意见")
        ordering = ["consultation", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="") | Q(answered_at__isnull=False), name="comment_answer_has_time"
            )
        ]
