"""Hours: the yearly requirement policy, make-up exemptions, hand-filed claims with their evidence, the
records platforms push, and the per-person-year totals of what is credited.
"""
import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from audits.calendar.selectors import current_calendar
from records.hours.rules import (
    LATE_PUSH_GRACE_DAYS, NOTICE_REQUIREMENT, RESUBMISSION_WORKING_DAYS, ClaimStatus, ReviewClockReading,
    YearCloses, default_filing_close, default_review_close, default_year_closes, in_review, year_closes_problems,
)
from records.people.models import IndustryAuthority, Professional, Region, Unit


class SubjectCategory(models.TextChoices):
    PUBLIC = "public", "公需科目"
    PROFESSIONAL = "professional", "专业科目"


class RequirementPolicyQuerySet(models.QuerySet):
    def for_year(self, year: int) -> "RequirementPolicy":
        """The year's policy; a year nobody configured yet inherits the latest earlier year's numbers."""
        policy = self.filter(year=year).first()
        if policy is None:
            earlier = self.filter(year__lt=year).order_by("-year").first()
            if earlier is None:
                raise RequirementPolicy.DoesNotExist(f"没有 {year} 年及以前的学时要求政策。")
            policy, _ = self.get_or_create(
                year=year,
                defaults={
                    "total_hours": earlier.total_hours,
                    "public_hours": earlier.public_hours,
                    "professional_hours": earlier.professional_hours,
                },
            )
        return policy

    def closes_for(self, year: int, calendar=None) -> YearCloses:
        """The year's closes; a year before any policy gets the default ones."""
        try:
            return self.for_year(year).closes(calendar)
        except RequirementPolicy.DoesNotExist:
            return default_year_closes(year, calendar or current_calendar())


class RequirementPolicy(models.Model):
    year = models.PositiveSmallIntegerField("年度", unique=True)
    total_hours = models.DecimalField("总学时要求", max_digits=6, decimal_places=1, default=NOTICE_REQUIREMENT.total)
    public_hours = models.DecimalField(
        "公需科目学时要求", max_digits=6, decimal_places=1, default=NOTICE_REQUIREMENT.public
    )
    professional_hours = models.DecimalField(
        "专业科目学时要求", max_digits=6, decimal_places=1, default=NOTICE_REQUIREMENT.professional
    )
    filing_closes_at = models.DateTimeField(
        "申报截止时间", null=True, blank=True,
        help_text="留空则为审核截止日期前第 10 个工作日 23:59:59（北京时间）：此时提交的申报，两级审核各 5 个工作日，"
                  "恰好在审核截止日期前完成。",
    )
    review_closes_on = models.DateField(
        "审核截止日期", null=True, blank=True,
        help_text="留空则为当年 12 月最后一个工作日（2026 年起）。各级审核期限不晚于此日。",
    )
    review_clock_reading = models.CharField(
        "审核时限计算方式", max_length=20, choices=ReviewClockReading.choices, default=ReviewClockReading.PER_LEVEL,
        help_text="修改后，待审核申报的审核期限将按新的方式重新计算。",
    )
    resubmission_working_days = models.PositiveSmallIntegerField(
        "退回后重新提交期限（工作日）", default=RESUBMISSION_WORKING_DAYS,
        help_text="按期申报后被退回修改的申报，自退回之日起在此期限内可重新提交，年度申报截止后亦然。",
    )
    late_push_grace_days = models.PositiveSmallIntegerField(
        "截止后接收平台补推送（天）", default=LATE_PUSH_GRACE_DAYS,
        help_text="申报截止前完成、截止后才推送的平台学时，在截止后此天数内仍予登记，并标注为补推送。",
    )

    objects = RequirementPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "年度学时要求"
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_hours__gte=models.F("public_hours") + models.F("professional_hours")),
                name="policy_total_covers_parts",
            ),
        ]

    def __str__(self):
        return f"{self.year} 年：{self.total_hours}/{self.public_hours}/{self.professional_hours}"

    # `records.hours.rules.assess` reads these three names from any requirement object.
    @property
    def total(self) -> Decimal:
        return self.total_hours

    @property
    def public(self) -> Decimal:
        return self.public_hours

    @property
    def professional(self) -> Decimal:
        return self.professional_hours

    def closes(self, calendar=None) -> YearCloses:
        """The year's closes: the ones city_hr set, else the defaults computed from `calendar` (the one in
        force unless given, e.g. the one an edit of the calendar is about to put in force)."""
        calendar = calendar or current_calendar()
        review = self.review_closes_on or default_review_close(self.year, calendar)
        filing = self.filing_closes_at or default_filing_close(self.year, review, calendar)
        return YearCloses(self.year, filing, review, self.review_clock_reading)

    @property
    def filing_close(self) -> dt.datetime:
        return self.closes().filing

    @property
    def review_close(self) -> dt.date | None:
        return self.closes().review

    def clean(self):
        if self.year is None:  # the year's own field error says why
            return
        problems = year_closes_problems(self.closes())
        if problems:
            errors: dict[str, list[str]] = {}
            for problem in problems:
                errors.setdefault(problem.field, []).append(problem.message)
            raise ValidationError(errors)


