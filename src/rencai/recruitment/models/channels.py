"""Recruiting stations (人才工作站), promotion events (推介会), the candidates they meet and the leads."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.recruitment.choices import LeadOutcome
from rencai.registry.choices import Degree, Industry


class Station(models.Model):
    """A recruiting station in Beijing, Shanghai, Hangzhou… run for a region by its operators."""

    tenancy = Tenancy(region="region")

    name = models.CharField(_("工作站名称"), max_length=200)
    city = models.CharField(_("所在城市"), max_length=50)
    region = models.ForeignKey("core.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    opened_on = models.DateField(_("设立日期"))
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("运营人员"), blank=True, related_name="stations"
    )
    active = models.BooleanField(_("运行中"), default=True)

    class Meta:
        verbose_name = _("人才工作站")
        verbose_name_plural = _("人才工作站")
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name


class Event(models.Model):
    """A promotion event (推介会) with the enterprises and demands it carries."""

    tenancy = Tenancy(region="region")

    name = models.CharField(_("活动名称"), max_length=200)
    region = models.ForeignKey("core.Region", verbose_name=_("主办区划"), on_delete=models.PROTECT)
    station = models.ForeignKey(
        Station,
        verbose_name=_("承办工作站"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    held_on = models.DateField(_("举办日期"))
    place = models.CharField(_("举办地点"), max_length=200)
    enterprises = models.ManyToManyField("registry.Enterprise", verbose_name=_("参会企业"), blank=True)
    demands = models.ManyToManyField("recruitment.Demand", verbose_name=_("发布需求"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("推介会")
        verbose_name_plural = _("推介会")
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        return self.name


class Candidate(models.Model):
    """A person met at an event or a station, or referred by an agency, before they are a registry talent.
    Contact data are personal data: sealed like a talent's (ciphertext, blind index, mask)."""

    tenancy = Tenancy(region="region")

    name = models.CharField(_("姓名"), max_length=100)
    id_number_ciphertext = models.TextField()
    id_number_index = models.CharField(max_length=40, unique=True)  # one candidate per person
    id_number_masked = models.CharField(_("证件号码"), max_length=24)
    phone_ciphertext = models.TextField(blank=True)
    phone_masked = models.CharField(_("手机号码"), max_length=24, blank=True)
    degree = models.CharField(_("学历"), max_length=10, choices=Degree.choices, blank=True)
    field = models.CharField(_("专业领域"), max_length=20, choices=Industry.choices, blank=True)
    region = models.ForeignKey("core.Region", verbose_name=_("登记区划"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("候选人")
        verbose_name_plural = _("候选人")

    def __str__(self) -> str:
        return self.name


class EventRegistration(models.Model):
    """A candidate registered for an event; attendance recorded on the day."""

    tenancy = Tenancy(region="event__region")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="registrations")
    registered_at = models.DateTimeField(auto_now_add=True)
    attended = models.BooleanField(_("已到场"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "candidate"], name="registration_once")]


class Lead(models.Model):
    """A lead from an event or a station: a candidate interested in an enterprise (or a demand), with its
    outcome."""

    tenancy = Tenancy(region="region", enterprise="enterprise")

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="leads")
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="leads")
    demand = models.ForeignKey(
        "recruitment.Demand", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT)
    outcome = models.CharField(_("结果"), max_length=12, choices=LeadOutcome.choices, default=LeadOutcome.NEW)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("引才线索")
        verbose_name_plural = _("引才线索")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event__isnull=False) | models.Q(station__isnull=False),
                name="lead_has_a_source",
            )
        ]
