"""Writes on a person's hours: drafts of hand-filed claims and their evidence (rules 2, 3 and 8 in
docs/rules.md), the credited totals, and city_hr's make-up exemptions (rule 3).

One function per action, keyword-only and atomic; every refusal is a DomainError with a Chinese message and
a stable code, raised before anything is written. Sending a claim for review is audits.review's: review
starts there. The clock is read by the caller and passed in as `now`.

Credited = platform records not revoked + claims approved and not revoked. Whoever credits or revokes calls
`add_to_year_totals` in the same transaction; `recompute_year_totals` rebuilds from the source rows.
"""
import datetime as dt
import hashlib
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from audits.trail.services import record_event
from ce_portal.errors import DomainError, NotFound
from records.hours.models import (
    ActivityKind, Claim, EvidenceFile, MakeUpExemption, PersonYearTotal, PlatformRecord, RequirementPolicy,
    StagedEvidence, SubjectCategory,
)
from records.hours.rules import (
    EDITABLE_STATUSES, SNIFF_BYTES, STAGED_EVIDENCE_KEPT, ZERO, ZIP_MAGIC, ClaimStatus, PlanItemRef, Problem,
    ResubmissionWindow, activity_date_problems, claim_year_refusal, evidence_content_type, evidence_count_problem,
    evidence_problems, filing_year_problem, hours_problems, plan_item_problems, provider_problems,
)
from records.people.access import scope_for
from records.people.models import Professional, Role
from records.people.selectors import current_employment


@dataclass(frozen=True)
class ClaimInput:
    """What the person fills in; the year is not among it: it is the activity's year, always."""

    kind: str
    category: str
    title: str
    content: str
    provider_base: object | None  # platforms.TrainingBase
    provider_name: str
    start_date: dt.date
    end_date: dt.date
    hours: Decimal
    result: str
    external_certificate_no: str
    plan_item: object | None = None  # records.PlanItem, for unit-organised training

    @classmethod
    def from_claim(cls, claim: Claim) -> "ClaimInput":
        return cls(**{name: getattr(claim, name) for name in cls.__dataclass_fields__})


def claim_input_problems(*, professional: Professional, data: ClaimInput, now: dt.datetime,
                         claim: Claim | None = None) -> list[Problem]:
    """Every problem with the input, the filing-year rule included (it needs the policy, any exemption and,
    for a returned `claim`, its resubmission window)."""
    return [
        *provider_problems(data.provider_base and data.provider_base.pk, data.provider_name),
        *activity_problems(professional=professional, start_date=data.start_date, end_date=data.end_date,
                           hours=data.hours, now=now, claim=claim),
        *claim_plan_item_problems(professional=professional, kind=data.kind, year=data.start_date.year,
                                  plan_item=data.plan_item),
    ]


def claim_plan_item_problems(*, professional: Professional, kind: str, year: int, plan_item) -> list[Problem]:
    """The plan item, if any, is one of the filed items of the person's current unit for the activity's year."""
    if plan_item is None:
        return []
    employment = current_employment(professional)
    plan = plan_item.plan
    return plan_item_problems(
        unit_training=kind == ActivityKind.UNIT_TRAINING, year=year, unit_id=employment and employment.unit_id,
        item=PlanItemRef(unit_id=plan.unit_id, year=plan.year, in_force=plan.in_force),
    )


def resubmission_window(claim: Claim | None) -> ResubmissionWindow | None:
    """A returned claim's window, for the year it was filed for (its stored year, before any edit)."""
    if claim is None or claim.status != ClaimStatus.RETURNED or claim.resubmit_by is None:
        return None
    return ResubmissionWindow(claim.year, claim.resubmit_by)


def _exemption_for(professional: Professional, year: int) -> MakeUpExemption | None:
    return (
        MakeUpExemption.objects.filter(professional=professional, year=year, revoked_at__isnull=True)
        .order_by("-expires_at").first()
    )


def exemption_relied_on(claim: Claim, now: dt.datetime) -> MakeUpExemption | None:
    """The make-up exemption without which `claim` could not be submitted at `now` (its year closed, no
    resubmission window), or None when its year is open to it anyway."""
    if filing_year_problem(claim.year, now, filing_close=_filing_close(claim.year),
                           window=resubmission_window(claim)) is None:
        return None
    return _exemption_for(claim.professional, claim.year)