class MakeUpExemption(models.Model):
    """补学豁免: city_hr reopens one closed year for one person, with a written reason, until it expires."""

    professional = models.ForeignKey(
        Professional, verbose_name="专业技术人员", on_delete=models.PROTECT, related_name="makeup_exemptions"
    )
    year = models.PositiveSmallIntegerField("补学年度")
    reason = models.TextField("批准理由")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="批准人", on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField("批准时间", auto_now_add=True)
    expires_at = models.DateTimeField("有效期至")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "补学豁免"
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="exemption_reason_required"),
        ]

    def __str__(self):
        return f"{self.professional.name} {self.year} 年补学"

    def is_valid_at(self, moment: dt.datetime) -> bool:
        return self.revoked_at is None and moment < self.expires_at


class ActivityKind(models.TextChoices):
    FACE_TO_FACE = "face_to_face", "面授培训"
    WORKSHOP = "workshop", "研修班"
    LECTURE = "lecture", "学术讲座"
    TECH_PROMOTION = "tech_promotion", "新技术推广"
    # Training the unit itself organises: it names an item of the unit's filed plan (rule 7).
    UNIT_TRAINING = "unit_training", "单位组织培训"
    OTHER = "other", "其他"


class Claim(models.Model):
    """学时申报: hours a person claims by hand, with evidence, reviewed level by level (audits.review.rules)."""

    Status = ClaimStatus

    # No single-column indexes on these foreign keys: each leads one of the composite indexes in Meta, and
    # every extra index is written on every status change (mark-overdue touches 20,000 rows at once).
    professional = models.ForeignKey(
        Professional, verbose_name="专业技术人员", on_delete=models.PROTECT, related_name="claims", db_index=False
    )
    # The unit of the day the claim was (last) submitted; a later change of employer does not move it.
    unit = models.ForeignKey(
        Unit, verbose_name="申报时所在单位", null=True, blank=True, on_delete=models.PROTECT, related_name="claims",
        db_index=False,
    )
    region = models.ForeignKey(
        Region, verbose_name="单位所在区域", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    # Who reviews at level 2, fixed at submission (audits.review.rules.LEVELS): the unit's industry authority,
    # else the region's HR bureau.
    # The HR bureau that stands in for a unit without a reviewer at level 1 (its region's; set at submission,
    # or by the migration for claims that waited on such a unit).
    level1_region = models.ForeignKey(
        Region, verbose_name="代行单位审核的人社部门", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )
    level2_authority = models.ForeignKey(
        IndustryAuthority, verbose_name="二级审核主管部门", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )
    level2_region = models.ForeignKey(
        Region, verbose_name="二级审核人社部门", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )

    year = models.PositiveSmallIntegerField("学时年度", help_text="活动所在年度，不是申报年度。")
    category = models.CharField("科目类别", max_length=16, choices=SubjectCategory.choices)
    kind = models.CharField("活动形式", max_length=20, choices=ActivityKind.choices)
    title = models.CharField("活动名称", max_length=200)
    content = models.TextField("活动内容", blank=True)
    provider_base = models.ForeignKey(
        "platforms.TrainingBase", verbose_name="继续教育基地", null=True, blank=True, on_delete=models.PROTECT,
        related_name="claims",
    )
    provider_name = models.CharField("主办单位", max_length=200, blank=True)
    # Named by model, as the platforms are: records.plans sits above hours (docs/architecture.md).
    plan_item = models.ForeignKey(
        "records.PlanItem", verbose_name="所属培训计划项目", null=True, blank=True, on_delete=models.PROTECT,
        related_name="claims", db_index=False,
    )
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    hours = models.DecimalField("申报学时", max_digits=5, decimal_places=1)
    result = models.CharField("考试考核结果", max_length=200, blank=True)
    external_certificate_no = models.CharField("外部证书编号", max_length=100, blank=True)

    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField("版本", default=0, help_text="每次状态变化加一，用于并发审核检测。")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    filed_on = models.DateField("申报日期", null=True, blank=True)
    # The review of the level the claim waits on: the day it reached that level (the filing day for the first)
    # and its deadline, so many working days later. Each decision keeps the deadline it was judged against.
    review_started_on = models.DateField("本级审核起算日期", null=True, blank=True)
    due_on = models.DateField("本级审核期限", null=True, blank=True)
    due_provisional = models.BooleanField("审核期限为暂定", default=False)
    # The working days of that level, fixed when the claim reached it: a unit's own standard may shorten its
    # level (audits.review.rules.level_working_days), and a later change of the standard moves no deadline
    # already running. Empty on claims from before: their level's own days.
    review_working_days = models.PositiveSmallIntegerField("本级审核时限（工作日）", null=True, blank=True)
    decided_at = models.DateTimeField("终审时间", null=True, blank=True)
    overdue_since = models.DateTimeField("逾期时间", null=True, blank=True)
    # Set when a reviewer returns the claim: it may come back until this day even after its year closed.
    resubmit_by = models.DateField("重新提交期限", null=True, blank=True)
    # The make-up exemption that opened the closed year when the claim was submitted: its revocation makes
    # the claim's approval a decision to be explained (docs/rules.md, rule 3).
    filed_under_exemption = models.ForeignKey(
        "MakeUpExemption", verbose_name="依据的补学豁免", null=True, blank=True, on_delete=models.PROTECT,
        related_name="claims",
    )
    credit_revoked_at = models.DateTimeField("学时撤销时间", null=True, blank=True)

    # On PostgreSQL the table is partitioned by `year` (records migration 0034, ce_portal/partitions.py): the
    # primary key there is (id, year), and the keys other tables hold to a claim have no database constraint.
    class Meta:
        verbose_name = verbose_name_plural = "学时申报"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="claim_hours_positive"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="claim_dates_ordered"),
        ]
        indexes = [
            # A person's year page and assessment.
            models.Index(fields=["professional", "year"], name="claim_person_year"),
            # Level-1 queue of a unit, by due date.
            models.Index(fields=["unit", "status", "due_on"], name="claim_unit_queue_due"),
            # Level-2 queues of an authority / an HR bureau, by due date.
            models.Index(fields=["level2_authority", "status", "due_on"], name="claim_authority_queue_due"),
            models.Index(fields=["level2_region", "status", "due_on"], name="claim_region_queue_due"),
            # Mark-overdue candidates and the monitors' backlog: claims waiting at a level, by due date.
            models.Index(fields=["status", "due_on"], name="claim_waiting_due"),
            # County monitor: a region's claims by state.
            models.Index(fields=["region", "status"], name="claim_region_status"),
            # Screening: the same external certificate number claimed by different people (exact match only).
            models.Index(fields=["external_certificate_no"], name="claim_certificate_no"),
            # The claims of a plan item (and the PROTECT check when a draft plan's items are replaced): partial,
            # so the many claims without an item add nothing to it on their status changes.
            models.Index(fields=["plan_item"], condition=Q(plan_item__isnull=False), name="claim_plan_item"),
        ]

    def __str__(self):
        return f"{self.title}（{self.hours} 学时）"

    @property
    def is_pending_review(self) -> bool:
        return in_review(self.status)

    @property
    def is_credited(self) -> bool:
        return self.status == self.Status.APPROVED and self.credit_revoked_at is None


