"""Enterprise chief technology officers (首席技术官): appointments, yearly checks, registered roles."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.evaluation.choices import AppointmentStatus, OfficerRole


class EnterpriseOfficer(models.Model):
    """An enterprise's legal representative or shareholder as registered with market regulation
    (imported, not declared by the nominating enterprise): the CTO rules are checked against it."""

    tenancy = Tenancy(region="enterprise__region", enterprise="enterprise")

    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.CASCADE, related_name="officers")
    role = models.CharField(_("身份"), max_length=24, choices=OfficerRole.choices)
    name = models.CharField(_("姓名"), max_length=100)
    id_number_index = models.CharField(max_length=40)  # blind index: compared, never shown
    share_percent = models.DecimalField(
        _("持股比例（%）"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    registered_on = models.DateField(_("登记日期"))

    class Meta:
        verbose_name = _("企业登记人员")
        verbose_name_plural = _("企业登记人员")
        constraints = [
            models.CheckConstraint(
                condition=Q(share_percent__isnull=True)
                | (Q(share_percent__gte=0) & Q(share_percent__lte=100)),
                name="officer_share_range",
            )
        ]


class CtoAppointment(models.Model):
    """A chief technology officer appointed after evaluation: a three-year term, checked every year.

    At most one active per enterprise, two for a platform enterprise, one enterprise per person: the
    partial unique indexes and the CHECK on `slot` make these database facts."""

    tenancy = Tenancy(region="enterprise__region", enterprise="enterprise", person="talent__account")

    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="ctos")
    talent = models.ForeignKey("registry.Talent", on_delete=models.PROTECT, related_name="cto_appointments")
    case = models.OneToOneField("evaluation.Case", on_delete=models.PROTECT, related_name="cto_appointment")
    slot = models.PositiveSmallIntegerField(_("名额序号"))
    # copied from the enterprise at appointment, so that the CHECK below can see it
    platform_enterprise = models.BooleanField(_("平台型企业"))
    status = models.CharField(
        _("状态"), max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.ACTIVE
    )
    term_starts = models.DateField(_("任期开始"))
    term_ends = models.DateField(_("任期结束"))
    certificate_number = models.CharField(_("证书编号"), max_length=40, unique=True)
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    appointed_at = models.DateTimeField(auto_now_add=True)
    ended_reason = models.TextField(_("终止原因"), blank=True)

    class Meta:
        verbose_name = _("首席技术官")
        verbose_name_plural = _("首席技术官")
        ordering = ["-term_starts"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot=1) | (Q(slot=2) & Q(platform_enterprise=True)), name="cto_slot_quota"
            ),
            models.UniqueConstraint(
                fields=["enterprise", "slot"],
                condition=Q(status=AppointmentStatus.ACTIVE),
                name="cto_one_active_per_slot",
            ),
            models.UniqueConstraint(
                fields=["talent"],
                condition=Q(status=AppointmentStatus.ACTIVE),
                name="cto_one_enterprise_per_person",
            ),
            models.CheckConstraint(
                condition=Q(term_ends__gt=models.F("term_starts")), name="cto_term_ordered"
            ),
        ]


class CtoYearlyCheck(models.Model):
    """The yearly check of an appointment: one per year; a failed check ends the term."""

    tenancy = Tenancy(region="appointment__enterprise__region", enterprise="appointment__enterprise")

    appointment = models.ForeignKey(CtoAppointment, on_delete=models.CASCADE, related_name="checks")
    year = models.PositiveSmallIntegerField(_("年度"))
    passed = models.BooleanField(_("通过"))
    note = models.TextField(_("说明"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appointment", "year"], name="cto_check_once_a_year")]
