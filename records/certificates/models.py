from django.db import models
from django.db.models import Q

from ce_portal.downloads import DownloadJob, status_field
from records.people.models import Professional, Unit


def certificate_storage_name(instance, filename) -> str:
    import secrets

    # Non-guessable: certificates are served only through views that check who asks, never by path.
    return f"certificates/{instance.year}/{secrets.token_hex(16)}.pdf"


class Certificate(models.Model):
    """继续教育学时证明: one person's credited hours of one year as certified at issue, with a public serial.

    `status` is what verification answers; `render_status` follows the PDF through the Celery task. The
    content snapshot is what was certified, so verification shows it even after the records change.
    """

    class Status(models.TextChoices):
        ISSUED = "issued", "有效"
        SUPERSEDED = "superseded", "已被取代"
        REVOKED = "revoked", "已撤销"

    class RenderStatus(models.TextChoices):
        PENDING = "pending", "排队等待生成"
        RENDERING = "rendering", "正在生成"
        READY = "ready", "已生成"
        FAILED = "failed", "生成失败"

    serial = models.CharField("证书编号", max_length=24, unique=True)
    professional = models.ForeignKey(
        Professional, verbose_name="专业技术人员", on_delete=models.PROTECT, related_name="certificates"
    )
    # The person's unit in that year, as printed: what a unit's bulk download selects on.
    unit = models.ForeignKey(
        Unit, verbose_name="所在单位", null=True, blank=True, on_delete=models.PROTECT, related_name="certificates"
    )
    year = models.PositiveSmallIntegerField("学时年度")
    status = models.CharField("证书状态", max_length=12, choices=Status.choices, default=Status.ISSUED)
    render_status = models.CharField(
        "生成状态", max_length=12, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    render_started_at = models.DateTimeField("开始生成时间", null=True, blank=True)
    # Workers that took up the rendering: bounded by ce_portal/jobs.py's MAX_ATTEMPTS.
    render_attempts = models.PositiveSmallIntegerField("生成尝试次数", default=0)
    render_error = models.CharField("生成失败原因", max_length=300, blank=True)
    content = models.JSONField("证明内容快照")
    public_hours = models.DecimalField("公需科目学时", max_digits=7, decimal_places=1)
    professional_hours = models.DecimalField("专业科目学时", max_digits=7, decimal_places=1)
    pdf = models.FileField("PDF 文件", upload_to=certificate_storage_name, max_length=200, blank=True)
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64, blank=True)
    issued_at = models.DateTimeField("签发时间")
    rendered_at = models.DateTimeField("生成时间", null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", verbose_name="取代它的证书", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )
    superseded_at = models.DateTimeField("被取代时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoke_reason = models.TextField("撤销理由", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "学时证明"
        ordering = ["-issued_at", "-id"]
        constraints = [
            # At most one valid certificate per person and year; older ones are superseded or revoked.
            models.UniqueConstraint(
                fields=["professional", "year"], condition=Q(status="issued"), name="certificate_one_valid_per_year"
            ),
            models.CheckConstraint(
                condition=~Q(status="revoked") | (Q(revoked_at__isnull=False) & ~Q(revoke_reason="")),
                name="certificate_revoked_has_reason",
            ),
        ]
        indexes = [
            # A person's certificates page.
            models.Index(fields=["professional", "year"], name="certificate_person_year"),
            # A unit's bulk download of a year's valid certificates.
            models.Index(fields=["unit", "year", "status"], name="certificate_unit_year"),
        ]

    def __str__(self):
        return f"{self.serial}（{self.year} 年，{self.get_status_display()}）"


def certificate_bundle_storage_name(instance, filename) -> str:
    import secrets

    return f"certificate-bundles/{instance.year}/{secrets.token_hex(16)}.zip"


class CertificateBundle(DownloadJob):
    """A unit's certificates of one year in one ZIP, built by a Celery task that reports its progress."""

    build_task = "records.certificates.tasks.certificate_bundle_task"

    unit = models.ForeignKey(Unit, verbose_name="用人单位", on_delete=models.PROTECT, related_name="certificate_bundles")
    year = models.PositiveSmallIntegerField("学时年度")
    status = status_field(running="正在打包")
    included = models.PositiveIntegerField("已收录证书数", default=0)
    file = models.FileField("ZIP 文件", upload_to=certificate_bundle_storage_name, max_length=200, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)

    class Meta(DownloadJob.Meta):
        verbose_name = verbose_name_plural = "证书批量下载"
        # The bundle page lists the requester's recent bundles.
        indexes = [models.Index(fields=["requested_by", "created_at"], name="certificate_bundle_requester")]

    def __str__(self):
        return f"{self.unit.name} {self.year} 年证书（{self.get_status_display()}）"