def evidence_storage_name(instance, filename) -> str:
    import uuid

    # Non-guessable and without the user's file name: evidence is served only through a scoped view.
    return f"evidence/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}"


class EvidenceFile(models.Model):
    """A file backing a claim. Never replaced in place: a correction adds a new row."""

    # Keys to a claim have no database constraint: claims are partitioned by year on PostgreSQL, and a key to a
    # partitioned table would have to hold the year too (docs/scaling.md). Claims are never deleted.
    claim = models.ForeignKey(Claim, verbose_name="学时申报", on_delete=models.PROTECT, related_name="evidence",
                              db_constraint=False)
    file = models.FileField("文件", upload_to=evidence_storage_name, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)  # a PPTX's is 73 characters
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)  # screening: same file, other people
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间")
    # The session file this row names (records.plans.SessionEvidence): the same stored file and hash for every
    # attendee's claim. Screening does not flag a file shared within its session; opening it once counts as
    # opened for every claim of the session (docs/rules.md, rule 7).
    session_file = models.ForeignKey(
        "records.SessionEvidence", verbose_name="培训场次佐证材料", null=True, blank=True, on_delete=models.PROTECT,
        related_name="claim_files", db_index=False,
    )
    # Set when the file went out with a submission: from then on it is part of the record and frozen.
    submitted_at = models.DateTimeField("随申报提交时间", null=True, blank=True)
    # A file taken out of a claim (only before any submission, or superseded by a correction) is kept, not deleted.
    removed_at = models.DateTimeField("移除时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at", "id"]
        indexes = [
            # A session file opened once, marked opened in each attendee's claim (audits.review.services
            # _session_file_viewed): partial, as most files are a person's own.
            models.Index(fields=["session_file"], condition=Q(session_file__isnull=False), name="evidence_session_file"),
        ]

    def __str__(self):
        return self.original_name


