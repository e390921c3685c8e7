"""Writes on the registry: who works where, and who may log in. One function per action, each atomic and
audited; a refusal is a DomainError with a Chinese message and a stable code, and changes nothing."""
import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audits.trail import record_event
from ce_portal.errors import DomainError, NotFound

from .choices import Role
from .models import (
    Employment, IndustryAuthority, MakeUpExemption, Professional, Region, RequirementPolicy, RoleMembership, Unit,
)
from .rules import claim_year_refusal
from .scoping import scope_for
from .staff_import import RawRow, StaffRow, StaffRowInvalid, clean_staff_row

ALREADY_REGISTERED = "该身份证号码已注册，请直接登录或联系单位。"
EMPLOYED_ELSEWHERE = "该人员当前在其他单位任职，请通过调入办理。"


# --- self-registration ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    professional: Professional
    # True when the person linked to a record their unit had imported: the unit vouched, no review needed.
    activated: bool


@transaction.atomic
def professional_register(*, id_number: str, name: str, phone: str, password: str, unit: Unit,
                          today: dt.date) -> Registration:
    """A person signs up (username = ID number). A record the unit imported earlier is linked, not duplicated.

    `id_number` is already normalised and checksum-valid; the password already passed the validators.
    """
    User = get_user_model()
    existing = (
        Professional.objects.select_for_update(of=("self",)).select_related("user").filter(id_number=id_number).first()
    )
    reapplying = existing is not None and existing.user is not None and _was_rejected(existing)
    if existing is not None and existing.user is not None and not reapplying:
        raise DomainError(ALREADY_REGISTERED, code="already_registered", field="id_number")
    if User.objects.filter(username=id_number).exclude(pk=existing.user_id if reapplying else None).exists():
        raise DomainError(ALREADY_REGISTERED, code="already_registered", field="id_number")
    if existing is not None and existing.name != name:
        raise DomainError(
            "姓名与单位登记的该身份证号码的姓名不一致，请核对；如单位登记有误，请联系单位更正。",
            code="name_mismatch", field="name",
        )
    current = _current_employment(existing) if existing else None
    if current is not None and current.unit_id != unit.pk:
        raise DomainError(
            "该身份证号码已由其他单位登记。请选择您当前所在的单位；如已更换单位，请联系新单位办理调入。",
            code="employed_elsewhere", field="unit",
        )
    activated = current is not None

    user = existing.user if reapplying else User(username=id_number)
    user.first_name = name
    user.is_active = activated
    user.set_password(password)
    user.save()
    professional = existing or Professional(id_number=id_number, name=name)
    professional.user = user
    professional.phone = phone
    professional.status = Professional.Status.ACTIVE if activated else Professional.Status.PENDING
    professional.save()
    if current is None:
        _check_start_after_last_employment(professional, started_on=today)
        Employment.objects.create(professional=professional, unit=unit, started_on=today)
    RoleMembership.objects.get_or_create(user=user, role=Role.PROFESSIONAL, professional=professional)
    record_event(actor=user, action="professional.register", target=professional, after={
        "unit": unit.pk, "linked_existing": existing is not None, "activated": activated,
    })
    return Registration(professional=professional, activated=activated)


def _was_rejected(professional: Professional) -> bool:
    """A person whose unit turned the registration down may apply again (to the right unit, this time)."""
    return professional.status == Professional.Status.REJECTED and not professional.user.is_active


@transaction.atomic
def registration_approve(*, professional: Professional, actor) -> Professional:
    professional = _lock_pending(professional)
    professional.status = Professional.Status.ACTIVE
    professional.save(update_fields=["status"])
    professional.user.is_active = True
    professional.user.save(update_fields=["is_active"])
    record_event(actor=actor, action="professional.registration_approve", target=professional,
                 before={"status": Professional.Status.PENDING}, after={"status": professional.status})
    return professional