def activity_problems(*, professional: Professional, start_date: dt.date, end_date: dt.date, hours: Decimal,
                      now: dt.datetime, claim: Claim | None = None) -> list[Problem]:
    """The activity's dates and hours, and whether its year is still open to this person at `now`."""
    dates = activity_date_problems(start_date, end_date, timezone.localdate(now))
    problems = [*dates, *hours_problems(hours, start_date, end_date)]
    if not dates:
        year = start_date.year
        exemption = _exemption_for(professional, year)
        year_problem = filing_year_problem(year, now, exemption, filing_close=_filing_close(year),
                                           window=resubmission_window(claim))
        if year_problem:
            problems.append(year_problem)
    return problems


def _filing_close(year: int) -> dt.datetime:
    return RequirementPolicy.objects.closes_for(year).filing


def refuse_problems(problems: list[Problem]) -> None:
    """Raise the first problem as the DomainError a service refuses with."""
    if problems:
        first = problems[0]
        raise DomainError(first.message, code=first.code, field=first.field)


def own_claim_for_update(actor, claim_id: int) -> Claim:
    """One of the actor's own claims, locked for the change about to be made; anybody else's is NotFound."""
    claim = (
        # Lock the claim row only: it serialises every change to the claim and its evidence.
        Claim.objects.select_for_update(of=("self",))
        .filter(pk=claim_id, professional_id__in=scope_for(actor).professional_ids)
        .select_related("professional")
        .first()
    )
    if claim is None:
        raise NotFound("未找到该申报。")
    return claim


def claim_prefilled(claim: Claim) -> bool:
    """A claim pre-filled from a session's attendance (records.plans) carries what the unit recorded: the person
    adds a note to it (session_claim_note), never changes its content or its evidence."""
    return Claim.objects.filter(pk=claim.pk, attendance__isnull=False).exists()


def _require_editable(claim: Claim) -> None:
    if claim.status not in EDITABLE_STATUSES:
        raise DomainError(
            f"该申报当前状态为“{claim.get_status_display()}”，不能修改内容或佐证材料。", code="claim_not_editable"
        )
    if claim_prefilled(claim):
        raise DomainError("该申报由单位根据培训签到预填，内容和佐证材料由单位登记，您只能填写补充说明后提交。",
                          code="claim_prefilled")


@transaction.atomic
def claim_save_draft(*, actor, professional: Professional, data: ClaimInput, now: dt.datetime,
                     claim_id: int | None = None) -> Claim:
    """Create a draft, or change the content of one's draft or returned claim."""
    if professional.pk not in scope_for(actor).professional_ids:
        raise NotFound("未找到该人员。")
    if claim_id is None:
        claim = Claim(professional=professional)
    else:
        claim = own_claim_for_update(actor, claim_id)
        _require_editable(claim)
    refuse_problems(claim_input_problems(professional=professional, data=data, now=now,
                                         claim=claim if claim_id is not None else None))
    for name, value in data.__dict__.items():
        setattr(claim, name, value)
    claim.year = data.start_date.year
    claim.save()
    return claim


def upload_sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


class Sniffed(NamedTuple):
    """What the evidence rules read of an upload: its leading bytes and, for a zip, the parts it holds."""

    head: bytes
    zip_names: frozenset[str]


def upload_sniff(upload: UploadedFile) -> Sniffed:
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    names: frozenset[str] = frozenset()
    if head.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = frozenset(archive.namelist())
        except (zipfile.BadZipFile, OSError, EOFError):  # a broken zip is no presentation
            names = frozenset()
        upload.seek(0)
    return Sniffed(head, names)