class StagedEvidence(models.Model):
    """A file chosen on a claim form that came back with errors: kept so the person never picks it again, it
    joins the claim when the form is saved (records.hours.services.evidence_attach_staged)."""

    professional = models.ForeignKey(
        Professional, verbose_name="专业技术人员", on_delete=models.CASCADE, related_name="staged_evidence"
    )
    file = models.FileField("文件", upload_to=evidence_storage_name, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=100)  # as EvidenceFile's: a PPTX's is 73
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "待保存的佐证材料"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class PlatformRecord(models.Model):
    """自动登记学时: a completed online course pushed by an approved platform, credited on arrival."""

    # No single-column FK indexes: (platform, external_id) and (professional, year) lead with these columns,
    # and every index costs each of the thousands of rows a platform batch inserts.
    platform = models.ForeignKey(
        "platforms.LearningPlatform", verbose_name="学习平台", on_delete=models.PROTECT, related_name="records",
        db_index=False,
    )
    external_id = models.CharField("平台记录编号", max_length=64)
    professional = models.ForeignKey(
        Professional, verbose_name="专业技术人员", on_delete=models.PROTECT, related_name="platform_records",
        db_index=False,
    )
    course_title = models.CharField("课程名称", max_length=200)
    category = models.CharField("科目类别", max_length=16, choices=SubjectCategory.choices)
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    completed_at = models.DateTimeField("完成时间")
    year = models.PositiveSmallIntegerField("学时年度")
    # Hash of the record as the platform sent it: a resend with other content under the same id is a conflict.
    content_hash = models.CharField("内容哈希", max_length=64)
    received_at = models.DateTimeField("接收时间", auto_now_add=True)
    credit_revoked_at = models.DateTimeField("学时撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "平台登记学时"
        ordering = ["-completed_at"]
        constraints = [
            # On PostgreSQL the table is partitioned by year (ce_portal/partitions.py), and a partitioned table's
            # unique index must hold the year. An external id stays unique across years all the same: ingestion
            # looks in every year, and on PostgreSQL a trigger-kept key table (migration 0033) refuses a second.
            models.UniqueConstraint(fields=["platform", "external_id", "year"], name="platform_record_unique_external_id_year"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="platform_record_hours_positive"),
        ]
        indexes = [models.Index(fields=["professional", "year"], name="platform_record_person_year")]

    def __str__(self):
        return f"{self.course_title}（{self.hours} 学时）"


class PersonYearTotal(models.Model):
    """Credited hours per person and year, kept by the crediting services so that compliance pages do not
    re-aggregate millions of rows (≈750 ms city-wide, docs/measurements.md)."""

    professional = models.ForeignKey(  # indexed by the (professional, year) unique constraint
        Professional, verbose_name="专业技术人员", on_delete=models.CASCADE, related_name="year_totals",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField("年度")
    public_hours = models.DecimalField("公需科目学时", max_digits=7, decimal_places=1, default=Decimal("0"))
    professional_hours = models.DecimalField("专业科目学时", max_digits=7, decimal_places=1, default=Decimal("0"))
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "年度学时合计"
        constraints = [
            models.UniqueConstraint(fields=["professional", "year"], name="person_year_total_unique"),
        ]
        indexes = [models.Index(fields=["year", "professional"], name="person_year_total_by_year")]

    def __str__(self):
        return f"{self.professional_id} {self.year}: {self.public_hours}+{self.professional_hours}"
