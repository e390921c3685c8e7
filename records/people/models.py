"""The registry: regions, industry authorities, units, professionals, their dated employments and the role
memberships that bind a user to the one object their role works on.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from ce_portal.crypto import DigestField, EncryptedTextField, lookup_digest
from records.people.rules import EmploymentPeriod, TitleLevel, mask_id_number, same_name, validate_credit_code, validate_id_number


class Role(models.TextChoices):
    PROFESSIONAL = "professional", "专业技术人员"
    UNIT_REVIEWER = "unit_reviewer", "用人单位审核员"
    AUTHORITY_REVIEWER = "authority_reviewer", "行业主管部门审核员"
    COUNTY_HR = "county_hr", "县（市、区）人社局"
    CITY_HR = "city_hr", "市人社局"


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
    TitleLevel = TitleLevel  # the staff-file rules read the same choices

    class Status(models.TextChoices):
        PENDING = "pending", "待单位审核"
        ACTIVE = "active", "已启用"
        REJECTED = "rejected", "未通过"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="登录账号", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="professional",
    )
    name = models.CharField("姓名", max_length=64)
    # Encrypted at rest; found by its keyed digest (ce_portal/crypto.py): look up through records.people.selectors.
    id_number = EncryptedTextField("身份证号码", max_length=18, validators=[validate_id_number])
    id_number_digest = DigestField(
        "身份证号码摘要", source="id_number", unique=True, error_messages={"unique": "该身份证号码已登记。"},
    )
    specialty = models.CharField("专业", max_length=64, blank=True)
    title_level = models.CharField("职称等级", max_length=20, choices=TitleLevel.choices, default=TitleLevel.NONE)
    phone = EncryptedTextField("手机号码", max_length=20, blank=True)
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

    def validate_unique(self, exclude=None):
        """The digest carries the uniqueness but is no form field: a form with the number (the admin's) checks
        it here, and says so on the number, instead of failing on the constraint."""
        super().validate_unique(exclude)
        if self.id_number and "id_number" not in (exclude or ()):
            taken = Professional.objects.filter(id_number_digest=lookup_digest(self.id_number)).exclude(pk=self.pk)
            if taken.exists():
                raise ValidationError({"id_number": self._meta.get_field("id_number_digest").error_messages["unique"]})


class RecordClaim(models.Model):
    """Someone registered under the ID number of a record a unit entered (import, 添加人员): the account they
    made stays inactive and the record untouched until the unit that holds the person (their current
    employer; for someone employed nowhere, the unit the registrant chose) approves the claim."""

    class Status(models.TextChoices):
        PENDING = "pending", "待单位审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已退回"

    professional = models.ForeignKey(
        Professional, verbose_name="被认领的人员", on_delete=models.PROTECT, related_name="record_claims"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人账号", on_delete=models.PROTECT, related_name="record_claims"
    )
    unit = models.ForeignKey(Unit, verbose_name="申请人选择的单位", on_delete=models.PROTECT, related_name="+")
    # As the registrant typed them: the unit compares them with what it entered, which they never replace.
    name = models.CharField("申请人填写的姓名", max_length=64)
    phone = EncryptedTextField("申请人填写的手机号码", max_length=20)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField("退回原因", max_length=500, blank=True)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = verbose_name_plural = "认领已有人员的注册申请"
        ordering = ["created_at", "id"]
        constraints = [
            # One account per ID number (its username), so one claim at a time on a person.
            models.UniqueConstraint(fields=["professional"], condition=Q(status="pending"),
                                    name="record_claim_one_pending"),
        ]

    def __str__(self):
        return f"{self.name} 认领 {self.professional}"

    @property
    def name_matches(self) -> bool:
        return same_name(self.name, self.professional.name)


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
            # At most one current employer per person (the overlap of dated periods: `clean`).
            models.UniqueConstraint(
                fields=["professional"], condition=Q(ended_on__isnull=True), name="employment_one_current",
                violation_error_message="该人员已有一个在职单位，同一时间只能有一个在职单位；请先填写原任职的离职日期。",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="employment_ends_after_start", violation_error_message="离职日期不能早于入职日期。",
            ),
        ]
        indexes = [
            # A unit's current staff list.
            models.Index(fields=["unit", "professional"], condition=Q(ended_on__isnull=True), name="employment_current"),
        ]

    def __str__(self):
        return f"{self.professional.name} @ {self.unit.name}"

    def period(self) -> EmploymentPeriod:
        return EmploymentPeriod(self.unit.name if self.unit_id else "", self.started_on, self.ended_on)


class TransferRequest(models.Model):
    """调入 as a request: a unit asks to take in a professional another unit employs. Nothing moves until the
    person confirms it in the portal, or the releasing unit, or the HR bureau of the releasing unit's region,
    approves it; the person and the releasing side may refuse it, the requesting unit withdraw it."""

    class Status(models.TextChoices):
        PENDING = "pending", "待确认"
        COMPLETED = "completed", "已调入"
        REFUSED = "refused", "已拒绝"
        WITHDRAWN = "withdrawn", "已撤回"
        LAPSED = "lapsed", "已失效"  # another unit's request for the person completed first

    class Party(models.TextChoices):
        PERSON = "person", "本人"
        RELEASING_UNIT = "releasing_unit", "原单位"
        HR_BUREAU = "hr_bureau", "原单位所在地人社局"
        REQUESTING_UNIT = "requesting_unit", "调入单位"

    professional = models.ForeignKey(
        Professional, verbose_name="专业技术人员", on_delete=models.PROTECT, related_name="transfer_requests"
    )
    from_unit = models.ForeignKey(Unit, verbose_name="原单位", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, verbose_name="调入单位", on_delete=models.PROTECT, related_name="+")
    on = models.DateField("调入日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    decided_as = models.CharField("处理方", max_length=16, choices=Party.choices, blank=True)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    reason = models.CharField("拒绝或失效原因", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "调入申请"
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["professional", "to_unit"], condition=Q(status="pending"),
                                    name="transfer_one_pending_per_unit"),
            models.CheckConstraint(condition=~Q(from_unit=models.F("to_unit")), name="transfer_between_units"),
        ]

    def __str__(self):
        return f"{self.professional.name} → {self.to_unit.name}（{self.get_status_display()}）"


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


class Account(models.Model):
    """What the portal keeps about a log-in account beyond Django's user table (which it does not replace):
    whether the password in force was set by someone else — a unit's one-time password — and must be changed
    before the account may do anything else (`records/people/middleware.py`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="登录账号", primary_key=True, on_delete=models.CASCADE,
        related_name="account",
    )
    must_change_password = models.BooleanField("须修改密码", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "账号状态"

    def __str__(self):
        return f"{self.user}{'（须修改密码）' if self.must_change_password else ''}"