@transaction.atomic
def registration_reject(*, professional: Professional, actor, reason: str) -> Professional:
    """The unit says this person does not work here: the employment the registration claimed goes away."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写退回原因，申请人登录时会看到。", code="reason_required", field="reason")
    professional = _lock_pending(professional)
    claimed = _current_employment(professional)
    professional.status = Professional.Status.REJECTED
    professional.save(update_fields=["status"])
    if claimed is not None:
        claimed.delete()
    record_event(actor=actor, action="professional.registration_reject", target=professional,
                 before={"status": Professional.Status.PENDING, "unit": claimed.unit_id if claimed else None},
                 after={"status": professional.status, "reason": reason})
    return professional


def _lock_pending(professional: Professional) -> Professional:
    professional = Professional.objects.select_for_update(of=("self",)).select_related("user").get(pk=professional.pk)
    if professional.status != Professional.Status.PENDING or professional.user is None:
        raise DomainError("该注册申请已经处理过了。", code="not_pending")
    return professional


# --- staff entered by the unit ----------------------------------------------------------------------------


@dataclass
class RowOutcome:
    line: int
    name: str
    id_number: str = ""
    professional: Professional | None = None
    error: DomainError | None = None

    @property
    def created(self) -> bool:
        return self.error is None


@dataclass
class ImportReport:
    outcomes: list[RowOutcome]

    @property
    def created(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if o.created]

    @property
    def refused(self) -> list[RowOutcome]:
        return [o for o in self.outcomes if not o.created]


@transaction.atomic
def staff_import(*, unit: Unit, rows: list[RawRow], actor, today: dt.date) -> ImportReport:
    """Enrol every acceptable row, refuse the rest with a reason. One transaction; a row is all or nothing."""
    outcomes, clean = [], []
    for raw in rows:
        # The number as typed, so a refused row can be found and fixed in the file.
        outcome = RowOutcome(line=raw.line, name=raw.label, id_number=raw.id_text)
        try:
            row = clean_staff_row(today=today, **raw.values)
        except StaffRowInvalid as exc:
            outcome.error = exc
        else:
            outcome.id_number = row.id_number
            clean.append((outcome, row))
        outcomes.append(outcome)
    clean = _refuse_duplicates_in_file(clean)
    _enrol(unit=unit, rows=clean, actor=actor)
    report = ImportReport(outcomes=outcomes)
    record_event(actor=actor, action="unit.staff_import", target=unit, after={
        "created": [o.professional.pk for o in report.created], "refused": len(report.refused),
    })
    return report


@transaction.atomic
def professional_enrol(*, unit: Unit, row: StaffRow, actor) -> Professional:
    """One person added to the unit's staff by its reviewer (the form and the API)."""
    outcome = RowOutcome(line=1, name=row.name, id_number=row.id_number)
    _enrol(unit=unit, rows=[(outcome, row)], actor=actor)
    if outcome.error is not None:
        raise outcome.error
    record_event(actor=actor, action="unit.staff_add", target=outcome.professional, after={"unit": unit.pk})
    return outcome.professional


def _refuse_duplicates_in_file(clean: list[tuple[RowOutcome, StaffRow]]) -> list[tuple[RowOutcome, StaffRow]]:
    """Two lines with one ID number: we cannot tell which is right, so both go back to the unit."""
    lines: dict[str, list[int]] = {}
    for outcome, row in clean:
        lines.setdefault(row.id_number, []).append(outcome.line)
    kept = []
    for outcome, row in clean:
        same = lines[row.id_number]
        if len(same) > 1:
            outcome.error = DomainError(
                f"文件中第 {'、'.join(map(str, same))} 行的身份证号码相同，请核对后只保留一行。",
                code="duplicate_in_file", field="id_number",
            )
        else:
            kept.append((outcome, row))
    return kept


def _enrol(*, unit: Unit, rows: list[tuple[RowOutcome, StaffRow]], actor) -> None:
    """Look every ID number up once, decide each row, then write in bulk (5,000 rows in one request)."""
    by_number = {
        p.id_number: p
        for p in Professional.objects.select_for_update().filter(id_number__in=[row.id_number for _, row in rows])
    }
    current_unit = dict(
        Employment.objects.filter(professional__in=by_number.values(), ended_on__isnull=True)
        .values_list("professional_id", "unit_id")
    )
    last_end = dict(
        Employment.objects.filter(professional__in=by_number.values()).values("professional_id")
        .annotate(last=Max("ended_on")).values_list("professional_id", "last")
    )
    new_people, returning, accepted = [], [], []
    for outcome, row in rows:
        existing = by_number.get(row.id_number)
        try:
            if existing is not None:
                _check_returning(existing, row, unit=unit, current_unit_id=current_unit.get(existing.pk),
                                 last_end=last_end.get(existing.pk))
        except DomainError as exc:
            outcome.error = exc
            continue
        if existing is None:
            outcome.professional = Professional(
                name=row.name, id_number=row.id_number, specialty=row.specialty, title_level=row.title_level,
                phone=row.phone, status=Professional.Status.ACTIVE,
            )
            new_people.append(outcome.professional)
        else:
            # Back with a new employer: the unit's fresh details win over the old record's.
            existing.specialty = row.specialty or existing.specialty
            existing.title_level = row.title_level if row.title_level != Professional.TitleLevel.NONE else (
                existing.title_level)
            existing.phone = row.phone or existing.phone
            outcome.professional = existing
            returning.append(existing)
        accepted.append((outcome, row))
    Professional.objects.bulk_create(new_people, batch_size=1000)
    Professional.objects.bulk_update(returning, ["specialty", "title_level", "phone"], batch_size=1000)
    Employment.objects.bulk_create(
        [Employment(professional=o.professional, unit=unit, started_on=row.started_on) for o, row in accepted],
        batch_size=1000,
    )


