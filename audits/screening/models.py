from django.conf import settings
from django.db import models
from django.db.models import Q

from audits.screening.rules import Rule


class ScreeningRun(models.Model):
    """One pass of the fraud screening (audits/screening/services.py). A run that fails leaves no row, so the
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
    # No database constraint: claims are partitioned by year (records.hours.models.EvidenceFile.claim).
    claim = models.ForeignKey(
        "records.Claim", verbose_name="学时申报", null=True, blank=True, on_delete=models.PROTECT,
        related_name="screening_flags", db_constraint=False,
    )
    # No foreign-key constraint in the database: platform records are partitioned by year on PostgreSQL, where a
    # key referencing them would have to hold the year too. Platform records are never deleted; a year leaves
    # only by detaching its partition once it can no longer change (ce_portal/partitions.py).
    platform_record = models.ForeignKey(
        "records.PlatformRecord", verbose_name="平台登记学时", null=True, blank=True, on_delete=models.PROTECT,
        related_name="screening_flags", db_constraint=False,
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
