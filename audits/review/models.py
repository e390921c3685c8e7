from django.conf import settings
from django.db import models
from django.db.models import Q

from audits.review.rules import LEVELS, REVIEW_WORKING_DAYS
from records.hours.models import ActivityKind
from records.hours.rules import StandardMethod, StandardRule


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

    class Action(models.TextChoices):
        APPROVE = "approve", "通过"
        REJECT = "reject", "不通过"
        RETURN = "return", "退回修改"

    # No database constraint: claims are partitioned by year (records.hours.models.EvidenceFile.claim).
    claim = models.ForeignKey("records.Claim", verbose_name="学时申报", on_delete=models.PROTECT, related_name="decisions",
                              db_constraint=False)
    level = models.PositiveSmallIntegerField("审核级别", choices=[(level.number, level.label) for level in LEVELS])
    action = models.CharField("审核结果", max_length=10, choices=Action.choices)
    reason = models.TextField("理由", blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.PROTECT, related_name="review_decisions"
    )
    at = models.DateTimeField("审核时间")
    # The level's deadline the decision was judged against (empty for decisions recorded before it was kept).
    due_on = models.DateField("当时的审核期限", null=True, blank=True)
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
    """In-app notice (reminders, digests, decisions), mailed too where the user has an address. `dedupe_key`
    makes a notice written twice land once."""

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
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            # The mail queue: notices not mailed yet, oldest first (`mail_pending_notifications`).
            models.Index(fields=["created_at"], name="notification_mail_pending", condition=Q(emailed_at__isnull=True)),
        ]

    def __str__(self):
        return self.text[:40]


class UnitStandard(models.Model):
    """A unit's 学时认定标准 (section 四 of the notice): how it counts hours per activity kind (its items) and
    its own review time limit, at most the notice's 5 working days (audits.review.rules.level_working_days)."""

    unit = models.OneToOneField("records.Unit", verbose_name="单位", on_delete=models.PROTECT,
                                related_name="hours_standard")
    review_working_days = models.PositiveSmallIntegerField("单位审核时限（工作日）", default=REVIEW_WORKING_DAYS)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField("修改时间")

    class Meta:
        verbose_name = verbose_name_plural = "单位学时认定标准"
        constraints = [
            models.CheckConstraint(
                condition=Q(review_working_days__gte=1, review_working_days__lte=REVIEW_WORKING_DAYS),
                name="unit_standard_days_within_notice",
            ),
        ]

    def __str__(self):
        return f"{self.unit}的学时认定标准"


class UnitStandardItem(models.Model):
    """One activity kind's way of counting in a unit's standard (records.hours.rules.StandardMethod)."""

    standard = models.ForeignKey(UnitStandard, verbose_name="学时认定标准", on_delete=models.CASCADE,
                                 related_name="items")
    kind = models.CharField("活动形式", max_length=20, choices=ActivityKind.choices)
    method = models.CharField("认定方式", max_length=16, choices=StandardMethod.choices)
    amount = models.DecimalField("学时数", max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = verbose_name_plural = "学时认定标准条目"
        ordering = ["standard", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "kind"], name="unit_standard_one_item_per_kind"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="unit_standard_amount_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.amount}"

    @property
    def rule(self) -> StandardRule:
        return StandardRule(self.kind, self.method, self.amount)
