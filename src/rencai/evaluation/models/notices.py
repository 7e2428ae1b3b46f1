"""Public notice (公示) of a round's results, objections to it, and integrity findings that veto."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.evaluation.choices import NoticeState, ObjectionPoint, ObjectionState


class PublicNotice(models.Model):
    """A round's notice: published on a page that needs no login, for `days` working days."""

    tenancy = Tenancy(region="round__region")

    round = models.ForeignKey("evaluation.Round", on_delete=models.PROTECT, related_name="notices")
    title = models.CharField(_("公示标题"), max_length=200)
    starts_on = models.DateField(_("公示开始"))
    ends_on = models.DateField(_("公示结束"))
    days = models.PositiveSmallIntegerField(_("公示期（工作日）"), default=5)
    state = models.CharField(_("状态"), max_length=10, choices=NoticeState.choices, default=NoticeState.OPEN)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(auto_now_add=True)
    # the cases on the notice (a case appears on one notice)
    cases = models.ManyToManyField("evaluation.Case", related_name="notices", blank=True)

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="notice_dates_ordered"
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="notice_days_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """An objection by real name with evidence: assigned to an officer, answered within ten working days."""

    tenancy = Tenancy(region="case__region")

    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="objections")
    case = models.ForeignKey("evaluation.Case", on_delete=models.PROTECT, related_name="objections")
    point = models.CharField(_("异议事项"), max_length=12, choices=ObjectionPoint.choices)
    objector_name = models.CharField(_("异议人姓名"), max_length=100)
    objector_id_ciphertext = models.TextField()
    objector_id_index = models.CharField(max_length=40)
    objector_id_masked = models.CharField(_("异议人证件号码"), max_length=24)
    phone_ciphertext = models.TextField()
    phone_masked = models.CharField(_("联系电话"), max_length=24)
    statement = models.TextField(_("异议内容"))
    evidence = models.FileField(_("证据材料"), upload_to="objections/%Y/%m/", blank=True)
    evidence_name = models.CharField(max_length=255, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("答复期限"))
    state = models.CharField(
        _("状态"), max_length=10, choices=ObjectionState.choices, default=ObjectionState.OPEN
    )
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)
    escalated_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["due_on", "pk"]
        constraints = [
            # a second objection on the same point by the same person is refused, by the database
            models.UniqueConstraint(
                fields=["case", "objector_id_index", "point"], name="objection_once_per_person_point"
            ),
            models.CheckConstraint(
                condition=Q(state=ObjectionState.OPEN) | ~Q(answer=""), name="objection_settled_has_answer"
            ),
        ]


class IntegrityFinding(models.Model):
    """A recorded integrity finding (品德/诚信): while in force, it vetoes every evaluation of the talent."""

    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    talent = models.ForeignKey("registry.Talent", on_delete=models.CASCADE, related_name="integrity_findings")
    found_on = models.DateField(_("认定日期"))
    source = models.CharField(_("认定机关"), max_length=200)
    description = models.TextField(_("事实"))
    expires_on = models.DateField(_("失效日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("诚信记录")
        verbose_name_plural = _("诚信记录")
        ordering = ["-found_on"]
