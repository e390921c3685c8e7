import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import Role, SubjectCategory  # noqa: F401  (re-exported for `from records.models import ...`)
from .validators import mask_id_number, validate_credit_code, validate_id_number

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Region(models.Model):
    class Level(models.TextChoices):
        CITY = "city", "市"
        COUNTY = "county", "县（市、区）"

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=64, unique=True)
    level = models.CharField("层级", max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级区域", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        verbose_name = verbose_name_plural = "行政区域"
        ordering = ["code"]

    def __str__(self):
        return self.name


class IndustryAuthority(models.Model):
    name = models.CharField("名称", max_length=128)
    region = models.ForeignKey(Region, verbose_name="所属区域", on_delete=models.PROTECT, related_name="authorities")

    class Meta:
        verbose_name = verbose_name_plural = "行业主管部门"
        ordering = ["region__code", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="authority_unique_name_in_region")]

    def __str__(self):
        return self.name


class Unit(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", "企业"
        PUBLIC_INSTITUTION = "public_institution", "事业单位"
        SOCIAL_ORGANISATION = "social_organisation", "社会组织"
        STATIONED = "stationed", "驻平单位"

    name = models.CharField("单位名称", max_length=128)
    credit_code = models.CharField(
        "统一社会信用代码", max_length=18, unique=True, validators=[validate_credit_code],
        error_messages={"unique": "该统一社会信用代码已登记。"},
    )
    region = models.ForeignKey(Region, verbose_name="所属区域", on_delete=models.PROTECT, related_name="units")
    authority = models.ForeignKey(
        IndustryAuthority, verbose_name="行业主管部门", null=True, blank=True, on_delete=models.PROTECT,
        related_name="units", help_text="无行业主管部门的单位由所在县（市、区）人社局进行二级审核。",
    )
    kind = models.CharField("单位类型", max_length=24, choices=Kind.choices)

    class Meta:
        verbose_name = verbose_name_plural = "用人单位"
        ordering = ["name"]
        indexes = [models.Index(fields=["region", "name"], name="unit_region_name")]  # county unit lists

    def __str__(self):
        return self.name


class Professional(models.Model):
    class TitleLevel(models.TextChoices):
        NONE = "none", "未定级"
        JUNIOR = "junior", "初级"
        INTERMEDIATE = "intermediate", "中级"
        ASSOCIATE_SENIOR = "associate_senior", "副高级"
        SENIOR = "senior", "正高级"

    class Status(models.TextChoices):
        PENDING = "pending", "待单位审核"
        ACTIVE = "active", "已启用"
        REJECTED = "rejected", "未通过"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="professional",
    )
    name = models.CharField("姓名", max_length=64)
    id_number = models.CharField(
        "身份证号码", max_length=18, unique=True, validators=[validate_id_number],
        error_messages={"unique": "该身份证号码已登记。"},
    )
    specialty = models.CharField("专业", max_length=64, blank=True)
    title_level = models.CharField("职称等级", max_length=20, choices=TitleLevel.choices, default=TitleLevel.NONE)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "专业技术人员"
        ordering = ["name", "id"]

    def __str__(self):
        return f"{self.name}（{self.masked_id_number}）"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class Employment(models.Model):
    """Which unit a person worked for, when: claims go to the unit of the day they are filed."""

    professional = models.ForeignKey(
        Professional, verbose_name="专业技术人员", on_delete=models.PROTECT, related_name="employments"
    )
    unit = models.ForeignKey(Unit, verbose_name="用人单位", on_delete=models.PROTECT, related_name="employments")
    started_on = models.DateField("入职日期")
    ended_on = models.DateField("离职日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "任职记录"
        ordering = ["-started_on"]
        constraints = [
            # At most one current employer per person.
            models.UniqueConstraint(
                fields=["professional"], condition=Q(ended_on__isnull=True), name="employment_one_current"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="employment_ends_after_start",
            ),
        ]
        indexes = [
            # A unit's current staff list.
            models.Index(fields=["unit", "professional"], condition=Q(ended_on__isnull=True), name="employment_current"),
        ]

    def __str__(self):
        return f"{self.professional.name} @ {self.unit.name}"


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


class RequirementPolicy(models.Model):
    year = models.PositiveSmallIntegerField("年度", unique=True)
    total_hours = models.DecimalField("总学时要求", max_digits=6, decimal_places=1, default=Decimal("90"))
    public_hours = models.DecimalField("公需科目学时要求", max_digits=6, decimal_places=1, default=Decimal("30"))
    professional_hours = models.DecimalField(
        "专业科目学时要求", max_digits=6, decimal_places=1, default=Decimal("60")
    )
    filing_closes_at = models.DateTimeField(
        "申报截止时间", null=True, blank=True, help_text="留空则为当年 12 月 31 日 23:59:59（北京时间）。"
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

    # `records.rules.assess` reads these three names from any requirement object.
    @property
    def total(self) -> Decimal:
        return self.total_hours

    @property
    def public(self) -> Decimal:
        return self.public_hours

    @property
    def professional(self) -> Decimal:
        return self.professional_hours

    @property
    def filing_close(self) -> dt.datetime:
        from .rules import default_filing_close

        return self.filing_closes_at or default_filing_close(self.year)


class RoleMembership(models.Model):
    """A user's role, bound to the one scope object that role works on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.CASCADE, related_name="role_memberships"
    )
    role = models.CharField("角色", max_length=24, choices=Role.choices)
    professional = models.ForeignKey(
        Professional, verbose_name="专业技术人员", null=True, blank=True, on_delete=models.CASCADE
    )
    unit = models.ForeignKey(Unit, verbose_name="用人单位", null=True, blank=True, on_delete=models.CASCADE)
    authority = models.ForeignKey(
        IndustryAuthority, verbose_name="行业主管部门", null=True, blank=True, on_delete=models.CASCADE
    )
    region = models.ForeignKey(Region, verbose_name="区域", null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        verbose_name = verbose_name_plural = "角色授权"
        ordering = ["user", "role"]
        constraints = [
            # Exactly the scope object that fits the role, and no other.
            models.CheckConstraint(
                name="membership_scope_fits_role",
                condition=(
                    Q(role=Role.PROFESSIONAL, professional__isnull=False, unit__isnull=True,
                      authority__isnull=True, region__isnull=True)
                    | Q(role=Role.UNIT_REVIEWER, unit__isnull=False, professional__isnull=True,
                        authority__isnull=True, region__isnull=True)
                    | Q(role=Role.AUTHORITY_REVIEWER, authority__isnull=False, professional__isnull=True,
                        unit__isnull=True, region__isnull=True)
                    | Q(role__in=[Role.COUNTY_HR, Role.CITY_HR], region__isnull=False, professional__isnull=True,
                        unit__isnull=True, authority__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "professional", "unit", "authority", "region"],
                name="membership_unique", nulls_distinct=False,
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.scope_object}"

    @property
    def scope_object(self):
        return self.professional or self.unit or self.authority or self.region


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
    OTHER = "other", "其他"


class Claim(models.Model):
    """学时申报: hours a person claims by hand, with evidence, reviewed at two levels."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        SUBMITTED = "submitted", "待单位审核"
        UNIT_APPROVED = "unit_approved", "待主管部门审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "未通过"
        RETURNED = "returned", "退回修改"
        WITHDRAWN = "withdrawn", "已撤回"

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
    # Who reviews at level 2, fixed at submission: the unit's industry authority, else the region's HR bureau.
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
    level1_due_on = models.DateField("单位审核期限", null=True, blank=True)
    level1_due_provisional = models.BooleanField("单位审核期限为暂定", default=False)
    unit_approved_on = models.DateField("单位审核通过日期", null=True, blank=True)
    level2_due_on = models.DateField("主管部门审核期限", null=True, blank=True)
    level2_due_provisional = models.BooleanField("主管部门审核期限为暂定", default=False)
    decided_at = models.DateTimeField("终审时间", null=True, blank=True)
    overdue_since = models.DateTimeField("逾期时间", null=True, blank=True)
    credit_revoked_at = models.DateTimeField("学时撤销时间", null=True, blank=True)

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
            models.Index(fields=["unit", "status", "level1_due_on"], name="claim_unit_queue"),
            # Level-2 queues of an authority / an HR bureau, by due date.
            models.Index(fields=["level2_authority", "status", "level2_due_on"], name="claim_authority_queue"),
            models.Index(fields=["level2_region", "status", "level2_due_on"], name="claim_region_queue"),
            # Mark-overdue candidates: pending claims by due date.
            models.Index(fields=["status", "level1_due_on"], name="claim_pending_l1_due"),
            models.Index(fields=["status", "level2_due_on"], name="claim_pending_l2_due"),
            # County monitor: a region's claims by state.
            models.Index(fields=["region", "status"], name="claim_region_status"),
            # Screening: the same external certificate number claimed by different people (exact match only).
            models.Index(fields=["external_certificate_no"], name="claim_certificate_no"),
        ]

    def __str__(self):
        return f"{self.title}（{self.hours} 学时）"

    @property
    def is_pending_review(self) -> bool:
        return self.status in (self.Status.SUBMITTED, self.Status.UNIT_APPROVED)

    @property
    def is_credited(self) -> bool:
        return self.status == self.Status.APPROVED and self.credit_revoked_at is None


def evidence_storage_name(instance, filename) -> str:
    import uuid

    # Non-guessable and without the user's file name: evidence is served only through a scoped view.
    return f"evidence/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}"


class EvidenceFile(models.Model):
    """A file backing a claim. Never replaced in place: a correction adds a new row."""

    claim = models.ForeignKey(Claim, verbose_name="学时申报", on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField("文件", upload_to=evidence_storage_name, max_length=200)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=40)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)  # screening: same file, other people
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间")
    # Set when the file went out with a submission: from then on it is part of the record and frozen.
    submitted_at = models.DateTimeField("随申报提交时间", null=True, blank=True)
    # A file taken out of a claim (only before any submission, or superseded by a correction) is kept, not deleted.
    removed_at = models.DateTimeField("移除时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料"
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
            models.UniqueConstraint(fields=["platform", "external_id"], name="platform_record_unique_external_id"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="platform_record_hours_positive"),
        ]
        indexes = [models.Index(fields=["professional", "year"], name="platform_record_person_year")]

    def __str__(self):
        return f"{self.course_title}（{self.hours} 学时）"


