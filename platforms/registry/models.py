"""The approved online-learning platforms (附件1 public, 附件2 professional subjects) and the CE bases (附件3)."""
from django.db import models

from records.hours.models import SubjectCategory


class LearningPlatform(models.Model):
    """An approved online-learning platform (附件1 public subjects, 附件2 city professional subjects)."""

    class Level(models.TextChoices):
        PROVINCIAL = "provincial", "省级"
        CITY = "city", "市级"

    name = models.CharField("平台名称", max_length=128)
    operator = models.CharField("运营单位", max_length=128)
    url = models.CharField("网址", max_length=256)
    phone = models.CharField("服务电话", max_length=64, blank=True)
    category = models.CharField("可登记科目", max_length=16, choices=SubjectCategory.choices)
    level = models.CharField("级别", max_length=12, choices=Level.choices)
    years_approved = models.JSONField("认定年度", default=list, help_text="如 [2023, 2024]")
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "学习平台"
        ordering = ["category", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name", "category"], name="platform_unique_name_per_category"),
        ]

    def __str__(self):
        return f"{self.name}（{self.get_category_display()}）"

    def is_approved_for(self, year: int) -> bool:
        return self.active and year in self.years_approved

    @property
    def href(self) -> str:
        """The annexes print some addresses without a scheme ("hnzj.ghlearning.com"): as a link's href such an
        address is a path on the portal itself, a 404."""
        return self.url if "://" in self.url else f"https://{self.url}"


class TrainingBase(models.Model):
    """继续教育基地 (附件3)."""

    class Level(models.TextChoices):
        PROVINCIAL = "provincial", "省级"
        CITY = "city", "市级"

    name = models.CharField("基地名称", max_length=128, unique=True)
    level = models.CharField("级别", max_length=12, choices=Level.choices)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "继续教育基地"
        ordering = ["level", "id"]

    def __str__(self):
        return self.name
