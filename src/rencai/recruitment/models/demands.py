"""Talent demands (人才需求): positions an enterprise posts, reviewed by its county, published for search."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.recruitment.choices import DemandState, Place, WorkMode
from rencai.registry.choices import Degree, Industry, Team, Tier


class Demand(models.Model):
    """A position (or several of the same) an enterprise wants filled."""

    tenancy = Tenancy(region="region", enterprise="enterprise")

    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("用人单位"), on_delete=models.PROTECT, related_name="demands"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT)
    title = models.CharField(_("岗位名称"), max_length=200)
    team = models.CharField(_("人才队伍"), max_length=20, choices=Team.choices)
    tier_sought = models.CharField(_("人才层次"), max_length=1, choices=Tier.choices, blank=True)
    degree = models.CharField(_("学历要求"), max_length=10, choices=Degree.choices, default=Degree.BACHELOR)
    field = models.CharField(_("专业领域"), max_length=20, choices=Industry.choices)
    headcount = models.PositiveSmallIntegerField(_("需求人数"), default=1)
    filled = models.PositiveSmallIntegerField(_("已到岗人数"), default=0)
    salary_min = models.PositiveIntegerField(_("年薪下限（元）"))
    salary_max = models.PositiveIntegerField(_("年薪上限（元）"))
    place = models.CharField(_("工作地点"), max_length=20, choices=Place.choices, default=Place.LOCAL)
    work_mode = models.CharField(
        _("引才方式"), max_length=10, choices=WorkMode.choices, default=WorkMode.FULL_TIME
    )
    description = models.TextField(_("岗位说明"), blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=DemandState.choices, default=DemandState.DRAFT)
    expires_on = models.DateField(_("有效期至"))
    review_comment = models.TextField(_("审核意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("人才需求")
        verbose_name_plural = _("人才需求")
        ordering = ["-published_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(salary_min__lte=F("salary_max")), name="demand_salary_ordered"
            ),
            models.CheckConstraint(condition=Q(headcount__gte=1), name="demand_headcount_positive"),
            models.CheckConstraint(
                condition=Q(filled__lte=F("headcount")), name="demand_filled_within_headcount"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "field", "-published_at"], name="demand_search"),
            models.Index(fields=["enterprise", "state"], name="demand_enterprise_state"),
            # the public search: published demands newest first, read in index order until the page is full
            # (any filter), so neither the page nor its capped count sorts the whole table
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(state=DemandState.PUBLISHED),
                name="demand_published_order",
            ),
            # and one small partial index per filter of the search: a narrow combination (a team, a tier
            # and a degree) is counted from their bitmaps instead of a scan of every demand
            *(
                models.Index(
                    fields=[name], condition=Q(state=DemandState.PUBLISHED), name=f"demand_pub_{name}"
                )
                for name in ("team", "tier_sought", "degree", "place", "work_mode", "region")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.name} · {self.title}"