@transaction.atomic
def evidence_add(*, actor, claim_id: int, upload: UploadedFile, now: dt.datetime,
                 supersedes_id: int | None = None) -> EvidenceFile:
    """Attach a file; with `supersedes_id`, as the corrected version of a file, which is kept but taken out."""
    claim = own_claim_for_update(actor, claim_id)
    _require_editable(claim)
    sniffed = upload_sniff(upload)
    refuse_problems(evidence_problems(upload.name, sniffed.head, upload.size, sniffed.zip_names))
    current = claim.evidence.filter(removed_at__isnull=True)
    superseded = None
    if supersedes_id is not None:
        superseded = current.filter(pk=supersedes_id).first()
        if superseded is None:
            raise NotFound("未找到要更正的佐证材料。")
    else:
        count_problem = evidence_count_problem(current.count(), 1)
        refuse_problems([count_problem] if count_problem else [])
    evidence = EvidenceFile(
        claim=claim, original_name=upload.name[-200:], content_type=evidence_content_type(*sniffed), size=upload.size,
        sha256=upload_sha256(upload), uploaded_by=actor, uploaded_at=now,
    )
    evidence.file.save(upload.name, upload, save=False)
    evidence.save()
    if superseded is not None:
        superseded.removed_at = now
        superseded.save(update_fields=["removed_at"])
    return evidence


@transaction.atomic
def evidence_remove(*, actor, evidence_id: int, now: dt.datetime) -> EvidenceFile:
    """Take a not-yet-submitted file out of a claim. The row and the file are kept (removed_at)."""
    claim_id = EvidenceFile.objects.filter(pk=evidence_id).values_list("claim_id", flat=True).first()
    if claim_id is None:
        raise NotFound("未找到该佐证材料。")
    claim = own_claim_for_update(actor, claim_id)
    evidence = claim.evidence.get(pk=evidence_id)
    if evidence.removed_at is not None:
        raise DomainError("该佐证材料已经移除。", code="evidence_already_removed")
    if evidence.submitted_at is not None:
        raise DomainError(
            "该材料已随申报提交，成为审核记录的一部分，不能删除或替换；如需更正，请上传更正版本。",
            code="evidence_frozen",
        )
    _require_editable(claim)
    evidence.removed_at = now
    evidence.save(update_fields=["removed_at"])
    return evidence


@transaction.atomic
def evidence_stage(*, actor, professional: Professional, upload: UploadedFile, now: dt.datetime) -> StagedEvidence:
    """Keep a good file from a claim form that failed on other fields: browsers never re-select a file."""
    if professional.pk not in scope_for(actor).professional_ids:
        raise NotFound("未找到该人员。")
    upload.seek(0)  # it may have been read by a save that was then rolled back
    sniffed = upload_sniff(upload)
    refuse_problems(evidence_problems(upload.name, sniffed.head, upload.size, sniffed.zip_names))
    staged = StagedEvidence(professional=professional, original_name=upload.name[-200:],
                            content_type=evidence_content_type(sniffed.head, sniffed.zip_names), size=upload.size,
                            sha256=upload_sha256(upload),
                            uploaded_at=now)
    staged.file.save(upload.name, upload, save=False)
    staged.save()
    return staged


def _own_staged(actor, staged_id: int) -> StagedEvidence:
    staged = (StagedEvidence.objects.select_for_update()
              .filter(pk=staged_id, professional_id__in=scope_for(actor).professional_ids).first())
    if staged is None:
        raise NotFound("未找到该佐证材料，请重新选择文件。")
    return staged


@transaction.atomic
def evidence_attach_staged(*, actor, claim_id: int, staged_id: int) -> EvidenceFile:
    """A kept file joins the claim being saved, as it was uploaded (same stored file, same upload time)."""
    claim = own_claim_for_update(actor, claim_id)
    _require_editable(claim)
    staged = _own_staged(actor, staged_id)
    if staged.professional_id != claim.professional_id:
        raise NotFound("未找到该佐证材料，请重新选择文件。")
    count_problem = evidence_count_problem(claim.evidence.filter(removed_at__isnull=True).count(), 1)
    refuse_problems([count_problem] if count_problem else [])
    evidence = EvidenceFile.objects.create(
        claim=claim, file=staged.file.name, original_name=staged.original_name, content_type=staged.content_type,
        size=staged.size, sha256=staged.sha256, uploaded_by=actor, uploaded_at=staged.uploaded_at,
    )
    staged.delete()
    return evidence


@transaction.atomic
def evidence_unstage(*, actor, staged_id: int) -> None:
    """Drop a kept file the person no longer wants (its stored file goes once the deletion is committed)."""
    staged = _own_staged(actor, staged_id)
    name = staged.file.name
    staged.delete()
    transaction.on_commit(lambda: default_storage.delete(name))


