from django.conf import settings
from django.db import models


def export_storage_name(instance, filename) -> str:
    import secrets

    # Non-guessable: exports are served only to the person who asked for them, never by path.
    return f"exports/{instance.created_at:%Y/%m}/{secrets.token_hex(16)}.xlsx"


class ExportJob(models.Model):
    """A large download (a county's or the city's compliance list) built by a Celery task with progress."""

    class Kind(models.TextChoices):
        COMPLIANCE_XLSX = "compliance_xlsx", "学时达标名单（XLSX）"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "正在生成"
        READY = "ready", "已完成"
        FAILED = "failed", "失败"
        EXPIRED = "expired", "已过期"  # its file deleted after the retention period (records/downloads.py)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("导出内容", max_length=24, choices=Kind.choices)
    params = models.JSONField("筛选条件", default=dict)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField("已写入行数", default=0)
    total = models.PositiveIntegerField("总行数", default=0)
    file = models.FileField("文件", upload_to=export_storage_name, max_length=200, blank=True)
    error = models.CharField("失败原因", max_length=300, blank=True)
    created_at = models.DateTimeField("申请时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-id"]
        # The export page lists the requester's recent jobs.
        indexes = [models.Index(fields=["requested_by", "created_at"], name="export_job_requester")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.params}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.READY else (self.done * 100 // self.total if self.total else 0)
