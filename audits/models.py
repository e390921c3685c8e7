import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from .screening import Rule


class WorkingDayOverride(models.Model):
    """An admin-entered correction to the holiday library: it always wins over the library for its date."""

    date = models.DateField("日期", unique=True)
    is_working = models.BooleanField("是否工作日", help_text="勾选表示上班（如调休补班），不勾选表示放假。")
    note = models.CharField("说明", max_length=128, blank=True)
    source = models.CharField("依据", max_length=256, blank=True, help_text="如：国务院办公厅关于……放假安排的通知")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作日调整"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'上班' if self.is_working else '放假'}"


class OfficialCalendarYear(models.Model):
    """A year whose official holiday arrangement city_hr has entered (beyond what the library knows)."""

    year = models.PositiveSmallIntegerField("年度", unique=True)
    source = models.CharField("依据", max_length=256, help_text="国务院办公厅放假安排通知的文号或链接")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    marked_at = models.DateTimeField("确认时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "已公布放假安排的年度"
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class AuditEvent(models.Model):
    """Append-only, hash-chained record of every consequential act (see audits/trail.py)."""

    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField("操作人名称", max_length=150, blank=True)
    action = models.CharField("动作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象编号", max_length=64)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    ip = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    prev_hash = models.CharField("上一条哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]  # an object's history
        triggers = [
            pgtrigger.Protect(name="audit_event_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class EvidenceView(models.Model):
    """A reviewer opened an evidence file: the must-view rule of batch approval reads these."""

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.PROTECT, related_name="evidence_views"
    )
    evidence = models.ForeignKey(
        "records.EvidenceFile", verbose_name="佐证材料", on_delete=models.PROTECT, related_name="views"
    )
    at = models.DateTimeField("查看时间")

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料查看记录"
        ordering = ["-at"]
        indexes = [models.Index(fields=["reviewer", "evidence"], name="evidence_view_by_reviewer")]

    def __str__(self):
        return f"{self.reviewer} → {self.evidence_id} @ {self.at}"


class ReviewDecision(models.Model):
    """One decision on a claim at one level (the claim's history)."""

    class Level(models.IntegerChoices):
        UNIT = 1, "单位审核"
        SECOND = 2, "主管部门/人社部门审核"

    class Action(models.TextChoices):
        APPROVE = "approve", "通过"
        REJECT = "reject", "不通过"
        RETURN = "return", "退回修改"

    claim = models.ForeignKey("records.Claim", verbose_name="学时申报", on_delete=models.PROTECT, related_name="decisions")
    level = models.PositiveSmallIntegerField("审核级别", choices=Level.choices)
    action = models.CharField("审核结果", max_length=10, choices=Action.choices)
    reason = models.TextField("理由", blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.PROTECT, related_name="review_decisions"
    )
    at = models.DateTimeField("审核时间")
    on_time = models.BooleanField("按期审核", help_text="审核日期不晚于当时的期限（北京时间）。")
    batch_id = models.UUIDField("批量操作编号", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核记录"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action="approve") | ~Q(reason=""), name="decision_reason_required_unless_approve"
            ),
        ]

    def __str__(self):
        return f"{self.claim_id} L{self.level} {self.action}"


class Notification(models.Model):
    """In-app notice (reminders, digests). `dedupe_key` makes a reminder sent twice land once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类型", max_length=32)
    text = models.TextField("内容")
    link = models.CharField("链接", max_length=200, blank=True)
    dedupe_key = models.CharField("去重键", max_length=128, unique=True)
    created_at = models.DateTimeField("时间")
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内通知"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self):
        return self.text[:40]


class OverdueSnapshot(models.Model):
    """Review backlog of one unit (or a county's / an authority's total) as of one day, for the monitors.

    Rows: unit set — one unit (authority = the unit's authority, for the authority's view); unit empty and
    authority set — an authority's total; both empty — a region's total. The row for today is rewritten by
    every refresh, so it holds the latest figures; earlier days are the history the chart draws. Reading
    these instead of aggregating claims keeps the monitors' cost at the number of units shown.
    """

    date = models.DateField("日期")
    region = models.ForeignKey("records.Region", verbose_name="区域", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(
        "records.Unit", verbose_name="用人单位", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    authority = models.ForeignKey(
        "records.IndustryAuthority", verbose_name="行业主管部门", null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    pending = models.PositiveIntegerField("待审核", default=0)
    overdue = models.PositiveIntegerField("逾期未审核", default=0)
    oldest_overdue_due_on = models.DateField("最早逾期的审核期限", null=True, blank=True)
    decided = models.PositiveIntegerField("本年已审核", default=0)
    decided_on_time = models.PositiveIntegerField("本年按期审核", default=0)
    computed_at = models.DateTimeField("统计时间")

    class Meta:
        verbose_name = verbose_name_plural = "逾期审核统计"
        ordering = ["date"]
        constraints = [
            # One row per day and subject; the refresh upserts on exactly these columns.
            models.UniqueConstraint(
                fields=["date", "region", "unit", "authority"], name="overdue_snapshot_one_per_day",
                nulls_distinct=False,
            ),
        ]
        indexes = [
            # A county's unit table (one date) and its chart (a date range of the total row).
            models.Index(fields=["region", "date"], name="overdue_snapshot_region"),
            # An authority's unit table and chart.
            models.Index(fields=["authority", "date"], name="overdue_snapshot_authority",
                         condition=Q(authority__isnull=False)),
        ]

    def __str__(self):
        return f"{self.date} {self.unit or self.authority or self.region}: {self.overdue}/{self.pending}"


class ScreeningRun(models.Model):
    """One pass of the fraud screening (audits/screening_services.py). A run that fails leaves no row, so the
    next incremental run starts from the last run that finished."""

    class Kind(models.TextChoices):
        FULL = "full", "全量筛查"
        INCREMENTAL = "incremental", "增量筛查"

    kind = models.CharField("筛查方式", max_length=12, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text="为空表示定时任务。",
    )
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间")
    # Claims changed and platform records received up to this moment are covered; the next incremental run
    # looks at what changed after it (less a margin for transactions that were still open).
    watermark_at = models.DateTimeField("已覆盖至")
    since = models.DateTimeField("本次筛查起点", null=True, blank=True, help_text="全量筛查为空。")
    claims_screened = models.PositiveIntegerField("筛查申报数", default=0)
    platform_records_screened = models.PositiveIntegerField("筛查平台记录数", default=0)
    flags_created = models.PositiveIntegerField("新增疑点数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "筛查运行记录"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["watermark_at"], name="screening_run_watermark")]  # the last run

    def __str__(self):
        return f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


class ScreeningFlag(models.Model):
    """A suspicion raised by a screening rule against one claim or platform record, for city_hr to resolve.

    `dedupe_key` names the rule, the record and what was found about it, so a rerun adds nothing it already
    raised, while a new finding about the same record (another person using the same file) is a new flag.
    """

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        DISMISSED = "dismissed", "已排除"
        CONFIRMED = "confirmed", "已确认"

    rule = models.CharField("筛查规则", max_length=32, choices=Rule.choices)
    claim = models.ForeignKey(
        "records.Claim", verbose_name="学时申报", null=True, blank=True, on_delete=models.PROTECT,
        related_name="screening_flags",
    )
    platform_record = models.ForeignKey(
        "records.PlatformRecord", verbose_name="平台登记学时", null=True, blank=True, on_delete=models.PROTECT,
        related_name="screening_flags",
    )
    professional = models.ForeignKey(
        "records.Professional", verbose_name="专业技术人员", on_delete=models.PROTECT, related_name="screening_flags"
    )
    evidence = models.JSONField("疑点依据", help_text="涉及的其他申报、人员和文件。")
    dedupe_key = models.CharField("去重键", max_length=100, unique=True)
    status = models.CharField("处理状态", max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution_reason = models.TextField("处理理由", blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    created_at = models.DateTimeField("发现时间")

    class Meta:
        verbose_name = verbose_name_plural = "筛查疑点"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(claim__isnull=False, platform_record__isnull=True)
                | Q(claim__isnull=True, platform_record__isnull=False),
                name="screening_flag_one_subject",
            ),
            models.CheckConstraint(condition=~Q(status="dismissed") | ~Q(resolution_reason=""),
                                   name="screening_flag_dismiss_has_reason"),
        ]
        indexes = [
            # city_hr's queue: open flags (by rule), newest first.
            models.Index(fields=["status", "rule", "created_at"], name="screening_flag_queue"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_rule_display()}（{self.get_status_display()}）"