@transaction.atomic
def staged_evidence_purge(*, now: dt.datetime) -> int:
    """Delete the files kept from claim forms that were left unsaved for STAGED_EVIDENCE_KEPT (they may hold
    personal data nobody will ever review); returns how many."""
    stale = StagedEvidence.objects.filter(uploaded_at__lt=now - STAGED_EVIDENCE_KEPT)
    names = list(stale.values_list("file", flat=True))
    stale.delete()
    transaction.on_commit(lambda: discard_stored_files(names))
    return len(names)


def discard_stored_files(names: list[str]) -> None:
    """Delete files written by evidence_add in a transaction that then rolled back (no row points at them)."""
    for name in names:
        default_storage.delete(name)


Key = tuple[int, int]  # (professional_id, year)


def year_deltas(items) -> dict[Key, tuple[Decimal, Decimal]]:
    """Sum (professional_id, year, category, hours) items into per-person-year (public, professional)."""
    sums: dict[Key, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for professional_id, year, category, hours in items:
        sums[(professional_id, year)][0 if category == SubjectCategory.PUBLIC else 1] += hours
    return {key: (pub, pro) for key, (pub, pro) in sums.items()}


def add_to_year_totals(deltas: dict[Key, tuple[Decimal, Decimal]]) -> None:
    """Add (or, with negative hours, subtract) in one upsert; concurrent callers never lose an update."""
    if not deltas:
        return
    table = PersonYearTotal._meta.db_table
    now = timezone.now()
    rows = sorted(deltas.items())  # a fixed order: two batches lock the same rows in the same order
    if connection.vendor == "postgresql":
        # One array per column: a short statement that psycopg and PostgreSQL parse the same way whatever
        # the number of rows (a 1,000-row VALUES list costs ≈ 5× more, mostly in parsing its 5,000 parameters).
        source = "SELECT u.*, %s FROM unnest(%s::bigint[], %s::smallint[], %s::numeric[], %s::numeric[]) AS u"
        params = [now, [pid for (pid, _), _ in rows], [year for (_, year), _ in rows],
                  [pub for _, (pub, _) in rows], [pro for _, (_, pro) in rows]]
    else:  # the SQLite demo
        source = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
        params = [p for (pid, year), (pub, pro) in rows for p in (pid, year, pub, pro, now)]
    sql = (
        f"INSERT INTO {table} (professional_id, year, public_hours, professional_hours, updated_at) "
        f"{source} ON CONFLICT (professional_id, year) DO UPDATE SET "
        f"public_hours = {table}.public_hours + excluded.public_hours, "
        f"professional_hours = {table}.professional_hours + excluded.professional_hours, "
        f"updated_at = excluded.updated_at"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def recompute_year_totals(keys: list[Key]) -> None:
    """Rebuild the totals of these person-years from the credited source rows."""
    for professional_id, year in keys:
        sums = {SubjectCategory.PUBLIC: ZERO, SubjectCategory.PROFESSIONAL: ZERO}
        for source in (
            PlatformRecord.objects.filter(credit_revoked_at__isnull=True),
            Claim.objects.filter(status=Claim.Status.APPROVED, credit_revoked_at__isnull=True),
        ):
            rows = source.filter(professional_id=professional_id, year=year).values("category").annotate(h=Sum("hours"))
            for row in rows:
                sums[row["category"]] += row["h"]
        PersonYearTotal.objects.update_or_create(
            professional_id=professional_id, year=year,
            defaults={"public_hours": sums[SubjectCategory.PUBLIC],
                      "professional_hours": sums[SubjectCategory.PROFESSIONAL]},
        )


def makeup_exemption_grant_check(*, professional: Professional, year: int, reason: str, expires_at: dt.datetime,
                                 granted_by, now: dt.datetime) -> None:
    """Raise the DomainError `makeup_exemption_grant` would refuse with, so a form can show it on its field."""
    if not scope_for(granted_by).has(Role.CITY_HR):
        raise DomainError("只有市人社局可以批准补学豁免。", code="not_city_hr")
    if not (reason or "").strip():
        raise DomainError("请填写批准理由。", code="reason_required", field="reason")
    if expires_at <= now:
        raise DomainError("有效期须晚于当前时间。", code="expiry_in_past", field="expires_at")
    refusal = claim_year_refusal(year, now, filing_close=_filing_close(year))
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