def _check_returning(existing: Professional, row: StaffRow, *, unit: Unit, current_unit_id, last_end) -> None:
    if current_unit_id == unit.pk:
        raise DomainError("该人员已在本单位登记，无需重复导入。", code="duplicate_id_number", field="id_number")
    if current_unit_id is not None:
        raise DomainError(EMPLOYED_ELSEWHERE, code="employed_elsewhere", field="id_number")
    if existing.name != row.name:
        raise DomainError(
            f"姓名与系统中该身份证号码登记的姓名（{existing.name}）不一致，请核对。", code="name_mismatch", field="name"
        )
    if last_end is not None and row.started_on <= last_end:
        raise DomainError(
            f"入职日期应晚于该人员上一段任职的离职日期（{last_end:%Y-%m-%d}）。",
            code="started_on_before_last_end", field="started_on",
        )


def _check_start_after_last_employment(professional: Professional, *, started_on: dt.date) -> None:
    last_end = professional.employments.aggregate(last=Max("ended_on"))["last"] if professional.pk else None
    if last_end is not None and started_on <= last_end:
        raise DomainError(
            f"您上一段任职到 {last_end:%Y-%m-%d} 结束，请在该日期之后再注册，或联系单位。",
            code="started_on_before_last_end",
        )


def _current_employment(professional: Professional) -> Employment | None:
    return professional.employments.select_for_update().filter(ended_on__isnull=True).first()


# --- change of employer ---------------------------------------------------------------------------------


@transaction.atomic
def professional_transfer(*, professional: Professional, to_unit: Unit, on: dt.date, actor) -> Employment:
    """调入: the old employment ends the day before `on`, the new one starts on `on`; every record stays the
    person's, and which unit a claim belongs to follows from these dates."""
    current = _current_employment(professional)
    if current is None:
        raise DomainError("该人员当前没有任职单位，请直接添加为本单位人员。", code="not_employed")
    if current.unit_id == to_unit.pk:
        raise DomainError("该人员已在本单位任职，无需调入。", code="transfer_same_unit")
    if Professional.objects.filter(pk=professional.pk, status=Professional.Status.PENDING).exists():
        raise DomainError("该人员的注册申请尚待原单位审核，审核通过后才能调入。", code="pending_registration")
    if on <= current.started_on:
        raise DomainError(
            f"调入日期必须晚于该人员在原单位的入职日期（{current.started_on:%Y-%m-%d}）。",
            code="transfer_before_start", field="on",
        )
    current.ended_on = on - dt.timedelta(days=1)
    current.save(update_fields=["ended_on"])
    new = Employment.objects.create(professional=professional, unit=to_unit, started_on=on)
    record_event(actor=actor, action="professional.transfer", target=professional, before={
        "unit": current.unit_id, "started_on": current.started_on,
    }, after={"unit": to_unit.pk, "started_on": on, "previous_ended_on": current.ended_on})
    return new


# --- units ----------------------------------------------------------------------------------------------


