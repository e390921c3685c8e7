"""通知公告: the city HR bureau's announcements, shown on every role's home page while they run."""
from django.conf import settings
from django.db import models
from django.db.models import F, Q


def announcement_storage_name(instance, filename) -> str:
    import uuid

    # Non-guessable and without the uploaded name: attachments are served only through an access-checked view.
    return f"announcements/{uuid.uuid4().hex}"


class Announcement(models.Model):
    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文")
    publish_on = models.DateField("发布日期")
    expires_on = models.DateField("截止日期", help_text="公告显示到截止日期当天（含）。")
    attachment = models.FileField("附件", upload_to=announcement_storage_name, max_length=200, blank=True)
    attachment_name = models.CharField("附件原文件名", max_length=200, blank=True)
    attachment_type = models.CharField("附件类型", max_length=100, blank=True)
    attachment_size = models.PositiveIntegerField("附件大小（字节）", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("创建时间")
    updated_at = models.DateTimeField("修改时间")
    # Withdrawn, never deleted: the audit trail and anyone who saw it can still be told what it said.
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤回人", on_delete=models.PROTECT,
                                     related_name="+", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "通知公告"
        ordering = ["-publish_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__gt=F("publish_on")), name="announcement_expires_after_publish"),
        ]
        # The home pages' current announcements: not withdrawn, publish_on <= today <= expires_on.
        indexes = [models.Index(fields=["expires_on", "publish_on"], condition=Q(withdrawn_at__isnull=True),
                                name="announcement_current")]

    def __str__(self):
        return self.title