class PersonYearTotal(models.Model):
    """Credited hours per person and year, kept by the crediting services so that compliance pages do not
    re-aggregate millions of rows (≈750 ms city-wide, BASELINE.md)."""

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


class CertificateBundle(models.Model):
    """A unit's certificates of one year in one ZIP, built by a Celery task that reports its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "正在打包"
        READY = "ready", "已完成"
        FAILED = "failed", "失败"
        EXPIRED = "expired", "已过期"  # its file deleted after the retention period (records/downloads.py)

    unit = models.ForeignKey(Unit, verbose_name="用人单位", on_delete=models.PROTECT, related_name="certificate_bundles")
    year = models.PositiveSmallIntegerField("学时年度")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField("已处理人数", default=0)
    total = models.PositiveIntegerField("总人数", default=0)
    included = models.PositiveIntegerField("已收录证书数", default=0)
    file = models.FileField("ZIP 文件", upload_to=certificate_bundle_storage_name, max_length=200, blank=True)
    error = models.CharField("失败原因", max_length=300, blank=True)
    created_at = models.DateTimeField("申请时间")
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "证书批量下载"
        ordering = ["-created_at", "-id"]
        # The bundle page lists the requester's recent bundles.
        indexes = [models.Index(fields=["requested_by", "created_at"], name="certificate_bundle_requester")]

    def __str__(self):
        return f"{self.unit.name} {self.year} 年证书（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.READY else (self.done * 100 // self.total if self.total else 0)


def export_storage_name(instance, filename) -> str:
    import secrets

    # Non-guessable: exports are served only to the person who asked for them, never by path.
    return f"exports/{instance.created_at:%Y/%m}/{secrets.token_hex(16)}.xlsx"


class ExportJob(models.Model):
    """A large download (a county's or the city's compliance list) built by a Celery task with progress."""

    class Kind(models.TextChoices):
        COMPLIANCE_XLSX = "compliance_xlsx", "学时达标名单（XLSX）"

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "正在生成"
        READY = "ready", "已完成"
        FAILED = "failed", "失败"
        EXPIRED = "expired", "已过期"  # its file deleted after the retention period (records/downloads.py)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("导出内容", max_length=24, choices=Kind.choices)
    params = models.JSONField("筛选条件", default=dict)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    done = models.PositiveIntegerField("已写入行数", default=0)
    total = models.PositiveIntegerField("总行数", default=0)
    file = models.FileField("文件", upload_to=export_storage_name, max_length=200, blank=True)
    error = models.CharField("失败原因", max_length=300, blank=True)
    created_at = models.DateTimeField("申请时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "导出任务"
        ordering = ["-created_at", "-id"]
        # The export page lists the requester's recent jobs.
        indexes = [models.Index(fields=["requested_by", "created_at"], name="export_job_requester")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.params}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        return 100 if self.status == self.Status.READY else (self.done * 100 // self.total if self.total else 0)