@transaction.atomic
def unit_create(*, name: str, credit_code: str, kind: str, region: Region | None,
                authority: IndustryAuthority | None, actor) -> Unit:
    """City HR anywhere, county HR in its own county. `credit_code` is already normalised and valid."""
    scope = scope_for(actor)
    if region is None:
        if not scope.is_city and len(scope.region_ids) == 1:
            region = Region.objects.get(pk=next(iter(scope.region_ids)))
        else:
            raise DomainError("请选择单位所属区域。", code="region_required", field="region")
    if not scope.is_city and region.pk not in scope.region_ids:
        raise NotFound("未找到该区域。")
    if authority is not None and authority.region_id not in (region.pk, region.parent_id):
        raise DomainError(
            f"行业主管部门“{authority.name}”不在{region.name}或其上级区域，请重新选择。",
            code="authority_region_mismatch", field="authority",
        )
    if Unit.objects.filter(credit_code=credit_code).exists():
        raise DomainError("该统一社会信用代码已登记，请勿重复添加。", code="duplicate_credit_code", field="credit_code")
    unit = Unit.objects.create(name=name, credit_code=credit_code, kind=kind, region=region, authority=authority)
    record_event(actor=actor, action="unit.create", target=unit, after={
        "name": name, "credit_code": credit_code, "region": region.pk, "authority": authority and authority.pk,
    })
    return unit


# --- make-up exemptions (补学豁免) -------------------------------------------------------------------------


def makeup_exemption_grant_check(*, professional: Professional, year: int, reason: str, expires_at: dt.datetime,
                                 granted_by, now: dt.datetime) -> None:
    """Raise the DomainError `makeup_exemption_grant` would refuse with, so a form can show it on its field."""
    if not scope_for(granted_by).has(Role.CITY_HR):
        raise DomainError("只有市人社局可以批准补学豁免。", code="not_city_hr")
    if not (reason or "").strip():
        raise DomainError("请填写批准理由。", code="reason_required", field="reason")
    if expires_at <= now:
        raise DomainError("有效期须晚于当前时间。", code="expiry_in_past", field="expires_at")
    policy = RequirementPolicy.objects.filter(year=year).first()
    refusal = claim_year_refusal(year, now, filing_close=policy.filing_close if policy else None)
    if refusal is None:
        raise DomainError(f"{year} 年度尚在申报期内，可直接申报，无需补学豁免。", code="year_not_closed", field="year")
    if refusal.code != "year_closed":
        raise DomainError(refusal.message, code=refusal.code, field="year")
    current = next(
        (e for e in MakeUpExemption.objects.filter(professional=professional, year=year) if e.is_valid_at(now)), None
    )
    if current is not None:
        raise DomainError(
            f"该人员已有 {year} 年度有效的补学豁免（有效期至 {timezone.localtime(current.expires_at):%Y-%m-%d %H:%M}）；"
            "如需变更，请先撤销。",
            code="exemption_exists", field="year",
        )


@transaction.atomic
def makeup_exemption_grant(*, professional: Professional, year: int, reason: str, expires_at: dt.datetime,
                           granted_by, now: dt.datetime, ip: str | None = None) -> MakeUpExemption:
    """city_hr reopens one closed year for one person, with a written reason, until `expires_at` (rule 3)."""
    # Serialises grants for the same person, so two city_hr clicks cannot both pass the "already has one" check.
    Professional.objects.select_for_update().filter(pk=professional.pk).first()
    makeup_exemption_grant_check(professional=professional, year=year, reason=reason, expires_at=expires_at,
                                 granted_by=granted_by, now=now)
    exemption = MakeUpExemption.objects.create(
        professional=professional, year=year, reason=reason.strip(), granted_by=granted_by, expires_at=expires_at,
    )
    record_event(actor=granted_by, action="makeup_exemption.grant", target=exemption, ip=ip, after={
        "professional": professional.pk, "year": year, "reason": exemption.reason,
        "expires_at": expires_at.isoformat(),
    })
    return exemption


@transaction.atomic
def makeup_exemption_revoke(*, exemption: MakeUpExemption, reason: str, revoked_by, now: dt.datetime,
                            ip: str | None = None) -> MakeUpExemption:
    """city_hr withdraws a grant before it expires; the reason goes to the audit trail."""
    if not scope_for(revoked_by).has(Role.CITY_HR):
        raise DomainError("只有市人社局可以撤销补学豁免。", code="not_city_hr")
    if not (reason or "").strip():
        raise DomainError("请填写撤销理由。", code="reason_required", field="revoke_reason")
    exemption = MakeUpExemption.objects.select_for_update().get(pk=exemption.pk)
    if exemption.revoked_at is not None:
        raise DomainError("该补学豁免已撤销。", code="already_revoked")
    exemption.revoked_at = now
    exemption.save(update_fields=["revoked_at"])
    record_event(actor=revoked_by, action="makeup_exemption.revoke", target=exemption, ip=ip,
                 before={"revoked_at": None}, after={"revoked_at": now.isoformat(), "reason": reason.strip()})
    return exemption
