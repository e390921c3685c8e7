from django.db import models

from platforms.registry.models import LearningPlatform


class PlatformToken(models.Model):
    """An API credential of a platform. Only the SHA-256 of the token is stored; the token is shown once."""

    platform = models.ForeignKey(LearningPlatform, verbose_name="学习平台", on_delete=models.CASCADE, related_name="tokens")
    label = models.CharField("用途说明", max_length=64, blank=True)
    prefix = models.CharField("令牌前缀", max_length=12, help_text="便于辨认，不足以登录。")
    token_hash = models.CharField("令牌哈希", max_length=64, unique=True)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "平台接口令牌"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.platform.name} {self.prefix}…"
