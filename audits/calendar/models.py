"""What city_hr enters on top of the holiday library: date-by-date overrides and the years whose official
arrangement is known.
"""
from django.conf import settings
from django.db import models


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
