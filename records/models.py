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
        return self.filing_closes_at or dt.datetime(self.year, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


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
