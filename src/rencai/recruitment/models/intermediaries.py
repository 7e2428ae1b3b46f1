"""Intermediaries and headhunters (猎头/中介) under contract, and the candidates they refer."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.recruitment.choices import LIVE_REFERRAL_STATES, ReferralState


class Agency(models.Model):
    """An agency under contract with a region: its period, fee schedule and target count."""

    tenancy = Tenancy(region="region", assigned="members__user", assigned_when=(("members__active", True),))

    name = models.CharField(_("机构名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    region = models.ForeignKey("core.Region", verbose_name=_("签约区划"), on_delete=models.PROTECT)
    contract_starts = models.DateField(_("合同开始"))
    contract_ends = models.DateField(_("合同结束"))
    # {tier: yuan} paid per placed talent of that tier (the reward scheme may differ; this is the contract)
    fee_schedule = models.JSONField(_("服务费标准"), default=dict, blank=True)
    target_count = models.PositiveIntegerField(_("目标引才人数"), default=0)
    active = models.BooleanField(_("合作中"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("中介机构")
        verbose_name_plural = _("中介机构")
        ordering = ["region__path", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contract_ends__gte=models.F("contract_starts")), name="agency_contract_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AgencyMember(models.Model):
    """An intermediary user working for an agency: sees that agency's referrals only."""

    tenancy = Tenancy(region="agency__region", person="user")

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_membership"
    )
    active = models.BooleanField(default=True)


class Referral(models.Model):
    """A candidate referred by an agency for a demand, with the candidate's recorded consent.

    The first valid referral of a person to an enterprise wins: a partial unique index on (enterprise, the
    person's blind index) over the live states; a later referral is refused with the reason."""

    tenancy = Tenancy(
        region="region",
        enterprise="enterprise",
        assigned="agency__members__user",
        assigned_when=(("agency__members__active", True),),
    )

    agency = models.ForeignKey(
        Agency, verbose_name=_("中介机构"), on_delete=models.PROTECT, related_name="referrals"
    )
    demand = models.ForeignKey(
        "recruitment.Demand", verbose_name=_("人才需求"), on_delete=models.PROTECT, related_name="referrals"
    )
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="referrals")
    # the demand's region, copied when the referral is made (a demand never changes region): the scope filters
    # a million referrals by it without joining their demands (recruitment.funnel)
    region = models.ForeignKey(
        "core.Region", verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+"
    )
    candidate = models.ForeignKey(
        "recruitment.Candidate", verbose_name=_("候选人"), on_delete=models.PROTECT, related_name="referrals"
    )
    person_index = models.CharField(max_length=40)  # the candidate's ID blind index, for the constraint
    consent_at = models.DateTimeField(_("本人同意时间"))
    consent_statement = models.TextField(_("本人同意书"))
    state = models.CharField(
        _("状态"), max_length=12, choices=ReferralState.choices, default=ReferralState.REFERRED
    )
    note = models.TextField(_("推荐说明"), blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("推荐")
        verbose_name_plural = _("推荐")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "person_index"],
                condition=Q(state__in=LIVE_REFERRAL_STATES),
                name="referral_first_valid_wins",
            ),
            models.CheckConstraint(condition=~Q(consent_statement=""), name="referral_has_consent"),
        ]
        indexes = [
            models.Index(fields=["agency", "state"], name="referral_agency_state"),
            # the funnel (recruitment.funnel): a period's referrals grouped by their demand, read from the
            # index alone (PostgreSQL covering index; a plain index on created_at elsewhere)
            models.Index(
                fields=["created_at"], include=["demand", "state", "region"], name="referral_funnel"
            ),
            models.Index(
                fields=["agency", "created_at"],
                include=["id", "demand", "state"],
                name="referral_funnel_agency",
            ),
        ]
