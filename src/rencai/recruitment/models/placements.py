"""Placements (到岗): an arrival confirmed by the registry, attributed to the channel that brought it."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.recruitment.choices import Channel, PlacementState


class Placement(models.Model):
    """A talent who arrived at an enterprise: confirmed from the registry (registered, employed by the
    enterprise, in Quzhou or its enclave), never from self-report; one per talent and enterprise."""

    tenancy = Tenancy(region="region", enterprise="enterprise", person="talent__account")

    talent = models.ForeignKey("registry.Talent", on_delete=models.PROTECT, related_name="placements")
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="placements")
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT)
    demand = models.ForeignKey(
        "recruitment.Demand", null=True, blank=True, on_delete=models.SET_NULL, related_name="placements"
    )
    channel = models.CharField(_("引才渠道"), max_length=10, choices=Channel.choices)
    referral = models.OneToOneField(
        "recruitment.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="placement"
    )
    lead = models.ForeignKey(
        "recruitment.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="placements"
    )
    project = models.ForeignKey(
        "registry.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="placements"
    )
    arrived_on = models.DateField(_("到岗日期"))
    confirmed_on = models.DateField(_("核实日期"), null=True, blank=True)
    left_on = models.DateField(_("离职日期"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=PlacementState.choices, default=PlacementState.PENDING
    )
    tier = models.CharField(_("人才层次"), max_length=1, blank=True)  # at arrival, for rewards and reports
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("引才到岗")
        verbose_name_plural = _("引才到岗")
        ordering = ["-arrived_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["talent", "enterprise"], name="placement_one_per_talent_enterprise"
            )
        ]
        indexes = [models.Index(fields=["channel", "arrived_on"], name="placement_channel_arrived")]
