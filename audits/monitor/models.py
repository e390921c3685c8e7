from django.db import models
from django.db.models import Q


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
    # Waiting claims an open screening flag holds (audits.review.selectors.held_by_screening): not in pending
    # or overdue above, which are the reviewers' to clear.
    flagged = models.PositiveIntegerField("待市人社局处理筛查标记", default=0)
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
