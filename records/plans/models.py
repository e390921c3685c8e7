"""Annual training plans (年度培训计划) and their items, filed through the notice's chain (records.plans.rules)."""
from django.conf import settings
from django.db import models
from django.db.models import Q

from ce_portal.formatting import hours_text
from records.hours.models import Claim, SubjectCategory, evidence_storage_name
from records.people.models import IndustryAuthority, Professional, Region, Unit
from records.plans.rules import EDITABLE_STATES, OPEN_STATES, PlanAction, PlanState


class TrainingPlan(models.Model):
    """One version of a filer's plan for a year. The filer is a unit or an industry authority, never both."""

    State = PlanState

    unit = models.ForeignKey(Unit, verbose_name="编制单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="training_plans")
    filer_authority = models.ForeignKey(
        IndustryAuthority, verbose_name="编制部门（行业主管部门）", null=True, blank=True, on_delete=models.PROTECT,
        related_name="own_training_plans",
    )
    year = models.PositiveSmallIntegerField("计划年度")
    version = models.PositiveSmallIntegerField("版本", default=1)
    previous = models.OneToOneField(
        "self", verbose_name="上一版本", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version",
    )
    state = models.CharField("状态", max_length=12, choices=PlanState.choices, default=PlanState.DRAFT)

    # Who receives it, fixed at submission (rules.unit_plan_routing): the approving authority, if any, and
    # the HR bureau it is filed with.
    review_authority = models.ForeignKey(
        IndustryAuthority, verbose_name="审核的行业主管部门", null=True, blank=True, on_delete=models.PROTECT,
        related_name="plans_to_review",
    )
    bureau = models.ForeignKey(Region, verbose_name="备案的人社部门", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="training_plans")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="编制人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    review_started_on = models.DateField("审核起算日期", null=True, blank=True)
    due_on = models.DateField("审核期限", null=True, blank=True)
    due_provisional = models.BooleanField("审核期限为暂定", default=False)
    overdue_since = models.DateTimeField("逾期时间", null=True, blank=True)
    filed_at = models.DateTimeField("备案时间", null=True, blank=True)
    superseded_at = models.DateTimeField("被替代时间", null=True, blank=True)
    return_reason = models.CharField("退回原因", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度培训计划"
        ordering = ["-year", "-version", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False, filer_authority__isnull=True)
                | Q(unit__isnull=True, filer_authority__isnull=False),
                name="plan_one_filer",
            ),
            # No overlapping versions: one open version and one in force per filer and year.
            models.UniqueConstraint(fields=["unit", "year"], condition=Q(state__in=OPEN_STATES),
                                    name="plan_unit_one_open"),
            models.UniqueConstraint(fields=["filer_authority", "year"], condition=Q(state__in=OPEN_STATES),
                                    name="plan_authority_one_open"),
            models.UniqueConstraint(fields=["unit", "year"], condition=Q(state=PlanState.FILED),
                                    name="plan_unit_one_filed"),
            models.UniqueConstraint(fields=["filer_authority", "year"], condition=Q(state=PlanState.FILED),
                                    name="plan_authority_one_filed"),
        ]
        indexes = [
            # The reviewers' queues and mark-overdue: plans waiting, by due date.
            models.Index(fields=["state", "due_on"], name="plan_waiting_due"),
        ]

    def __str__(self):
        return f"{self.filer} {self.year} 年度培训计划（第 {self.version} 版）"

    @property
    def filer(self):
        return self.unit or self.filer_authority

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def in_force(self) -> bool:
        return self.state == PlanState.FILED


class PlanItem(models.Model):
    plan = models.ForeignKey(TrainingPlan, verbose_name="培训计划", on_delete=models.CASCADE, related_name="items")
    title = models.CharField("课程（项目）名称", max_length=200)
    category = models.CharField("科目类别", max_length=16, choices=SubjectCategory.choices)
    subject_area = models.CharField("专业领域", max_length=100)
    start_date = models.DateField("计划开始日期")
    end_date = models.DateField("计划结束日期")
    hours = models.DecimalField("计划学时", max_digits=5, decimal_places=1)
    place = models.CharField("培训地点", max_length=200)
    provider = models.CharField("授课教师或承办机构", max_length=200)
    expected_participants = models.PositiveIntegerField("预计参训人数")

    class Meta:
        verbose_name = verbose_name_plural = "培训计划项目"
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="plan_item_hours_positive"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="plan_item_dates_ordered"),
        ]

    def __str__(self):
        return f"{self.plan.year} 年 · {self.title}（{hours_text(self.hours)} 学时）"


class PlanStep(models.Model):
    """Each move of a plan, with its actor and time: what the plan's page shows (the audit trail has it too)."""

    plan = models.ForeignKey(TrainingPlan, verbose_name="培训计划", on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("操作", max_length=12, choices=PlanAction.choices)
    state = models.CharField("操作后状态", max_length=12, choices=PlanState.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT,
                              related_name="+")
    acting_as = models.CharField("操作方", max_length=128)
    at = models.DateTimeField("操作时间")
    reason = models.CharField("原因", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "培训计划办理记录"
        ordering = ["at", "id"]


class CheckInMethod(models.TextChoices):
    QR = "qr", "扫码签到"
    TICKED = "ticked", "单位勾选"
    ROSTER = "roster", "名单导入"


class TrainingSession(models.Model):
    """One sitting of a filed plan item (培训场次): its check-in window, its attendees and its evidence, kept once."""

    item = models.ForeignKey(PlanItem, verbose_name="培训计划项目", on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField("培训日期")
    starts_at = models.TimeField("签到开始时间")
    ends_at = models.TimeField("签到结束时间")
    place = models.CharField("培训地点", max_length=200)
    hours = models.DecimalField("本场学时", max_digits=4, decimal_places=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("创建时间")

    class Meta:
        verbose_name = verbose_name_plural = "培训场次"
        ordering = ["-date", "-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="session_hours_positive"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="session_window_ordered"),
        ]

    def __str__(self):
        return f"{self.item.title}（{self.date:%Y-%m-%d}）"


class SessionAttendance(models.Model):
    """A person present at a session, however recorded; their pre-filled claim once it is made."""

    session = models.ForeignKey(TrainingSession, verbose_name="培训场次", on_delete=models.PROTECT,
                                related_name="attendances")
    professional = models.ForeignKey(Professional, verbose_name="专业技术人员", on_delete=models.PROTECT,
                                     related_name="session_attendances")
    method = models.CharField("签到方式", max_length=8, choices=CheckInMethod.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField("签到时间")
    # No database constraint: claims are partitioned by year (records.hours.models.EvidenceFile.claim).
    claim = models.OneToOneField(Claim, verbose_name="预填申报", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="attendance", db_constraint=False)

    class Meta:
        verbose_name = verbose_name_plural = "培训签到"
        ordering = ["recorded_at", "id"]
        constraints = [
            # One attendance per person and session: a second scan or tick changes nothing.
            models.UniqueConstraint(fields=["session", "professional"], name="attendance_once_per_session"),
        ]

    def __str__(self):
        return f"{self.professional} @ {self.session}"


class SessionEvidence(models.Model):
    """A file of the session (attendance sheet, photos, courseware), stored once. Each attendee's claim gets an
    EvidenceFile naming the same stored file and hash, with `session_file` pointing here (screening and the
    must-view rule read it)."""

    session = models.ForeignKey(TrainingSession, verbose_name="培训场次", on_delete=models.PROTECT,
                                related_name="evidence")
    file = models.FileField("文件", upload_to=evidence_storage_name, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "培训场次佐证材料"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name
