from django.db import models

from ce_portal.downloads import DownloadJob


def export_storage_name(instance, filename) -> str:
    import secrets

    # Non-guessable: exports are served only to the person who asked for them, never by path.
    return f"exports/{instance.created_at:%Y/%m}/{secrets.token_hex(16)}.xlsx"


class ExportJob(DownloadJob):
    """A large download (a county's or the city's compliance list) built by a Celery task with progress."""

    build_task = "records.compliance.tasks.compliance_export_task"

    class Kind(models.TextChoices):
        COMPLIANCE_XLSX = "compliance_xlsx", "学时达标名单（XLSX）"

    kind = models.CharField("导出内容", max_length=24, choices=Kind.choices)
    params = models.JSONField("筛选条件", default=dict)
    file = models.FileField("文件", upload_to=export_storage_name, max_length=200, blank=True)

    class Meta(DownloadJob.Meta):
        verbose_name = verbose_name_plural = "导出任务"
        # The export page lists the requester's recent jobs.
        indexes = [models.Index(fields=["requested_by", "created_at"], name="export_job_requester")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.params}（{self.get_status_display()}）"
