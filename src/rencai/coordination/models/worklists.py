"""Department work lists (职责清单与工作台账): a department's yearly duties, weak points, breakthroughs and
innovations, its work items with milestones, and the projects a county's first secretary leads (一把手项目).

Every row carries its region (and, below a department's list, the department) so that one `Tenancy` and one
object check (`core.access`, KEEP_WORKLIST) serve lists, items, milestones and projects alike.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy


class FocusKind(models.TextChoices):
    """The three kinds of entry a department sorts out each year (薄弱点、突破点、创新点)."""

    WEAK_POINT = "weak_point", _("薄弱点")
    BREAKTHROUGH = "breakthrough", _("突破点")
    INNOVATION = "innovation", _("创新点")


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已完成")
    OVERDUE = "overdue", _("已逾期")


class WorkList(models.Model):
    """One department's list of talent work for one year: who leads it, its duties and focus points."""

    tenancy = Tenancy(region="region")

    department = models.ForeignKey(
        "registry.Department", verbose_name=_("部门"), on_delete=models.PROTECT, related_name="worklists"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("区划"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    lead_officer = models.CharField(_("分管领导"), max_length=100, blank=True)
    # who overdue items escalate to first (部门负责人); without one, every officer of the department
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("部门负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("部门人才工作清单")
        verbose_name_plural = _("部门人才工作清单")
        ordering = ["-year", "region__path", "department__kind"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="worklist_one_per_department_year")
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.year}"


class Duty(models.Model):
    """One duty of a department in talent work (职责), with the officer who leads it."""

    tenancy = Tenancy(region="worklist__region")

    worklist = models.ForeignKey(WorkList, on_delete=models.CASCADE, related_name="duties")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(_("职责内容"))
    lead_officer = models.CharField(_("责任领导"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("职责")
        verbose_name_plural = _("职责")
        ordering = ["worklist", "position", "pk"]


class FocusPoint(models.Model):
    """A weak point, breakthrough or innovation of the department's year."""

    tenancy = Tenancy(region="worklist__region")

    worklist = models.ForeignKey(WorkList, on_delete=models.CASCADE, related_name="focus_points")
    kind = models.CharField(_("类型"), max_length=12, choices=FocusKind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("标题"), max_length=200)
    detail = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("薄弱点、突破点和创新点")
        verbose_name_plural = _("薄弱点、突破点和创新点")
        ordering = ["worklist", "kind", "position", "pk"]


class WorkItem(models.Model):
    """A work item of a department's list (工作台账): owned by the department and one of its officers,
    carried out by a responsible person, tracked by milestones and progress notes."""

    tenancy = Tenancy(region="region")

    worklist = models.ForeignKey(WorkList, on_delete=models.CASCADE, related_name="items")
    department = models.ForeignKey(
        "registry.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey("core.Region", verbose_name=_("区划"), on_delete=models.PROTECT)
    title = models.CharField(_("工作事项"), max_length=200)
    description = models.TextField(_("工作要求"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("台账维护人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible = models.CharField(_("责任人"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.PLANNED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("工作事项")
        verbose_name_plural = _("工作事项")
        ordering = ["worklist", "pk"]


class SecretaryProject(models.Model):
    """A project the county's first secretary leads (一把手项目), kept by the county's organization
    department. The leader is a `Leader` post when one is recorded, else a name and post as text."""

    tenancy = Tenancy(region="region")

    region = models.ForeignKey("core.Region", verbose_name=_("县（市、区）"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("项目名称"), max_length=200)
    description = models.TextField(_("项目内容"), blank=True)
    leader = models.ForeignKey(
        "coordination.Leader",
        verbose_name=_("牵头领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    leader_name = models.CharField(_("牵头领导（姓名、职务）"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("台账维护人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responsible = models.CharField(_("责任人"), max_length=100, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.PLANNED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("一把手项目")
        verbose_name_plural = _("一把手项目")
        ordering = ["-year", "region__path", "pk"]

    def __str__(self) -> str:
        return self.title


class Milestone(models.Model):
    """A milestone of a work item or of a first secretary's project, due on a working day.

    A date asked for on a holiday or weekend is moved to the next working day (`asked_on` keeps the date
    asked for); `due_estimated` says the calendar lacked the year, so weekdays were assumed. The sweep marks
    `reminded_on` (before due), `escalated_on` (overdue: the department head) and `escalated_org_on` (still
    overdue: the organization department) by conditional UPDATEs, so each message goes once.
    """

    tenancy = Tenancy(region="region")

    work_item = models.ForeignKey(
        WorkItem, null=True, blank=True, on_delete=models.CASCADE, related_name="milestones"
    )
    project = models.ForeignKey(
        SecretaryProject, null=True, blank=True, on_delete=models.CASCADE, related_name="milestones"
    )
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT)
    department = models.ForeignKey(
        "registry.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("节点"), max_length=200)
    asked_on = models.DateField(_("要求日期"))
    due_on = models.DateField(_("完成时限"))
    due_estimated = models.BooleanField(default=False)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)
    escalated_on = models.DateField(null=True, blank=True)
    escalated_org_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("节点")
        verbose_name_plural = _("节点")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(work_item__isnull=False, project__isnull=True)
                | Q(work_item__isnull=True, project__isnull=False),
                name="milestone_of_one_item_or_project",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("asked_on")), name="milestone_due_not_earlier"
            ),
        ]
        indexes = [models.Index(fields=["done_on", "due_on"], name="milestone_open_due")]

    def __str__(self) -> str:
        return self.title


class ProgressNote(models.Model):
    """A progress note on a work item or a project, with its evidence (what and where: a document number,
    a link, a meeting's minutes)."""

    tenancy = Tenancy(region="region")

    work_item = models.ForeignKey(
        WorkItem, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    project = models.ForeignKey(
        SecretaryProject, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("进展情况"))
    evidence = models.TextField(_("佐证说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("工作进展")
        verbose_name_plural = _("工作进展")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(work_item__isnull=False, project__isnull=True)
                | Q(work_item__isnull=True, project__isnull=False),
                name="progress_note_of_one_item_or_project",
            )
        ]
