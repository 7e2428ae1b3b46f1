"""The registries: departments, enterprises, platforms, academicians, the tier catalogue, talents and their
achievements."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy
from rencai.registry import choices as c


class Department(models.Model):
    tenancy = Tenancy(region="region")

    region = models.ForeignKey("core.Region", verbose_name=_("区划"), on_delete=models.PROTECT)
    kind = models.CharField(_("类别"), max_length=20, choices=c.DepartmentKind.choices)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")
        ordering = ["region__path", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["region", "kind"], name="department_one_kind_per_region")
        ]

    def __str__(self) -> str:
        return self.name


class Enterprise(models.Model):
    tenancy = Tenancy(region="region", enterprise="pk")

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("企业名称"), max_length=200, db_index=True)
    region = models.ForeignKey("core.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT)
    industry = models.CharField(_("行业"), max_length=20, choices=c.Industry.choices)
    size = models.CharField(_("规模"), max_length=10, choices=c.EnterpriseSize.choices)
    is_high_tech = models.BooleanField(_("高新技术企业"), default=False)
    is_platform_enterprise = models.BooleanField(_("平台型企业"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code__regex=r"^[0-9A-HJ-NP-RTUW-Y]{18}$"),
                name="enterprise_credit_code_format",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TalentPlatform(models.Model):
    """A talent platform. An enclave stands in Hangzhou or Shanghai (`location`) but serves `region`."""

    tenancy = Tenancy(region="region", enterprise="host_enterprise")

    kind = models.CharField(_("平台类别"), max_length=24, choices=c.PlatformKind.choices)
    name = models.CharField(_("平台名称"), max_length=200)
    region = models.ForeignKey("core.Region", verbose_name=_("服务区划"), on_delete=models.PROTECT)
    location = models.CharField(_("所在地"), max_length=50, help_text=_("如：杭州、上海、北京或本地"))
    host_enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("依托企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="platforms",
    )
    host_institution = models.CharField(_("依托机构"), max_length=200, blank=True)
    established_on = models.DateField(_("设立日期"))
    group_label = models.CharField(_("平台体系"), max_length=50, blank=True, help_text=_("如：四园一院"))
    updated_at = models.DateTimeField(auto_now=True)  # a changed kind changes its members' features

    class Meta:
        verbose_name = _("人才平台")
        verbose_name_plural = _("人才平台")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(host_enterprise__isnull=False) | ~Q(host_institution=""),
                name="platform_has_host",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Academician(models.Model):
    tenancy = Tenancy(region="region")

    name = models.CharField(_("姓名"), max_length=50)
    academy = models.CharField(_("院籍"), max_length=10, choices=c.Academy.choices)
    field = models.CharField(_("研究领域"), max_length=100)
    affiliation = models.CharField(_("工作单位"), max_length=200)
    region = models.ForeignKey("core.Region", verbose_name=_("登记区划"), on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("院士")
        verbose_name_plural = _("院士")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StationCooperation(models.Model):
    tenancy = Tenancy(region="station__region", enterprise="station__host_enterprise")

    academician = models.ForeignKey(Academician, on_delete=models.CASCADE, related_name="cooperations")
    station = models.ForeignKey(TalentPlatform, on_delete=models.CASCADE, related_name="cooperations")
    started_on = models.DateField(_("合作开始"))
    ended_on = models.DateField(_("合作结束"), null=True, blank=True)
    team_size = models.PositiveIntegerField(_("团队人数"), default=0)

    class Meta:
        verbose_name = _("院士合作")
        verbose_name_plural = _("院士合作")
        constraints = [
            models.UniqueConstraint(
                fields=["academician", "station", "started_on"], name="cooperation_unique"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="cooperation_dates_ordered",
            ),
        ]


class TierDefinition(models.Model):
    """One tier of a region's talent catalogue; a county without its own uses its parent's."""

    tenancy = Tenancy(region="region")

    region = models.ForeignKey("core.Region", verbose_name=_("区划"), on_delete=models.PROTECT)
    code = models.CharField(_("类别"), max_length=1, choices=c.Tier.choices)
    name = models.CharField(_("名称"), max_length=50)
    criteria = models.TextField(_("认定标准"))

    class Meta:
        verbose_name = _("人才分类目录")
        verbose_name_plural = _("人才分类目录")
        ordering = ["region__path", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="tier_unique_per_region")]


class Talent(models.Model):
    """A person in the registry. ID number and phone are stored only encrypted, indexed and masked."""

    tenancy = Tenancy(region="region", enterprise="current_employer", person="account")

    name = models.CharField(_("姓名"), max_length=100, db_index=True)
    id_kind = models.CharField(
        _("证件类型"), max_length=12, choices=c.IdKind.choices, default=c.IdKind.RESIDENT_ID
    )
    id_number_ciphertext = models.TextField()
    id_number_index = models.CharField(max_length=40, unique=True)
    # the blind index of the last four characters, for the list's search by the end of an ID number
    id_number_tail_index = models.CharField(max_length=40, blank=True, default="")
    id_number_masked = models.CharField(_("证件号码"), max_length=24)
    phone_ciphertext = models.TextField(blank=True)
    phone_masked = models.CharField(_("手机号码"), max_length=24, blank=True)
    birth_date = models.DateField(_("出生日期"))
    gender = models.CharField(_("性别"), max_length=6, choices=c.Gender.choices)
    nationality = models.CharField(_("国籍"), max_length=2, default="CN")
    region = models.ForeignKey("core.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT)
    team = models.CharField(_("人才队伍"), max_length=20, choices=c.Team.choices)
    tier = models.CharField(_("人才类别"), max_length=1, choices=c.Tier.choices, blank=True)
    title_level = models.CharField(_("职称"), max_length=16, choices=c.TitleLevel.choices, blank=True)
    skill_level = models.PositiveSmallIntegerField(_("职业技能等级"), choices=c.SkillLevel.choices, default=0)
    highest_degree = models.CharField(
        _("最高学历"), max_length=10, choices=c.Degree.choices, default=c.Degree.NONE
    )
    current_employer = models.ForeignKey(
        Enterprise,
        verbose_name=_("现工作单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
    )
    employment_type = models.CharField(
        _("引才方式"), max_length=10, choices=c.EmploymentType.choices, blank=True
    )
    arrival_date = models.DateField(_("来衢日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=c.TalentStatus.choices, default=c.TalentStatus.ACTIVE
    )
    departed_on = models.DateField(_("离开日期"), null=True, blank=True)
    is_researcher_venture = models.BooleanField(_("科研人员在职/离岗创业"), default=False)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="talent",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("人才")
        verbose_name_plural = _("人才")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["region", "team", "-id"], name="talent_region_team"),
            models.Index(fields=["region", "tier", "-id"], name="talent_region_tier"),
            models.Index(fields=["current_employer", "-id"], name="talent_employer"),
            models.Index(fields=["team", "-id"], name="talent_team"),
            models.Index(fields=["region", "status", "-id"], name="talent_region_status"),
            # the policy engine's cache asks for the latest change and for the talents changed since
            models.Index(fields=["updated_at"], name="talent_updated_at"),
            # the search by the last digits of an ID number (`selectors.talents_for`); the search by any part
            # of a name uses a trigram index that only PostgreSQL has (migration 0006)
            models.Index(fields=["id_number_tail_index"], name="talent_id_tail"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=c.TalentStatus.ACTIVE, departed_on__isnull=True)
                | Q(status=c.TalentStatus.DEPARTED, departed_on__isnull=False),
                name="talent_departed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(skill_level__gte=0, skill_level__lte=5), name="talent_skill_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Education(models.Model):
    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    talent = models.ForeignKey(Talent, on_delete=models.CASCADE, related_name="educations")
    degree = models.CharField(_("学历学位"), max_length=10, choices=c.Degree.choices)
    field = models.CharField(_("专业"), max_length=100, blank=True)
    institution = models.CharField(_("院校"), max_length=200)
    is_overseas = models.BooleanField(_("海外学历"), default=False)
    graduated_on = models.DateField(_("毕业日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("教育经历")
        verbose_name_plural = _("教育经历")
        ordering = ["graduated_on"]


class Honour(models.Model):
    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    talent = models.ForeignKey(Talent, on_delete=models.CASCADE, related_name="honours")
    programme = models.CharField(_("人才计划/荣誉"), max_length=24, choices=c.Programme.choices)
    level = models.CharField(_("级别"), max_length=10, choices=c.ProgrammeLevel.choices)
    year = models.PositiveSmallIntegerField(_("入选年份"))

    class Meta:
        verbose_name = _("人才计划与荣誉")
        verbose_name_plural = _("人才计划与荣誉")
        constraints = [
            models.UniqueConstraint(fields=["talent", "programme"], name="honour_once_per_programme")
        ]


class Employment(models.Model):
    tenancy = Tenancy(region="talent__region", enterprise="enterprise", person="talent__account")

    talent = models.ForeignKey(Talent, on_delete=models.CASCADE, related_name="employments")
    enterprise = models.ForeignKey(Enterprise, null=True, blank=True, on_delete=models.SET_NULL)
    employer_name = models.CharField(_("工作单位"), max_length=200)
    position = models.CharField(_("职务"), max_length=100, blank=True)
    employment_type = models.CharField(_("引才方式"), max_length=10, choices=c.EmploymentType.choices)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作经历")
        verbose_name_plural = _("工作经历")
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="employment_dates_ordered",
            ),
        ]


class PlatformMembership(models.Model):
    """A talent working on (or with) a platform: feeds the policy feature `platform_kinds`."""

    tenancy = Tenancy(
        region="platform__region", enterprise="platform__host_enterprise", person="talent__account"
    )

    talent = models.ForeignKey(Talent, on_delete=models.CASCADE, related_name="platform_memberships")
    platform = models.ForeignKey(TalentPlatform, on_delete=models.CASCADE, related_name="memberships")
    joined_on = models.DateField(_("加入日期"))

    class Meta:
        verbose_name = _("平台成员")
        verbose_name_plural = _("平台成员")
        constraints = [models.UniqueConstraint(fields=["talent", "platform"], name="membership_unique")]


class Achievement(models.Model):
    """An achievement (成果) held by one or more talents: a patent, a technology transfer and its income, a
    new product, a standard, an award, a project, or the tax paid by a talent's venture. Feeds the policy
    features that count them (`policies.features`)."""

    tenancy = Tenancy(region="region", enterprise="enterprise")

    kind = models.CharField(_("成果类别"), max_length=16, choices=c.AchievementKind.choices)
    title = models.CharField(_("名称"), max_length=200)
    # the patent, standard or contract number; blank when there is none (an award, a project)
    reference = models.CharField(_("编号"), max_length=64, blank=True, default="")
    achieved_on = models.DateField(_("日期"))
    # transfer income, project funding or tax paid, in yuan
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    level = models.CharField(_("级别"), max_length=10, choices=c.ProgrammeLevel.choices, blank=True)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("关联单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="achievements",
    )
    region = models.ForeignKey("core.Region", verbose_name=_("所在区划"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)  # the feature frame's cache re-reads its holders

    class Meta:
        verbose_name = _("成果")
        verbose_name_plural = _("成果")
        ordering = ["-achieved_on", "-id"]
        indexes = [
            models.Index(fields=["region", "kind", "-id"], name="achievement_region_kind"),
            models.Index(fields=["enterprise", "-id"], name="achievement_enterprise"),
            models.Index(fields=["updated_at"], name="achievement_updated_at"),
        ]
        constraints = [
            # one record per patent, standard or contract: a second import of the same number updates it
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=~Q(reference=""),
                name="achievement_reference_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=c.AchievementKind.values), name="achievement_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(level__in=["", *c.ProgrammeLevel.values]), name="achievement_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="achievement_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AchievementHolder(models.Model):
    """A talent holding an achievement; `rank` 1 is the first holder (the first inventor, the leader)."""

    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="holders")
    talent = models.ForeignKey(Talent, on_delete=models.CASCADE, related_name="achievement_holdings")
    rank = models.PositiveSmallIntegerField(_("排名"), default=1)

    class Meta:
        verbose_name = _("成果持有人")
        verbose_name_plural = _("成果持有人")
        ordering = ["achievement", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["achievement", "talent"], name="achievement_holder_unique"),
            models.UniqueConstraint(fields=["achievement", "rank"], name="achievement_holder_rank_unique"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="achievement_holder_rank_positive"),
        ]


class ImportBatch(models.Model):
    """One uploaded file and its report: all rows or none (or the valid ones if asked), each row listed."""

    tenancy = Tenancy(region="region", person="uploaded_by")

    class Kind(models.TextChoices):
        TALENTS = "talents", _("人才")
        ENTERPRISES = "enterprises", _("企业")
        ACHIEVEMENTS = "achievements", _("成果")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("已导入")
        PARTIAL = "partial", _("部分导入（错误行未导入）")
        REJECTED = "rejected", _("未导入（存在错误行）")

    kind = models.CharField(_("类别"), max_length=12, choices=Kind.choices)
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    region = models.ForeignKey("core.Region", verbose_name=_("区划"), on_delete=models.PROTECT)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    accept_partial = models.BooleanField(_("允许部分导入"), default=False)
    total_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True
    )  # [{"row": n, "field": f, "message_zh": …, "message_en": …}]
    # every data row: [{"row": n, "status": created|updated|unchanged|valid|rejected,
    #                   "label": "name masked-id", "reasons": [{"field", "message_zh", "message_en"}]}]
    rows = models.JSONField(default=list, blank=True)
    unknown_columns = models.JSONField(default=list, blank=True)  # header cells that were ignored
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["applied", "partial", "rejected"]), name="import_batch_outcome_valid"
            ),
        ]


class Project(models.Model):
    """A project a talent brought to Quzhou (带着项目入驻): its lead, team, investment and the company
    registered for it. "Arrived with a project" is then a registry fact policies can read."""

    tenancy = Tenancy(region="region", enterprise="company")

    name = models.CharField(_("项目名称"), max_length=200)
    region = models.ForeignKey("core.Region", verbose_name=_("落地区划"), on_delete=models.PROTECT)
    lead = models.ForeignKey(
        Talent, verbose_name=_("项目带头人"), on_delete=models.PROTECT, related_name="led_projects"
    )
    company = models.ForeignKey(
        Enterprise,
        verbose_name=_("注册企业"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
    )
    investment = models.DecimalField(_("投资额（元）"), max_digits=14, decimal_places=2, default=0)
    industry = models.CharField(_("行业"), max_length=20, choices=c.Industry.choices)
    landed_on = models.DateField(_("落地日期"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("引进项目")
        verbose_name_plural = _("引进项目")
        ordering = ["-landed_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(investment__gte=0), name="project_investment_non_negative")
        ]

    def __str__(self) -> str:
        return self.name


class ProjectMember(models.Model):
    """A talent of a project's team (the lead is a member too)."""

    tenancy = Tenancy(
        region="talent__region", enterprise="talent__current_employer", person="talent__account"
    )

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="members")
    talent = models.ForeignKey(Talent, on_delete=models.CASCADE, related_name="project_memberships")
    role = models.CharField(_("角色"), max_length=50, blank=True)
    joined_on = models.DateField(_("加入日期"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "talent"], name="project_member_once")]
