"""Regions (the tenancy tree) and the hash-chained, append-only audit log."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from rencai.core.access import Tenancy


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("县（市、区）")


class Region(models.Model):
    """An administrative division (GB/T 2260). `path` holds the codes from the root, for subtree scoping."""

    tenancy = Tenancy(region="pk")

    code = models.CharField(_("区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    level = models.CharField(_("级别"), max_length=10, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^\d{6}$"), name="region_code_six_digits"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = (self.parent.path if self.parent is not None else "") + self.code + "/"
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") and self.name_en else self.name


class AuditEntry(models.Model):
    """One append-only record of a write or of a read of personal data, chained to its predecessor."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    region_code = models.CharField(max_length=6, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("the audit log is append-only")


class AuditChainHead(models.Model):
    """The single row that serialises appends: the last sequence number and hash of the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # names this chain in the anchor file outside the database (core.audit.anchor)
    chain_id = models.CharField(max_length=32, default="", blank=True)


class CalendarSource(models.TextChoices):
    CHINESE_CALENDAR = "chinese_calendar", _("chinese-calendar 数据包")
    ADMIN = "admin", _("管理员录入")


class CalendarYear(models.Model):
    """A year the working-day calendar knows; without a complete row, date arithmetic refuses the year."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=20, choices=CalendarSource.choices)
    complete = models.BooleanField(
        _("已完整录入"),
        default=False,
        help_text=_("录入该年全部节假日和调休上班日后勾选；未勾选的年份不参与计算。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("工作日历年份")
        verbose_name_plural = _("工作日历年份")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=1990, year__lte=2200), name="calendar_year_range"
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to the Monday–Friday rule: a public holiday, or a weekend day that is worked (调休上班).

    Only exceptions are stored; every other day of a known year is a working day from Monday to Friday.
    """

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(_("是否工作日"))
    name = models.CharField(_("名称"), max_length=50, blank=True)
    source = models.CharField(_("来源"), max_length=20, choices=CalendarSource.choices)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


class Notification(models.Model):
    """One message to one user: kept in the in-app inbox and delivered through the configured channels."""

    tenancy = Tenancy(region=None, person="recipient")

    recipient = models.ForeignKey(
        "accounts.User", verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    kind = models.CharField(_("类别"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.subject


class IdempotencyKey(models.Model):
    """A write made with a client's Idempotency-Key: the request's fingerprint and what it produced, so a
    retry gets the first answer. One row per caller, endpoint and key is a database fact."""

    actor = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=60)
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)
    object_id = models.CharField(max_length=40)
    status = models.PositiveSmallIntegerField(default=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [
            models.UniqueConstraint(fields=["actor", "scope", "key"], name="idempotency_key_once_per_actor")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class JobLock(models.Model):
    """A job that runs one at a time on SQLite (`core.locks.exclusive`): the unique name is the lock,
    `holder` ("host:pid") and `acquired_at` let a lock left by a dead process be taken over."""

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()

    class Meta:
        verbose_name = _("任务锁")
        verbose_name_plural = _("任务锁")

    def __str__(self) -> str:
        return f"{self.name} ({self.holder})"


class JobKind(models.TextChoices):
    MATCH = "match", _("政策匹配")
    IMPORT = "import", _("批量导入")
    EXPORT = "export", _("导出名单")
    SIMULATE = "simulate", _("政策模拟")


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("完成")
    FAILED = "failed", _("失败")


class Job(models.Model):
    """A long piece of work someone waits for (`core.jobs`): its progress as the worker reports it, then its
    outcome. At most one job of a kind and scope is queued or running at a time: a database fact, so that a
    second click, or a second officer, is given the job already under way instead of a second run."""

    tenancy = Tenancy(region="region", person="owner")

    kind = models.CharField(_("类别"), max_length=20, choices=JobKind.choices)
    # what the job works on, within its kind ("" for the whole registry, "talents:<owner>" …)
    scope = models.CharField(_("范围"), max_length=120, blank=True)
    owner = models.ForeignKey(
        "accounts.User",
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    region = models.ForeignKey(Region, verbose_name=_("行政区划"), on_delete=models.PROTECT, related_name="+")
    # the `core.access.Action` needed to start it, and for anyone but the owner to see it in scope
    right = models.CharField(max_length=40)
    private = models.BooleanField(default=False)  # only the owner sees it (a file of their own filters)
    state = models.CharField(_("状态"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    stage = models.CharField(max_length=200, blank=True)  # a Chinese msgid, translated when shown
    # the outcome shown to the user (a summary, or why it failed), in both languages
    message_zh = models.TextField(blank=True)
    message_en = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)  # the figures, for the API and tests
    link = models.CharField(max_length=500, blank=True)  # the page that shows the result
    file_path = models.CharField(max_length=500, blank=True)  # a file its owner downloads
    file_name = models.CharField(max_length=255, blank=True)
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope"],
                condition=models.Q(state__in=["queued", "running"]),
                name="job_one_active_per_kind_and_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.scope} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)

    @property
    def message(self) -> str:
        from django.utils.translation import get_language

        english = (get_language() or "").startswith("en")
        return (self.message_en or self.message_zh) if english else self.message_zh

    @property
    def stage_display(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.stage) if self.stage else ""
